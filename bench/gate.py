"""The validation gate on 1-study batches against a registry-sized store, on its own.

The same measurement as ``bench/run.py``'s gate step (``load`` of new 1-study batches into
the embedded store, rudof), without the rest of the run: for checking a change to the gate.

Run:  python bench/gate.py --studies 100000 [--store-dir DIR] [--batches 10]
                           [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]
from run import new_studies  # type: ignore[import-not-found]
from synthetic import build_store  # type: ignore[import-not-found]

BEGIN, END = "<!-- gate:begin -->", "<!-- gate:end -->"


def measure(store: Path, studies: int, batches: int) -> tuple[int, list[float]]:
    """Seconds per ``load`` of each new 1-study batch, in this (fresh) process."""
    from rdflib import Graph

    from evidencegraph.graph.evidence_graph import EvidenceGraph

    graphs = [Graph().parse(data=text, format="nt") for text in new_studies(studies, batches)]
    times = []
    with EvidenceGraph.open(f"oxigraph:{store}") as graph:
        for batch in graphs:
            started = time.perf_counter()
            graph.load(batch)  # the gate (rudof), then the write
            times.append(time.perf_counter() - started)
    return len(graphs[0]), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument(
        "--store-dir", type=Path, help="reuse the store built here (a copy is used)"
    )
    parser.add_argument("--write", type=Path, help="replace the gate section of this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # the measurement itself, in a fresh process
        triples, times = measure(args.child, args.studies, args.batches)
        print(triples, *times)
        return
    with tempfile.TemporaryDirectory(prefix="eg-gate-") as scratch:
        built = (args.store_dir or Path(scratch)) / f"studies-{args.studies}.db"
        if not built.exists():
            build_store(built, args.studies)
        store = Path(scratch) / "store.db"
        shutil.copytree(built, store)  # the gate writes: keep the built store as it was
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(store),
                "--studies",
                str(args.studies),
                "--batches",
                str(args.batches),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    triples, times = int(out[0]), [float(t) for t in out[1:]]
    first, rest = times[0], statistics.median(times[1:])
    line = (
        f"| {args.studies:,} | {triples} | {first * 1000:.1f} ms | {rest * 1000:.1f} ms "
        f"| {max(times[1:]) * 1000:.1f} ms |"
    )
    print(line)
    if args.write:
        section = "\n".join(
            [
                BEGIN,
                "## The validation gate on 1-study batches",
                "",
                f"Run `{run_id()}`. Command: `python bench/gate.py --studies {args.studies} "
                f"--batches {args.batches} --write {args.write}`.",
                "",
                f"Machine: {machine()}. Packages: {versions(['pyoxigraph', 'pyrudof'])}.",
                "",
                "New studies from `bench/generate.py` loaded one at a time with `load` (the gate, "
                "rudof, then the write) into a copy of the store, in a fresh process.",
                "",
                "| studies in the store | triples per batch | first batch | median of the rest "
                "| slowest of the rest |",
                "|---:|---:|---:|---:|---:|",
                line,
                END,
            ]
        )
        replace_section(args.write, BEGIN, END, section)


if __name__ == "__main__":
    main()
