"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def study_without_conditions(nct_id: str) -> dict[str, Any]:
    """A constructed record that breaks the shapes: the real NCT00973089 under ``nct_id``, with
    no condition and no MeSH condition term (a study must study a condition)."""
    content: dict[str, Any] = json.loads((DATA / "ctgov" / "NCT00973089.json").read_text("utf-8"))
    content["protocolSection"]["identificationModule"]["nctId"] = nct_id
    content["protocolSection"]["conditionsModule"]["conditions"] = []
    del content["derivedSection"]["conditionBrowseModule"]
    return content
