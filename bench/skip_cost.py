"""What bad records cost in skip mode (issue 18 point 6), on real ClinicalTrials.gov records.

The real API v2 records of shared/data/real (ctgov_v2 and ctgov_v2_more) that import (some
are partial on purpose, one is an API v1 response), copied ``--copies`` times under other
NCT ids (NCT9 + copy + the original's digits) so that the import has as many batches as
outside testing's 545 records had; three of them are broken (their conditions removed: the
shapes require one). Each run imports them into a fresh on-disk store
with ``--on-invalid skip``, in this process, in turn:

- ``one by one`` (the baseline, the code before issue 18): a rejected batch's records judged
  and written one at a time;
- ``isolated`` (now): the records the report names judged apart from the rest, halving where it
  names none.

The figures: wall seconds, gate runs, batches written, and the ratio of wall times; both runs
must give the same store (same triple count) and reject the same records. Load (uptime) is
printed with each run, as the machine is shared.

Run:  python bench/skip_cost.py --copies 6 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]
from evidencegraph.graph import pipeline
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.mapping import Mapped
from evidencegraph.ingest.records import Record
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.batch_gate import commit, judge, prepare
from evidencegraph.validation.shacl import ValidationReport
from evidencegraph.validation.source_view import Layered, plan

BEGIN, END = "<!-- skip-cost:begin -->", "<!-- skip-cost:end -->"
REAL = Path("/work/shared/data/real")
DIRECTORIES = ("ctgov_v2", "ctgov_v2_more")


def real_studies() -> list[dict[str, Any]]:
    files = sorted(f for d in DIRECTORIES for f in (REAL / d).glob("NCT*.json"))
    studies = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    return [s for s in studies if "protocolSection" in s]  # one is an API v1 response


def renamed(study: dict[str, Any], copy_number: int) -> dict[str, Any]:
    """The study under another NCT id, wherever the record states its own id."""
    if copy_number == 0:
        return study
    old = study["protocolSection"]["identificationModule"]["nctId"]
    new = f"NCT9{copy_number}{old[5:]}"
    text = json.dumps(study).replace(old, new)
    renamed_study: dict[str, Any] = json.loads(text)
    return renamed_study


def importable() -> list[dict[str, Any]]:
    """The real records the importer takes: some are partial on purpose (an identification
    module only, fields-filtered search results), and those are left out here, so that the
    only bad records are the ones this script breaks."""
    studies = real_studies()
    graph = EvidenceGraph(OxigraphStore(None))
    summary = pipeline.Importer(graph, map_study, on_invalid="skip").run(
        [Record(f"real[{i}]", study) for i, study in enumerate(studies)]
    )
    refused = {r.error.origin for r in summary.rejected}
    return [study for i, study in enumerate(studies) if f"real[{i}]" not in refused]


def records(studies: list[dict[str, Any]], copies: int, bad: int) -> list[Record]:
    """The copies of the real records, ``bad`` of them, spread out, without conditions."""
    studies = [renamed(s, c) for c in range(copies) for s in studies]
    step = len(studies) // max(bad, 1)
    for i in range(bad):
        broken = copy.deepcopy(studies[i * step + step // 2])
        broken["protocolSection"].pop("conditionsModule", None)
        broken.pop("derivedSection", None)
        studies[i * step + step // 2] = broken
    return [Record(f"real[{i}]", study) for i, study in enumerate(studies)]


def one_by_one(self: pipeline.Importer, batch: Any, report: ValidationReport) -> None:
    """The code before issue 18 point 6: every record of a rejected batch judged and written
    on its own."""
    for record in batch.mapped:
        one = pipeline._Batch([record])
        one.plan = plan(Layered(self.store), one.records(), now=self.now)
        prepared = prepare(
            self.store, one.plan.view, replace_single_values=False, view_plan=one.plan
        )
        self.summary.gate_runs += 1
        verdict = judge(prepared)
        if not verdict.conforms:
            self.summary.rejected.append(
                pipeline.Rejection(pipeline._record_error(record, verdict), verdict)
            )
            continue
        commit(self.store, prepared)
        mapped: list[Mapped] = [record]
        self._count(mapped, prepared, one.plan)


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def run(items: list[Record], batch_size: int) -> dict[str, Any]:
    """One import into a fresh on-disk store, as the CLI imports (each batch written is a
    write to disk)."""
    with tempfile.TemporaryDirectory(prefix="skip-cost-") as directory:
        return _run(items, batch_size, Path(directory) / "store")


def _run(items: list[Record], batch_size: int, path: Path) -> dict[str, Any]:
    graph = EvidenceGraph(OxigraphStore(path))
    started, cpu = time.perf_counter(), time.process_time()
    summary = pipeline.Importer(graph, map_study, batch_size=batch_size, on_invalid="skip").run(
        items
    )
    result = {
        "wall": time.perf_counter() - started,
        # every thread's CPU: the steadier figure on a shared machine
        "cpu": time.process_time() - cpu,
        "gate_runs": summary.gate_runs,
        "batches": summary.batches_committed,
        "imported": summary.imported,
        "rejected": sorted(r.error.record_id or "" for r in summary.rejected),
        "triples": len(graph.store),
        "load": load(),
    }
    graph.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--bad", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=pipeline.DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    usable = importable()
    items = records(usable, args.copies, args.bad)
    clean = run(records(usable, args.copies, 0), args.batch_size)  # no bad records at all
    isolated = pipeline.Importer._skip_bad_records
    befores, afters = [], []
    for _ in range(args.repeat):  # in turn, so that a change in the machine's load hits both
        pipeline.Importer._skip_bad_records = one_by_one  # type: ignore[method-assign]
        befores.append(run(items, args.batch_size))
        pipeline.Importer._skip_bad_records = isolated  # type: ignore[method-assign]
        afters.append(run(items, args.batch_size))
    before = min(befores, key=lambda r: r["cpu"])
    after = min(afters, key=lambda r: r["cpu"])
    assert before["rejected"] == after["rejected"] and len(after["rejected"]) == args.bad
    assert before["triples"] == after["triples"], (before["triples"], after["triples"])
    rows = [
        ("no bad record", clean),
        (f"{args.bad} bad, one by one (before)", before),
        (f"{args.bad} bad, isolated (now)", after),
    ]
    lines = [
        f"| {name} | {r['imported']} | {r['gate_runs']} | {r['batches']} | {r['cpu']:.1f} s "
        f"| {r['cpu'] / clean['cpu']:.2f}x | {r['wall']:.1f} s | {r['load']} |"
        for name, r in rows
    ]
    print("\n".join(lines))
    print(f"before / now: {before['cpu'] / after['cpu']:.2f}x CPU")
    if args.write:
        section = "\n".join(
            [
                BEGIN,
                "## Skip mode: what a bad record costs (issue 18 point 6)",
                "",
                f"Run `{run_id()}`. Command: `python bench/skip_cost.py --copies {args.copies} "
                f"--bad {args.bad} --repeat {args.repeat} --write {args.write}`.",
                "",
                f"Machine: {machine()} (shared: the load average is given with each run). "
                f"Packages: {versions(['pyoxigraph', 'pyrudof'])}.",
                "",
                f"The {len(usable)} real API v2 records of shared/data/real (ctgov_v2, "
                "ctgov_v2_more) that import (the partial ones left out), "
                f"{args.copies} copies under other NCT ids ({len(items)} records, batches of "
                f"{args.batch_size}), {args.bad} of them without their conditions; "
                "`--on-invalid skip` into a fresh on-disk store, one process, the runs in turn "
                f"({args.repeat} of each, the one with the least CPU shown). Both "
                "bad runs reject the same records and leave the same triples.",
                "",
                "| import | imported | gate runs | batches written | CPU (all threads) "
                "| CPU vs no bad record | wall | load |",
                "|---|---:|---:|---:|---:|---:|---:|---|",
                *lines,
                "",
                f"Before / now: {before['cpu'] / after['cpu']:.2f}x the CPU time. CPU time, not "
                "wall time, is compared: the machine was shared and its load changed from run to "
                "run (the load average is given).",
                END,
            ]
        )
        replace_section(args.write, BEGIN, END, section)


if __name__ == "__main__":
    main()
