"""The import's other threads (issue 18 point 8): CPU per study of the judge and the writer.

Imports N calibrated studies (bench/generate_ctgov.py, seed 7) with validation, the way
``evidencegraph import`` does, and splits the CPU time of the process into the main thread,
the judge thread (shifty's first look, rudof where shifty does not pass a batch), the writer
thread (the groups' writes) and the rest (threads of Oxigraph and RocksDB). Each thread's
share is ``time.thread_time`` around the work it is given, so a machine shared with other
work does not move the figures much; the load average is printed beside them.

With ``--compare REF`` the same import runs, in one invocation, on the code of git ref REF
(exported with ``git archive`` into a temporary folder) and on the working tree, each in a
subprocess, alternately, ``--rounds`` times: the before and after of a change.

Run:  nice python bench/gate_cost.py --studies 1000 --compare main --store disk
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(
    studies: int, store_kind: str, batch_size: int, group_triples: int | None = None
) -> dict[str, float]:
    """One import in this process, on whichever evidencegraph ``sys.path`` finds."""
    sys.path.insert(0, str(ROOT / "bench"))
    import generate_ctgov  # type: ignore[import-not-found]
    from evidencegraph.graph import pipeline
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.ingest.ctgov import map_study
    from evidencegraph.ingest.records import Record
    from evidencegraph.store.core import OxigraphStore

    spent = {"judge": 0.0, "writer": 0.0}
    timed_judge, timed_write = pipeline._timed_judge, pipeline.Importer._timed_write

    def judge(prepared):  # type: ignore[no-untyped-def]
        started = time.thread_time()
        try:
            return timed_judge(prepared)
        finally:
            spent["judge"] += time.thread_time() - started

    def write(self, overlay):  # type: ignore[no-untyped-def]
        started = time.thread_time()
        try:
            return timed_write(self, overlay)
        finally:
            spent["writer"] += time.thread_time() - started

    pipeline._timed_judge = judge
    pipeline.Importer._timed_write = write  # type: ignore[method-assign]
    records = [
        Record(f"generated[{i}]", study)
        for i, study in enumerate(generate_ctgov.iter_studies(studies, seed=7))
    ]
    # RocksDB's threads may still write as the folder goes: leave what they write
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        path = Path(folder) / "store" if store_kind == "disk" else None
        graph = EvidenceGraph(OxigraphStore(path))
        cpu, main, wall = time.process_time(), time.thread_time(), time.perf_counter()
        importer = pipeline.Importer(
            graph, map_study, batch_size=batch_size, group_triples=group_triples
        )
        summary = importer.run(records)
        cpu, main = time.process_time() - cpu, time.thread_time() - main
        wall = time.perf_counter() - wall
        assert summary.stopped is None and not summary.rejected, str(summary.stopped)
        triples = len(graph.store)  # type: ignore[arg-type]
        graph.close()
    n = summary.imported
    return {
        "studies": n,
        "triples_per_study": triples / n,
        "main": 1000 * main / n,
        "judge": 1000 * spent["judge"] / n,
        "writer": 1000 * spent["writer"] / n,
        "rest": 1000 * (cpu - main - spent["judge"] - spent["writer"]) / n,
        "others": 1000 * (cpu - main) / n,
        "wall": 1000 * wall / n,
        "load": os.getloadavg()[0],
    }


def export(ref: str, into: Path) -> Path:
    """The source tree of ``ref`` (``git archive``), unpacked into ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"],
        check=True,
        capture_output=True,
    ).stdout
    tar = into / "src.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as unpacked:
        unpacked.extractall(into, filter="data")
    return into / "src"


def run_child(src: Path, args: argparse.Namespace) -> dict[str, float]:
    """:func:`measure` in a subprocess whose ``evidencegraph`` is the one under ``src``."""
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, __file__, "--child", "--studies", str(args.studies)]
    command += ["--store", args.store, "--batch-size", str(args.batch_size)]
    if args.group_triples:
        command += ["--group-triples", str(args.group_triples)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"the import on {src} failed:\n{done.stderr}")
    out = done.stdout
    return json.loads(out.strip().splitlines()[-1])


def row(label: str, r: dict[str, float]) -> str:
    return (
        f"| {label} | {r['triples_per_study']:.0f} | {r['main']:.2f} | {r['judge']:.2f} "
        f"| {r['writer']:.2f} | {r['rest']:.2f} | {r['others']:.2f} | {r['load']:.1f} |"
    )


HEADER = (
    "| code | triples per study | main | judge | writer | rest | all but main | load |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--store", choices=("memory", "disk"), default="memory")
    parser.add_argument(
        "--group-triples",
        type=int,
        help="view triples a group of judged batches holds before it is written "
        "(default: the importer's, decision 0010)",
    )
    parser.add_argument("--compare", metavar="REF", help="also run git ref REF's code")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import evidencegraph

        wanted = os.environ.get("PYTHONPATH")
        # the code measured must be the one asked for, not the installed working tree
        assert not wanted or evidencegraph.__file__.startswith(wanted), evidencegraph.__file__
        print(json.dumps(measure(args.studies, args.store, args.batch_size, args.group_triples)))
        return
    print(f"CPU ms per study, {args.studies} calibrated studies, {args.store} store")
    print(HEADER, flush=True)
    if not args.compare:
        print(row("working tree", run_child(ROOT / "src", args)), flush=True)
        return
    with tempfile.TemporaryDirectory() as folder:
        before = export(args.compare, Path(folder))
        for _ in range(args.rounds):
            print(row(args.compare, run_child(before, args)), flush=True)
            print(row("working tree", run_child(ROOT / "src", args)), flush=True)


if __name__ == "__main__":
    main()
