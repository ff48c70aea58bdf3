"""The sorted Turtle dump against pyoxigraph's own (unsorted) Turtle and rdflib's longturtle.

A store of N synthetic studies is built once on disk: the study records of
bench/generate_ctgov.py, mapped to triples by the ClinicalTrials.gov importer's own mapping
(no validation: this measures the dump, not the import) and bulk-loaded with the curated
evidence and the model. Then, each in a fresh child process so that its peak RSS is its own:

- ``pyoxigraph``: ``Store.dump(format=TURTLE)`` of the default graph, the project's prefixes;
- ``sorted``: ``evidencegraph.publish``'s sorted Turtle alone (N-Triples out of the store,
  sorted, written as Turtle);
- ``dump``: the whole ``evidencegraph dump`` (sorted Turtle, sorted N-Triples gzip, the
  graphs file, void.ttl with its SPARQL statistics and checksums), first on the store with
  no named graph (the work of a dump before issue 17), then on a copy where every statement
  is also in the named graph of its source (decision 0021: each study's in its registry
  record's graph, the rest in one curated graph) and the catalog describes each graph;
- ``graphs``: the graphs file alone (``evidencegraph-graphs.nq.gz``), on that copy;
- on the first ``--rdflib-studies`` studies only (rdflib holds the whole graph in Python
  objects): rdflib's ``Graph.serialize(format="longturtle")`` against ``sorted`` on the
  same store.

Run:  python bench/dump.py --studies 20000
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from common import peak_rss_mib  # type: ignore[import-not-found]

HERE = Path(__file__).parent


def build_store(path: Path, studies: int) -> int:
    """N synthetic studies (``bench/generate.py``), the model and the curated evidence, in a
    new on-disk store."""
    sys.path.insert(0, str(HERE))
    from synthetic import build_store as build  # type: ignore[import-not-found]

    triples, _ = build(path, studies)
    return int(triples)


def add_source_graphs(path: Path) -> int:
    """Put every statement of the store's view also in the named graph of its source, as
    import and build do (a study's statements, by the IRI of their subject, in
    ``graph/ctgov/NCT…``; the rest in ``graph/curated/synthetic``), and describe each graph
    in the catalog (its type, kind and size); returns the named quads written."""
    from collections import Counter

    import pyoxigraph as ox

    from evidencegraph.ontology.namespace import EG, EGID, EGV
    from evidencegraph.ontology.source_graphs import CATALOG, curated_graph, record_graph

    study = str(EGID) + "study/"
    rest = ox.NamedNode(curated_graph("synthetic"))
    sizes: Counter[ox.NamedNode] = Counter()

    def placed(quads: object) -> object:
        for quad in quads:  # type: ignore[attr-defined]
            subject = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else ""
            if subject.startswith(study):
                graph = ox.NamedNode(record_graph("ctgov", subject[len(study) :].split("/")[0]))
            else:
                graph = rest
            sizes[graph] += 1
            yield ox.Quad(quad.subject, quad.predicate, quad.object, graph)

    store = ox.Store(str(path))
    store.bulk_extend(placed(list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))))
    catalog = ox.NamedNode(CATALOG)
    kinds = {rest: ox.NamedNode(str(EGV.CuratedEvidence))}
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    described = [
        ox.Quad(graph, predicate, value, catalog)
        for graph, size in sizes.items()
        for predicate, value in (
            (
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(str(EG.SourceGraph)),
            ),
            (
                ox.NamedNode(str(EG.sourceKind)),
                kinds.get(graph, ox.NamedNode(str(EGV.RegistryRecord))),
            ),
            (
                ox.NamedNode("http://rdfs.org/ns/void#triples"),
                ox.Literal(str(size), datatype=integer),
            ),
        )
    ]
    store.bulk_extend(described)
    store.flush()
    del store
    return sum(sizes.values()) + len(described)


def run_pyoxigraph(path: Path, out: Path) -> None:
    import pyoxigraph as ox

    from evidencegraph.ontology.namespace import PREFIXES

    store = ox.Store.read_only(str(path))
    store.dump(
        str(out / "unsorted.ttl"),
        format=ox.RdfFormat.TURTLE,
        from_graph=ox.DefaultGraph(),
        prefixes=PREFIXES,
    )


def run_sorted(path: Path, out: Path) -> None:
    import pyoxigraph as ox

    from evidencegraph.ontology.namespace import EGID, PREFIXES
    from evidencegraph.publish.sorted_turtle import TurtleWriter, sort_lines
    from evidencegraph.store.core import OxigraphStore

    store = OxigraphStore(path, read_only=True)
    raw = out / "unsorted.nt"
    ox.serialize(store.quads(), str(raw), format=ox.RdfFormat.N_TRIPLES)
    with raw.open("rb") as lines, (out / "sorted.ttl").open("wb") as turtle:
        TurtleWriter(turtle, PREFIXES, str(EGID)).write(sort_lines(lines, out))


def run_dump(path: Path, out: Path) -> None:
    from evidencegraph.publish.dump import dump_store
    from evidencegraph.store.core import OxigraphStore

    dump_store(OxigraphStore(path, read_only=True), out / "dump")


def run_graphs(path: Path, out: Path) -> None:
    from evidencegraph.publish.dump import _write_graphs
    from evidencegraph.store.core import OxigraphStore

    _write_graphs(OxigraphStore(path, read_only=True), out)


def run_rdflib(path: Path, out: Path) -> None:
    from evidencegraph.ontology.namespace import PREFIXES
    from evidencegraph.store.core import OxigraphStore

    graph = OxigraphStore(path, read_only=True).to_graph()
    for name, iri in PREFIXES.items():
        graph.bind(name, iri)
    started = time.perf_counter()  # the graph is built outside the timing: serialising only
    graph.serialize(str(out / "long.ttl"), format="longturtle")
    print(json.dumps({"serialise_only": time.perf_counter() - started}))


RUNS = {
    "pyoxigraph": run_pyoxigraph,
    "sorted": run_sorted,
    "dump": run_dump,
    "graphs": run_graphs,
    "rdflib": run_rdflib,
}


def child(args: argparse.Namespace) -> None:
    out = Path(tempfile.mkdtemp(prefix="eg-dump-", dir=args.scratch))
    started = time.perf_counter()
    RUNS[args.child](args.store, out)
    wall = time.perf_counter() - started
    shutil.rmtree(out)
    print(
        json.dumps(
            {
                "wall": wall,
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


def measure(kind: str, store: Path, scratch: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--store", str(store)]
    command += ["--scratch", str(scratch)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = {}
    for line in done.stdout.splitlines():
        result.update(json.loads(line))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000, help="synthetic studies (N)")
    parser.add_argument(
        "--rdflib-studies", type=int, default=1000, help="studies for the rdflib comparison"
    )
    parser.add_argument("--runs", type=int, default=1, help="runs of each measurement")
    parser.add_argument("--child", choices=sorted(RUNS), help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    work = Path(tempfile.mkdtemp(prefix="eg-bench-dump-"))
    print(
        f"python {platform.python_version()}, pyoxigraph {version('pyoxigraph')}, "
        f"rdflib {version('rdflib')}, {platform.machine()}"
    )
    for studies, kinds in (
        (args.studies, ("pyoxigraph", "sorted", "dump")),
        (min(args.rdflib_studies, args.studies), ("pyoxigraph", "sorted", "rdflib")),
    ):
        store = work / f"store-{studies}.db"
        started = time.perf_counter()
        triples = build_store(store, studies) if not store.exists() else 0
        print(
            f"\n{studies:,} studies, {triples:,} triples (store built in "
            f"{time.perf_counter() - started:.1f} s)"
        )
        results = {}
        for kind in kinds:
            runs = [measure(kind, store, work) for _ in range(args.runs)]
            best = min(runs, key=lambda r: r["wall"])
            results[kind] = best
            extra = (
                f", serialise alone {best['serialise_only']:.2f} s"
                if "serialise_only" in best
                else ""
            )
            print(
                f"  {kind:<10} {best['wall']:8.2f} s  peak RSS {best['peak_rss_mib']:7.0f} MiB"
                f"{extra}"
            )
        base = results["pyoxigraph"]["wall"]
        for kind in kinds[1:]:
            print(f"  {kind} / pyoxigraph = {results[kind]['wall'] / base:.2f}")
        if "dump" in kinds:
            graphed = work / f"store-{studies}-graphs.db"
            shutil.copytree(store, graphed)
            named = add_source_graphs(graphed)
            print(f"  with every statement also in its source's graph ({named:,} named quads):")
            for kind in ("graphs", "dump"):
                runs = [measure(kind, graphed, work) for _ in range(args.runs)]
                best = min(runs, key=lambda r: r["wall"])
                print(
                    f"  {kind:<10} {best['wall']:8.2f} s  peak RSS {best['peak_rss_mib']:7.0f} MiB"
                    f"  ({kind} / pyoxigraph = {best['wall'] / base:.2f}; "
                    f"/ the dump without graphs = {best['wall'] / results['dump']['wall']:.2f})"
                )
            shutil.rmtree(graphed)
        if "rdflib" in results:
            print(
                f"  rdflib / sorted = {results['rdflib']['wall'] / results['sorted']['wall']:.2f}"
                " (whole process: store to rdflib Graph, then serialise)"
            )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
