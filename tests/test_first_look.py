"""The gate's first look (decision 0015, amended) on real records whose batch links to nodes
already in the store.

A batch's neighbours are copied into the data judged in part: their types, and the links the
shapes follow backwards, not every value their own shapes ask for. shifty judges every node
of that data, so on real records, which link to studies, sponsors and MeSH terms that earlier
batches wrote, it found a "violation" on a neighbour in most batches, and rudof was asked
every time; rudof's results are kept to the batch's own nodes and found nothing. The first
look now passes a batch in which none of its own nodes breaks a shape, as the verdict reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evidencegraph.graph import pipeline
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation import engines, shifty_engine

DATA = Path(__file__).parent / "data"


def _studies() -> list[dict[str, Any]]:
    """The real API v2 records of tests/data (see its README) that hold a protocol."""
    files = sorted(DATA.glob("ctgov*/NCT*.json"))
    studies = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    return [study for study in studies if "protocolSection" in study]


def _renamed(study: dict[str, Any]) -> dict[str, Any]:
    """The record under another NCT id (NCT9 and the original's last seven digits),
    wherever it states its own id: the same sponsors, conditions, MeSH terms and references."""
    old = study["protocolSection"]["identificationModule"]["nctId"]
    copied: dict[str, Any] = json.loads(json.dumps(study).replace(old, "NCT9" + old[4:]))
    return copied


def _import(studies: list[dict[str, Any]]) -> set[str]:
    """The records imported in skip mode as two batches (the records, then their copies) into
    a built store; its quads, every graph, as N-Quads lines."""
    graph = EvidenceGraph(OxigraphStore(None))
    graph.build()
    for name, batch in (("real", studies), ("copy", [_renamed(s) for s in studies])):
        records = [Record(f"{name}[{i}]", study) for i, study in enumerate(batch)]
        pipeline.Importer(graph, map_study, on_invalid="skip").run(records)
    # every quad but when each graph was made (each import is named by its own time)
    return {
        str(quad)
        for quad in graph.store.native.quads_for_pattern(None, None, None, None)
        if quad.predicate.value != "http://www.w3.org/ns/prov#generatedAtTime"
    }


def test_a_batch_whose_only_breaks_are_on_neighbours_passes_and_writes_what_rudof_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looks: list[tuple[frozenset[str] | None, bool]] = []
    passes = engines.Shifty.passes

    def watched(self: engines.Shifty, data: str, focus: set[str] | None = None) -> bool:
        verdict = passes(self, data, focus)
        looks.append((shifty_engine.violating_nodes(data), verdict))
        return verdict

    monkeypatch.setattr(engines.Shifty, "passes", watched)
    studies = _studies()
    with_first_look = _import(studies)
    # a batch of copies linked to the records written before it: shifty found breaks on
    # those neighbours (copied in part), none on the batch's own nodes, and passed it
    on_neighbours = [
        nodes
        for nodes, verdict in looks
        if verdict and nodes and all("/NCT9" not in n for n in nodes)
    ]
    assert on_neighbours, looks
    # the same import with rudof judging every batch: the same store, quad for quad
    monkeypatch.setattr(engines.Shifty, "passes", lambda self, data, focus=None: False)
    assert _import(studies) == with_first_look


def test_a_break_on_a_node_of_the_batch_is_never_passed() -> None:
    """A neighbour's break is let through; the same break on a focus node is not, nor one on a
    blank node, nor data shifty cannot judge."""
    study = "https://w3id.org/evidencegraph/id/study/NCT99999999"
    data = f"<{study}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> " + (
        "<https://w3id.org/evidencegraph/ontology#Trial> .\n"
    )
    nodes = shifty_engine.violating_nodes(data)
    assert nodes == {f"<{study}>"}  # no title, no source, no condition...
    assert engines.SHIFTY.passes(data, {"https://w3id.org/evidencegraph/id/other"})
    assert not engines.SHIFTY.passes(data, {study})
    assert not engines.SHIFTY.passes(data)
    blank = data.replace(f"<{study}>", "_:b0")
    assert not engines.SHIFTY.passes(blank, {study})
    # an IRI beyond ASCII is not taken for a neighbour (its spelling may differ from the
    # focus's); one written with an escape is read as the IRI it names
    beyond = data.replace(study, "https://w3id.org/evidencegraph/id/study/caf\u00e9")
    assert shifty_engine.violating_nodes(beyond)
    assert not engines.SHIFTY.passes(beyond, {study})
    escaped = data.replace(study, "https://w3id.org/evidencegraph/id/study/\\u0041")
    assert not engines.SHIFTY.passes(escaped, {"https://w3id.org/evidencegraph/id/study/A"})
    assert shifty_engine.violating_nodes("not N-Triples") is None or not engines.SHIFTY.passes(
        "not N-Triples", {study}
    )
