"""Where an import's CPU goes (issue 18 point 8): per study, per triple, per thread, per step.

Imports N generated studies (bench/generate_ctgov.py, seed 7), calibrated on the real records
and, in the same run, dense (the generator before the calibration), into a memory store in
this process, and reports the CPU per study and per triple of the main thread (reads, maps,
plans the source graphs, prepares) and of every other thread (the judge: shifty, rudof; the
writer). CPU time, not wall time: the machine is shared. The main thread bounds the rate on
two cores: the other threads' work runs beside it.

With ``--spy FILE``, it reads a py-spy raw profile of the same import instead (made by
``py-spy record -f raw -r 100 -o FILE -- python bench/where_time_goes.py --studies 1000``) and
splits each thread's samples into the steps of the pipeline.

Run:  python bench/where_time_goes.py --studies 1000
"""

from __future__ import annotations

import argparse
import collections
import os
import time
from pathlib import Path

import generate_ctgov  # type: ignore[import-not-found]
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.store.core import OxigraphStore

#: steps of the main thread, by the frames a sample's stack ends in (deepest match first)
MAIN_STEPS = (
    ("(generating the studies: not the import)", ("generate_ctgov.py",)),
    ("stage in the group (Overlay.stage)", ("Overlay.stage",)),
    ("read the record (JSON)", ("records.py", "json/decoder", "zipfile", "json/__init__")),
    (
        "map the record (ingest)",
        ("ingest/ctgov.py", "ingest/mapping.py", "identifiers.py", "vocabulary.py", "json_shape"),
    ),
    ("plan the source graphs (source_view)", ("source_view.py",)),
    ("the record's quads (batch_quads)", ("batch_quads", "source_record")),
    ("prepare: neighbourhood, N-Triples", ("batch_gate.py", "store/core.py")),
    ("free judged batches", ("_resolve",)),
)
#: a sample whose deepest frame is one of these is a thread waiting (or this script), not working
WAITING = ("Condition.wait", "_wait_for_tstate_lock", "thread.py:81)", "where_time_goes.py")
OTHER_STEPS = (
    ("shifty's first look", "shifty"),
    ("rudof", "rudof"),
    ("writer: bulk load", "_timed_write"),
)


def measure(studies: int, *, dense: bool, batch_size: int) -> dict[str, float]:
    records = [
        Record(f"generated[{i}]", study)
        for i, study in enumerate(generate_ctgov.iter_studies(studies, seed=7, dense=dense))
    ]
    graph = EvidenceGraph(OxigraphStore(None))
    cpu, main, wall = time.process_time(), time.thread_time(), time.perf_counter()
    summary = Importer(graph, map_study, batch_size=batch_size).run(records)
    cpu, main = time.process_time() - cpu, time.thread_time() - main
    assert summary.stopped is None and not summary.rejected, str(summary.stopped)
    return {
        "studies": summary.imported,
        "triples": summary.triples_added,
        "main": main,
        "others": cpu - main,
        "wall": time.perf_counter() - wall,
    }


def split(path: Path) -> None:
    """Each thread's samples of a py-spy raw profile, by step."""
    main: collections.Counter[str] = collections.Counter()
    others: collections.Counter[str] = collections.Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if any(wait in frames[-1] for wait in WAITING):
            continue
        if "Thread._bootstrap" not in frames[0]:
            step = next(
                (
                    name
                    for frame in reversed(frames)
                    for name, keys in MAIN_STEPS
                    if any(key in frame for key in keys)
                ),
                "other",
            )
            main[step] += int(count)
        else:
            step = next((name for name, key in OTHER_STEPS if key in stack), "other")
            others[step] += int(count)
    main.pop(MAIN_STEPS[0][0], None)
    for label, counter in (("main thread", main), ("other threads", others)):
        total = sum(counter.values())
        print(f"{label}: {total} samples")
        for step, count in counter.most_common():
            print(f"| {label} | {step} | {count / total:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--spy", type=Path, help="split a py-spy raw profile instead")
    args = parser.parse_args()
    if args.spy:
        split(args.spy)
        return
    print(
        "| studies | triples per study | CPU ms per study: main, others | main µs per triple "
        "| bound on 2 cores: studies/s | load |"
    )
    for dense in (True, False):
        r = measure(args.studies, dense=dense, batch_size=args.batch_size)
        per_study = 1000 * r["main"] / r["studies"], 1000 * r["others"] / r["studies"]
        # the main thread's work cannot be shared; the rest can use the second core
        bound = r["studies"] / max(r["main"], (r["main"] + r["others"]) / 2)
        print(
            f"| {'dense' if dense else 'calibrated'} | {r['triples'] / r['studies']:.0f} "
            f"| {per_study[0]:.2f}, {per_study[1]:.2f} "
            f"| {1e6 * r['main'] / r['triples']:.1f} | {bound:.0f} "
            f"| {os.getloadavg()[0]:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
