"""The named query `certainty` (issue 19): a trial's GRADE and RoB 2 judgements, row by row, as
the curated appraisal states them."""

from __future__ import annotations

import pytest
from rdflib import Graph

from evidencegraph.evidence import evidence_files
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.namespace import EG, EGID


def _appraisal() -> Graph:
    [packaged] = [f for f in evidence_files() if f.name == "appraisal.ttl"]
    return Graph().parse(data=packaged.read_text(encoding="utf-8"), format="turtle")


def _expected_count(appraisal: Graph, study: str) -> int:
    """Domain judgements of the study's findings' certainty and of its RoB 2 assessment."""
    node = EGID[f"study/{study}"]
    findings = [f for f in appraisal.subjects(EG.certainty, None) if f"/{study}/" in str(f)]
    assessments = [appraisal.value(f, EG.certainty) for f in findings]
    assessments.append(appraisal.value(node, EG.riskOfBias))
    return sum(len(list(appraisal.objects(a, EG.domainJudgement))) for a in assessments if a)


@pytest.mark.parametrize(
    ("trial", "study"),
    [("KARE", "NCT02649231"), ("nct02649231", "NCT02649231"), ("dakwar-2019", "dakwar-2019")],
)
def test_certainty_lists_every_judgement_of_the_trial(
    built: EvidenceGraph, trial: str, study: str
) -> None:
    rows = built.run("certainty", {"trial": trial}).rows
    assert len(rows) == _expected_count(_appraisal(), study) > 0
    assert {str(row["judgedBy"]) for row in rows} == {"evidencegraph curators"}
    rob = [row for row in rows if str(row["assessment"]) == "RoB 2"]
    assert len(rob) == 5 and {str(row["assessed"]) for row in rob} == {str(EGID[f"study/{study}"])}


def test_kare_imprecision_is_one_level_down_for_each_finding(built: EvidenceGraph) -> None:
    """FACTS.md (a): 96 participants, fewer than 100: imprecision, -1, on all five findings."""
    rows = built.run("certainty", {"trial": "KARE"}).rows
    imprecision = [row for row in rows if str(row["domain"]) == "imprecision"]
    assert len(imprecision) == 5
    assert {(str(row["judgement"]), str(row["change"])) for row in imprecision} == {
        ("serious concern", "-1")
    }


def test_an_ongoing_trial_without_results_has_no_appraisal(built: EvidenceGraph) -> None:
    """FACTS.md (c): NCT04084860 is ongoing; no findings, so nothing rated."""
    assert built.run("certainty", {"trial": "NCT04084860"}).rows == []
