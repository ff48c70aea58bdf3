"""The import's main thread, step by step: CPU seconds of each step of the pipeline.

Imports N synthetic studies (``bench/generate_ctgov.py``, seed 7) after ``build`` into a fresh
on-disk store, with each step's function wrapped to add up the main thread's CPU time
(``time.thread_time``) it takes. The wrapped functions are called once a batch or once a
record, so the wrapping costs next to nothing (``winner``, called once a subject-property pair,
is the exception: its figure includes the wrapping's own cost), unlike cProfile, whose cost per
call inflates the small, often-called functions. Nested steps are counted in each (``plan`` includes
``Layered.values``). Steps a version of the code does not have are left out, so the same script
measures the code before source graphs (run it with ``PYTHONPATH`` set to that tree's ``src``).

Run:  python bench/import_steps.py --studies 2000
      PYTHONPATH=/tmp/c8daaf7/src python bench/import_steps.py --studies 2000
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: (module, attribute path) of each step timed, where the code has it
STEPS = (
    ("evidencegraph.graph.pipeline", "Importer._map"),
    ("evidencegraph.graph.pipeline", "prepare"),
    ("evidencegraph.graph.pipeline", "plan"),
    ("evidencegraph.graph.pipeline", "canonical"),
    ("evidencegraph.graph.pipeline", "source_record"),
    ("evidencegraph.validation.batch_gate", "Overlay.stage"),
    ("evidencegraph.validation.source_view", "Layered.values"),
    ("evidencegraph.validation.source_view", "_descriptions"),
    ("evidencegraph.validation.source_view", "_standings"),
    ("evidencegraph.validation.source_view", "winner"),
    ("evidencegraph.validation.source_view", "describe"),
    ("evidencegraph.validation.source_view", "checksum"),
)


def wrap_steps() -> tuple[collections.Counter[str], collections.Counter[str]]:
    """Wrap every step the code has; the CPU seconds and the calls, by step."""
    spent: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    for module_name, path in STEPS:
        try:
            owner: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is None or not hasattr(owner, name):
            continue
        setattr(owner, name, _timed(getattr(owner, name), path, spent, calls))
    return spent, calls


def _timed(
    function: Callable[..., Any],
    label: str,
    spent: collections.Counter[str],
    calls: collections.Counter[str],
) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started
            calls[label] += 1

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()

    spent, calls = wrap_steps()  # before the pipeline's names are looked up
    import evidencegraph
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.graph.pipeline import Importer
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.records import expand_paths
    from evidencegraph.store.core import OxigraphStore

    work = Path(tempfile.mkdtemp(prefix="eg-import-steps-"))
    try:
        data = work / "studies"
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate_ctgov.py"),
                str(args.studies),
                str(data),
                "--seed",
                "7",
            ],
            check=True,
            capture_output=True,
        )
        graph = EvidenceGraph(OxigraphStore(work / "store"))
        graph.build()
        files = sorted(expand_paths([data], ctgov.SUFFIXES))
        started = time.thread_time()
        summary = Importer(graph, ctgov.map_study, batch_size=args.batch_size).run(
            ctgov.read_paths(files)
        )
        total = time.thread_time() - started
        graph.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"evidencegraph from {Path(evidencegraph.__file__).parent}")
    print(
        f"main thread CPU {total:.2f} s for {summary.imported:,} studies "
        f"({1000 * total / max(1, summary.imported):.2f} ms a study)"
    )
    for label, seconds in spent.most_common():
        print(f"  {label:30s} {seconds:7.2f} s  {calls[label]:8,} calls")


if __name__ == "__main__":
    main()
