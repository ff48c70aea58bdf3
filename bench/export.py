"""Export speed: a 2-hop export of one study from a registry-sized store.

Builds an on-disk store holding the model, the curated evidence and N synthetic studies
(``bench/generate.py``, loaded with Oxigraph's bulk loader), then exports the 2-hop
neighbourhood of studies picked at random, with their provenance and the names of the nodes
they link to, and writes each as Turtle: the work of
``evidencegraph export --focus NCT… --hops 2``. Baseline, in the same run: the same selection
through the store's generic SPARQL path (``Store.links`` as any SPARQL 1.1 server would answer
it) instead of Oxigraph's index lookups.

Run:  python bench/export.py --studies 100000 [--samples 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from evidencegraph.export import formats, select
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.store.core import OxigraphStore, Store

HERE = Path(__file__).parent


def build(studies: int, work: Path) -> tuple[EvidenceGraph, float]:
    sys.path.insert(0, str(HERE))
    from synthetic import build_store  # type: ignore[import-not-found]

    _, seconds = build_store(work / "store.db", studies)
    return EvidenceGraph(OxigraphStore(work / "store.db")), seconds


class _Generic(OxigraphStore):
    """The same store read through the generic SPARQL path of ``Store.links``, as any SPARQL
    1.1 server would answer it, instead of Oxigraph's index lookups."""

    links = Store.links

    @classmethod
    def over(cls, store: OxigraphStore) -> _Generic:
        generic = cls.__new__(cls)
        generic.__dict__.update(store.__dict__)
        return generic


def export_once(store: Store, nct: str) -> int:
    focus = [ox.NamedNode(f"https://w3id.org/evidencegraph/id/study/{nct}")]
    chosen = select.neighbourhood(store, focus, 2)
    quads = select.with_names(store, select.with_provenance(store, chosen))
    data = formats._RENDERERS["turtle"](sorted(quads, key=str))
    assert data
    return len(quads)


def timed(run: Callable[[str], int], ids: list[str]) -> tuple[list[float], list[int]]:
    seconds, sizes = [], []
    for nct in ids:
        started = time.perf_counter()
        sizes.append(run(nct))
        seconds.append(time.perf_counter() - started)
    return seconds, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eg-export-bench-") as directory:
        graph, load_seconds = build(args.studies, Path(directory))
        store = graph.store
        assert isinstance(store, OxigraphStore)
        rng = random.Random(7)
        ids = [f"NCT9{rng.randrange(args.studies):07d}" for _ in range(args.samples)]
        export_once(store, ids[0])  # warm
        fast, sizes = timed(lambda nct: export_once(store, nct), ids)
        generic = _Generic.over(store)
        slow, _ = timed(lambda nct: export_once(generic, nct), ids[:10])
        triples = len(store)
        graph.close()
    median, slowest = statistics.median(fast), max(fast)
    print(f"store: {args.studies:,} studies, {triples:,} triples (bulk load {load_seconds:.1f} s)")
    print(
        f"2-hop export with provenance, written as Turtle, {len(ids)} studies: "
        f"median {median * 1000:.1f} ms, slowest {slowest * 1000:.1f} ms, "
        f"{statistics.median(sizes):.0f} triples (median)"
    )
    print(
        f"baseline (generic SPARQL lookups, same run, 10 studies): median "
        f"{statistics.median(slow) * 1000:.1f} ms; ratio {statistics.median(slow) / median:.1f}x"
    )


if __name__ == "__main__":
    main()
