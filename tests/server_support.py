"""`evidencegraph serve` started as a real process on 127.0.0.1 for the tests, and stopped.

Test modules import the fixtures they use from here (``from server_support import
evidence_server``): ``curated_store_path`` builds the curated evidence into an on-disk store
once per session, ``evidence_server`` serves it read-only for the session. For other settings,
start an :class:`EvidenceServerProcess` with the options to test and stop it afterwards.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import requests

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.store.core import OxigraphStore

#: How long a server may take to start: a fresh process, its workers, the store opened.
START_SECONDS = 60.0


class EvidenceServerProcess:
    """``evidencegraph --store oxigraph:STORE serve --port 0 ARGS...`` as a child process.

    The server picks a free port itself and prints its URL, so no port can be taken between
    choosing it and binding it. :attr:`url` ends with ``/``. Use as a context manager, or call
    :meth:`stop`.
    """

    def __init__(
        self, store: Path, *args: str, env: Mapping[str, str] | None = None, host: str = "127.0.0.1"
    ):
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        command = [
            sys.executable,
            "-m",
            "evidencegraph",
            "--store",
            f"oxigraph:{store}",
            "serve",
            "--host",
            host,
            "--port",
            "0",
            *args,
        ]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, **(env or {})},
            # Ctrl-C reaches the server whatever started the tests: a shell running them in
            # the background ignores SIGINT, and a child inherits that
            preexec_fn=_hear_ctrl_c,
        )
        try:
            self.url = self._read_url()
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    @property
    def endpoint(self) -> str:
        """The SPARQL endpoint: ``http://127.0.0.1:PORT/sparql``."""
        return self.url + "sparql"

    def _read_url(self) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                line = self.process.stdout.readline().decode("utf-8")
                found = re.search(r"listening at (http://\S+/)", line)
                if found:
                    return found.group(1)
                if not line:  # the server exited
                    break
            elif self.process.poll() is not None:
                break
        raise RuntimeError(f"evidencegraph serve did not start: {self.log()}")

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                if requests.get(self.endpoint, params={"query": "ASK {}"}, timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"evidencegraph serve at {self.url} did not answer: {self.log()}")

    def log(self) -> str:
        """What the server wrote on stderr so far."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """SIGTERM, as a service manager would, and wait; kill if it does not stop."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def __enter__(self) -> EvidenceServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_curated_store(path: Path) -> Path:
    """The curated evidence built into a new on-disk store at ``path``, closed again."""
    with EvidenceGraph(OxigraphStore(path)) as graph:
        graph.build()
    return path


@pytest.fixture(scope="session")
def curated_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The curated evidence in an on-disk store that no process holds open (servers may)."""
    return build_curated_store(tmp_path_factory.mktemp("served") / "evidencegraph.db")


@pytest.fixture(scope="session")
def evidence_server(curated_store_path: Path) -> Iterator[EvidenceServerProcess]:
    """A read-only server on the curated evidence with its defaults, for the session."""
    with EvidenceServerProcess(curated_store_path) as server:
        yield server


def _hear_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
