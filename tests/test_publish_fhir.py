"""`publish fhir`: a FHIR R5 Bundle, parsed whole by fhir.resources (R5 is its default), with
values checked against FACTS.md."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from publish_support import EG, EGID, checked_claims, curated

fhir_resources = pytest.importorskip("fhir.resources")
from fhir.resources.bundle import Bundle  # noqa: E402

KARE_PAPER = "https://w3id.org/evidencegraph/id/source/doi/10.1176/appi.ajp.2021.21030277"
PDA = "https://w3id.org/evidencegraph/id/finding/NCT02649231/pda-ketamine-vs-saline"
RELAPSE = "https://w3id.org/evidencegraph/id/finding/NCT02649231/relapse-ketamine-vs-saline"


@pytest.fixture(scope="module")
def bundle_json(built: EvidenceGraph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("fhir") / "bundle.json"
    result = CliRunner().invoke(
        cli, ["--store", built.store.descriptor, "publish", "fhir", str(out)]
    )
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def bundle(bundle_json: dict[str, Any]) -> Bundle:
    return Bundle.model_validate(bundle_json)


def _by_iri(bundle: Bundle, kind: str) -> dict[str, Any]:
    found = {}
    for entry in bundle.entry:
        resource = entry.resource
        if resource.get_resource_type() == kind:
            iri = next(i.value for i in resource.identifier if i.system == "urn:ietf:rfc:3986")
            found[iri] = resource
    return found


def test_the_library_reads_it_as_fhir_r5(bundle: Bundle) -> None:
    assert fhir_resources.__fhir_version__.startswith("5.")
    assert bundle.type == "collection"
    kinds = {entry.resource.get_resource_type() for entry in bundle.entry}
    assert {"Citation", "Evidence", "ArtifactAssessment"} <= kinds


def test_every_reference_resolves_inside_the_bundle(bundle_json: dict[str, Any]) -> None:
    urls = {entry["fullUrl"] for entry in bundle_json["entry"]}
    references: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "reference" in node:
                references.append(node["reference"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle_json)
    assert references
    assert sorted(set(references) - urls) == []


def test_one_assessment_per_checked_claim(bundle: Bundle) -> None:
    assessments = _by_iri(bundle, "ArtifactAssessment")
    assert sorted(assessments) == sorted(map(str, checked_claims()))


def test_kare_mean_difference(bundle: Bundle) -> None:
    """FACTS.md (a): ketamine vs placebo +10.1 points days abstinent (95% CI 1.1 to 19.0),
    96 randomised (24 + 24 + 23 + 25)."""
    evidence = _by_iri(bundle, "Evidence")[PDA]
    statistic = evidence.statistic[0]
    coding = statistic.statisticType.coding[0]
    assert (coding.system, coding.code) == (
        "http://terminology.hl7.org/CodeSystem/statistic-type",
        "0000457",
    )
    assert statistic.quantity.value == Decimal("10.1")
    interval = statistic.attributeEstimate[0]
    assert interval.type.coding[0].code == "C53324"
    assert interval.level == Decimal("0.95")
    assert (interval.range.low.value, interval.range.high.value) == (
        Decimal("1.1"),
        Decimal("19.0"),
    )
    assert statistic.sampleSize.numberOfParticipants == 96
    roles = {v.variableRole.coding[0].code: v.description for v in evidence.variableDefinition}
    assert set(roles) == {"population", "exposure", "referenceExposure", "measuredVariable"}
    assert "saline" in roles["referenceExposure"]
    assert "days abstinent" in roles["measuredVariable"]


def test_kare_relapse_odds_ratio(bundle: Bundle) -> None:
    """FACTS.md (a): relapse did not differ, OR 0.80 (95% CI 0.31 to 2.10)."""
    statistic = _by_iri(bundle, "Evidence")[RELAPSE].statistic[0]
    assert statistic.statisticType.coding[0].code == "C16932"
    assert statistic.quantity.value == Decimal("0.80")
    interval = statistic.attributeEstimate[0].range
    assert (interval.low.value, interval.high.value) == (Decimal("0.31"), Decimal("2.10"))


def test_kare_citation(bundle: Bundle) -> None:
    """FACTS.md (a): DOI 10.1176/appi.ajp.2021.21030277, PMID 35012326."""
    citation = _by_iri(bundle, "Citation")[KARE_PAPER]
    identifiers = {(i.system, i.value) for i in citation.citedArtifact.identifier}
    assert ("https://doi.org", "10.1176/appi.ajp.2021.21030277") in identifiers
    assert ("https://pubmed.ncbi.nlm.nih.gov", "35012326") in identifiers
    assert citation.title.startswith("Adjunctive Ketamine")
    assert any(
        w.url == "https://doi.org/10.1176/appi.ajp.2021.21030277"
        for w in citation.citedArtifact.webLocation
    )
    assert citation.citedArtifact.classification[0].classifier[0].text == "journal article"


def test_assessment_points_at_the_evidence(bundle_json: dict[str, Any], bundle: Bundle) -> None:
    """The 86% claim (misreported) rests on the finding from NIHR's news item."""
    urls = {e["fullUrl"]: e["resource"] for e in bundle_json["entry"]}
    assessment = _by_iri(bundle, "ArtifactAssessment")[
        str(EGID["claim/000/result-86-abstinence-rate"])
    ]
    content = assessment.content[0]
    assert content.informationType == "classifier"
    assert content.classifier[0].coding[0].code == "Misreported"
    targets = [urls[r.resourceReference.reference] for r in content.relatedArtifact]
    assert [t["resourceType"] for t in targets] == ["Evidence"]
    assert "86%" in targets[0]["description"]
    source = urls[assessment.artifactReference.reference]
    assert source["resourceType"] == "Citation"
    assert source["url"].endswith("source/web/000-ketamine-infusion-alcoholism")


def test_certainty_carries_the_grade_domains(bundle: Bundle) -> None:
    """Every Evidence's overall certainty is the finding's level; where the graph holds a GRADE
    assessment, each domain judged is a subcomponent coded from certainty-type/-rating."""
    graph = curated()
    notation = {
        "HighCertainty": "high",
        "ModerateCertainty": "moderate",
        "LowCertainty": "low",
        "VeryLowCertainty": "very-low",
    }
    judged = 0
    for iri, evidence in _by_iri(bundle, "Evidence").items():
        finding = EGID[iri.removeprefix(str(EGID))]
        level = str(graph.value(finding, EG.evidenceLevel)).rsplit("/", 1)[-1]
        overall = evidence.certainty[0]
        assert overall.type.coding[0].code == "Overall"
        assert overall.rating.coding[0].code == notation[level]
        assessment = graph.value(finding, EG.certainty)
        if assessment is None:
            continue
        judged += 1
        domains = set(graph.objects(assessment, EG.domainJudgement))
        assert len(overall.subcomponent) == len(domains)
        for part in overall.subcomponent:
            assert (
                part.type.coding[0].system == "http://terminology.hl7.org/CodeSystem/certainty-type"
            )
            assert (
                part.rating.coding[0].system
                == "http://terminology.hl7.org/CodeSystem/certainty-rating"
            )
        assert overall.rater
    assert judged > 0, "no finding in the curated evidence carries a GRADE assessment"


def test_the_trials_rob2_sits_under_grades_risk_of_bias(bundle: Bundle) -> None:
    """A finding of a trial with a RoB 2 assessment carries it as a subcomponent of GRADE's
    risk-of-bias domain: the overall judgement and one subcomponent per RoB 2 domain, with the
    judgements the curated appraisal gives (read from the graph, not typed here)."""
    graph = curated()
    trials = set()
    for iri, evidence in _by_iri(bundle, "Evidence").items():
        finding = EGID[iri.removeprefix(str(EGID))]
        study = graph.value(finding, EG.ofStudy)
        assessment = graph.value(study, EG.riskOfBias) if study is not None else None
        if assessment is None or graph.value(finding, EG.certainty) is None:
            continue
        grade_risk = [
            part
            for part in evidence.certainty[0].subcomponent
            if part.type.coding[0].code == "RiskOfBias"
        ]
        assert len(grade_risk) == 1
        (rob2,) = grade_risk[0].subcomponent
        overall = str(graph.value(assessment, EG.overallJudgement)).rsplit("/", 1)[-1]
        assert rob2.rating.coding[0].code == overall
        expected = {
            str(graph.value(j, EG.domain)).rsplit("/", 1)[-1]: str(
                graph.value(j, EG.judgement)
            ).rsplit("/", 1)[-1]
            for j in graph.objects(assessment, EG.domainJudgement)
        }
        shown = {part.type.coding[0].code: part.rating.coding[0].code for part in rob2.subcomponent}
        assert shown == expected and len(shown) == 5
        trials.add(study)
    # the checked claims rest on findings of both RoB 2-assessed trials (KARE and Dakwar 2019)
    assert trials == set(graph.subjects(EG.riskOfBias, None))


def test_one_evidence_per_finding(bundle: Bundle) -> None:
    """The whole store's Bundle has an Evidence for every finding of the curated evidence,
    including those no checked claim rests on (KARE's ketamine arms compared with each other)."""
    from rdflib import RDF

    findings = {str(f) for f in curated().subjects(RDF.type, EG.Finding)}
    assert set(_by_iri(bundle, "Evidence")) == findings
    assert f"{EGID}finding/NCT02649231/pda-ketamine-therapy-vs-ketamine-education" in findings
