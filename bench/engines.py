"""SHACL engines on the same data and shapes: time, peak memory, and the same violations?

The synthetic graph of ``bench/generate.py`` (N studies, the model and the curated evidence),
with ``--broken`` a few deliberate violations planted in every 50th, 70th and 90th study (an
arm without its label, a second and ill-typed enrolment, a malformed NCT number), is
validated against the packaged shapes by each engine in a child process of its own:

- ``pyshacl``: ``validation.validate_graph`` on an rdflib Graph (what ``validate`` did);
- ``rudof-chunks``: ``store_validation.validate_store`` on the on-disk store (what
  ``validate`` does now: rudof, a chunk of subjects at a time with their neighbourhood);
- ``rudof-whole``: rudof on the whole graph at once;
- ``shifty`` and ``pyshacl-turbo``, two other engines on PyPI, where they are installed
  (``pip install pyshifty pyshacl-turbo``; neither is a dependency).

Each engine's violations are compared with pyshacl's as (focus node, path, constraint).

Run:  python bench/engines.py --studies 2000 [--broken] [--timeout 600]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine, peak_rss_mib, versions  # type: ignore[import-not-found]

ENGINES = ("pyshacl", "rudof-chunks", "rudof-whole", "shifty", "pyshacl-turbo")
ID = "https://w3id.org/evidencegraph/id/"
EG = "https://w3id.org/evidencegraph/ontology#"


def write_data(path: Path, studies: int, broken: bool) -> int:
    """The graph as N-Triples; with ``broken``, violations planted on purpose."""
    from synthetic import write_ntriples  # type: ignore[import-not-found]

    count = write_ntriples(path, studies)
    if not broken:
        return count
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = []
    for line in lines:
        number = _study_number(line)
        if number is not None and number % 50 == 0 and "/arm/2> <http://www.w3.org/2000/01" in line:
            continue  # an arm without its rdfs:label
        if number is not None and number % 90 == 0 and f"<{EG}nctId>" in line:
            line = line.rsplit('"', 2)[0] + '"NCT12"' + " ."  # a malformed NCT number
        kept.append(line)
    for number in range(0, studies, 70):
        study = f"<{ID}study/NCT9{number:07d}>"
        kept.append(f'{study} <{EG}enrolment> "many"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return len(kept)


def _study_number(line: str) -> int | None:
    marker = f"<{ID}study/NCT9"
    if not line.startswith(marker):
        return None
    return int(line[len(marker) : len(marker) + 7])


def _shown(report_graph: object) -> list[list[str]]:
    from evidencegraph.validation.shacl import _report_from_graph

    report = _report_from_graph(report_graph, None)  # type: ignore[arg-type]
    return [[r.focus_node, r.path, r.constraint] for r in report.results]


def run_engine(engine: str, data: Path, scratch: Path) -> dict[str, object]:
    started, cpu = time.perf_counter(), time.process_time()
    if engine == "pyshacl":
        from rdflib import Graph

        from evidencegraph.validation.shacl import validate_graph

        report = validate_graph(Graph().parse(str(data), format="nt"))
        results = [[r.focus_node, r.path, r.constraint] for r in report.results]
    elif engine == "rudof-chunks":
        import pyoxigraph as ox

        from evidencegraph.store.core import OxigraphStore
        from evidencegraph.validation.store_validation import validate_store

        native = ox.Store(str(scratch / "store.db"))
        native.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
        native.flush()
        del native  # every engine starts from the file: the load is counted
        report = validate_store(OxigraphStore(scratch / "store.db"), "rudof")
        results = [[r.focus_node, r.path, r.constraint] for r in report.results]
    elif engine == "rudof-whole":
        import pyrudof

        from evidencegraph.validation import rudof_engine

        session = pyrudof.Rudof()
        session.read_shacl(rudof_engine.shapes_ntriples(), pyrudof.ShaclFormat.NTriples)
        session.read_data(str(data), pyrudof.RDFFormat.NTriples, merge=False)
        found = rudof_engine._results(session.validate_shacl(), None)
        results = [list(result.shown()[:3]) for result, _ in found]
    elif engine == "shifty":
        import shifty  # type: ignore[import-not-found]

        from evidencegraph.validation.rudof_engine import shapes_ntriples

        shapes = scratch / "shapes.nt"
        shapes.write_text(shapes_ntriples(), encoding="utf-8")
        _, report_graph, _ = shifty.validate(data, shacl_graph=shapes, infer=False)
        results = _shown(report_graph)
    elif engine == "pyshacl-turbo":
        import pyshacl_turbo  # type: ignore[import-not-found]

        from evidencegraph.validation.rudof_engine import shapes_ntriples

        shapes = scratch / "shapes.nt"
        shapes.write_text(shapes_ntriples(), encoding="utf-8")
        _, report_graph, _ = pyshacl_turbo.validate(
            str(data), shacl_graph=str(shapes), data_graph_format="nt", shacl_graph_format="nt"
        )
        results = _shown(report_graph)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mib": peak_rss_mib(),
        "results": sorted(results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--broken", action="store_true", help="plant violations")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per engine (600)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, data, scratch = args.child
        print(json.dumps(run_engine(engine, Path(data), Path(scratch))))
        return

    print(f"{machine()}\n{versions(['pyshacl', 'pyrudof', 'pyshifty', 'pyshacl-turbo'])}")
    with tempfile.TemporaryDirectory(prefix="eg-engines-") as directory:
        work = Path(directory)
        data = work / "graph.nt"
        triples = write_data(data, args.studies, args.broken)
        print(f"{args.studies:,} studies, {triples:,} triples, broken: {args.broken}")
        reference: set[tuple[str, ...]] | None = None
        for engine in args.engines:
            scratch = Path(tempfile.mkdtemp(dir=work))
            command = [sys.executable, __file__, "--child", engine, str(data), str(scratch)]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                print(f"  {engine:<14} over {args.timeout:.0f} s")
                continue
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["?"])[-1]
                print(f"  {engine:<14} did not run: {last}")
                continue
            result = json.loads(done.stdout.splitlines()[-1])
            found = {tuple(row) for row in result["results"]}
            if engine == "pyshacl":
                reference = found
            same = (
                ""
                if reference is None
                else (
                    "same violations as pyshacl"
                    if found == reference
                    else f"differs from pyshacl: {len(found - reference)} more, "
                    f"{len(reference - found)} fewer"
                )
            )
            print(
                f"  {engine:<14} {result['seconds']:8.1f} s (CPU {result['cpu_seconds']:6.1f} s)  "
                "peak RSS "
                f"{result['peak_mib']:7,.0f} MiB  {len(found):5} violations  {same}"
            )


if __name__ == "__main__":
    main()
