"""The gate's first look asked about the batch's own nodes, against every node (decision 0015).

Real ClinicalTrials.gov records (bench/skip_cost.py's: the API v2 records of shared/data/real
that import, ``--copies`` copies under other NCT ids) link to studies, sponsors and MeSH
terms that earlier batches wrote. Those neighbours are copied into the data judged in part,
so shifty, judging every node, found them broken and rudof was asked. Both ways import the
same records into a fresh on-disk store in this process, by turns:

- ``every node`` (before): the first look passes a batch only when no node of the data breaks
  a shape;
- ``own nodes`` (now): it passes one where no focus node of the batch breaks a shape.

Reported: CPU seconds (every thread), how many batches rudof judged, and whether both gave
the same store.

Run:  python bench/first_look.py --copies 6 --rounds 2 [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine, print_and_write, run_id, versions  # type: ignore[import-not-found]
from evidencegraph.graph import pipeline
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation import engines
from skip_cost import importable, records  # type: ignore[import-not-found]

BEGIN, END = "<!-- first-look:begin -->", "<!-- first-look:end -->"
OWN_NODES = engines.Shifty.passes


def every_node(self: engines.Shifty, data: str, focus: set[str] | None = None) -> bool:
    """The first look as it was: every node of the data must conform."""
    return OWN_NODES(self, data, None)


def run(items: list[Any]) -> dict[str, Any]:
    verdicts = 0
    judge = engines.Rudof.judge

    def counted(self: engines.Rudof, data: str, quads: Any, focus: set[str]) -> Any:
        nonlocal verdicts
        verdicts += 1
        return judge(self, data, quads, focus)

    engines.Rudof.judge = counted  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory(prefix="first-look-") as directory:
            graph = EvidenceGraph(OxigraphStore(Path(directory) / "store"))
            started = time.process_time()
            summary = pipeline.Importer(graph, map_study, on_invalid="skip").run(items)
            cpu = time.process_time() - started
            quads = {
                str(quad)
                for quad in graph.store.native.quads_for_pattern(None, None, None, None)
                if quad.predicate.value != "http://www.w3.org/ns/prov#generatedAtTime"
            }
            graph.close()
    finally:
        engines.Rudof.judge = judge  # type: ignore[method-assign]
    return {
        "cpu": cpu,
        "rudof": verdicts,
        "runs": summary.gate_runs,
        "imported": summary.imported,
        "quads": quads,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", type=Path, help="replace this file's section")
    args = parser.parse_args()
    usable = importable()
    items = records(usable, args.copies, 0)
    results: dict[str, list[dict[str, Any]]] = {"every node": [], "own nodes": []}
    for _ in range(args.rounds):
        for name, passes in (("every node", every_node), ("own nodes", OWN_NODES)):
            engines.Shifty.passes = passes  # type: ignore[method-assign]
            results[name].append(run(items))
            print(name, f"{results[name][-1]['cpu']:.1f} s", file=sys.stderr)
    engines.Shifty.passes = OWN_NODES  # type: ignore[method-assign]
    first = results["every node"][0]["quads"]
    same = all(r["quads"] == first for rs in results.values() for r in rs)
    before = statistics.median(r["cpu"] for r in results["every node"])
    after = statistics.median(r["cpu"] for r in results["own nodes"])
    lines = [
        BEGIN,
        "## The gate's first look on real records (decision 0015, amended)",
        "",
        f"Run `{run_id()}`. Command: `python bench/first_look.py --copies {args.copies} "
        f"--rounds {args.rounds} --write docs/benchmarks.md`.",
        "",
        f"Machine: {machine()}. Packages: {versions(['pyoxigraph', 'pyrudof', 'pyshifty'])}.",
        "",
        f"The {len(usable)} real API v2 records of shared/data/real that import, {args.copies} "
        f"copies under other NCT ids ({len(items)} records, batches of "
        f"{pipeline.DEFAULT_BATCH_SIZE}), imported with `--on-invalid skip` into a fresh "
        "on-disk store, in this process, the two ways by turns. CPU seconds of every thread, "
        "median of the rounds (each round in brackets). "
        + ("Both ways gave the same store, quad for quad." if same else "**The stores differ.**"),
        "",
        "| first look passes a batch where | CPU s | batches rudof judged | gate runs | imported |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in (
        ("every node", "no node of the data breaks a shape (before)"),
        ("own nodes", "no node of the batch breaks a shape (now)"),
    ):
        runs = results[name]
        cpu = statistics.median(r["cpu"] for r in runs)
        each = ", ".join(format(r["cpu"], ".1f") for r in runs)
        lines.append(
            f"| {label} | {cpu:.1f} ({each}) | {runs[0]['rudof']} | {runs[0]['runs']} | "
            f"{runs[0]['imported']} |"
        )
    lines += ["", f"Before / now: {before / after:.2f}× the CPU.", END]
    print_and_write("\n".join(lines), args.write, BEGIN, END)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
