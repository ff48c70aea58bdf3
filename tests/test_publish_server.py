"""The server offers a claim's ClaimReview, FHIR and nanopublication, and a finding's FHIR
Evidence, by content negotiation on their IRIs, and keeps its Turtle and JSON-LD answers."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph

from evidencegraph.ontology.namespace import EG, EGID
from server_support import EvidenceServerProcess

CLAIM = "/id/claim/000/result-86-abstinence-rate"
UNCHECKED = "/id/claim/000/fda-approval-1970"
FINDING = "/id/finding/NCT02649231/pda-ketamine-vs-saline"
PROFILE = 'application/ld+json; profile="https://schema.org/ClaimReview"'


def _get(server: EvidenceServerProcess, path: str, accept: str | None = None) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(server.url.rstrip("/") + path, headers=headers, timeout=60)


def test_claimreview_by_profile(evidence_server: EvidenceServerProcess) -> None:
    answer = _get(evidence_server, CLAIM, PROFILE)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/ld+json")
    assert "https://schema.org/ClaimReview" in answer.headers["Content-Type"]
    assert "Accept" in answer.headers["Vary"]
    review = json.loads(answer.content)
    assert review["@type"] == "ClaimReview"
    assert review["itemReviewed"]["@id"] == str(EGID["claim/000/result-86-abstinence-rate"])
    assert review["reviewRating"]["alternateName"] == "Misreported"


def test_plain_json_ld_is_still_the_description(evidence_server: EvidenceServerProcess) -> None:
    answer = _get(evidence_server, CLAIM, "application/ld+json")
    assert answer.status_code == 200
    graph = Graph().parse(data=answer.content, format="json-ld")
    assert graph.value(EGID["claim/000/result-86-abstinence-rate"], EG.quote) is not None
    turtle = _get(evidence_server, CLAIM, "*/*")
    assert turtle.headers["Content-Type"].startswith("text/turtle")


def test_fhir_of_a_claim_and_of_a_finding(evidence_server: EvidenceServerProcess) -> None:
    pytest.importorskip("fhir.resources")
    from fhir.resources.bundle import Bundle

    answer = _get(evidence_server, CLAIM, "application/fhir+json")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/fhir+json")
    kinds = [
        e.resource.get_resource_type() for e in Bundle.model_validate_json(answer.content).entry
    ]
    assert kinds.count("ArtifactAssessment") == 1 and "Evidence" in kinds
    finding = Bundle.model_validate_json(_get(evidence_server, FINDING + "?format=fhir").content)
    evidence = next(
        e.resource for e in finding.entry if e.resource.get_resource_type() == "Evidence"
    )
    assert float(evidence.statistic[0].quantity.value) == 10.1  # FACTS.md (a)


def test_nanopub_of_a_claim(evidence_server: EvidenceServerProcess) -> None:
    answer = _get(evidence_server, CLAIM, "application/trig")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/trig")
    quads = list(ox.parse(answer.content, format=ox.RdfFormat.TRIG))
    graphs = {q.graph_name.value for q in quads}  # type: ignore[union-attr]
    assert len(graphs) == 4
    assert any(q.predicate.value == "http://www.nanopub.org/nschema#hasAssertion" for q in quads)


def test_an_unchecked_claim_has_no_publication(evidence_server: EvidenceServerProcess) -> None:
    for accept in (PROFILE, "application/trig"):
        answer = _get(evidence_server, UNCHECKED, accept)
        assert answer.status_code == 406
        assert "only a checked claim" in answer.text
    assert _get(evidence_server, UNCHECKED, "text/turtle").status_code == 200
    assert _get(evidence_server, "/id/claim/000/no-such-claim?format=fhir").status_code == 404


@pytest.mark.parametrize(
    ("accept", "query", "chosen"),
    [
        (PROFILE, "", "claimreview"),
        ("application/ld+json", "", None),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "", None),
        ("application/fhir+json", "", "fhir"),
        ("application/fhir+json;q=0.5, text/turtle", "", None),
        ("text/turtle;q=0.5, application/trig", "", "nanopub"),
        ("text/html", "format=fhir", "fhir"),
        ("*/*", "format=turtle", None),
        ("*/*", "", None),
    ],
)
def test_which_publication_a_request_asks_for(accept: str, query: str, chosen: str | None) -> None:
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from evidencegraph.server.publishing import publication_format

    request = Request(
        EnvironBuilder(path=CLAIM, query_string=query, headers={"Accept": accept}).get_environ()
    )
    assert publication_format(request) == chosen
