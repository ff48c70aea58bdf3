"""Shared fixtures: stores of every backend, and a graph built from the curated evidence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.store.core import OxigraphStore, Store

# `evidencegraph serve` on the curated evidence: its fixtures are defined here, once, so that
# the session starts one server for every module's server tests, not one per importing module
from server_support import curated_store_path, evidence_server  # noqa: F401
from support import BACKENDS, make_store, stop_shared_servers


@pytest.fixture(scope="session", autouse=True)
def _stop_servers() -> Iterator[None]:
    """The SPARQL servers the tests start on first use (support.py) stop with the session."""
    yield
    stop_shared_servers()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store, once per backend: the contract tests run over each."""
    fresh = make_store(request.param, tmp_path)
    yield fresh
    fresh.close()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EvidenceGraph]:
    """The curated evidence built once into an on-disk store (the default backend)."""
    path = tmp_path_factory.mktemp("built") / "evidencegraph.db"
    graph = EvidenceGraph(OxigraphStore(path))
    graph.build()
    yield graph
    graph.close()
