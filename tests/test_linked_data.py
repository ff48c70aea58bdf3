"""Linked data over HTTP: every IRI of the graph dereferences to HTML, Turtle, JSON-LD,
N-Triples or RDF/XML, chosen by Accept or by extension; unknown ones are 404; the ontology
is served as HTML documentation and as Turtle."""

from __future__ import annotations

import pytest
import requests
from rdflib import OWL, RDF, Graph, URIRef
from rdflib.compare import isomorphic

from evidencegraph.ontology.namespace import EG, EGID, EGV
from server_support import EvidenceServerProcess

KARE = EGID["study/NCT02649231"]
KARE_PATH = "/id/study/NCT02649231"
ARM = EGID["study/NCT02649231/arm/ketamine-therapy"]
INFUSION = EGID["study/NCT02649231/intervention/ketamine-infusion"]
CLAIM_86 = EGID["claim/000/result-86-abstinence-rate"]
ARTICLE_000 = EGID["source/web/000-ketamine-infusion-alcoholism"]

#: media type asked for -> (rdflib parser, media type answered)
FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
EXTENSIONS = {".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt", ".rdf": "xml"}


def _get(server: EvidenceServerProcess, path: str, accept: str | None = None) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(server.url.rstrip("/") + path, headers=headers, timeout=60)


def _parsed(answer: requests.Response, syntax: str) -> Graph:
    assert answer.status_code == 200, answer.text
    return Graph().parse(data=answer.content, format=syntax)


def _holds_the_study(graph: Graph) -> None:
    assert (KARE, EG.hasArm, ARM) in graph
    assert (KARE, EG.nctId, None) in graph
    assert (ARM, EG.receives, INFUSION) in graph
    assert (INFUSION, EG.drug, EGID["drug/ketamine"]) in graph
    assert (CLAIM_86, EG.about, KARE) in graph
    assert (CLAIM_86, EG.verificationStatus, EGV.Misreported) in graph
    assert (CLAIM_86, EG.assertedBy, ARTICLE_000) in graph
    assert (ARTICLE_000, EG.peerReviewed, None) in graph


@pytest.mark.parametrize("accept", list(FORMATS))
def test_a_study_dereferences_in_each_rdf_format_by_accept(
    evidence_server: EvidenceServerProcess, accept: str
) -> None:
    answer = _get(evidence_server, KARE_PATH, accept)
    assert answer.headers["Content-Type"].split(";")[0] == accept
    assert "Accept" in answer.headers.get("Vary", "")
    _holds_the_study(_parsed(answer, FORMATS[accept]))


@pytest.mark.parametrize("extension", list(EXTENSIONS))
def test_a_study_dereferences_in_each_rdf_format_by_extension(
    evidence_server: EvidenceServerProcess, extension: str
) -> None:
    # the extension wins over Accept: a browser following the link gets the format
    answer = _get(evidence_server, KARE_PATH + extension, "text/html")
    _holds_the_study(_parsed(answer, EXTENSIONS[extension]))


def test_every_format_says_the_same(evidence_server: EvidenceServerProcess) -> None:
    graphs = [
        _parsed(_get(evidence_server, KARE_PATH + ext), syntax)
        for ext, syntax in EXTENSIONS.items()
    ]
    for graph in graphs[1:]:
        assert isomorphic(graphs[0], graph)


def test_a_study_dereferences_as_html_for_a_browser(evidence_server: EvidenceServerProcess) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = _get(evidence_server, KARE_PATH, browser)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.text
    assert "Adjunctive Ketamine With Relapse Prevention" in page
    assert "ketamine + relapse-prevention based therapy" in page
    assert "Result: 86% abstinence rate over 6 months" in page
    assert f'href="{KARE_PATH}.ttl"' in page
    assert answer.headers["Content-Location"] == KARE_PATH + ".html"
    assert _get(evidence_server, KARE_PATH + ".html").text == page


def test_a_plain_client_reads_turtle(evidence_server: EvidenceServerProcess) -> None:
    answer = _get(evidence_server, KARE_PATH)  # no Accept: anything will do
    assert answer.headers["Content-Type"].startswith("text/turtle")
    assert answer.headers["Content-Location"] == KARE_PATH + ".ttl"


def test_the_pages_link_to_each_other(evidence_server: EvidenceServerProcess) -> None:
    page = _get(evidence_server, KARE_PATH, "text/html").text
    for path in (
        "/id/study/NCT02649231/arm/ketamine-therapy",
        "/id/claim/000/result-86-abstinence-rate",
        "/vocab/Misreported",
        "/ontology#Trial",
    ):
        assert f'href="{path}"' in page
        target = path.split("#")[0]
        assert _get(evidence_server, target, "text/html").status_code == 200, target


def test_a_concept_dereferences(evidence_server: EvidenceServerProcess) -> None:
    graph = _parsed(_get(evidence_server, "/vocab/Misreported", "text/turtle"), "turtle")
    assert (
        EGV.Misreported,
        RDF.type,
        URIRef("http://www.w3.org/2004/02/skos/core#Concept"),
    ) in graph
    assert (CLAIM_86, EG.verificationStatus, EGV.Misreported) in graph  # what uses it
    assert "misreported" in _get(evidence_server, "/vocab/Misreported", "text/html").text


@pytest.mark.parametrize(
    "path",
    ["/id/study/NCT00000000", "/id/study/NCT00000000.ttl", "/vocab/NoSuchConcept", "/id/"],
)
def test_an_unknown_iri_is_404(evidence_server: EvidenceServerProcess, path: str) -> None:
    for accept in ("text/html", "text/turtle"):
        assert _get(evidence_server, path, accept).status_code == 404


def test_the_ontology_as_html_and_turtle(evidence_server: EvidenceServerProcess) -> None:
    page = _get(evidence_server, "/ontology", "text/html")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'id="Study"' in page.text and 'id="egv-Misreported"' in page.text
    for answer in (
        _get(evidence_server, "/ontology", "text/turtle"),
        _get(evidence_server, "/ontology.ttl"),
    ):
        graph = _parsed(answer, "turtle")
        assert (EG.Study, RDF.type, OWL.Class) in graph
