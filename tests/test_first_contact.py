"""Issue 14 (points 1, 2, 3, 9, 13): stores left compacted, commands that import only what
they use, a server never silently stale, progress on long jobs, and plain messages."""

from __future__ import annotations

import io
import json
import math
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evidencegraph.cli.main import cli, hoist_global_options
from evidencegraph.cli.progress import INTERVAL_ENV, Progress, progress_interval
from evidencegraph.store.core import OxigraphStore
from server_support import EvidenceServerProcess, build_curated_store
from support import DATA

STUDIES = DATA / "ctgov"
#: A RocksDB write-ahead log: NNNNNN.log (LOG, the info log, is something else).
_WAL = re.compile(r"^[0-9]+\.log$")


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def cli_process(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, stderr not a terminal; a server that does not stop
    by itself within ``timeout`` seconds fails the test."""
    return subprocess.run(
        [sys.executable, "-m", "evidencegraph", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def unflushed_log_bytes(store: Path) -> int:
    """Bytes in the store's live write-ahead log (the newest): what the next process to open
    it replays. Older logs a flush made obsolete are skipped, and deleted at the next
    writable opening."""
    logs = sorted((f for f in store.iterdir() if _WAL.match(f.name)), key=lambda f: f.name)
    return logs[-1].stat().st_size if logs else 0


def triples_in(store: Path) -> int:
    with OxigraphStore(store, read_only=True) as opened:
        return len(opened)


# --- point 1: every store the CLI writes is left flushed and compacted -------------------


def test_build_load_and_import_leave_no_log_to_replay(tmp_path: Path) -> None:
    store = tmp_path / "kg.db"
    descriptor = f"oxigraph:{store}"
    assert run("--store", descriptor, "build").exit_code == 0
    assert unflushed_log_bytes(store) < 4096
    loaded = run("--store", descriptor, "load", str(DATA / "valid-extra-risk.nt"))
    assert loaded.exit_code == 0, loaded.output
    assert unflushed_log_bytes(store) < 4096
    imported = run("--store", descriptor, "import", "ctgov", "--on-invalid", "skip", str(STUDIES))
    assert imported.exit_code == 0, imported.output
    assert unflushed_log_bytes(store) < 4096
    assert triples_in(store) > 3000  # the import is there, read from the compacted files


# --- point 2: a command imports its own libraries, not every command's -------------------

_HEAVY = ("networkx", "pyshacl", "rdflib.plugins.sparql", "werkzeug", "waitress", "pyrudof")


def modules_after(*args: str) -> set[str]:
    """The heavy modules imported by running the CLI with ``args`` in a fresh process."""
    code = (
        "import sys\n"
        "from evidencegraph.cli.main import cli\n"
        "try:\n"
        f"    cli({list(args)!r}, prog_name='evidencegraph')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = {_HEAVY!r}\n"
        "found = {m for m in sys.modules if m.startswith(heavy) or "
        "m.startswith('evidencegraph.export') or m.startswith('evidencegraph.server')}\n"
        "print('MODULES:', ' '.join(sorted(found)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    listed = done.stderr[done.stderr.rindex("MODULES:") + len("MODULES:") :]
    return set(listed.split())


def test_help_and_a_query_import_no_heavy_library(tmp_path: Path) -> None:
    assert modules_after("--help") == set()
    store = f"oxigraph:{build_curated_store(tmp_path / 'kg.db')}"
    assert modules_after("--store", store, "query", "commercial-interests") == set()
    # the libraries are there when the command that needs them runs
    assert "networkx" in modules_after("--store", store, "network", "central", "--top", "1")


# --- point 3: a served store is not written behind the server's back ---------------------


def test_a_write_beside_a_running_server_is_refused_naming_it(tmp_path: Path) -> None:
    store = build_curated_store(tmp_path / "kg.db")
    before = triples_in(store)
    with EvidenceServerProcess(store, "--workers", "1") as server:
        refused = cli_process(
            "--store", f"oxigraph:{store}", "load", str(DATA / "valid-extra-risk.nt")
        )
        assert refused.returncode == 3, refused.stderr
        assert "being served by `evidencegraph serve`" in refused.stderr
        assert server.url in refused.stderr and "stop the server" in refused.stderr
        assert "Traceback" not in refused.stderr
        imported = cli_process("--store", f"oxigraph:{store}", "import", "ctgov", str(STUDIES))
        assert imported.returncode == 3 and server.url in imported.stderr
    assert triples_in(store) == before  # nothing was written
    # with the server stopped, the same write goes through
    loaded = cli_process("--store", f"oxigraph:{store}", "load", str(DATA / "valid-extra-risk.nt"))
    assert loaded.returncode == 0, loaded.stderr
    assert triples_in(store) == before + 2


def test_a_write_beside_a_writable_server_names_it(tmp_path: Path) -> None:
    store = build_curated_store(tmp_path / "kg.db")
    token = tmp_path / "token"
    token.write_text("a-token-of-twenty-characters\n", encoding="utf-8")
    with EvidenceServerProcess(store, "--allow-update", "--token-file", str(token)) as server:
        refused = cli_process(
            "--store", f"oxigraph:{store}", "load", str(DATA / "valid-extra-risk.nt")
        )
    assert refused.returncode == 3, refused.stderr
    assert "is open to write in `evidencegraph serve`" in refused.stderr
    assert server.url in refused.stderr and "SPARQL Update" in refused.stderr


def test_serve_refuses_a_store_another_process_is_writing(tmp_path: Path) -> None:
    store = build_curated_store(tmp_path / "kg.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from evidencegraph.store.registry import open_store; "
            f"s = open_store('oxigraph:{store}'); print('open', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        refused = cli_process("--store", f"oxigraph:{store}", "serve", "--port", "0", timeout=60)
    finally:
        holder.communicate("", timeout=30)
    assert refused.returncode == 3, refused.stderr
    assert "being written by another process" in refused.stderr
    assert f"pid {holder.pid}" in refused.stderr
    assert "stopped" not in refused.stderr and "listening" not in refused.stdout


# --- point 9: progress ---------------------------------------------------------------------


def test_progress_lines_off_a_terminal_and_quiet_silences_them(tmp_path: Path) -> None:
    store = tmp_path / "kg.db"
    descriptor = f"oxigraph:{store}"
    every_report = {INTERVAL_ENV: "0"}  # a line at each report, so no test has to wait
    assert run("--store", descriptor, "build").exit_code == 0
    files = sorted(str(p) for p in STUDIES.glob("*.json"))
    imported = run(
        "--store", descriptor, "import", "ctgov", "--on-invalid", "skip", *files, env=every_report
    )
    assert imported.exit_code == 0, imported.output
    lines = [line for line in imported.stderr.splitlines() if line.startswith("importing: ")]
    assert lines and f"of {len(files)} records" in lines[0]
    assert re.search(r"records/s", lines[0])
    assert re.search(rf"importing: {len(files)} of {len(files)} records \(100%\)", lines[-1])

    validated = run("--store", descriptor, "validate", env=every_report)
    assert validated.exit_code == 0, validated.output
    assert re.search(r"^validating: [0-9,]+ of [0-9,]+ subjects", validated.stderr, re.M)

    dumped = run("--store", descriptor, "dump", str(tmp_path / "dump"), env=every_report)
    assert dumped.exit_code == 0, dumped.output
    total = re.search(r"Dumped ([0-9,]+) triples", dumped.stdout)
    assert total is not None
    assert f"dumping: {total.group(1)} of {total.group(1)} triples (100%)" in dumped.stderr

    for args in (
        ["--quiet", "--store", descriptor, "validate"],
        ["--store", descriptor, "dump", "-q", str(tmp_path / "dump2")],
        ["--store", descriptor, "import", "ctgov", "--on-invalid", "skip", "--quiet", *files],
    ):
        silent = run(*args, env=every_report)
        assert silent.exit_code == 0, silent.output
        assert not re.search(r"^(importing|validating|dumping): ", silent.stderr, re.M), args


def test_progress_lines_come_every_interval_even_inside_a_long_step(tmp_path: Path) -> None:
    store = f"oxigraph:{build_curated_store(tmp_path / 'kg.db')}"
    slow = run("--store", store, "validate", env={INTERVAL_ENV: "3600"})
    assert slow.exit_code == 0
    assert "validating: " not in slow.stderr  # a job shorter than the interval says nothing
    # a timer writes the lines: they come while one step runs (here: the whole validation)
    ticking = run("--store", store, "validate", env={INTERVAL_ENV: "0.02"})
    assert ticking.exit_code == 0
    assert re.search(
        r"^validating: [0-9,]+ (of [0-9,]+ )?subjects.*(so far|left)$", ticking.stderr, re.M
    )
    assert re.search(
        r"^validating: [0-9,]+ of [0-9,]+ subjects \(100%\), .*, done in ", ticking.stderr, re.M
    )


def test_export_says_which_step_it_is_at(tmp_path: Path) -> None:
    store = f"oxigraph:{build_curated_store(tmp_path / 'kg.db')}"
    args = ["--store", store, "export", "--focus", "NCT02649231", "-o", str(tmp_path / "x.ttl")]
    shown = run(*args, env={INTERVAL_ENV: "0"})
    assert shown.exit_code == 0, shown.output
    steps = [line for line in shown.stderr.splitlines() if line.startswith("exporting: ")]
    assert steps[0].startswith("exporting: step 2 of 4, the claims and sources about it; ")
    assert re.match(r"exporting: step 4 of 4, writing [0-9,]+ triples as turtle; ", steps[-2])
    assert steps[-1].startswith("exporting: 4 steps in ")
    quiet = run("-q", *args, env={INTERVAL_ENV: "0"})
    assert quiet.exit_code == 0 and "exporting: " not in quiet.stderr


# --- point 13: messages --------------------------------------------------------------------


def test_global_options_may_follow_the_command(tmp_path: Path) -> None:
    store = f"oxigraph:{build_curated_store(tmp_path / 'kg.db')}"
    after = run("stats", "--store", store, "--format", "json")
    assert after.exit_code == 0, after.output
    assert json.loads(after.stdout)["triples"] == triples_in(tmp_path / "kg.db")
    equals = run("query", "commercial-interests", f"--store={store}", "-v")
    assert equals.exit_code == 0, equals.output
    missing = run("stats", "--store")
    assert missing.exit_code == 2 and "--store needs a value" in missing.output
    assert hoist_global_options(["network", "path", "a", "b", "-vv", "-q"]) == [
        "-vv",
        "-q",
        "network",
        "path",
        "a",
        "b",
    ]
    assert hoist_global_options(["query", "--sparql", "x", "--", "--store", "y"]) == [
        "query",
        "--sparql",
        "x",
        "--",
        "--store",
        "y",
    ]


def test_a_read_only_servers_refusal_shows_its_reason(
    evidence_server: EvidenceServerProcess,
) -> None:
    result = run(
        "--store", f"sparql:{evidence_server.endpoint}", "load", str(DATA / "valid-extra-risk.nt")
    )
    assert result.exit_code == 3
    assert "HTTP 403" in result.output and "this server is read-only" in result.output
    assert "none were given" not in result.output


def test_a_port_in_use_is_exit_3_and_nothing_stopped(curated_store_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli_process(
            "--store", f"oxigraph:{curated_store_path}", "serve", "--port", str(port), timeout=60
        )
    assert result.returncode == 3, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "stopped" not in result.stderr and "Traceback" not in result.stderr


def test_a_memory_store_is_named_with_one_colon() -> None:
    result = run("--store", "memory:", "build")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Built memory: ") and "::" not in result.stdout


def test_a_truncated_pubmed_file_says_what_was_read(tmp_path: Path) -> None:
    whole = (DATA / "pubmed" / "biopython_pubmed1.xml").read_bytes()
    second = whole.index(b"<PubmedArticle>", whole.index(b"<PubmedArticle>") + 1)
    one_then_cut = tmp_path / "cut-in-the-second.xml"
    one_then_cut.write_bytes(whole[: second + 200])
    cut_in_first = tmp_path / "cut-in-the-first.xml"
    cut_in_first.write_bytes(whole[: whole.index(b"<PubmedArticle>") + 200])
    first = run("--store", "memory:", "import", "pubmed", str(cut_in_first))
    assert first.exit_code == 3
    assert "no article of this file could be read" in first.output
    assert "0 article(s)" not in first.output
    second_run = run(
        "--store", "memory:", "import", "pubmed", "--on-invalid", "skip", str(one_then_cut)
    )
    assert "the 1 complete article(s) before this point were read" in second_run.output


def test_a_progress_interval_too_large_for_a_timer_is_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """EVIDENCEGRAPH_PROGRESS_SECONDS=inf (or 1e309) printed "OverflowError: timestamp out of
    range for platform time_t" from the progress thread: the interval is handed to a timer's
    wait, which takes at most threading.TIMEOUT_MAX seconds."""
    for value in ("inf", "1e309", "1e300", "nan"):
        monkeypatch.setenv(INTERVAL_ENV, value)
        interval = progress_interval()
        assert math.isfinite(interval) and 0 <= interval <= threading.TIMEOUT_MAX, value
    monkeypatch.setenv(INTERVAL_ENV, "1e300")
    with Progress("testing", 1, mode="lines") as progress:
        progress.advance()


def test_stages_told_as_they_start_are_numbered_from_one() -> None:
    """upgrade-keys tells each stage as it starts (Progress.at): the first is step 1, and the
    last counts once the job says it is done."""
    lines = io.StringIO()
    with Progress("upgrading", unit="steps", mode="lines", interval=0, stream=lines) as progress:
        progress.at("looking")
        progress.at("reading")
        progress.advance()
    shown = lines.getvalue().splitlines()
    assert shown[0].startswith("upgrading: step 1, looking; ")
    assert shown[1].startswith("upgrading: step 2, reading; ")
    assert shown[-1].startswith("upgrading: 2 steps in ")


def test_a_file_with_no_readable_article_is_not_counted_as_a_record_read(tmp_path: Path) -> None:
    """A truncated PubMed file said 'records read: 1' beside 'no article of this file could be
    read'; what held no record is counted apart, as unreadable."""
    whole = (DATA / "pubmed" / "biopython_pubmed1.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: whole.index(b"<PubmedArticle>") + 200])
    shown = run("--store", "memory:", "import", "pubmed", "--on-invalid", "skip", str(cut))
    assert "records read: 0" in shown.output
    assert "unreadable:   1" in shown.output
    assert "no article of this file could be read" in shown.output
