"""Import throughput: synthetic ClinicalTrials.gov API v2 studies into the on-disk store.

For each N, in a fresh subprocess (so that peak RSS is that import's own):
generate N study files with bench/generate_ctgov.py, run the importer
(validation included) into a new on-disk store, and report studies/s end to
end, the time split into read+map / validate / commit, and peak RSS.

Baseline, in the same run: the straightforward approach — per study, build an
rdflib Graph, validate it with pyshacl together with everything imported so
far (the whole graph), then add it — on the first ``--baseline`` studies
(it is quadratic, so it cannot run on all N).

Run:  python bench/import_throughput.py --sizes 1000 5000 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from common import replace_section  # type: ignore[import-not-found]

BEGIN, END = "<!-- import:begin -->", "<!-- import:end -->"
HERE = Path(__file__).parent


def generate(n: int, target: Path) -> None:
    subprocess.run(
        [sys.executable, str(HERE / "generate_ctgov.py"), str(n), str(target), "--seed", "7"],
        check=True,
        capture_output=True,
    )


def one_import(directory: Path, store_path: Path, batch_size: int) -> dict[str, float]:
    """Import a directory into a fresh on-disk store (run in a child process)."""
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.graph.pipeline import Importer
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.records import expand_paths
    from evidencegraph.store.core import OxigraphStore

    started = time.perf_counter()
    main_cpu, all_cpu = time.thread_time(), time.process_time()
    graph = EvidenceGraph(OxigraphStore(store_path))
    files = expand_paths([directory], ctgov.SUFFIXES)
    summary = Importer(graph, ctgov.map_study, batch_size=batch_size).run(ctgov.read_paths(files))
    wall = time.perf_counter() - started
    graph.close()
    main_cpu, all_cpu = time.thread_time() - main_cpu, time.process_time() - all_cpu
    assert summary.stopped is None, str(summary.stopped)
    return {
        "studies": summary.imported,
        "triples": summary.triples_added,
        **summary.seconds,
        "wall": wall,  # the import's own wall time, opening and closing the store included
        # CPU seconds: the main thread's, and every other thread's (the judge and the engines'
        # own threads, the writer, Oxigraph's bulk loader and RocksDB's background work)
        "cpu_main": main_cpu,
        "cpu_others": all_cpu - main_cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def store_only(directory: Path, store_path: Path, batch_size: int) -> dict[str, float]:
    """The same records read, mapped and written as the import writes them (groups of judged
    batches, decision 0010), with no validation, on one thread (run in a child process): the
    ceiling without the gate, and how much of the import's memory is the store's own."""
    from evidencegraph.graph.pipeline import GROUP_TRIPLES
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.mapping import Mapped
    from evidencegraph.ingest.records import expand_paths
    from evidencegraph.store.core import OxigraphStore
    from evidencegraph.validation.batch_gate import Overlay, batch_quads, prepare

    store = OxigraphStore(store_path)
    started = time.perf_counter()
    group = Overlay()

    def stage(batch: list[Mapped]) -> None:
        nonlocal group
        quads = batch_quads(t for mapped in batch for t in mapped.triples)
        group.stage(prepare(OxigraphStore(None), quads, replace_single_values=False))
        if group.size >= GROUP_TRIPLES:
            store.write_ntriples([], group.ntriples())
            group = Overlay()

    batch: list[Mapped] = []
    for record in ctgov.read_paths(expand_paths([directory], ctgov.SUFFIXES)):
        batch.append(ctgov.map_study(record.content, record.origin))  # type: ignore[arg-type]
        if len(batch) == batch_size:
            stage(batch)
            batch = []
    if batch:
        stage(batch)
    store.write_ntriples([], group.ntriples())
    wall = time.perf_counter() - started
    store.close()
    return {"wall": wall, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def baseline(directory: Path, count: int) -> dict[str, float]:
    """The straightforward approach on the first ``count`` studies of a directory."""
    import pyshacl
    from rdflib import Graph

    from evidencegraph.ingest import ctgov
    from evidencegraph.rdf.model import model_graph, shapes_graph

    whole = Graph()
    whole += model_graph()
    shapes = shapes_graph()
    files = sorted(directory.glob("*.json"))[:count]
    started = time.perf_counter()
    for path in files:
        study = Graph()
        for triple in ctgov.map_study(json.loads(path.read_text()), str(path)).rdflib_triples():
            study.add(triple)
        candidate = whole + study
        conforms, _, _ = pyshacl.validate(candidate, shacl_graph=shapes, inference="none")
        if conforms:
            whole += study
    wall = time.perf_counter() - started
    return {"studies": len(files), "wall": wall}


def child(args: argparse.Namespace) -> None:
    run = store_only if args.store_only else one_import
    result = run(Path(args.child[0]), Path(args.child[1]), args.batch_size)
    print(json.dumps(result))


def in_child(directory: Path, store: Path, batch_size: int, *extra: str) -> dict[str, float]:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--batch-size",
            str(batch_size),
            *extra,
            "--child",
            str(directory),
            str(store),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--baseline", type=int, default=100, help="studies for the baseline")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--write", type=Path, help="replace the import section of this file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--store-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    work = Path(tempfile.mkdtemp(prefix="eg-import-bench-"))
    rows = []
    for n in args.sizes:
        directory = work / f"studies-{n}"
        generate(n, directory)
        result = in_child(directory, work / f"store-{n}.db", args.batch_size)
        plain = in_child(directory, work / f"plain-{n}.db", args.batch_size, "--store-only")
        result["store_only_rss_mib"] = plain["peak_rss_mib"]
        result["store_only_wall"] = plain["wall"]
        rows.append((n, result))
        print(n, result, flush=True)
    base = baseline(work / f"studies-{args.sizes[0]}", args.baseline)
    print("baseline", base, flush=True)
    report = render(rows, base, args)
    print(report)
    if args.write:
        replace_section(args.write, BEGIN, END, f"{BEGIN}\n{report}{END}")


def render(
    rows: list[tuple[int, dict[str, float]]], base: dict[str, float], args: argparse.Namespace
) -> str:
    base_rate = base["studies"] / base["wall"]
    lines = [
        "## Import: ClinicalTrials.gov records into the on-disk store",
        "",
        f"Command: `python bench/import_throughput.py --sizes {' '.join(map(str, args.sizes))} "
        f"--baseline {args.baseline} --batch-size {args.batch_size} --write docs/benchmarks.md`",
        "",
        f"Machine: {platform.machine()}, {platform.system()}, "
        f"Python {platform.python_version()}; pyoxigraph {version('pyoxigraph')}, "
        f"pyrudof {version('pyrudof')}, pyshifty {version('pyshifty')}, "
        f"pyshacl {version('pyshacl')}, rdflib {version('rdflib')}; "
        f"{os.cpu_count()} CPUs.",
        "Synthetic studies from `bench/generate_ctgov.py` (seed 7), validation included. "
        "Three threads share the work: the main thread reads, maps and prepares each batch "
        "(canonical form, neighbourhood, N-Triples), a judge thread validates it (shifty, and "
        "rudof for a batch shifty does not pass: decision 0015), a "
        "writer thread writes judged batches in groups (decision 0010). *validate* is preparing "
        "plus judging, *waited* the time the main thread sat idle for a verdict, *commit* the "
        "writer thread's time; *no gate* reads, maps and writes the same records the way the "
        "import writes them, with no neighbourhood and no SHACL, on one thread: the ceiling "
        "without validation, and the store's own share of the memory. *CPU ms/study* is the "
        "main thread's CPU time per study, and that of every other thread (the judge with "
        "the engines' own threads, the writer, Oxigraph's bulk loader, RocksDB's background work).",
        "",
        "| studies | triples | studies/s | read+map s | validate s | waited s | commit s "
        "| wall s | CPU ms/study: main, others | peak RSS MiB | no gate: RSS MiB, wall s "
        "| vs baseline |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in rows:
        rate = r["studies"] / r["wall"]
        lines.append(
            f"| {n:,} | {int(r['triples']):,} | {rate:.0f} | {r['read and map']:.1f} | "
            f"{r['validate']:.1f} | {r['waiting for validation']:.1f} | {r['commit']:.1f} | "
            f"{r['wall']:.1f} | {1000 * r['cpu_main'] / r['studies']:.2f}, "
            f"{1000 * r['cpu_others'] / r['studies']:.2f} | {r['peak_rss_mib']:.0f} | "
            f"{r['store_only_rss_mib']:.0f}, {r['store_only_wall']:.1f} | "
            f"{rate / base_rate:.1f}× |"
        )
    lines += [
        "",
        f"Baseline (same run): an rdflib Graph per study, validated with pyshacl together with the "
        f"whole graph so far, then added: {base['studies']} studies in {base['wall']:.1f} s = "
        f"{base_rate:.1f} studies/s, falling as the graph grows.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
