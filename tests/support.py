"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import pytest
import requests
from rdflib import Literal

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.queries import get_query, read_query_file
from evidencegraph.store.core import OxigraphStore, Store

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
BROKEN = DATA / "broken"

#: sparql: is a real Oxigraph server (`oxigraph serve`) over HTTP; virtuoso: Virtuoso Open
#: Source, where it is installed (tests/virtuoso.py), else skipped with the reason; rdflib:
#: the benchmark's baseline, rdflib's Graph behind the seam (bench/common.py).
BACKENDS = ["memory", "oxigraph", "sparql", "virtuoso", "rdflib"]
#: The graph that holds the view on the server for the ``sparql-graph`` backend (graph=IRI),
#: a store's kind that only the named-graph contract tests add to the list above.
VIEW_GRAPH = "urn:x-evidencegraph:view"


def make_store(kind: str, tmp_path: Path) -> Store:
    """A fresh, empty store of the given backend."""
    if kind == "memory":
        return OxigraphStore(None)
    if kind == "sparql":
        return _emptied(shared_oxigraph_server().descriptor)
    if kind == "sparql-graph":  # the view in a named graph of the server (graph=IRI)
        return _emptied(shared_oxigraph_server().descriptor + ";graph=" + VIEW_GRAPH)
    if kind == "virtuoso":
        from virtuoso import shared_virtuoso

        return _emptied(shared_virtuoso().descriptor)
    if kind == "rdflib":
        return bench_module("common").RdflibStore()
    return OxigraphStore(tmp_path / "store.db")


BENCH = Path(__file__).parent.parent / "bench"


def bench_module(name: str) -> ModuleType:
    """A script of bench/ as a module (the scripts import each other by name)."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def _emptied(descriptor: str) -> Store:
    from evidencegraph.store.sparql_store import SparqlStore

    store = SparqlStore.open(descriptor.removeprefix("sparql:"))
    store.clear()
    return store


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_sparql(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Wait until ``url`` answers a SPARQL query; fail if the process dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with status {process.returncode}")
        try:
            answer = requests.post(url, data={"query": "ASK {}"}, timeout=2)
            if answer.ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def oxigraph_command() -> str | None:
    """The `oxigraph` command (PyPI package oxigraph), on PATH or beside this Python."""
    beside = Path(sys.executable).parent / "oxigraph"
    return shutil.which("oxigraph") or (str(beside) if beside.exists() else None)


class OxigraphServer:
    """`oxigraph serve` on 127.0.0.1 and a free port; on disk at ``location`` so that a
    server killed and started again finds what was written before."""

    def __init__(self, location: Path):
        command = oxigraph_command()
        if command is None:
            pytest.skip("the oxigraph command (pip install oxigraph) is not installed")
        self.command = command
        self.location = location
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def descriptor(self) -> str:
        return f"sparql:{self.url}/query"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.command,
                "serve",
                "--location",
                str(self.location),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_sparql(f"{self.url}/query", self.process)
        except BaseException:
            self.kill()
            raise

    def kill(self) -> None:
        """Stop the server as a crash would: SIGKILL, no goodbye."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


class RunningServer(Protocol):
    location: Path

    def stop(self) -> None: ...


_SHARED: dict[str, RunningServer] = {}


def shared_oxigraph_server() -> OxigraphServer:
    """The Oxigraph server the sparql backend's tests share, started on first use and
    stopped at the end of the session (conftest.py)."""
    if "oxigraph" not in _SHARED:
        import tempfile

        location = Path(tempfile.mkdtemp(prefix="evidencegraph-oxigraph-server-"))
        _SHARED["oxigraph"] = OxigraphServer(location)
    server = _SHARED["oxigraph"]
    assert isinstance(server, OxigraphServer)
    return server


def stop_shared_servers() -> None:
    """Stop the servers started for the session and remove their data."""
    for server in _SHARED.values():
        server.stop()
        shutil.rmtree(server.location, ignore_errors=True)
    _SHARED.clear()


def rows(graph: EvidenceGraph, name: str, **params: str) -> list[dict[str, str]]:
    """A named query's rows as plain strings (unbound values left out)."""
    result = graph.run(name, params)
    return [{key: str(value) for key, value in row.items()} for row in result.rows]


def study_without_conditions(nct_id: str) -> dict[str, Any]:
    """A constructed record that breaks the shapes: the real NCT00973089 under ``nct_id``, with
    no condition and no MeSH condition term (a study must study a condition)."""
    content: dict[str, Any] = json.loads((DATA / "ctgov" / "NCT00973089.json").read_text("utf-8"))
    content["protocolSection"]["identificationModule"]["nctId"] = nct_id
    content["protocolSection"]["conditionsModule"]["conditions"] = []
    del content["derivedSection"]["conditionBrowseModule"]
    return content


#: The text of source-disagreements before the marks (decision 0030), which read every quad
#: of every named graph: what the new text must answer alike.
OLD_DISAGREEMENTS = BENCH / "data" / "queries-before" / "source-disagreements.rq"

#: A row of source-disagreements as N-Triples terms.
Row = tuple[str, ...]
#: The query's columns, in its SELECT's order.
COLUMNS = ("node", "property", "shown", "shownBy", "notShown", "statedBy", "shownIn", "statedIn")


def query_answer(store: Store, text: str, about: str = "any") -> Counter[Row]:
    """A query's rows as a multiset of tuples of N-Triples terms (unbound: "")."""
    result = store.query(text, {"about": Literal(about)})
    return Counter(
        tuple(row[name].n3() if row.get(name) is not None else "" for name in COLUMNS)
        for row in result.rows
    )


def old_answer(store: Store, about: str = "any") -> Counter[Row]:
    """The rows of the query as it was before issue 21 (with the line that leaves the marks'
    graph out of the sources, as bench/query_scale.py compares it)."""
    return query_answer(store, read_query_file(OLD_DISAGREEMENTS).text, about)


def new_answer(store: Store, about: str = "any") -> Counter[Row]:
    """The rows of source-disagreements as the package has it."""
    return query_answer(store, get_query("source-disagreements").text, about)


#: The real ClinicalTrials.gov record (tests/data/ctgov) that KARE's registry record is made from.
KARE_SOURCE_RECORD = "NCT03418623"


def kare_registry_record(enrolment: int = 24, updated: str | None = None) -> dict[str, Any]:
    """CONSTRUCTED: NCT03418623 relabelled as KARE's registry record (NCT02649231), with its
    own brief title and the given enrolment (24 by default: the registry copy's number, not
    the paper's 96); ``updated`` moves its last-update date on (a newer version)."""
    path = DATA / "ctgov" / f"{KARE_SOURCE_RECORD}.json"
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    protocol = content["protocolSection"]
    protocol["identificationModule"]["nctId"] = "NCT02649231"
    protocol["identificationModule"]["briefTitle"] = "Ketamine for Reduction of Alcoholic Relapse"
    protocol["identificationModule"].pop("officialTitle", None)
    protocol["conditionsModule"]["conditions"] = ["Alcohol Use Disorder"]
    protocol["designModule"]["enrollmentInfo"]["count"] = enrolment
    if updated is not None:
        protocol["statusModule"]["lastUpdatePostDateStruct"]["date"] = updated
    return content
