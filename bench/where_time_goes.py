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

With ``--steps``, the main thread's CPU is split by step: each step's function is wrapped
to add up its thread CPU time (map, the records' tuples, canonical forms, plan, prepare,
staging, taking verdicts, counting written groups).

With ``--compare REF`` (a commit), each measurement runs in a child process, first on the
code of REF (``git archive`` into a scratch folder, put first on the child's path) and then on
the code here, alternately, ``--rounds`` times, with the same generated studies (this
folder's generator): before and after in one run, under the same load.

Run:  python bench/where_time_goes.py --studies 1000
      nice python bench/where_time_goes.py --studies 1000 --compare main --calibrated-only
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import generate_ctgov  # type: ignore[import-not-found]
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.mapping import Mapped
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


def timed_steps() -> collections.Counter[str]:
    """Wrap the main thread's steps so that each adds up its thread CPU time."""
    from evidencegraph.graph import pipeline
    from evidencegraph.validation import batch_gate

    spent: collections.Counter[str] = collections.Counter()

    def wrap(owner: object, name: str, label: str) -> None:
        step = getattr(owner, name)

        def timed(*args: object, **options: object) -> object:
            started = time.thread_time()
            try:
                return step(*args, **options)
            finally:
                spent[label] += time.thread_time() - started

        setattr(owner, name, timed)

    wrap(pipeline, "source_record", "the records' tuples (source_record)")
    wrap(pipeline, "canonical", "canonical forms (canonical)")
    wrap(pipeline, "plan", "plan the source graphs (plan)")
    wrap(pipeline, "prepare", "prepare: neighbourhood, text (prepare)")
    wrap(batch_gate.Overlay, "stage", "stage in the group (Overlay.stage)")
    wrap(pipeline.Importer, "_resolve", "take verdicts (_resolve)")
    wrap(pipeline.Importer, "_settle", "count written groups (_settle)")
    return spent


def measure(
    studies: int,
    *,
    dense: bool,
    batch_size: int,
    steps: collections.Counter[str] | None = None,
) -> dict[str, float]:
    records = [
        Record(f"generated[{i}]", study)
        for i, study in enumerate(generate_ctgov.iter_studies(studies, seed=7, dense=dense))
    ]
    graph = EvidenceGraph(OxigraphStore(None))

    def mapper(content: object, origin: str) -> Mapped:
        started = time.thread_time()
        try:
            return map_study(content, origin)
        finally:
            if steps is not None:
                steps["map the record (map_study)"] += time.thread_time() - started

    cpu, main, wall = time.process_time(), time.thread_time(), time.perf_counter()
    chosen = mapper if steps is not None else map_study
    summary = Importer(graph, chosen, batch_size=batch_size).run(records)
    cpu, main = time.process_time() - cpu, time.thread_time() - main
    assert summary.stopped is None and not summary.rejected, str(summary.stopped)
    return {
        "studies": summary.imported,
        "triples": summary.triples_added,
        "main": main,
        "others": cpu - main,
        "wall": time.perf_counter() - wall,
    }


HERE = Path(__file__).parent


def row(label: str, r: dict[str, float]) -> str:
    """One line of the table: CPU per study and per triple, and the bound on two cores."""
    per_study = 1000 * r["main"] / r["studies"], 1000 * r["others"] / r["studies"]
    # the main thread's work cannot be shared; the rest can use the second core
    bound = r["studies"] / max(r["main"], (r["main"] + r["others"]) / 2)
    return (
        f"| {label} | {r['triples'] / r['studies']:.0f} "
        f"| {per_study[0]:.2f}, {per_study[1]:.2f} "
        f"| {1e6 * r['main'] / r['triples']:.1f} | {bound:.0f} "
        f"| {r.get('load', os.getloadavg()[0]):.1f} |"
    )


def code_of(ref: str, into: Path) -> Path:
    """The package source of commit ``ref``, unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "src"],
        cwd=HERE.parent,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def measured_in_child(
    source: Path | None, studies: int, *, dense: bool, batch_size: int
) -> dict[str, float]:
    """:func:`measure` in a child process, on the package in ``source`` (None: this one)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source), env.get("PYTHONPATH", "")])
    command = [sys.executable, __file__, "--child", "--studies", str(studies)]
    command += ["--batch-size", str(batch_size)] + (["--dense"] if dense else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def compare(ref: str, args: argparse.Namespace) -> None:
    """Before (``ref``) and after (this code), alternately, in child processes."""
    modes = (False,) if args.calibrated_only else (True, False)
    with tempfile.TemporaryDirectory() as scratch:
        source = code_of(ref, Path(scratch))
        for _round in range(args.rounds):
            for dense in modes:
                for label, code in ((ref, source), ("this code", None)):
                    r = measured_in_child(
                        code, args.studies, dense=dense, batch_size=args.batch_size
                    )
                    mode = "dense" if dense else "calibrated"
                    print(row(f"{mode}, {label} ({r['package']})", r), flush=True)


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
    parser.add_argument("--compare", metavar="REF", help="also measure commit REF's code")
    parser.add_argument("--rounds", type=int, default=1, help="with --compare: alternations")
    parser.add_argument("--calibrated-only", action="store_true", help="skip the dense studies")
    parser.add_argument("--steps", action="store_true", help="split the main thread by step")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dense", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spy:
        split(args.spy)
        return
    if args.child:  # one measurement, as JSON, for --compare
        import evidencegraph

        r = measure(args.studies, dense=args.dense, batch_size=args.batch_size)
        r["load"] = os.getloadavg()[0]
        print(json.dumps({**r, "package": str(Path(evidencegraph.__file__).parent.parent)}))
        return
    print(
        "| studies | triples per study | CPU ms per study: main, others | main µs per triple "
        "| bound on 2 cores: studies/s | load |"
    )
    if args.compare:
        compare(args.compare, args)
        return
    steps = timed_steps() if args.steps else None
    for dense in (False,) if args.calibrated_only else (True, False):
        if steps is not None:
            steps.clear()
        r = measure(args.studies, dense=dense, batch_size=args.batch_size, steps=steps)
        print(row("dense" if dense else "calibrated", r), flush=True)
        if steps is not None:
            print("| main thread, step | CPU ms per study |\n|---|---:|")
            for step, seconds in steps.most_common():
                print(f"| {step} | {1000 * seconds / r['studies']:.2f} |")
            rest = r["main"] - sum(steps.values())
            print(f"| other (reading, batching, the summary) | {1000 * rest / r['studies']:.2f} |")


if __name__ == "__main__":
    main()
