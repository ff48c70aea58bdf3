"""The sorted Turtle dump against pyoxigraph's own (unsorted) Turtle and rdflib's longturtle.

A store of N synthetic studies is built once on disk: the study records of
bench/generate_ctgov.py, mapped to triples by the ClinicalTrials.gov importer's own mapping
(no validation: this measures the dump, not the import) and bulk-loaded with the curated
evidence and the model. Then, each in a fresh child process so that its peak RSS is its own:

- ``pyoxigraph``: ``Store.dump(format=TURTLE)`` of the default graph, the project's prefixes;
- ``sorted``: ``evidencegraph.publish``'s sorted Turtle alone (N-Triples out of the store,
  sorted, written as Turtle);
- ``dump``: the whole ``evidencegraph dump`` (sorted Turtle, sorted N-Triples gzip, void.ttl
  with its SPARQL statistics and checksums);
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


def run_rdflib(path: Path, out: Path) -> None:
    from evidencegraph.ontology.namespace import PREFIXES
    from evidencegraph.store.core import OxigraphStore

    graph = OxigraphStore(path, read_only=True).to_graph()
    for name, iri in PREFIXES.items():
        graph.bind(name, iri)
    started = time.perf_counter()  # the graph is built outside the timing: serialising only
    graph.serialize(str(out / "long.ttl"), format="longturtle")
    print(json.dumps({"serialise_only": time.perf_counter() - started}))


RUNS = {"pyoxigraph": run_pyoxigraph, "sorted": run_sorted, "dump": run_dump, "rdflib": run_rdflib}


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
        if "rdflib" in results:
            print(
                f"  rdflib / sorted = {results['rdflib']['wall'] / results['sorted']['wall']:.2f}"
                " (whole process: store to rdflib Graph, then serialise)"
            )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
