"""Peak memory of ``evidencegraph load`` on one large N-Triples file.

A shape-conforming synthetic graph (bench/generate.py, about 60 triples a study) of about
``--triples`` triples is loaded, as one batch, into an on-disk store that ``build`` made
first. The load runs as the real command in a fresh Python process, so the figure is the
command's own: the process reads its peak resident set (``VmHWM``) just before it exits,
which exec reset when it started (``ru_maxrss`` would carry the forking parent's peak).

The baseline is the same command on the code of an earlier commit (``--baseline REV``; its
``src/`` is taken out with ``git archive`` and put first on the child's path), in the same
run, on the same file: the ratio compares like with like.

Run:  python bench/load_memory.py --triples 1000000 --baseline 4d2832a --write docs/benchmarks.md
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
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from common import replace_section  # type: ignore[import-not-found]

BEGIN, END = "<!-- load-memory:begin -->", "<!-- load-memory:end -->"
HERE = Path(__file__).parent
ROOT = HERE.parent
#: triples per synthetic study (bench/generate.py) and in its shared vocabulary
PER_STUDY, VOCABULARY = 60, 5_960

STATS = ("stats", "--format", "json")
#: The child: run the CLI in this process and print its peak resident set at exit.
CHILD = """
import atexit, sys
src = sys.argv.pop(1)
if src:
    sys.path.insert(0, src)

def peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            print('PEAK_KIB', line.split()[1], file=sys.stderr)

atexit.register(peak)
import evidencegraph
assert not src or evidencegraph.__file__.startswith(src), evidencegraph.__file__
from evidencegraph.cli.main import main
sys.argv[0] = 'evidencegraph'
main()
"""


@dataclass
class Run:
    """One ``load``: its exit code, peak resident set, wall time and the store's size after."""

    code: str
    exit_code: int
    peak_mib: float
    seconds: float
    stored: int


def evidencegraph(src: str, store: Path, *arguments: str) -> tuple[int, float, float, str]:
    """Run the CLI on ``src`` (empty: the installed code); exit code, peak MiB, seconds, stderr."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, src, "--store", f"oxigraph:{store}", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")]
    peak = int(peaks[-1]) / 1024 if peaks else float("nan")
    return done.returncode, peak, seconds, done.stderr


def measure(label: str, src: str, data: Path, workdir: Path) -> Run:
    """``build`` a fresh store, then ``load`` the file into it, measured."""
    store = workdir / f"store-{len(list(workdir.glob('store-*')))}"
    code, _, _, err = evidencegraph(src, store, "build")
    if code != 0:
        raise SystemExit(f"{label}: build failed ({code}):\n{err}")
    code, peak, seconds, err = evidencegraph(src, store, "load", str(data))
    if code != 0:
        print(f"{label}: load exited {code}:\n{err[-2000:]}", file=sys.stderr)
    stats = subprocess.run(
        [sys.executable, "-c", CHILD, src, "--store", f"oxigraph:{store}", *STATS],
        capture_output=True,
        text=True,
        check=False,
    )
    stored = json.loads(stats.stdout)["triples"] if stats.returncode == 0 else -1
    return Run(label, code, peak, seconds, stored)


def baseline_src(revision: str, workdir: Path) -> str:
    """The package sources of ``revision``, taken out of git into ``workdir``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], capture_output=True, check=True
    ).stdout
    target = workdir / f"baseline-{revision}"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return str(target / "src")


def report(args: argparse.Namespace, triples: int, runs: list[Run]) -> str:
    command = (
        f"python bench/load_memory.py --triples {args.triples}"
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + " --write docs/benchmarks.md"
    )
    lines = [
        "## `load` of one large N-Triples file: peak memory",
        "",
        f"`{command}`: {triples:,} shape-conforming triples (bench/generate.py, seed 7) loaded "
        "as one batch by `evidencegraph load` into an on-disk store `build` made first; the "
        "peak resident set is the command's own (`VmHWM` of its process at exit). "
        f"{os.cpu_count()} cores.",
        "",
        "| code | exit | peak RSS | wall | triples in the store after |",
        "|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.code} | {run.exit_code} | {run.peak_mib:,.0f} MiB | {run.seconds:.1f} s "
            f"| {run.stored:,} |"
        )
    if len(runs) == 2 and runs[1].peak_mib > 0:
        lines += [
            "",
            f"Peak memory of this code against the baseline: "
            f"{runs[1].peak_mib / runs[0].peak_mib:.2f} times "
            f"({runs[1].peak_mib * 1024 * 1024 / triples:,.0f} bytes a triple).",
        ]
    lines += [
        "",
        "The baseline read the files into an rdflib Graph (4 KB a triple) and judged the batch "
        "whole. This code streams them through pyoxigraph's parser into a scratch store in "
        "memory (about 0.4 GB for a million triples), judges 2,000 triples' subjects at a time "
        "with the rest of the batch in view (rudof's memory grows with the data it is given), "
        "and writes the batch in journaled steps of 100,000 triples (one transaction of a "
        "million would take 0.9 GB on its own); docs/importing.md has the details.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--baseline", help="a git revision whose code to measure first")
    parser.add_argument("--write", type=Path, help="put the section into this Markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-memory-") as tmp:
        workdir = Path(tmp)
        studies = max(1, (args.triples - VOCABULARY) // PER_STUDY)
        data = workdir / "graph.nt"
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(studies), str(data), "--seed", "7"],
            check=True,
            capture_output=True,
        )
        with data.open("rb") as handle:
            triples = sum(1 for line in handle if line.strip())
        runs = []
        if args.baseline:
            old = baseline_src(args.baseline, workdir)
            runs.append(measure(f"`{args.baseline}`", old, data, workdir))
        runs.append(measure("this code", "", data, workdir))
    section = report(args, triples, runs)
    print(section)
    if args.write:
        replace_section(args.write, BEGIN, END, f"{BEGIN}\n{section}{END}")


if __name__ == "__main__":
    main()
