"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.store import OxigraphStore, Store

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
BROKEN = DATA / "broken"

BACKENDS = ["memory", "oxigraph"]


def make_store(kind: str, tmp_path: Path) -> Store:
    """A fresh, empty store of the given backend."""
    if kind == "memory":
        return OxigraphStore(None)
    return OxigraphStore(tmp_path / "store.db")


def rows(graph: EvidenceGraph, name: str, **params: str) -> list[dict[str, str]]:
    """A named query's rows as plain strings (unbound values left out)."""
    result = graph.run(name, params)
    return [{key: str(value) for key, value in row.items()} for row in result.rows]
