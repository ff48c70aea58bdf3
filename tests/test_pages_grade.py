"""The linked-data pages show the curators' appraisal (issue 19, points 4 and 5): a finding's
GRADE certainty by domain, a study's RoB 2 table with its override, who checked a claim and
when. Served by ``evidencegraph serve`` on 127.0.0.1; what the pages must show is read from
the curated appraisal (``evidence/appraisal.ttl``) and FACTS.md's figures, not from the page."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from evidencegraph.errors import NonConformingError
from evidencegraph.evidence import evidence_files
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.rdf.model import model_graph
from evidencegraph.store.core import OxigraphStore
from server_support import EvidenceServerProcess

FINDING_PDA = EGID["finding/NCT02649231/pda-ketamine-vs-saline"]
FINDING_86 = EGID["finding/NCT02649231/pda-ketamine-therapy-86-percent"]
FINDING_YOON = EGID["finding/yoon-2019/depression-improved"]
KARE = EGID["study/NCT02649231"]
DAKWAR = EGID["study/dakwar-2019"]
CLAIM_86 = EGID["claim/000/result-86-abstinence-rate"]
VALID = Path(__file__).parent / "data" / "shapes" / "valid_minimal.ttl"
TEST = "https://w3id.org/evidencegraph/id/test/"

#: The order GRADE lists its domains in (downgrading, then upgrading), and RoB 2 its five.
GRADE_ORDER = [
    EGV.RiskOfBias,
    EGV.Inconsistency,
    EGV.Indirectness,
    EGV.Imprecision,
    EGV.PublicationBias,
    EGV.LargeEffect,
    EGV.DoseResponseGradient,
    EGV.PlausibleConfounding,
]
ROB2_ORDER = [
    EGV.RandomisationProcess,
    EGV.DeviationsFromIntendedInterventions,
    EGV.MissingOutcomeData,
    EGV.MeasurementOfTheOutcome,
    EGV.SelectionOfTheReportedResult,
]


class _Page(HTMLParser):
    """A page's sections (by id) as rows of cell texts, and each section's plain text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self._section: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
            self.sections.setdefault(self._section, "")
        elif tag == "tr" and self._section is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._section is not None:
            self.rows.setdefault(self._section, []).append(self._row)
            self._row = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._section is not None:
            self.sections[self._section] += data

    def text(self, section: str) -> str:
        return " ".join(self.sections.get(section, "").split())


def _curated(name: str) -> Graph:
    graph = Graph()
    for packaged in evidence_files():
        if packaged.name == name:
            graph.parse(data=packaged.read_text(encoding="utf-8"), format="turtle")
    assert len(graph), name
    return graph


def _label(term: URIRef) -> str:
    label = model_graph().value(term, SKOS.prefLabel)
    assert label is not None, term
    return str(label)


def _page(server: EvidenceServerProcess, iri: URIRef) -> _Page:
    path = "/id/" + str(iri).removeprefix(str(EGID))
    answer = requests.get(
        server.url.rstrip("/") + path, headers={"Accept": "text/html"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    return _Page(answer.text)


def _expected_rows(appraisal: Graph, assessment: URIRef, order: list[URIRef]) -> list[list[str]]:
    """Domain, judgement (and for GRADE the rating change) and rationale of each judgement, in
    the scheme's order, as the curated file states them."""
    rows = []
    for judged in appraisal.objects(assessment, EG.domainJudgement):
        domain = appraisal.value(judged, EG.domain)
        judgement = appraisal.value(judged, EG.judgement)
        assert isinstance(domain, URIRef) and isinstance(judgement, URIRef)
        row = [_label(domain), _label(judgement)]
        change = model_graph().value(judgement, EG.ratingChange)
        if domain in GRADE_ORDER:
            assert change is not None
            row.append(f"{int(change):+d}" if int(change) else "0")
        row.append(str(appraisal.value(judged, EG.rationale)))
        rows.append((order.index(domain), row))
    return [row for _, row in sorted(rows)]


def test_a_findings_page_shows_its_grade_domains_level_who_and_when(
    evidence_server: EvidenceServerProcess,
) -> None:
    appraisal = _curated("appraisal.ttl")
    assessment = appraisal.value(FINDING_PDA, EG.certainty)
    assert isinstance(assessment, URIRef)
    page = _page(evidence_server, FINDING_PDA)

    table = page.rows["certainty"]
    assert table[0] == ["Domain", "Judgement", "Rating change", "Rationale"]
    assert table[1:] == _expected_rows(appraisal, assessment, GRADE_ORDER)
    # FACTS.md (a): KARE randomised 96 adults, CI 1.1 to 19.0: imprecision, one level down
    imprecision = next(row for row in table if row[0] == "imprecision")
    assert imprecision[1:3] == ["serious concern", "-1"]
    assert "n = 96" in imprecision[3] and "1.1 to 19.0" in imprecision[3]
    text = page.text("certainty")
    assert "Overall certainty: moderate certainty" in text
    date = appraisal.value(assessment, DCTERMS.date)
    assert f"Judged by evidencegraph curators on {date}" in text
    assert str(appraisal.value(assessment, EG.rationale)) in text


def test_a_news_only_finding_is_rated_down_for_imprecision_and_risk_of_bias(
    evidence_server: EvidenceServerProcess,
) -> None:
    page = _page(evidence_server, FINDING_86)
    changes = {row[0]: (row[1], row[2]) for row in page.rows["certainty"][1:]}
    # FACTS.md (a): the 86% is NIHR news about one arm of KARE (an RCT of 96): low certainty
    assert changes["risk of bias"] == ("serious concern", "-1")
    assert changes["imprecision"] == ("serious concern", "-1")
    assert "Overall certainty: low certainty" in page.text("certainty")


def test_a_finding_without_an_assessment_says_so(evidence_server: EvidenceServerProcess) -> None:
    assert "No GRADE assessment recorded." in _page(evidence_server, FINDING_YOON).text("certainty")


@pytest.mark.parametrize("study", [KARE, DAKWAR], ids=["KARE", "Dakwar"])
def test_a_trials_page_shows_its_rob2_table(
    evidence_server: EvidenceServerProcess, study: URIRef
) -> None:
    appraisal = _curated("appraisal.ttl")
    assessment = appraisal.value(study, EG.riskOfBias)
    assert isinstance(assessment, URIRef)
    page = _page(evidence_server, study)

    table = page.rows["risk-of-bias"]
    assert table[0] == ["Domain", "Judgement", "Rationale"]
    assert table[1:] == _expected_rows(appraisal, assessment, ROB2_ORDER)
    text = page.text("risk-of-bias")
    overall = appraisal.value(assessment, EG.overallJudgement)
    assert isinstance(overall, URIRef)
    assert f"Overall: {_label(overall)}" in text
    assert "departed from the RoB 2 rule" not in text  # the curated ones follow the rule
    assert f"Judged by evidencegraph curators on {appraisal.value(assessment, DCTERMS.date)}" in (
        text
    )


def test_kare_is_judged_low_risk_only_for_the_reported_result(
    evidence_server: EvidenceServerProcess,
) -> None:
    """FACTS.md (a): registered 5 January 2016 before recruitment, protocol published, both
    primary outcomes reported; the rest is not reported, so some concerns."""
    rows = {row[0]: row[1] for row in _page(evidence_server, KARE).rows["risk-of-bias"][1:]}
    assert rows.pop("bias in selection of the reported result") == "low risk of bias"
    assert set(rows.values()) == {"some concerns"} and len(rows) == 4


def test_a_claims_page_says_who_checked_it_and_when(evidence_server: EvidenceServerProcess) -> None:
    claims = _curated("claims-000.ttl")
    checked_on = claims.value(CLAIM_86, EG.verifiedOn)
    assert isinstance(checked_on, Literal)
    text = _page(evidence_server, CLAIM_86).text("claim")
    assert f"Checked by evidencegraph curators on {checked_on}" in text


def test_a_findings_rdf_carries_its_assessment(evidence_server: EvidenceServerProcess) -> None:
    path = "/id/" + str(FINDING_PDA).removeprefix(str(EGID))
    answer = requests.get(
        evidence_server.url.rstrip("/") + path, headers={"Accept": "text/turtle"}, timeout=60
    )
    assert answer.status_code == 200
    served = Graph().parse(data=answer.text, format="turtle")
    appraisal = _curated("appraisal.ttl")
    assessment = appraisal.value(FINDING_PDA, EG.certainty)
    judged = set(appraisal.objects(assessment, EG.domainJudgement))
    assert len(judged) == 8
    for subject in (assessment, *judged):
        assert set(appraisal.predicate_objects(subject)) <= set(served.predicate_objects(subject))


# --- an override of the RoB 2 rule, on the synthetic fixture -------------------------------


@pytest.fixture(scope="module")
def override_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EvidenceServerProcess]:
    """The model and the shape fixture, its trial's RoB 2 judged high over the rule's some
    concerns, with the override's rationale; served read-only."""
    path = tmp_path_factory.mktemp("override") / "evidencegraph.db"
    batch = Graph().parse(VALID, format="turtle")
    rob = URIRef(TEST + "rob-1")
    batch.remove((rob, EG.overallJudgement, EGV.SomeConcerns))
    batch.add((rob, EG.overallJudgement, EGV.HighRisk))
    batch.add((rob, EG.overrideRationale, Literal("Judged high: the one concern is decisive.")))
    with EvidenceGraph(OxigraphStore(path)) as graph:
        graph.build()
        graph.load(batch)
    with EvidenceServerProcess(path) as server:
        yield server


def test_an_override_and_its_rationale_are_shown(override_server: EvidenceServerProcess) -> None:
    text = _page(override_server, URIRef(TEST + "trial-1")).text("risk-of-bias")
    assert "Overall: high risk of bias" in text
    assert (
        "The assessors departed from the RoB 2 rule: Judged high: the one concern is decisive."
        in text
    )


def test_the_gate_refuses_the_override_without_its_rationale() -> None:
    """The override above is let in only with its rationale: the gate names the assessment."""
    batch = Graph().parse(VALID, format="turtle")
    rob = URIRef(TEST + "rob-1")
    batch.remove((rob, EG.overallJudgement, EGV.SomeConcerns))
    batch.add((rob, EG.overallJudgement, EGV.HighRisk))
    assert (rob, RDF.type, EG.RiskOfBiasAssessment) in batch
    with EvidenceGraph(OxigraphStore(None)) as graph:
        graph.build()
        before = len(graph.store)
        with pytest.raises(NonConformingError) as refused:
            graph.load(batch)
        assert len(graph.store) == before
    assert [
        (result.focus_node, result.value)
        for result in refused.value.report.results
        if "eg:overrideRationale" in result.message
    ] == [("egid:test/rob-1", "egv:HighRisk")]
