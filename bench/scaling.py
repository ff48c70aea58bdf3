"""How the costs grow with the registry (issue 18 point 10): import, validate, the named
queries, dump, at each size, on the calibrated generator.

For each N: generate N calibrated studies (bench/generate_ctgov.py, seed 7) into a ZIP like
the bulk download; then, each step a CLI command in its own process, as a user runs it, on a
fresh on-disk store: ``build``, ``import ctgov ZIP --on-invalid skip``, ``validate``, every
named query with its default parameters (``queries``), ``dump``. For each step: wall seconds,
CPU seconds of the process (user + system, all its threads), peak RSS, and the machine's load
average when it ended (the machine is shared: 2 cores, other work running; CPU seconds are the
steadier figure). The store's size on disk, and the triples, come at the end.

Results are written after every step (``--write``), so a run cut short still leaves what it
measured; ``--deadline HH:MM`` (UTC) skips the steps that would start after it.

Run:  nice python bench/scaling.py --sizes 20000 100000 --write docs/scaling.md
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]

HERE = Path(__file__).parent
BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"
RESULTS = HERE / "out" / "scaling.json"


@dataclass
class Step:
    name: str
    wall: float
    cpu: float
    peak_rss_mib: float
    load: str
    exit_code: int
    note: str = ""


@dataclass
class Size:
    studies: int
    steps: list[Step] = field(default_factory=list)
    triples: int = 0
    disk_mib: float = 0.0
    dump_mib: float = 0.0
    skipped: str = ""
    #: each step's peak RSS is its own (wait4), not the largest child's so far
    rss_per_step: bool = True


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def run(name: str, command: list[str], *, cwd: Path | None = None) -> tuple[Step, str]:
    """Run a command as a child; its wall and CPU seconds and its own peak RSS (wait4 gives
    the child's resource use, where RUSAGE_CHILDREN's peak is the largest child's so far)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    cpu = usage.ru_utime + usage.ru_stime
    step = Step(name, wall, cpu, usage.ru_maxrss / 1024, load(), child.returncode)
    if child.returncode not in (0, 1):  # 1: does not conform, a finding, not a failure
        step.note = (stderr.strip().splitlines() or ["?"])[-1][:200]
    return step, stdout + stderr


def queries(cli: list[str]) -> list[str]:
    listed = subprocess.run([*cli, "queries"], capture_output=True, text=True, check=True)
    return [line for line in listed.stdout.splitlines() if line and not line.startswith(" ")]


def du_mib(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return total / 2**20


def measure(
    size: Size, work: Path, deadline: datetime.datetime | None, save: Callable[[], None]
) -> None:
    """Run every step for ``size.studies`` studies, saving after each."""
    n = size.studies
    records, store, dumped = work / f"ctgov-{n}.zip", work / f"store-{n}", work / f"dump-{n}"
    cli = [sys.executable, "-m", "evidencegraph", "--store", f"oxigraph:{store}", "-q"]
    plan: list[tuple[str, list[str]]] = [
        (
            "generate",
            [
                sys.executable,
                str(HERE / "generate_ctgov.py"),
                str(n),
                str(records),
                "--format",
                "zip",
                "--seed",
                "7",
            ],
        ),
        ("build", [*cli, "build"]),
        ("import", [*cli, "import", "ctgov", str(records), "--on-invalid", "skip"]),
        ("validate", [*cli, "validate"]),
    ]
    plan += [(f"query {q}", [*cli, "query", q, "--format", "csv"]) for q in queries(cli)]
    plan += [("dump", [*cli, "dump", str(dumped)])]
    for name, command in plan:
        if deadline is not None and datetime.datetime.now(datetime.timezone.utc) > deadline:
            size.skipped = f"{name} and after: past the deadline"
            break
        step, output = run(name, command)
        if name == "import":
            match = re.search(r"triples added: (\d+)", output)
            step.note = (
                step.note + " " + (f"{int(match.group(1)):,} triples added" if match else "")
            ).strip()
            rejected = re.search(r"skipped:\s+(\d+)", output)
            if rejected and rejected.group(1) != "0":
                step.note += f"; {rejected.group(1)} skipped"
        if name.startswith("query"):
            rows = max(0, len(output.strip().splitlines()) - 1) if step.exit_code == 0 else 0
            step.note = (step.note + f" {rows} rows").strip()
        size.steps.append(step)
        print(
            f"{n} {name}: {step.wall:.1f} s wall, {step.cpu:.1f} s CPU, load {step.load} "
            f"{step.note}",
            flush=True,
        )
        if name == "import" and store.exists():
            size.disk_mib = du_mib(store)
        if name == "dump" and dumped.exists():
            size.dump_mib = du_mib(dumped)
        save()
    if store.exists():
        size.disk_mib = du_mib(store)
        count = subprocess.run(
            [
                *cli,
                "query",
                "--sparql",
                "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                "--format",
                "csv",
            ],
            capture_output=True,
            text=True,
        )
        digits = re.findall(r"\d+", count.stdout)
        size.triples = int(digits[-1]) if digits else 0
    save()


def section(sizes: list[Size], args: argparse.Namespace) -> str:
    lines = [
        BEGIN,
        f"Run `{run_id()}`. Command: `nice python bench/scaling.py --sizes "
        f"{' '.join(map(str, args.sizes))} --write {args.write}`"
        + (f" (added to an earlier run's {args.add_to.name})" if args.add_to else "")
        + ".",
        "",
        f"Machine: {machine()}, shared with other work while it ran: the load average (1 min) "
        "is given with each step, and CPU seconds (the process's, every thread) are the steadier "
        f"figure. Packages: {versions(['pyoxigraph', 'pyrudof', 'pyshifty'])}.",
        "",
    ]
    for size in sizes:
        lines += [
            f"### {size.studies:,} studies",
            "",
            f"Store: {size.triples:,} triples in the view, {size.disk_mib:,.0f} MiB on disk"
            + (f"; dump {size.dump_mib:,.0f} MiB" if size.dump_mib else "")
            + (f". Not run: {size.skipped}." if size.skipped else "."),
            "",
            "| step | wall | CPU | per study (wall) | peak RSS | load | note |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for s in size.steps:
            lines.append(
                f"| {s.name} | {s.wall:.1f} s | {s.cpu:.1f} s "
                f"| {1000 * s.wall / size.studies:.2f} ms "
                + (f"| {s.peak_rss_mib:,.0f} MiB " if s.peak_rss_mib else "| - ")
                + f"| {s.load} | "
                + (f"exit {s.exit_code}; " if s.exit_code not in (0, 1) else "")
                + s.note
                + " |"
            )
        lines.append("")
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        factor = large.studies / small.studies
        lines += [
            f"Growth from {small.studies:,} to {large.studies:,} studies ({factor:g}x): the CPU "
            "of each step at the larger size over the smaller (linear growth is "
            f"{factor:g}x).",
            "",
            "| step | CPU ratio |",
            "|---|---:|",
        ]
        before = {s.name: s for s in small.steps}
        for s in large.steps:
            if s.name in before and before[s.name].cpu > 0:
                lines.append(f"| {s.name} | {s.cpu / before[s.name].cpu:.1f}x |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000])
    parser.add_argument("--work", type=Path, help="where the stores go (default: a temp dir)")
    parser.add_argument("--deadline", help="HH:MM UTC: start no step after it")
    parser.add_argument("--keep", action="store_true", help="keep the stores and dumps")
    parser.add_argument("--write", type=Path)
    parser.add_argument(
        "--add-to", type=Path, help="an earlier run's bench/out/scaling.json: its sizes come first"
    )
    args = parser.parse_args()
    deadline = None
    if args.deadline:
        hours, minutes = map(int, args.deadline.split(":"))
        now = datetime.datetime.now(datetime.timezone.utc)
        deadline = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    work = args.work or Path(tempfile.mkdtemp(prefix="scaling-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes: list[Size] = []
    if args.add_to:  # sizes measured by an earlier run, shown first
        for earlier in json.loads(args.add_to.read_text(encoding="utf-8")):
            steps = [Step(**step) for step in earlier.pop("steps")]
            if not earlier.pop("rss_per_step", False):  # measured as the largest child so far
                for step in steps:
                    step.peak_rss_mib = 0.0
            sizes.append(Size(**earlier, steps=steps))

    def save() -> None:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(
            json.dumps(
                [s.__dict__ | {"steps": [t.__dict__ for t in s.steps]} for s in sizes], indent=1
            )
        )
        if args.write:
            replace_section(args.write, BEGIN, END, section(sizes, args))

    try:
        for n in args.sizes:
            size = Size(n)
            sizes.append(size)
            measure(size, work, deadline, save)
            if not args.keep:
                for leftover in work.glob(f"*-{n}*"):
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink()
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
