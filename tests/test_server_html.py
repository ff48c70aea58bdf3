"""Issue 20, point 5, without a browser: the VoID description and the named queries as HTML
for browsers while clients that ask for Turtle or JSON get what they got before; the VoID
page read from the description's own triples; the vendored editor as package data."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
import requests
from rdflib import Graph, URIRef

from evidencegraph.publish.void import DatasetStatistics, DumpFile, GraphSubset, void_lines
from evidencegraph.queries import library
from evidencegraph.server.void_page import Term, void_html, void_page
from server_support import EvidenceServerProcess

ROOT = Path(__file__).parent.parent
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
EG = "https://w3id.org/evidencegraph/ontology#"
SKOS_CONCEPT = "http://www.w3.org/2004/02/skos/core#Concept"
VOID = "http://rdfs.org/ns/void#"


def _description() -> list[ox.Triple]:
    statistics = DatasetStatistics(
        triples=1234,
        entities=56,
        distinct_subjects=60,
        distinct_objects=700,
        properties=3,
        class_partitions=((EG + "Arm", 9), (EG + "Trial", 4), (SKOS_CONCEPT, 30)),
        property_partitions=((EG + "hasArm", 9), (EG + "nctId", 4), (EG + "title", 4)),
    )
    lines = void_lines(
        statistics,
        [DumpFile("evidencegraph.nq.gz", "application/n-quads", "application/gzip", 4321, "ab")],
        location="https://example.org/dump/",
        version="1.2.3",
        issued=date(2026, 12, 7),
        sparql_endpoint="https://example.org/sparql",
        subsets=[GraphSubset("RegistryRecord", "registry records", EG + "X", 2, 800)],
    )
    return list(ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES))


def test_the_void_page_says_what_the_description_says() -> None:
    page = void_page(
        _description(), "https://example.org/dump/void.ttl#dataset", "/.well-known/void.ttl"
    )
    assert page.title == "evidencegraph" and page.version == "1.2.3"
    assert page.issued == "2026-12-07" and page.endpoint == "https://example.org/sparql"
    assert dict(page.counts) == {
        "triples": 1234,
        "entities (distinct IRIs as subjects)": 56,
        "classes": 3,
        "properties": 3,
        "distinct subjects": 60,
        "distinct objects": 700,
    }
    # most entities first; a model term links to its entry on the ontology page, another IRI
    # to itself
    assert [(p.term.shown, p.count) for p in page.classes] == [
        ("skos:Concept", 30),
        ("eg:Arm", 9),
        ("eg:Trial", 4),
    ]
    assert page.classes[2].term == Term(EG + "Trial", "eg:Trial", "/ontology#Trial")
    assert page.classes[0].term.href == SKOS_CONCEPT
    assert [(p.term.shown, p.count) for p in page.properties] == [
        ("eg:hasArm", 9),
        ("eg:nctId", 4),
        ("eg:title", 4),
    ]
    assert [(s.title, s.documents, s.triples) for s in page.subsets] == [
        ("registry records", 2, 800)
    ]
    assert [(d.url, d.media_type, d.byte_size) for d in page.downloads] == [
        ("https://example.org/dump/evidencegraph.nq.gz", "application/n-quads", 4321)
    ]
    html = void_html(_description(), "https://example.org/dump/void.ttl#dataset", "/x.ttl")
    assert '<a href="/ontology#Trial" title="' + EG + 'Trial"><code>eg:Trial</code></a>' in html
    assert '<td class="number">1,234</td>' in html


def test_void_for_browsers_and_for_clients(evidence_server: EvidenceServerProcess) -> None:
    url = evidence_server.url + ".well-known/void"
    turtle = requests.get(url, timeout=60)
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.content, format="turtle")
    dataset = URIRef(evidence_server.url + ".well-known/void.ttl#dataset")
    triples = int(graph.value(dataset, URIRef(VOID + "triples")))  # type: ignore[arg-type]

    page = requests.get(url, headers={"Accept": BROWSER}, timeout=60)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]
    counted = re.search(r"<td>triples</td><td class=\"number\">([\d,]+)</td>", page.text)
    assert counted is not None and counted.group(1) == f"{triples:,}"
    assert 'href="/ontology#Trial"' in page.text  # a class partition, linked to the model

    # the .ttl URL is Turtle even for a browser; other syntaxes by Accept as before
    for how in ({"Accept": BROWSER}, {}):
        named = requests.get(url + ".ttl", headers=how, timeout=60)
        assert named.headers["Content-Type"].startswith("text/turtle")
        assert named.content == turtle.content
    nt = requests.get(url, headers={"Accept": "application/n-triples"}, timeout=60)
    assert nt.headers["Content-Type"].startswith("application/n-triples")
    assert len(Graph().parse(data=nt.content, format="nt")) == len(graph)
    assert requests.get(url, params={"format": "html"}, timeout=60).text == page.text


def test_the_named_queries_page_and_its_forms(evidence_server: EvidenceServerProcess) -> None:
    url = evidence_server.url + "queries"
    as_json = requests.get(url, headers={"Accept": "application/json"}, timeout=30)
    page = requests.get(url, headers={"Accept": BROWSER}, timeout=30)
    assert as_json.headers["Content-Type"] == "application/json"
    assert page.headers["Content-Type"].startswith("text/html")
    for answer in (as_json, page):  # one URL, two answers: caches must ask by Accept
        assert "Accept" in answer.headers["Vary"]
    for name, query in library().items():
        # each query's form runs it on the query page, and downloads its answer
        assert f'<input type="hidden" name="named" value="{name}">' in page.text
        assert f'formaction="/queries/{name}" name="download"' in page.text
        for parameter in query.parameters:
            assert f'id="{name}-{parameter.name}" name="{parameter.name}"' in page.text


def test_a_download_is_a_file_named_for_the_query(evidence_server: EvidenceServerProcess) -> None:
    url = evidence_server.url + "queries/misreported-claims"
    shown = requests.get(url, params={"format": "csv"}, timeout=30)
    assert "Content-Disposition" not in shown.headers
    # what the Download button sends: the form's fields, the query's name among them
    saved = requests.get(
        url, params={"format": "csv", "download": "1", "named": "misreported-claims"}, timeout=30
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["Content-Disposition"] == 'attachment; filename="misreported-claims.csv"'
    assert saved.content == shown.content
    as_json = requests.get(url, params={"format": "json", "download": "1"}, timeout=30)
    assert as_json.headers["Content-Disposition"].endswith('filename="misreported-claims.srj"')


def test_the_vendored_editor_is_package_data() -> None:
    folder = resources.files("evidencegraph.server") / "static/vendor/yasqe"
    names = {entry.name for entry in folder.iterdir()}
    assert {"yasqe.min.js", "yasqe.min.css", "README.md"} <= names
    assert {"LICENSE-codemirror.txt", "LICENSE-dompurify.txt"} <= names
    assert "server/static/vendor/yasqe/*" in (ROOT / "setup.cfg").read_text(encoding="utf-8")
    index = (resources.files("evidencegraph.server") / "templates/index.html").read_text()
    # served from the package, never from elsewhere
    assert re.findall(r'(?:src|href)="([^"]+)"', index) == [
        "/static/vendor/yasqe/yasqe.min.css",
        "/static/vendor/yasqe/yasqe.min.js",
        "/static/app.js",
        "/queries",
        "/ontology",
    ]


def test_every_page_forbids_inline_scripts(evidence_server: EvidenceServerProcess) -> None:
    """The query page's scripts come from the package, so its pages can forbid the rest."""
    for path in ("", "queries", ".well-known/void", "ontology", "id/study/NCT02649231"):
        page = requests.get(evidence_server.url + path, headers={"Accept": BROWSER}, timeout=60)
        assert page.headers["Content-Type"].startswith("text/html"), path
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split(";")[1]
        assert "<script>" not in page.text and " onclick=" not in page.text, path
    turtle = requests.get(evidence_server.url + ".well-known/void", timeout=60)
    assert "Content-Security-Policy" not in turtle.headers  # data, not a page
