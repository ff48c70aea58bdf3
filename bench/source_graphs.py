"""Source graphs (issue 17, decision 0021): what they cost, against the code before them, in
the same run.

The baseline is a commit before source graphs (``--baseline-ref``, c8daaf7 by default),
extracted with ``git archive`` into a temporary directory. Every measurement runs in a child
process of its own whose ``PYTHONPATH`` is either the baseline's ``src`` or this tree's
``src``; each child first checks that ``evidencegraph``, the import pipeline and the built-in
``ctgov`` importer (``ingest.sources.get_source``) come from the tree it was given, and stops
otherwise. The two versions alternate (baseline first, then this code first, ...) to spread
the noise of a shared machine.

- *Import*: the synthetic studies of ``bench/generate_ctgov.py`` (seed 7; study i is the same
  whatever N) at each ``--sizes`` N, into a fresh on-disk store that ``build`` made first (the
  model and the curated evidence, as ``evidencegraph build`` then ``import ctgov`` do), through
  the import pipeline (``Importer`` with the ctgov mapper, validation included, as
  ``bench/import_throughput.py`` does): studies/s, CPU seconds of the main thread and of every
  other thread, peak RSS of the import (the child's ``VmHWM``, reset after ``build``), and
  after the store is closed (and compacted, as every write closes it) its size on disk (the
  sum of its files' sizes), its quads in all and in the default graph (the view).
- *Queries*: the flagship (``drug-with-psychotherapy``) and every other named query of the
  baseline, on the stores of each ``--query-studies`` N, built the same way (the import's
  stores when N is one of ``--sizes``; its import is measured like the others): a warm-up run, then
  up to ``--runs`` timed runs within ``--query-budget`` seconds, in ``--rounds`` children per
  version, alternating; the median of every timed run. The queries only this code has
  (``source-disagreements``, ``source-graphs``) are timed on this code alone.

With ``--raw FILE`` every result is written to FILE after each step, so a run stopped
part-way leaves what it measured; ``--from-raw FILE`` writes the report of such a file.

Run:  python bench/source_graphs.py [--sizes 5000 20000] [--query-studies 100000]
                                    [--baseline-ref c8daaf7] [--write docs/benchmarks.md]
                                    [--raw FILE] [--from-raw FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BEGIN, END = "<!-- source-graphs:begin -->", "<!-- source-graphs:end -->"
FLAGSHIP = "drug-with-psychotherapy"
#: the named queries source graphs added: not in the baseline
NEW_QUERIES = ("source-disagreements", "source-graphs")
BASELINE, CURRENT = "baseline", "source graphs"

Record = dict[str, Any]
#: the options a report names (kept in the raw results for ``--from-raw``)
REPORTED_OPTIONS = ("baseline_ref", "batch_size", "runs", "query_budget", "rounds")


# --- the children: one measurement each, run under the PYTHONPATH of one version --------------
# (standard library only at module level: this file is run under either tree)


def _vm(field: str) -> float:
    """A ``/proc/self/status`` figure in MiB (``VmHWM``: the peak since start or reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _where(src: str) -> Record:
    """Where ``evidencegraph``, the pipeline and the ctgov importer come from; raises when any
    is not under ``src`` (an installed copy would make the comparison meaningless)."""
    import evidencegraph
    from evidencegraph.graph import pipeline
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.sources import get_source

    source = get_source("ctgov")
    mapper = getattr(source, "mapper", source.map)
    files = {
        "evidencegraph": evidencegraph.__file__,
        "pipeline": pipeline.__file__,
        "ctgov": ctgov.__file__,
        "ctgov source's mapper": sys.modules[mapper.__module__].__file__,
    }
    root = Path(src).resolve()
    for what, file in files.items():
        if file is None or root not in Path(file).resolve().parents:
            raise SystemExit(f"{what} comes from {file}, not from {root}")
    return {"where": files}


def child_where(spec: Record) -> Record:
    return _where(spec["src"])


def child_import(spec: Record) -> Record:
    """``build``, then import the first ``count`` studies of a directory into a fresh store."""
    _where(spec["src"])
    import pyoxigraph as ox

    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.graph.pipeline import Importer
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.records import expand_paths
    from evidencegraph.store.core import OxigraphStore

    store_path = Path(spec["store"])
    graph = EvidenceGraph(OxigraphStore(store_path))
    graph.build()
    files = sorted(expand_paths([Path(spec["data"])], ctgov.SUFFIXES))[: spec["count"]]
    assert len(files) == spec["count"], f"{len(files)} study files, {spec['count']} wanted"
    Path("/proc/self/clear_refs").write_text("5")  # the peak from here: the import's own
    started = time.perf_counter()
    main_cpu, all_cpu = time.thread_time(), time.process_time()
    summary = Importer(graph, ctgov.map_study, batch_size=spec["batch_size"]).run(
        ctgov.read_paths(files)
    )
    graph.close()  # flushes and compacts, as every write does when it closes the store
    wall = time.perf_counter() - started
    main_cpu, all_cpu = time.thread_time() - main_cpu, time.process_time() - all_cpu
    peak = _vm("VmHWM")
    assert summary.stopped is None, str(summary.stopped)
    assert not summary.rejected, f"{len(summary.rejected)} batches rejected"
    disk = sum(f.stat().st_size for f in store_path.rglob("*") if f.is_file())
    raw = ox.Store.read_only(str(store_path))
    view = raw.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return {
        "studies": summary.imported,
        "seconds": summary.seconds,  # the pipeline's split: read and map, validate, commit
        "wall": wall,
        "cpu_main": main_cpu,
        "cpu_others": all_cpu - main_cpu,
        "peak_rss_mib": peak,
        "disk_bytes": disk,
        "quads": len(raw),
        "view_triples": int(next(iter(view))["n"].value),  # type: ignore[index]
        "graphs": sum(1 for _ in raw.named_graphs()),
    }


def child_queries(spec: Record) -> Record:
    """Each named query: a warm-up run, then timed runs (wall and this process's CPU)."""
    _where(spec["src"])
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.queries import get_query, library

    known = library()
    results: Record = {}
    with EvidenceGraph.open(f"oxigraph:{spec['store']}", read_only=True) as graph:
        for name in spec["queries"]:
            if name not in known:
                continue
            query = get_query(name)
            bindings = query.bind({})
            started = time.perf_counter()
            rows = len(graph.query(query.text, bindings).rows)  # the warm-up run
            first = time.perf_counter() - started
            times, cpu = [], []
            budget_end = time.perf_counter() + spec["budget"]
            for _ in range(spec["runs"]):
                if time.perf_counter() > budget_end:
                    break
                started, cpu_started = time.perf_counter(), time.process_time()
                graph.query(query.text, bindings)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            results[name] = {"rows": rows, "first": first, "times": times, "cpu": cpu}
    return {"queries": results, "peak_rss_mib": _vm("VmHWM")}


CHILDREN = {"where": child_where, "import": child_import, "queries": child_queries}


# --- the parent -------------------------------------------------------------------------------


def extract(ref: str, into: Path) -> Path:
    """The ``src`` of commit ``ref``, extracted under ``into``; its path."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "src"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def child(kind: str, src: Path, spec: Record) -> Record:
    """Run one child under ``PYTHONPATH=src``; its result."""
    environment = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind],
        input=json.dumps({**spec, "src": str(src)}),
        env=environment,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"the {kind} child under {src} failed (exit {done.returncode})")
    result: Record = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def alternate(index: int) -> tuple[str, str]:
    """The order of the two versions for the ``index``-th measurement."""
    return (BASELINE, CURRENT) if index % 2 == 0 else (CURRENT, BASELINE)


def measure(args: argparse.Namespace, work: Path, command: str) -> Record:
    """Every measurement; ``results`` (also written to ``--raw`` after each step, so that a
    run stopped part-way leaves what it measured)."""
    trees = {BASELINE: extract(args.baseline_ref, work / "baseline"), CURRENT: ROOT / "src"}
    where = {version: child("where", src, {})["where"] for version, src in trees.items()}
    for version, files in where.items():
        log(f"{version}: evidencegraph from {files['evidencegraph']}")
    sizes = sorted({*args.sizes, *args.query_studies})
    data = work / "studies"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(HERE / "generate_ctgov.py"), str(sizes[-1]), str(data), "--seed", "7"],
        check=True,
        capture_output=True,
    )
    log(f"generated {sizes[-1]:,} studies in {time.perf_counter() - started:.0f} s")
    options = {k: getattr(args, k) for k in REPORTED_OPTIONS}
    results: Record = {
        "command": command,
        "options": options,
        "where": where,
        "imports": {},
        "queries": {},
    }
    names = [FLAGSHIP, *sorted(set(_query_names()) - {FLAGSHIP} - set(NEW_QUERIES))]
    turn = 0
    for n in sizes:
        stores = {v: work / f"store-{n}-{v.replace(' ', '-')}" for v in (BASELINE, CURRENT)}
        imports = results["imports"][n] = {}
        for version in alternate(turn):
            log(f"import {n:,} studies, {version}")
            spec = {"data": str(data), "count": n, "store": str(stores[version])}
            imports[version] = child(
                "import", trees[version], {**spec, "batch_size": args.batch_size}
            )
            log(f"  {imports[version]}")
            _save(results, args.raw)
        turn += 1
        if n in args.query_studies:
            queries = results["queries"][n] = {BASELINE: [], CURRENT: []}
            for round_ in range(args.rounds):
                for version in alternate(turn + round_):
                    log(f"queries on {n:,} studies, round {round_ + 1}, {version}")
                    wanted = names + (list(NEW_QUERIES) if version == CURRENT else [])
                    spec = {"store": str(stores[version]), "queries": wanted}
                    queries[version].append(
                        child(
                            "queries",
                            trees[version],
                            {**spec, "runs": args.runs, "budget": args.query_budget},
                        )
                    )
                    _save(results, args.raw)
            turn += args.rounds
        for store in stores.values():
            shutil.rmtree(store)
    return results


def _save(results: Record, raw: Path | None) -> None:
    if raw is not None:
        raw.write_text(json.dumps(results, indent=1), encoding="utf-8")


def _query_names() -> list[str]:
    from evidencegraph.queries import library

    return list(library())


# --- the report -------------------------------------------------------------------------------


def ratio_cell(base: float, new: float, higher_is_better: bool, aim: float) -> tuple[str, str]:
    """The ratio new/baseline, and whether it meets the aim (a floor for a figure where more
    is better, a ceiling otherwise)."""
    if not base:
        return "–", "–"
    ratio = new / base
    ok = ratio >= aim if higher_is_better else ratio <= aim
    return f"{ratio:.2f}×", "met" if ok else "**not met**"


def mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def import_rows(n: int, runs: Record) -> list[str]:
    base, new = runs[BASELINE], runs[CURRENT]

    def figures(r: Record) -> dict[str, float]:
        studies = r["studies"]
        return {
            "studies/s": studies / r["wall"],
            "CPU ms/study, main thread": 1000 * r["cpu_main"] / studies,
            "CPU ms/study, other threads": 1000 * r["cpu_others"] / studies,
            "CPU ms/study, all": 1000 * (r["cpu_main"] + r["cpu_others"]) / studies,
            "peak RSS": r["peak_rss_mib"],
            "on disk": r["disk_bytes"] / 2**20,
            "disk bytes per view triple": r["disk_bytes"] / r["view_triples"],
        }

    b, c = figures(base), figures(new)
    rows = []
    for name in b:
        more_is_better = name == "studies/s"
        aim = 0.8 if more_is_better else (1.5 if name.startswith(("on disk", "disk")) else 1.25)
        ratio, met = ratio_cell(b[name], c[name], more_is_better, aim)
        unit = {"peak RSS": " MiB", "on disk": " MiB"}.get(name, "")
        digits = 2 if name.startswith("CPU") else 0
        aim_text = f"≥ {aim}×" if more_is_better else f"≤ {aim}×"
        rows.append(
            f"| {n:,} | {name} | {b[name]:,.{digits}f}{unit} | {c[name]:,.{digits}f}{unit} | "
            f"{ratio} | {aim_text} | {met} |"
        )
    return rows


def pooled(rounds: list[Record], name: str, key: str) -> list[float]:
    return [t for r in rounds for t in r["queries"].get(name, {}).get(key, [])]


def report(results: Record, args: argparse.Namespace, command: str) -> str:
    from common import machine, versions  # type: ignore[import-not-found]

    lines = [
        BEGIN,
        "## Source graphs: what they cost (issue 17)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}; "
        f"{versions(('pyoxigraph', 'pyrudof', 'pyshifty', 'pyshacl', 'rdflib'))}. "
        "Wall-clock figures move with whatever else runs on the machine; the CPU time of the "
        "measured process is given beside them.",
        "",
        f"*Baseline*: commit `{args.baseline_ref}` (the last before source graphs), extracted "
        "with `git archive`; *source graphs*: this tree. Each measurement is a child process "
        "with `PYTHONPATH` set to one version's `src` (checked: `evidencegraph`, the pipeline and "
        "the ctgov importer load from that tree); the versions alternate. Each store is made by "
        "`build`, then the synthetic studies of `bench/generate_ctgov.py` (seed 7) are imported "
        f"by the import pipeline (`Importer`, ctgov mapper, validation included, batches of "
        f"{args.batch_size}) into it. *studies/s* and the CPU figures cover the import and "
        "closing the store (which compacts it); *peak RSS* is the import's (`VmHWM`, reset "
        "after `build` to what `build` left resident); *on disk* is the sum of the store's file "
        "sizes after it is closed; a "
        "*view triple* is a triple of the default graph (the baseline has nothing else). "
        "Aims (issue 17): no figure worse than 0.8× of the baseline (a rate at least 0.8×, a "
        "cost at most 1.25×), disk at most 1.5×.",
        "",
        "### Import",
        "",
        "| studies | figure | baseline | source graphs | ratio | aim | |",
        "|---:|---|---:|---:|---:|---|---|",
    ]
    measured = {n: runs for n, runs in results["imports"].items() if len(runs) == 2}
    for n, runs in sorted(measured.items(), key=lambda item: int(item[0])):
        lines += import_rows(int(n), runs)
    lines.append("")
    for n, runs in sorted(measured.items(), key=lambda item: int(item[0])):
        b, c = runs[BASELINE], runs[CURRENT]
        lines.append(
            f"- {int(n):,} studies: baseline {b['view_triples']:,} triples; source graphs "
            f"{c['view_triples']:,} in the view, {c['quads'] - c['view_triples']:,} in "
            f"{c['graphs']:,} named graphs ({c['quads']:,} quads in all); wall "
            f"{b['wall']:.1f} s against {c['wall']:.1f} s."
        )
    lines.append("")
    for n, queries in sorted(results["queries"].items(), key=lambda item: int(item[0])):
        if queries[BASELINE] and queries[CURRENT]:
            lines += query_table(int(n), queries, args)
    lines.append(END)
    return "\n".join(lines)


def query_table(n: int, queries: Record, args: argparse.Namespace) -> list[str]:
    """The named queries' medians on the stores of ``n`` studies, both versions."""
    lines: list[str] = []
    lines += [
        f"### Named queries on {n:,} studies",
        "",
        f"A warm-up run, then up to {args.runs} timed runs within {args.query_budget:g} s, "
        f"in {args.rounds} child processes per version (alternating); the median of every "
        "timed run, wall and CPU (the queries run on the calling thread).",
        "",
        "| query | rows | baseline: wall, CPU | source graphs: wall, CPU | ratio (wall) "
        "| ratio (CPU) | aim ≤ 1.25× |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    names = list(queries[BASELINE][0]["queries"])
    for name in names:
        row = []
        for version in (BASELINE, CURRENT):
            wall = pooled(queries[version], name, "times")
            cpu = pooled(queries[version], name, "cpu")
            row.append((statistics.median(wall), statistics.median(cpu)) if wall else (None, None))
        (bw, bc), (cw, cc) = row
        rows_b = queries[BASELINE][0]["queries"][name]["rows"]
        rows_c = queries[CURRENT][0]["queries"].get(name, {}).get("rows")
        rows = f"{rows_b:,}" if rows_b == rows_c else f"{rows_b:,} / {rows_c:,}"
        ratio_w, met_w = ratio_cell(bw or 0, cw or 0, False, 1.25)
        ratio_c, met_c = ratio_cell(bc or 0, cc or 0, False, 1.25)
        label = f"`{name}`" + (" (flagship)" if name == FLAGSHIP else "")
        met = met_w if met_w == met_c else f"{met_w} (wall), {met_c} (CPU)"
        lines.append(
            f"| {label} | {rows} | {ms(bw)}, {ms(bc)} | {ms(cw)}, {ms(cc)} | "
            f"{ratio_w} | {ratio_c} | {met} |"
        )
    for name in NEW_QUERIES:
        wall = pooled(queries[CURRENT], name, "times")
        cpu = pooled(queries[CURRENT], name, "cpu")
        if not wall:
            continue
        rows_c = queries[CURRENT][0]["queries"][name]["rows"]
        lines.append(
            f"| `{name}` (new) | {rows_c:,} | – | {ms(statistics.median(wall))}, "
            f"{ms(statistics.median(cpu))} | – | – | – |"
        )
    peaks = {v: max(r["peak_rss_mib"] for r in queries[v]) for v in (BASELINE, CURRENT)}
    ratio, met = ratio_cell(peaks[BASELINE], peaks[CURRENT], False, 1.25)
    lines += [
        "",
        f"Peak RSS of the process answering the queries: baseline {mib(peaks[BASELINE])}, "
        f"source graphs {mib(peaks[CURRENT])} ({ratio}, {met}).",
        "",
    ]
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (``argv``, else ``sys.argv[1:]``); exits 2 on a usage error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-ref", default="c8daaf7", help="the commit before (c8daaf7)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[5000, 20000])
    parser.add_argument(
        "--query-studies",
        type=int,
        nargs="*",
        default=[100_000],
        help="sizes of the stores the queries run on (100000; none to skip)",
    )
    parser.add_argument("--runs", type=int, default=10, help="timed runs per query and child")
    parser.add_argument("--query-budget", type=float, default=10, help="seconds per query")
    parser.add_argument("--rounds", type=int, default=2, help="query children per version")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--scratch", type=Path, help="directory for the stores (a temporary one)")
    parser.add_argument("--raw", type=Path, help="also write every measurement to this JSON file")
    parser.add_argument("--write", type=Path, help="replace the source-graphs section of this file")
    parser.add_argument(
        "--from-raw", type=Path, help="measure nothing: report what this --raw file holds"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return args
    if not args.sizes and not args.query_studies:
        parser.error("nothing to measure: give --sizes or --query-studies")
    if any(n < 1 for n in [*args.sizes, *args.query_studies]) or args.rounds < 1:
        parser.error("every size needs at least 1 study, and --rounds must be 1 or more")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(sys.stdin.read()))), flush=True)
        return
    command = "python bench/source_graphs.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.from_raw:  # the report of an earlier run (one stopped part-way, say)
        results = json.loads(args.from_raw.read_text(encoding="utf-8"))
        vars(args).update(results["options"])  # the run's own options, for its report
    else:
        work = Path(tempfile.mkdtemp(prefix="eg-source-graphs-", dir=args.scratch))
        try:
            results = measure(args, work, command)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _save(results, args.raw)
    section = report(results, args, results["command"])
    print(section)
    if args.write:
        from common import replace_section  # type: ignore[import-not-found]

        replace_section(args.write, BEGIN, END, section)
        log(f"wrote {args.write}")


if __name__ == "__main__":
    main()
