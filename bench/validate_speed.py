"""How fast ``validate`` judges a whole store (issue 18 point 8, decision 0024).

On one store written through the gate (``build``, then ``import ctgov`` of calibrated
studies), each in a process of its own, one after the other:

- ``main``: the whole-store judgement as it was (rudof a chunk at a time on two judge
  threads, the main thread reading the chunks): ``validate_store`` of the code at
  ``--baseline`` (default /work/main/src), put first on the path;
- ``full``: ``evidencegraph validate --full``: every node judged, two judge processes each
  reading its chunks from the store opened read-only;
- ``recorded``: ``evidencegraph validate``: the integrity checks, and the recorded
  verdicts for the rest (on a store written only through the gate, nothing is judged).

For each: wall seconds, CPU seconds of the process and its children (user + system), the
view's triples a wall second and a CPU second, and the load average when it ended (the
machine is shared: 2 cores, other work running; CPU seconds are the steadier figure, and
"on 2 free cores" is the view's triples over half the CPU seconds, the bound where the work
keeps both cores busy).

Run:  nice python bench/validate_speed.py --store /tmp/s5000.db --write docs/scaling.md
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]

HERE = Path(__file__).parent
BEGIN, END = "<!-- validate-speed:begin -->", "<!-- validate-speed:end -->"

_MAIN = """
import sys
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.store_validation import validate_store
report = validate_store(OxigraphStore(sys.argv[1], read_only=True), "rudof")
sys.exit(0 if report.conforms else 1)
"""


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    load: float
    exit_code: int
    account: str


def measure(name: str, command: list[str], env: dict[str, str]) -> Run:
    """One run in a process of its own: its wall and CPU seconds (children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    account = " ".join(line for line in done.stderr.splitlines() if "judged" in line.lower())
    return Run(name, wall, cpu, os.getloadavg()[0], done.returncode, account)


def view_triples(store: Path) -> int:
    import pyoxigraph as ox

    native = ox.Store.read_only(str(store))
    for solution in native.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"):
        return int(solution["n"].value)  # type: ignore[index]
    return 0


def section(store: Path, triples: int, runs: list[Run], args: argparse.Namespace) -> str:
    rows = [
        "| run | exit | wall s | CPU s | triples/s wall | triples/CPU-s | on 2 free cores | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        rows.append(
            f"| {run.name} | {run.exit_code} | {run.wall:.1f} | {run.cpu:.1f} | "
            f"{triples / run.wall:,.0f} | {triples / run.cpu:,.0f} | "
            f"{2 * triples / run.cpu:,.0f} | {run.load:.1f} |"
        )
    base = runs[0]
    ratios = ", ".join(f"{run.name} {base.cpu / run.cpu:.1f}x" for run in runs[1:])
    accounts = "\n".join(f"- {run.name}: {run.account}" for run in runs if run.account)
    return "\n".join(
        [
            BEGIN,
            "## `validate` of the whole store (issue 18 point 8, decision 0024)",
            "",
            "main: the code before (every node, judge threads); full: `validate --full` (every "
            "node, two judge processes); recorded: `validate` (integrity checks, recorded "
            "verdicts for the rest). CPU seconds include the judge processes.",
            "",
            f"Run {run_id()}: `{' '.join(sys.argv)}`, store {store.name} ({triples:,} view "
            f"triples); {machine()}; {versions(['pyoxigraph', 'pyrudof'])}.",
            "",
            *rows,
            "",
            f"CPU seconds against main's: {ratios}.",
            "",
            accounts,
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an on-disk store")
    parser.add_argument("--baseline", type=Path, default=Path("/work/main/src"))
    parser.add_argument("--runs", nargs="+", default=["main", "full", "recorded"])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    triples = view_triples(args.store)
    cli = [str(Path(sys.executable).parent / "evidencegraph"), "--store", f"oxigraph:{args.store}"]
    commands = {
        "main": ([sys.executable, "-c", _MAIN, str(args.store)], str(args.baseline)),
        "full": ([*cli, "-q", "validate", "--full"], ""),
        "recorded": ([*cli, "-q", "validate"], ""),
    }
    runs = []
    for name in args.runs:
        command, path = commands[name]
        env = dict(os.environ)
        if path:
            env["PYTHONPATH"] = path
        runs.append(measure(name, command, env))
        run = runs[-1]
        print(
            f"{name}: exit {run.exit_code}, {run.wall:.1f} s wall, {run.cpu:.1f} s CPU, "
            f"{triples / run.cpu:,.0f} triples/CPU-s, load {run.load:.1f}",
            flush=True,
        )
        if args.write and runs:
            replace_section(args.write, BEGIN, END, section(args.store, triples, runs, args))


if __name__ == "__main__":
    main()
