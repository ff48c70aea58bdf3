"""The networkx projection on N synthetic studies: build time, bytes per edge, path queries.

Fills a fresh on-disk store with N synthetic ClinicalTrials.gov studies (bench/generate_ctgov.py,
mapped by the importer's own mapping, ``ctgov.map_study``, and written without the validation
gate: what is measured here is the projection, not the import), then:

- builds the projection (``graph.network.project``) and reports its wall time;
- builds it again under tracemalloc and reports the memory the projection keeps, per edge,
  and the peak while building it, per edge (nodes and their attributes included);
- runs path queries as ``evidencegraph network path`` does (names resolved, claims set aside,
  up to 6 shortest paths asked for): from ketamine to outcomes of studies that test it, and
  between random pairs of studies named by NCT number, with a fixed seed; reports median and
  slowest, and apart from them what the first query pays once per projection (the view
  without claims and the index of names).

Run:  python bench/network.py --studies 5000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def fill(store_path: Path, studies: int) -> tuple[int, float]:
    """``studies`` synthetic studies (``bench/generate.py``), the model and the curated
    evidence, in a new store; returns its triples and seconds."""
    from synthetic import build_store

    triples, seconds = build_store(store_path, studies)
    return int(triples), float(seconds)


def measure(store_path: Path, queries: int, seed: int) -> dict[str, float]:
    import networkx as nx

    from evidencegraph.graph.network import (
        has_type,
        ontology_classes,
        project,
        resolve,
        shortest_paths,
        without_claims,
    )
    from evidencegraph.store.core import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)
    ontology_classes()  # the packaged ontology is read once per process: not the projection's

    started = time.perf_counter()
    projection = project(store)
    build = time.perf_counter() - started
    edges, nodes = projection.number_of_edges(), projection.number_of_nodes()

    del projection
    tracemalloc.start()
    projection = project(store)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    store.close()

    rng = random.Random(seed)
    studies = sorted(n for n in projection if has_type(projection, n, "eg:Study"))
    ketamine = resolve(projection, "ketamine")
    reached = nx.node_connected_component(projection.to_undirected(as_view=True), ketamine)
    tested = sorted(
        outcome
        for study in studies
        if study in reached
        for _, outcome, key in projection.out_edges(study, keys=True)
        if key == "eg:hasOutcome"
    )
    # named as people name them: ketamine by label, a study by its NCT number, an outcome by
    # IRI (outcome labels repeat from study to study)
    nct = {
        s: projection.nodes[s]["identifiers"].split()[0]
        for s in studies
        if projection.nodes[s]["identifiers"]
    }
    studies = sorted(nct)  # the curated studies without a registry number are named by IRI
    pairs = [("ketamine", o) for o in rng.sample(tested, min(queries // 2, len(tested)))]
    pairs += [
        (nct[a], nct[b]) for a, b in (rng.sample(studies, 2) for _ in range(queries - len(pairs)))
    ]

    # what every command pays once per projection: the view without claims and the index of
    # names that resolve() builds on its first lookup
    began = time.perf_counter()
    view = without_claims(projection)
    resolve(view, "ketamine")
    setup = time.perf_counter() - began

    times, found = [], 0
    for start, end in pairs:
        began = time.perf_counter()
        paths = shortest_paths(view, resolve(view, start), resolve(view, end), 6)
        times.append(time.perf_counter() - began)
        found += bool(paths)
    return {
        "nodes": nodes,
        "edges": edges,
        "build_s": build,
        "kept_bytes_per_edge": kept / edges,
        "peak_bytes_per_edge": peak / edges,
        "setup_s": setup,
        "queries": len(times),
        "connected": found,
        "path_median_s": statistics.median(times),
        "path_max_s": max(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=1000, help="synthetic studies (1000)")
    parser.add_argument("--queries", type=int, default=20, help="path queries timed (20)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the query pairs (7)")
    parser.add_argument(
        "--keep", type=Path, help="fill this store (kept) instead of a temporary one"
    )
    args = parser.parse_args()
    if args.studies < 2 or args.queries < 1:
        parser.error("--studies must be 2 or more and --queries 1 or more")

    with tempfile.TemporaryDirectory(prefix="bench-network-") as scratch:
        store_path = args.keep or Path(scratch) / "kg.db"
        triples, fill_s = fill(store_path, args.studies)
        result = measure(store_path, args.queries, args.seed)

    print(f"studies            {args.studies:,}")
    print(f"triples            {triples:,} (store filled in {fill_s:.1f} s, no validation)")
    print(f"projection         {result['nodes']:,.0f} nodes, {result['edges']:,.0f} edges")
    print(f"build              {result['build_s']:.2f} s")
    print(f"memory kept        {result['kept_bytes_per_edge']:.0f} bytes per edge (tracemalloc)")
    print(f"memory peak        {result['peak_bytes_per_edge']:.0f} bytes per edge while building")
    print(
        f"first path query   + {result['setup_s'] * 1000:.0f} ms (view without claims, name index)"
    )
    print(
        f"path queries       {result['queries']:.0f} ({result['connected']:.0f} connected): "
        f"median {result['path_median_s'] * 1000:.0f} ms, "
        f"slowest {result['path_max_s'] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
