"""The validation gate: a batch is validated with what it touches, then committed whole or not."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph

from evidencegraph.errors import NonConformingError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.source_graphs import NOT_SHOWN
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation import batch_gate, engines, rudof_engine
from support import BACKENDS, make_store

PREFIXES = """
@prefix eg: <https://w3id.org/evidencegraph/ontology#> .
@prefix egv: <https://w3id.org/evidencegraph/vocab/> .
@base <https://w3id.org/evidencegraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
"""

KARE = "<study/NCT02649231>"


def turtle(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


@pytest.fixture(params=BACKENDS)
def graph(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceGraph:
    built = EvidenceGraph(make_store(request.param, tmp_path))
    built.build()
    return built


def snapshot(graph: EvidenceGraph) -> list[str]:
    """The store's content as sorted N-Triples lines, to compare before and after."""
    return sorted(graph.store.to_graph().serialize(format="nt").splitlines())


def test_build_is_idempotent(graph: EvidenceGraph) -> None:
    before = snapshot(graph)
    assert graph.build().triples_added == 0
    assert snapshot(graph) == before


def test_batch_that_links_into_the_store_is_validated_with_its_neighbourhood(
    graph: EvidenceGraph,
) -> None:
    # A new outcome and finding that point at KARE and its arms: valid only because the gate
    # fetches KARE's types and the arms' types from the store.
    batch = turtle(f"""
        {KARE} eg:hasOutcome <test/outcome/heavy-drinking> .
        <test/outcome/heavy-drinking> a eg:Outcome ; rdfs:label "heavy drinking days" .
        <test/finding/1> a eg:Finding ;
            eg:statement "A test finding." ;
            eg:ofStudy {KARE} ;
            eg:outcome <test/outcome/heavy-drinking> ;
            eg:experimentalGroup <study/NCT02649231/arm/ketamine-therapy> ;
            eg:effectMeasure egv:Qualitative ;
            eg:direction egv:NotComparative ;
            eg:evidenceLevel egv:LowCertainty ;
            prov:wasDerivedFrom <source/doi/10.1176/appi.ajp.2021.21030277> .
    """)
    summary = graph.load(batch)
    assert summary.triples_added == len(batch)


def test_rejected_batch_leaves_the_store_exactly_as_it_was(graph: EvidenceGraph) -> None:
    before = snapshot(graph)
    batch = turtle(f"""
        <test/finding/bad> a eg:Finding ;
            eg:statement "Interval upside down, no source." ;
            eg:ofStudy {KARE} ;
            eg:outcome <study/NCT02649231/outcome/percent-days-abstinent> ;
            eg:effectMeasure egv:MeanDifference ; eg:value 5.0 ; eg:unit egv:PercentagePoint ;
            eg:ciLower 9.0 ; eg:ciUpper 1.0 ; eg:confidenceLevel 0.95 ;
            eg:direction egv:FavoursIntervention ;
            eg:evidenceLevel egv:ModerateCertainty .
    """)
    with pytest.raises(NonConformingError) as caught:
        graph.load(batch)
    report = caught.value.report
    found = {(r.focus_node, r.path, r.constraint) for r in report.results}  # type: ignore[attr-defined]
    assert (
        "egid:test/finding/bad",
        "eg:ciLower",
        "sh:LessThanOrEqualsConstraintComponent",
    ) in found
    assert (
        "egid:test/finding/bad",
        "prov:wasDerivedFrom",
        "sh:MinCountConstraintComponent",
    ) in found
    assert snapshot(graph) == before


@pytest.mark.parametrize("subject", ["<test/finding/bad>", "[]"], ids=["iri", "blank"])
def test_a_load_is_judged_by_the_engines_the_one_gate_plans(
    graph: EvidenceGraph, monkeypatch: pytest.MonkeyPatch, subject: str
) -> None:
    """Every load goes through ``batch_gate.gate_sources``, which asks ``gate_plan`` for its
    engines: pyshacl on the rdflib graph for a batch with blank nodes (rudof would relabel
    them) or where pyrudof is missing, else the prepared batch to the plan's verdict."""
    asked: list[str] = []
    real_check, real_judge = engines.Pyshacl.check, batch_gate.judge

    def check(self: engines.Pyshacl, *args: object, **kwargs: object) -> object:
        asked.append("pyshacl, whole graph")
        return real_check(self, *args, **kwargs)  # type: ignore[arg-type]

    def judge(*args: object, **kwargs: object) -> object:
        asked.append(engines.gate_plan().verdict.name)
        return real_judge(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engines.Pyshacl, "check", check)
    monkeypatch.setattr(batch_gate, "judge", judge)
    before = snapshot(graph)
    batch = turtle(f"""
        {subject} a eg:Finding ; eg:statement "No source." ; eg:ofStudy {KARE} .
    """)
    with pytest.raises(NonConformingError) as caught:
        graph.load(batch)
    results = caught.value.report.results  # type: ignore[attr-defined]
    missing = [r for r in results if r.path == "prov:wasDerivedFrom"]
    assert missing and snapshot(graph) == before
    if subject == "[]":
        assert asked == ["pyshacl, whole graph"]
        assert isinstance(missing[0].focus, BNode)  # named as the batch named it
    elif rudof_engine.available():
        assert asked == ["rudof"]
    else:
        assert asked == ["pyshacl, whole graph"]


def test_gate_sees_existing_links_the_shapes_follow_backwards(graph: EvidenceGraph) -> None:
    # The arm already belongs to KARE; a second study claiming it breaks "exactly one study".
    before = snapshot(graph)
    batch = turtle("""
        <test/study/other> a eg:Study ; dcterms:title "Another study" ;
            eg:studiesCondition <condition/alcohol-use-disorder> ;
            prov:wasDerivedFrom <source/doi/10.1176/appi.ajp.2021.21030277> ;
            eg:hasArm <study/NCT02649231/arm/ketamine-therapy> .
    """)
    with pytest.raises(NonConformingError) as caught:
        graph.load(batch)
    results = caught.value.report.results  # type: ignore[attr-defined]
    assert [(r.focus_node, r.path) for r in results] == [
        ("egid:study/NCT02649231/arm/ketamine-therapy", "^eg:hasArm")
    ]
    assert snapshot(graph) == before


def test_a_second_single_value_stays_in_its_own_graph_outranked(graph: EvidenceGraph) -> None:
    # KARE already has an NCT number, from the curated evidence; a batch (an *other* source)
    # giving a second one is outranked (decision 0021): the view keeps the curated number,
    # the batch's number is kept in the batch's own graph, and nothing breaks sh:maxCount 1.
    before = snapshot(graph)
    summary = graph.load(turtle(f'{KARE} eg:nctId "NCT99999999" .'))
    assert summary.plan is not None
    [(outranked, winner)] = summary.plan.outranked
    assert outranked.object.value == "NCT99999999"
    assert winner.value.endswith("/graph/curated/studies")
    assert snapshot(graph) == before  # the view is unchanged
    graphs = {q.graph_name for q in graph.store.named_quads() if q.object == outranked.object}
    # and marked as a value the view does not show (decision 0030)
    assert sorted(g.value for g in graphs) == [summary.plan.graphs[0].value, NOT_SHOWN]
    graph.withdraw([summary.plan.graphs[0].value])
    assert not any(q.object == outranked.object for q in graph.store.named_quads())


def test_gate_reports_only_on_the_batch_not_on_partly_copied_neighbours(
    graph: EvidenceGraph,
) -> None:
    # The claim points at KARE; KARE is copied in only partly (its type), yet is not reported.
    batch = turtle(f"""
        <test/claim/1> a eg:Claim ;
            eg:assertedBy <source/web/002-breaking-free> ;
            eg:quote "Ketamine, first synthesized in the 1960s" ;
            eg:claimKind egv:HistoryClaim ;
            eg:verificationStatus egv:Unverified ;
            eg:about {KARE} .
    """)
    assert graph.load(batch).triples_added == len(batch)


def test_validate_whole_store_conforms_after_build(tmp_path: Path) -> None:
    graph = EvidenceGraph(OxigraphStore(tmp_path / "kg.db"))
    graph.build()
    report = graph.validate()
    assert report.conforms, report.table()
