"""Foundation benchmarks: build wall time, --help wall time, flagship query latency.

Each figure is reported beside a baseline measured in the same run:
interpreter start-up for the two command-line figures, and the same query on
rdflib's in-memory SPARQL engine for the flagship query.

Run:  python bench/foundation.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from common import p95, replace_section  # type: ignore[import-not-found]

BEGIN, END = "<!-- foundation:begin -->", "<!-- foundation:end -->"


def wall(
    command: list[str], cwd: Path, runs: int, prepare: Callable[[], None] | None = None
) -> list[float]:
    times = []
    for _ in range(runs):
        if prepare:
            prepare()
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command-line figure")
    parser.add_argument("--queries", type=int, default=200, help="flagship query repetitions")
    parser.add_argument("--write", type=Path, help="replace the foundation section of this file")
    args = parser.parse_args()

    from rdflib import Graph, Variable

    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.queries import get_query

    exe = shutil.which("evidencegraph")
    if exe is None:
        sys.exit("evidencegraph is not on PATH: pip install . first")
    work = Path(tempfile.mkdtemp(prefix="eg-bench-"))
    db = work / "evidencegraph.db"

    def fresh() -> None:
        shutil.rmtree(db, ignore_errors=True)

    startup = wall([sys.executable, "-c", "pass"], work, args.runs)
    build = wall([exe, "build"], work, args.runs, prepare=fresh)
    helps = wall([exe, "--help"], work, args.runs)

    flagship = get_query("drug-with-psychotherapy")
    with EvidenceGraph.open(f"oxigraph:{db}", read_only=True) as graph:
        bindings = flagship.bind({})
        graph.query(flagship.text, bindings)  # warm
        ox_times = []
        for _ in range(args.queries):
            start = time.perf_counter()
            result = graph.query(flagship.text, bindings)
            ox_times.append(time.perf_counter() - start)
        answer_rows = len(result.rows)
        snapshot: Graph = graph.store.to_graph()
    rdflib_bindings = {Variable(k): v for k, v in bindings.items()}
    snapshot.query(flagship.text, initBindings=rdflib_bindings)  # warm
    rdflib_times = []
    for _ in range(max(5, args.queries // 20)):
        start = time.perf_counter()
        rdflib_rows = len(list(snapshot.query(flagship.text, initBindings=rdflib_bindings)))
        rdflib_times.append(time.perf_counter() - start)
    shutil.rmtree(work, ignore_errors=True)

    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    med = statistics.median
    table = [
        "| figure | measured (median) | p95 | baseline in the same run | ratio | target |",
        "|---|---:|---:|---|---:|---|",
        f"| `evidencegraph build` from scratch, wall | {ms(med(build))} | {ms(p95(build))} | "
        f"`python -c pass`: {ms(med(startup))} | {med(build) / med(startup):.1f}× | < 3 s |",
        f"| `evidencegraph --help`, wall | {ms(med(helps))} | {ms(p95(helps))} | "
        f"`python -c pass`: {ms(med(startup))} | {med(helps) / med(startup):.1f}× | < 0.5 s |",
        f"| flagship query in process (on-disk store, warm, {answer_rows} rows) | "
        f"{ms(med(ox_times))} | "
        f"{ms(p95(ox_times))} | rdflib memory `Graph.query` ({rdflib_rows} rows): "
        f"{ms(med(rdflib_times))} | {med(rdflib_times) / med(ox_times):.0f}× faster | < 50 ms |",
    ]
    versions = ", ".join(
        f"{name} {version(name)}"
        for name in ("pyoxigraph", "rdflib", "pyshacl", "click", "networkx")
    )
    section = "\n".join(
        [
            BEGIN,
            "## Foundation: build, start-up, flagship query",
            "",
            "Command: `python bench/foundation.py --write docs/benchmarks.md` "
            f"({args.runs} runs per command-line figure, {args.queries} flagship queries).",
            "",
            *table,
            "",
            f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; {versions}.",
            END,
        ]
    )
    print(section)
    if args.write:
        replace_section(args.write, BEGIN, END, section)


if __name__ == "__main__":
    main()
