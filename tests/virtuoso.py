"""Virtuoso Open Source for the ``virtuoso`` backend of the contract tests.

Started on first use (``virtuoso-t`` in the foreground, a temporary database
and ini, free ports on 127.0.0.1) and stopped with the session; skipped with
the reason where Virtuoso is not installed. Install it with
``apt-get install virtuoso-opensource`` (Debian), then run
``python -m pytest tests/test_store_contract.py tests/test_gate.py tests/test_sparql_store.py
-k virtuoso`` (docs/sparql-store.md).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import support

#: Virtuoso keeps the test's triples in this graph: its default graph is every graph.
GRAPH = "urn:x-evidencegraph:test"

_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = {sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
[HTTPServer]
ServerPort = {http_port}
ServerRoot = {dir}
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


class VirtuosoServer:
    """``virtuoso-t`` on 127.0.0.1 with a database of its own in ``location``."""

    def __init__(self, location: Path):
        server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
        if server is None or isql is None:
            pytest.skip(
                "Virtuoso Open Source is not installed (apt-get install virtuoso-opensource); "
                "the contract tests run against it where it is"
            )
        self.location = location
        self.sql_port, self.http_port = support.free_port(), support.free_port()
        ini = location / "virtuoso.ini"
        ini.write_text(
            _INI.format(dir=location, sql_port=self.sql_port, http_port=self.http_port),
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [server, "+foreground", "+configfile", str(ini)],
            cwd=location,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            support.wait_for_sparql(f"http://127.0.0.1:{self.http_port}/sparql", self.process, 120)
            # the anonymous SPARQL user may write (a test database on the loopback only)
            subprocess.run(
                [isql, str(self.sql_port), "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                check=True,
                capture_output=True,
                timeout=60,
            )
        except BaseException:
            self.stop()
            raise

    @property
    def descriptor(self) -> str:
        return f"sparql:http://127.0.0.1:{self.http_port}/sparql;graph={GRAPH}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


def shared_virtuoso() -> VirtuosoServer:
    """The Virtuoso server the tests share (stopped with the session, conftest.py)."""
    if "virtuoso" not in support._SHARED:
        location = Path(tempfile.mkdtemp(prefix="evidencegraph-virtuoso-"))
        support._SHARED["virtuoso"] = VirtuosoServer(location)
    server = support._SHARED["virtuoso"]
    assert isinstance(server, VirtuosoServer)
    return server
