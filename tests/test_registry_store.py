"""bench/registry_store.py writes what build + import ctgov write (issue 21)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from evidencegraph.store.core import OxigraphStore
from support import new_answer, old_answer

BENCH = Path(__file__).parent.parent / "bench"


def test_bulk_written_store_is_the_imported_store_quad_for_quad(tmp_path: Path) -> None:
    # --check builds the same generated studies with the real `build` and `import ctgov`
    # (through the gate, refusing any record that breaks the shapes) and compares every quad
    # but the catalog's import times; dense studies: ketamine, psychotherapies, shared drugs
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "registry_store.py"),
            "--studies",
            "80",
            "--dense",
            "--out",
            str(tmp_path / "store"),
            "--check",
        ],
        capture_output=True,
        text=True,
        cwd=BENCH,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 only here, 0 only there" in done.stdout
    # the marks it writes (decision 0030): source-disagreements reads them, and gives the
    # rows the query that read every quad gave
    store = OxigraphStore(tmp_path / "store", read_only=True)
    try:
        rows = new_answer(store)
        assert rows and rows == old_answer(store)
    finally:
        store.close()
