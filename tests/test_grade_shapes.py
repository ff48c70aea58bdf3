"""The appraisal rules of issue 19 on the curated evidence: the curated graph conforms under
each engine, each rule rejects a broken copy naming the node to fix, and `load` judges an
appraisal with the study design it rests on (one hop beyond the finding).

The rules one by one, on the synthetic fixture and through pyshacl, rudof and shifty, are in
tests/test_shapes.py (the mutations under "grade")."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from evidencegraph.cli.main import cli
from evidencegraph.evidence import evidence_files
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.validation import rudof_engine, shifty_engine
from evidencegraph.validation.shacl import ValidationResult, validate_graph

KARE_PDA = EGID["finding/NCT02649231/pda-ketamine-vs-saline"]
KARE_PDA_CERTAINTY = EGID["finding/NCT02649231/pda-ketamine-vs-saline/certainty"]
DAKWAR_ROB = EGID["study/dakwar-2019/risk-of-bias"]
CLAIM_86 = EGID["claim/000/result-86-abstinence-rate"]
YOON = "finding/yoon-2019/depression-improved"

#: A GRADE assessment for Yoon et al.'s finding (a case series: starts very low) that a user
#: loads into a built store; {level} and {imprecision} vary it. Synthetic: the judgements are
#: the test's, not the curators'.
YOON_APPRAISAL = """\
@prefix eg: <https://w3id.org/evidencegraph/ontology#> .
@prefix egv: <https://w3id.org/evidencegraph/vocab/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@base <https://w3id.org/evidencegraph/id/> .
<{finding}> eg:certainty <{finding}/certainty> .
<{finding}/certainty> a eg:CertaintyAssessment ;
    eg:evidenceLevel egv:{level} ;
    eg:domainJudgement <{finding}/certainty/risk-of-bias> , <{finding}/certainty/inconsistency> ,
        <{finding}/certainty/indirectness> , <{finding}/certainty/imprecision> ,
        <{finding}/certainty/publication-bias> ;
    prov:wasAttributedTo <org/evidencegraph-curators> ;
    dcterms:date "2026-12-07"^^xsd:date ;
    eg:rationale "Case series: starts very low." .
<{finding}/certainty/risk-of-bias> a eg:DomainJudgement ;
    eg:domain egv:RiskOfBias ; eg:judgement egv:NoConcern ; eg:rationale "Test." .
<{finding}/certainty/inconsistency> a eg:DomainJudgement ;
    eg:domain egv:Inconsistency ; eg:judgement egv:NoConcern ; eg:rationale "Test." .
<{finding}/certainty/indirectness> a eg:DomainJudgement ;
    eg:domain egv:Indirectness ; eg:judgement egv:NoConcern ; eg:rationale "Test." .
<{finding}/certainty/imprecision> a eg:DomainJudgement ;
    eg:domain egv:Imprecision ; eg:judgement egv:{imprecision} ; eg:rationale "Test." .
<{finding}/certainty/publication-bias> a eg:DomainJudgement ;
    eg:domain egv:PublicationBias ; eg:judgement egv:NoConcern ; eg:rationale "Test." .
"""


def _curated() -> Graph:
    graph = Graph()
    for packaged in evidence_files():
        graph.parse(data=packaged.read_text(encoding="utf-8"), format="turtle")
    return graph


def _rudof(graph: Graph) -> list[ValidationResult]:
    return rudof_engine.validate_ntriples(rudof_engine.ntriples(graph), None)


def test_the_curated_evidence_conforms_under_each_engine() -> None:
    curated = _curated()
    assert validate_graph(curated).conforms
    assert _rudof(curated) == []
    assert shifty_engine.conforms(rudof_engine.ntriples(curated))


def _violations(graph: Graph) -> set[tuple[str, str]]:
    """(focus node, message) of each violation, the same from pyshacl and from rudof."""
    by_pyshacl = {(r.focus_node, r.message) for r in validate_graph(graph).results}
    assert by_pyshacl == {(r.focus_node, r.message) for r in _rudof(graph)}
    return by_pyshacl


def test_a_judgement_that_breaks_the_grade_sum_is_refused_on_its_assessment() -> None:
    curated = _curated()
    imprecision = URIRef(str(KARE_PDA_CERTAINTY) + "/imprecision")
    curated.remove((imprecision, EG.judgement, EGV.SeriousConcern))
    curated.add((imprecision, EG.judgement, EGV.NoConcern))
    [(focus, message)] = _violations(curated)
    assert focus == "egid:finding/NCT02649231/pda-ketamine-vs-saline/certainty"
    # randomised (4) with no change gives high (4); the level says moderate (3)
    assert "rank 3" in message and "start rank 4" in message and "gives rank 4" in message


def test_a_level_that_differs_from_the_findings_is_refused() -> None:
    curated = _curated()
    curated.remove((KARE_PDA, EG.evidenceLevel, EGV.ModerateCertainty))
    curated.add((KARE_PDA, EG.evidenceLevel, EGV.HighCertainty))
    [(focus, message)] = _violations(curated)
    assert focus == "egid:finding/NCT02649231/pda-ketamine-vs-saline/certainty"
    assert "is not its finding's eg:evidenceLevel" in message


def test_a_rob2_overall_above_the_rule_needs_a_rationale() -> None:
    curated = _curated()
    curated.remove((DAKWAR_ROB, EG.overallJudgement, EGV.SomeConcerns))
    curated.add((DAKWAR_ROB, EG.overallJudgement, EGV.HighRisk))
    [(focus, message)] = _violations(curated)
    assert focus == "egid:study/dakwar-2019/risk-of-bias"
    assert "has no eg:overrideRationale" in message
    curated.add((DAKWAR_ROB, EG.overrideRationale, Literal("Five domains of some concerns.")))
    assert _violations(curated) == set()


def test_a_checked_claim_without_its_date_is_refused() -> None:
    curated = _curated()
    dated = curated.value(CLAIM_86, EG.verifiedOn)
    assert isinstance(dated, Literal) and dated.datatype == XSD.date
    curated.remove((CLAIM_86, EG.verifiedOn, dated))
    [(focus, message)] = _violations(curated)
    assert focus == "egid:claim/000/result-86-abstinence-rate"
    assert "eg:verifiedOn" in message


def test_every_checked_claim_names_its_checker_and_date() -> None:
    curated = _curated()
    checked = [
        claim
        for claim, status in curated.subject_objects(EG.verificationStatus)
        if status != EGV.Unverified and (claim, None, EG.Claim) in curated
    ]
    assert len(checked) == 17  # 15 in claims-000.ttl, 2 in claims-002.ttl
    for claim in checked:
        assert curated.value(claim, EG.verifiedBy) == EGID["org/evidencegraph-curators"]
        assert isinstance(curated.value(claim, EG.verifiedOn), Literal)


# --- load: the gate reads the study design a finding's certainty starts from -----------------


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def built_store(tmp_path: Path) -> str:
    store = f"oxigraph:{tmp_path / 'kg.db'}"
    assert _run("--store", store, "build").exit_code == 0
    return store


def _triple_count(store: str) -> str:
    result = _run("--store", store, "query", "--sparql", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    return result.output


def test_load_accepts_an_appraisal_that_starts_from_the_stored_study_design(
    built_store: str, tmp_path: Path
) -> None:
    """Yoon et al. is a case series (stored, not in the file): very low, with no change."""
    appraisal = tmp_path / "yoon.ttl"
    text = YOON_APPRAISAL.format(finding=YOON, level="VeryLowCertainty", imprecision="NoConcern")
    appraisal.write_text(text, encoding="utf-8")
    result = _run("--store", built_store, "load", str(appraisal))
    assert result.exit_code == 0, result.output


def test_load_refuses_a_wrong_sum_naming_the_assessment_and_writes_nothing(
    built_store: str, tmp_path: Path
) -> None:
    before = _triple_count(built_store)
    appraisal = tmp_path / "yoon.ttl"
    text = YOON_APPRAISAL.format(finding=YOON, level="LowCertainty", imprecision="NoConcern")
    appraisal.write_text(text, encoding="utf-8")
    result = _run("--store", built_store, "load", str(appraisal))
    assert result.exit_code == 1
    assert f"Violation on egid:{YOON}/certainty" in result.output
    assert "start rank 1" in result.output and "nothing was written" in result.output
    assert _triple_count(built_store) == before


# --- validate, a chunk of subjects at a time ----------------------------------------------


@pytest.mark.parametrize("chunk_subjects", [1, 7])
def test_validate_in_small_chunks_judges_each_appraisal_whole(chunk_subjects: int) -> None:
    """An assessment, its judgements, its finding and the study's design fall in different
    chunks: each chunk's judge reads them all (appraisal_reach), so the curated store conforms,
    and a sum broken in the store (written past the gate) is found on its assessment."""
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.store.core import OxigraphStore
    from evidencegraph.validation.store_validation import validate_store

    with EvidenceGraph(OxigraphStore(None)) as graph:
        graph.build()
        assert validate_store(graph.store, "rudof", chunk_subjects=chunk_subjects).conforms
        imprecision = ox.NamedNode(str(KARE_PDA_CERTAINTY) + "/imprecision")
        judgement = ox.NamedNode(str(EG.judgement))
        graph.store.write_quads(
            [ox.Quad(imprecision, judgement, ox.NamedNode(str(EGV.SeriousConcern)))],
            [ox.Quad(imprecision, judgement, ox.NamedNode(str(EGV.NoConcern)))],
        )
        report = validate_store(graph.store, "rudof", chunk_subjects=chunk_subjects)
    assert {r.focus_node for r in report.results} == {
        "egid:finding/NCT02649231/pda-ketamine-vs-saline/certainty"
    }
