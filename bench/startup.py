"""Start-up and first-contact speed of the CLI (issue 14, points 1 and 2).

Each figure is a median of separate processes, beside ``python -c "import pyoxigraph"`` run
in the same script:

- ``evidencegraph --help``;
- ``evidencegraph query commercial-interests`` on a store fresh from ``build`` and an
  import of the real records (tests/data/ctgov and /work/shared/data/real/ctgov_v2_more);
- opening that store read-only in a process of its own (where a store that was left with
  a write-ahead log to replay pays);
- with ``--studies N``: the import of N synthetic studies (bench/generate_ctgov.py, seed 7),
  its wall time, and what ``Store.flush()`` + ``Store.optimize()`` then cost on it.

    python bench/startup.py [--runs 7] [--studies 5000] [--write docs/benchmarks.md]
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

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import machine, replace_section, versions  # noqa: E402

REAL_RECORDS = [ROOT / "tests/data/ctgov", Path("/work/shared/data/real/ctgov_v2_more")]
BEGIN, END = "<!-- startup:begin -->", "<!-- startup:end -->"
CLI = [sys.executable, "-m", "evidencegraph"]


def wall(command: list[str], runs: int) -> list[float]:
    """Wall seconds of ``runs`` separate runs of ``command`` (each must succeed)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


#: The CLI with the compaction on close turned off: the store as an import left it before.
UNCOMPACTED_CLI = [
    sys.executable,
    "-c",
    "import sys; from evidencegraph.store import core as store; "
    "store.OxigraphStore.compact = lambda self: None; "
    "from evidencegraph.cli.main import main; sys.argv[0] = 'evidencegraph'; main()",
]


def fresh_import(store: Path, paths: list[Path], *, compacted: bool = True) -> float:
    """Build, then import ``paths`` into a new store; the import's wall seconds.
    ``compacted=False``: the store left as it was before the CLI compacted on close."""
    cli = CLI if compacted else UNCOMPACTED_CLI
    subprocess.run([*cli, "--store", f"oxigraph:{store}", "build"], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run(
        [*cli, "--store", f"oxigraph:{store}", "import", "ctgov", "--on-invalid", "skip"]
        + [str(p) for p in paths],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def compaction_seconds(store: Path) -> float:
    """What flush + optimize cost on ``store`` now (in a process of its own)."""
    code = (
        "import sys, time, pyoxigraph as ox; s = ox.Store(sys.argv[1]); t = time.perf_counter(); "
        "s.flush(); s.optimize(); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(store)], check=True, capture_output=True)
    return float(out.stdout)


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--studies", type=int, default=0, help="also a synthetic import")
    parser.add_argument("--write", type=Path, help="write the section into this Markdown file")
    parser.add_argument("--label", default="", help="a name for this run (before/after)")
    args = parser.parse_args()

    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "real.db"
        fresh_import(store, REAL_RECORDS)
        baseline = wall([sys.executable, "-c", "import pyoxigraph"], args.runs)
        base = statistics.median(baseline)
        opening = wall(
            [sys.executable, "-c", f"import pyoxigraph as ox; ox.Store.read_only({str(store)!r})"],
            args.runs,
        )
        helping = wall([*CLI, "--help"], args.runs)
        querying = wall(
            [*CLI, "--store", f"oxigraph:{store}", "query", "commercial-interests"], args.runs
        )
        stats = wall([*CLI, "--store", f"oxigraph:{store}", "stats"], args.runs)
        for name, values, target in [
            ("`evidencegraph --help`", helping, "< 100 ms"),
            (
                "`evidencegraph query commercial-interests`, store fresh from an import",
                querying,
                "< 250 ms",
            ),
            ("`evidencegraph stats`, same store", stats, ""),
            ("`pyoxigraph.Store.read_only(store)` in a new process, same store", opening, ""),
        ]:
            ratio = statistics.median(values) / base
            rows.append((name, ms(values), f"{ratio:.1f}×", target))
        extra = []
        if args.studies:
            generated = Path(tmp) / "studies"
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "generate_ctgov.py"),
                    str(args.studies),
                    str(generated),
                    "--seed",
                    "7",
                ],
                check=True,
                capture_output=True,
            )
            big = Path(tmp) / "big.db"
            seconds = fresh_import(big, [generated], compacted=False)
            opening_left = wall(
                [
                    sys.executable,
                    "-c",
                    f"import pyoxigraph as ox; ox.Store.read_only({str(big)!r})",
                ],
                args.runs,
            )
            big_query = wall(
                [*CLI, "--store", f"oxigraph:{big}", "query", "commercial-interests"], args.runs
            )
            compact = compaction_seconds(big)
            opening_compacted = wall(
                [
                    sys.executable,
                    "-c",
                    f"import pyoxigraph as ox; ox.Store.read_only({str(big)!r})",
                ],
                args.runs,
            )
            compacted_query = wall(
                [*CLI, "--store", f"oxigraph:{big}", "query", "commercial-interests"], args.runs
            )
            size = sum(f.stat().st_size for f in big.rglob("*") if f.is_file())
            extra = [
                f"{args.studies:,} synthetic studies (bench/generate_ctgov.py, seed 7) imported "
                f"after `build`, with the compaction on close turned off: {seconds:.1f} s wall. "
                "Then:",
                "",
                f"- `flush()` + `optimize()` on that store, in a process of its own (what closing "
                f"the store now adds to the import): {compact * 1000:.0f} ms, "
                f"{compact / seconds:.1%} of the import;",
                f"- opening it read-only in a new process: {ms(opening_left)} as the import left "
                f"it, {ms(opening_compacted)} compacted;",
                f"- `query commercial-interests`: {ms(big_query)} as the import left it, "
                f"{ms(compacted_query)} compacted;",
                f"- store on disk, compacted: {size / 2**20:.1f} MiB.",
            ]
        shutil.rmtree(store, ignore_errors=True)

    lines = [
        BEGIN,
        f"## Start-up and first contact{(' (' + args.label + ')') if args.label else ''}",
        "",
        f"Command: `python bench/startup.py --runs {args.runs}"
        + (f" --studies {args.studies}" if args.studies else "")
        + " --write docs/benchmarks.md`. Medians of separate processes; baseline "
        f'`python -c "import pyoxigraph"` in the same run: {ms(baseline)}.',
        "",
        "| figure | median | ratio to baseline | target |",
        "|---|---:|---:|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        *extra,
        *([""] if extra else []),
        f"Machine: {machine()}; {versions(['pyoxigraph', 'click', 'rdflib'])}.",
        END,
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        replace_section(args.write, BEGIN, END, text)


if __name__ == "__main__":
    main()
