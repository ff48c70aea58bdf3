"""What the source graphs cost a resource page (issue 17, points 3 and 6 for the server).

A store is built (`evidencegraph build`) and N synthetic ClinicalTrials.gov records imported
(bench/generate_ctgov.py, seed 7), each into its own graph. Then, in this process, each page
is rendered as a worker renders it (``pages.resource_html``), as shipped and, as the baseline
in the same run, with the source graphs left out (``attribute`` answering nothing, as the page
was before issue 17); the median of ``--runs`` renders each. The pages: KARE's (curated, no
registry record here), an imported study's, and the node the most graphs state something of
(a condition every record names: the bounded listing's worst case). Also the dereference of
one record's graph as HTML and as TriG (``GraphJob``).

    python bench/pages.py [--studies 2000] [--runs 15] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import machine, replace_section, run_id, versions  # noqa: E402

BEGIN, END = "<!-- server-pages:begin -->", "<!-- server-pages:end -->"
CLI = [sys.executable, "-m", "evidencegraph"]
KARE = "https://w3id.org/evidencegraph/id/study/NCT02649231"


def median_ms(render: Callable[[], object], runs: int) -> float:
    """The median wall milliseconds of ``runs`` calls of ``render`` (after one to warm up)."""
    render()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def paired_ms(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """The median wall milliseconds of ``first`` and of ``second``, run by turns (after one
    of each to warm up), so that a busy moment of the machine weighs on both alike."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for render, kept in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            render()
            kept.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", type=Path, help="put the section into this Markdown file")
    args = parser.parse_args()

    from evidencegraph.server import graphs, pages
    from evidencegraph.server.evaluate import GraphJob
    from evidencegraph.server.urls import local_path
    from evidencegraph.store.core import OxigraphStore

    with tempfile.TemporaryDirectory() as folder:
        records, db = Path(folder) / "ctgov", Path(folder) / "store.db"
        subprocess.run(
            [sys.executable, str(HERE / "generate_ctgov.py"), str(args.studies), str(records)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for command in (["build"], ["import", "ctgov", str(records)]):
            subprocess.run(
                [*CLI, "-q", "--store", f"oxigraph:{db}", *command],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        store = OxigraphStore(db, read_only=True)
        rows = store.query(
            "SELECT ?s (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/evidencegraph/graph/ctgov/')) } "
            "GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 1"
        ).rows
        busiest, stated_in = str(rows[0]["s"]), int(str(rows[0]["n"]))
        first = store.query(
            "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/evidencegraph/graph/ctgov/')) } "
            "ORDER BY ?g LIMIT 1"
        ).rows
        record = str(first[0]["g"])
        study = "https://w3id.org/evidencegraph/id/study/" + record.rsplit("/", 1)[-1]

        shipped = pages.attribute
        results = []
        for name, iri in (
            ("KARE (curated)", KARE),
            ("an imported study", study),
            (f"the node the most graphs state ({stated_in:,} graphs)", busiest),
        ):

            def render(iri: str = iri) -> object:
                page = pages.resource_html(store, iri, local_path)
                assert page is not None, iri
                return page

            def baseline(iri: str = iri) -> object:
                pages.attribute = lambda store, node, view: graphs.Attribution()  # type: ignore[assignment]
                try:
                    return render(iri)
                finally:
                    pages.attribute = shipped

            without, with_graphs = paired_ms(baseline, render, args.runs)
            results.append((name, without, with_graphs))
        dereference = [
            (fmt, median_ms(lambda fmt=fmt: GraphJob(record, fmt, 100_000).run(store), args.runs))
            for fmt in ("html", "trig")
        ]
        store.close()

    lines = [
        BEGIN,
        "## Resource pages with the source graphs (issue 17)",
        "",
        f"Command: `python bench/pages.py --studies {args.studies} --runs {args.runs} "
        "--write docs/benchmarks.md`",
        "",
        f"Run {run_id()} on {machine()}; {versions(['pyoxigraph', 'Jinja2'])}.",
        "",
        f"The curated evidence and {args.studies:,} synthetic registry records "
        "(bench/generate_ctgov.py, seed 7) imported, one graph each. A page is rendered in this "
        "process as a worker renders it (`pages.resource_html`), the median of "
        f"{args.runs} renders of each, the two taken by turns. The baseline, in the same run, "
        "is the same page with the source graphs left out (`attribute` answering nothing: "
        "the page before issue 17).",
        "",
        "| page | without the source graphs | with them | ratio |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {without:.1f} ms | {with_graphs:.1f} ms | {with_graphs / without:.2f}× |"
            for name, without, with_graphs in results
        ),
        "",
        "A registry record's graph dereferenced (`GraphJob`, in the worker): "
        + ", ".join(f"{fmt} {ms:.1f} ms" for fmt, ms in dereference)
        + ".",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        replace_section(args.write, BEGIN, END, section)


if __name__ == "__main__":
    main()
