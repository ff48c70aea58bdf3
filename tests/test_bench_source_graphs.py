"""bench/source_graphs.py: its command line, the check that each child runs the tree it was
given, and a tiny run of both versions (20 studies, a few seconds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import BENCH, bench_module

SRC = BENCH.parent / "src"


def test_the_command_line_defaults_to_the_issue_s_sizes_and_refuses_nothing_to_measure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = bench_module("source_graphs")
    args = script.parse_args([])
    assert (args.baseline_ref, args.sizes, args.query_studies) == (
        "c8daaf7",
        [5000, 20000],
        [100_000],
    )
    with pytest.raises(SystemExit) as stopped:
        script.parse_args(["--sizes", "--query-studies"])
    assert stopped.value.code == 2
    assert "nothing to measure" in capsys.readouterr().err


def test_a_child_refuses_a_tree_that_is_not_the_one_it_imports(tmp_path: Path) -> None:
    script = bench_module("source_graphs")
    where = script.child("where", SRC, {})["where"]
    assert all(Path(file).resolve().is_relative_to(SRC.resolve()) for file in where.values())
    # an empty directory first on PYTHONPATH: evidencegraph comes from elsewhere, which the
    # child must notice rather than measure the wrong code
    with pytest.raises(SystemExit, match="the where child"):
        script.child("where", tmp_path, {})


def _has_baseline() -> bool:
    found = subprocess.run(
        ["git", "cat-file", "-e", "c8daaf7^{commit}"], cwd=BENCH.parent, capture_output=True
    )
    return found.returncode == 0


@pytest.mark.skipif(not _has_baseline(), reason="the baseline commit c8daaf7 is not in this clone")
def test_a_tiny_run_measures_both_versions_and_writes_its_section(tmp_path: Path) -> None:
    raw, page = tmp_path / "raw.json", tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nkept\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "source_graphs.py"),
            *("--sizes", "20", "--query-studies", "20", "--runs", "1", "--rounds", "1"),
            *("--raw", str(raw), "--write", str(page), "--scratch", str(tmp_path)),
        ],
        check=True,
        capture_output=True,
    )
    results = json.loads(raw.read_text())
    where = {v: Path(files["evidencegraph"]).resolve() for v, files in results["where"].items()}
    assert where["source graphs"].is_relative_to(SRC.resolve())
    assert where["baseline"].is_relative_to(tmp_path.resolve())  # the extracted commit
    base, new = results["imports"]["20"]["baseline"], results["imports"]["20"]["source graphs"]
    assert base["studies"] == new["studies"] == 20
    # the baseline holds one pool of triples; this code one graph per record, the catalog,
    # and the view beside them
    assert base["graphs"] == 0 and base["quads"] == base["view_triples"]
    # (every statement of the view is in a graph too)
    assert new["graphs"] >= 20 + 2 and new["quads"] - new["view_triples"] >= new["view_triples"]
    queries = {v: runs[0]["queries"] for v, runs in results["queries"]["20"].items()}
    assert "source-disagreements" not in queries["baseline"]
    assert "source-disagreements" in queries["source graphs"]
    flagship = "drug-with-psychotherapy"
    assert queries["baseline"][flagship]["rows"] == queries["source graphs"][flagship]["rows"]
    text = page.read_text()
    assert text.startswith("# Benchmarks\n\nkept\n")
    section = text[text.index("<!-- source-graphs:begin -->") :]
    assert section.rstrip().endswith("<!-- source-graphs:end -->")
    assert "| 20 | studies/s |" in section and "`drug-with-psychotherapy` (flagship)" in section
