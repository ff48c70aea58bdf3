"""`evidencegraph serve` over the source graphs (issue 17, decision 0021), on a real server on
127.0.0.1: GRAPH queries, the Protocol's default-graph-uri and named-graph-uri, a graph
dereferenced at /graph/..., and the KARE page showing where its sources disagree.

The store is the curated evidence (`evidencegraph build`) with a registry record of KARE
imported (`evidencegraph import ctgov`): tests/data/ctgov/NCT03418623.json under KARE's NCT
number, as test_import_ctgov.py makes it (a constructed record, not a real registry export).
Its enrolment, 24, is not the 96 the paper randomised (FACTS.md (a)).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.ontology.source_graphs import (
    CATALOG,
    GRAPH_BASE,
    NOT_SHOWN,
    curated_graph,
    record_graph,
)
from evidencegraph.server.graphs import MAX_LISTED_GRAPHS, MAX_VALUE_GRAPHS, attribute
from evidencegraph.store.core import OxigraphStore
from server_support import EvidenceServerProcess, build_curated_store

ID = "https://w3id.org/evidencegraph/id/"
EG = "https://w3id.org/evidencegraph/ontology#"
KARE = ID + "study/NCT02649231"
REGISTRY_GRAPH = record_graph("ctgov", "NCT02649231")
STUDIES_GRAPH = curated_graph("studies")
RECORD = Path(__file__).parent / "data" / "ctgov" / "NCT03418623.json"
#: a file given to load: its graph's name ends as an extension does (graph/file/….nt)
LOADED = Path(__file__).parent / "data" / "valid-extra-risk.nt"
#: KARE's enrolment: 96 randomised by the paper (FACTS.md (a))
PAPER_ENROLMENT = "96"
ENROLMENT_QUERY = f"SELECT ?g ?n WHERE {{ GRAPH ?g {{ <{KARE}> <{EG}enrolment> ?n }} }} ORDER BY ?g"
VIEW_QUERY = f"SELECT ?n WHERE {{ <{KARE}> <{EG}enrolment> ?n }}"
#: A server's --max-rows here: more statements than a curated file's graph, fewer than the
#: model's (1,500 and more)
MAX_ROWS = 1000


def _registry_record() -> dict[str, Any]:
    content = json.loads(RECORD.read_text("utf-8"))
    content["protocolSection"]["identificationModule"]["nctId"] = "NCT02649231"
    return content


RECORD_CONTENT = _registry_record()
#: what the registry record says: its enrolment and its last update (the graph's version)
REGISTRY_ENROLMENT = str(
    RECORD_CONTENT["protocolSection"]["designModule"]["enrollmentInfo"]["count"]
)
REGISTRY_VERSION = RECORD_CONTENT["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"][
    "date"
]


def _with_registry_record(folder: Path) -> Path:
    """A store in ``folder``: the curated evidence, then KARE's registry record imported."""
    path = build_curated_store(folder / "evidencegraph.db")
    record = folder / "NCT02649231.json"
    record.write_text(json.dumps(RECORD_CONTENT), encoding="utf-8")
    imported = CliRunner().invoke(
        cli, ["--store", f"oxigraph:{path}", "import", "ctgov", str(record)]
    )
    assert imported.exit_code == 0, imported.output
    return path


@pytest.fixture(scope="module")
def graphs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EvidenceServerProcess]:
    """The curated evidence with KARE's registry record imported, served read-only."""
    folder = tmp_path_factory.mktemp("graphs")
    path = build_curated_store(folder / "evidencegraph.db")
    record = folder / "NCT02649231.json"
    record.write_text(json.dumps(RECORD_CONTENT), encoding="utf-8")
    imported = CliRunner().invoke(
        cli, ["--store", f"oxigraph:{path}", "import", "ctgov", str(record)]
    )
    assert imported.exit_code == 0, imported.output
    loaded = CliRunner().invoke(cli, ["--store", f"oxigraph:{path}", "load", str(LOADED)])
    assert loaded.exit_code == 0, loaded.output
    with EvidenceServerProcess(path, "--max-rows", str(MAX_ROWS)) as server:
        yield server


def _csv(
    server: EvidenceServerProcess, query: str, **dataset: str | list[str]
) -> list[dict[str, str]]:
    answer = requests.post(
        server.endpoint,
        data={"query": query, **dataset},
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


# --- GRAPH queries and the Protocol's dataset -----------------------------------------------


def test_a_graph_query_finds_each_sources_value(graphs_server: EvidenceServerProcess) -> None:
    rows = _csv(graphs_server, ENROLMENT_QUERY)
    assert [(row["g"], row["n"]) for row in rows] == [
        (REGISTRY_GRAPH, REGISTRY_ENROLMENT),  # graph/ctgov/… sorts before graph/curated/…
        (STUDIES_GRAPH, PAPER_ENROLMENT),
        (NOT_SHOWN, REGISTRY_ENROLMENT),  # the value the view does not show (decision 0030)
    ]
    # the default graph is the view: the paper's value alone
    assert [row["n"] for row in _csv(graphs_server, VIEW_QUERY)] == [PAPER_ENROLMENT]


def test_named_graph_uri_is_all_graph_sees(graphs_server: EvidenceServerProcess) -> None:
    rows = _csv(graphs_server, ENROLMENT_QUERY, **{"named-graph-uri": REGISTRY_GRAPH})
    assert [(row["g"], row["n"]) for row in rows] == [(REGISTRY_GRAPH, REGISTRY_ENROLMENT)]
    # and the default graph is then empty (no default-graph-uri), not the view
    assert _csv(graphs_server, VIEW_QUERY, **{"named-graph-uri": REGISTRY_GRAPH}) == []


def test_default_graph_uri_makes_the_default_graph(graphs_server: EvidenceServerProcess) -> None:
    registry = _csv(graphs_server, VIEW_QUERY, **{"default-graph-uri": REGISTRY_GRAPH})
    assert [row["n"] for row in registry] == [REGISTRY_ENROLMENT]
    both = _csv(graphs_server, VIEW_QUERY, **{"default-graph-uri": [REGISTRY_GRAPH, STUDIES_GRAPH]})
    assert sorted(row["n"] for row in both) == sorted([PAPER_ENROLMENT, REGISTRY_ENROLMENT])
    # no named graph was given: GRAPH sees none, though the query names one with FROM NAMED
    named = (
        f"SELECT ?g ?n FROM NAMED <{STUDIES_GRAPH}> "
        f"WHERE {{ GRAPH ?g {{ ?s <{EG}enrolment> ?n }} }}"
    )
    assert _csv(graphs_server, named, **{"default-graph-uri": REGISTRY_GRAPH}) == []
    assert _csv(graphs_server, named) != []  # without the parameter, FROM NAMED is read


# --- a graph dereferenced -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "syntax", "quads"),
    [
        ({"Accept": "text/turtle"}, ox.RdfFormat.TURTLE, False),
        (".nt", ox.RdfFormat.N_TRIPLES, False),
        ({"Accept": "application/trig"}, ox.RdfFormat.TRIG, True),
        (".nq", ox.RdfFormat.N_QUADS, True),
    ],
)
def test_a_graph_dereferenced(
    graphs_server: EvidenceServerProcess,
    how: dict[str, str] | str,
    syntax: ox.RdfFormat,
    quads: bool,
) -> None:
    path = graphs_server.url + "graph/ctgov/NCT02649231"
    if isinstance(how, str):
        answer = requests.get(path + how, timeout=30)
    else:
        answer = requests.get(path, headers=how, timeout=30)
    assert answer.status_code == 200, answer.text
    found = set(ox.parse(answer.content, format=syntax))
    enrolment = (ox.NamedNode(KARE), ox.NamedNode(EG + "enrolment"))
    values = {q.object.value for q in found if (q.subject, q.predicate) == enrolment}
    assert values == {REGISTRY_ENROLMENT}  # the registry's statements, not the view's
    described = [q for q in found if q.subject == ox.NamedNode(REGISTRY_GRAPH)]
    kinds = {q.object.value for q in described if q.predicate.value == EG + "sourceKind"}
    assert kinds == {"https://w3id.org/evidencegraph/vocab/RegistryRecord"}
    if quads:  # each statement in its graph: the description in the catalog
        assert {q.graph_name.value for q in described} == {CATALOG}  # type: ignore[union-attr]
        statements = {q.graph_name for q in found if q.subject == ox.NamedNode(KARE)}
        assert statements == {ox.NamedNode(REGISTRY_GRAPH)}
    if not isinstance(how, str):
        assert answer.headers["Content-Location"].startswith("/graph/ctgov/NCT02649231.")


def test_a_graph_whose_name_ends_like_an_extension(graphs_server: EvidenceServerProcess) -> None:
    """graph/file/valid-extra-risk.nt is the graph's whole name: asked for as it is, it is
    negotiated (Turtle for Accept text/turtle); one more extension chooses the format."""
    path = graphs_server.url + "graph/file/valid-extra-risk.nt"
    risk = (ox.NamedNode(ID + "risk/test-only-risk"), ox.NamedNode(EG + "Risk"))
    turtle = requests.get(path, headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith("text/turtle")
    triples = {(t.subject, t.object) for t in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)}
    assert risk in triples
    quads = requests.get(path + ".nq", timeout=30)
    found = list(ox.parse(quads.content, format=ox.RdfFormat.N_QUADS))
    graph = ox.NamedNode(GRAPH_BASE + "file/valid-extra-risk.nt")
    assert {(q.subject, q.object) for q in found if q.graph_name == graph} >= {risk}


class _Sections(HTMLParser):
    """The text of each <section id=...> of a page (its pieces joined by spaces), and every
    link's href."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.links: set[str] = set()
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self._open.append(values.get("id") or "")
            self.sections.setdefault(self._open[-1], "")
        if tag == "a" and values.get("href"):
            self.links.add(values["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.sections[self._open[-1]] += " " + data


def _page(url: str) -> _Sections:
    answer = requests.get(url, headers={"Accept": "text/html"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/html")
    parsed = _Sections()
    parsed.feed(answer.text)
    return parsed


def test_a_graphs_page_and_an_unknown_graph(graphs_server: EvidenceServerProcess) -> None:
    page = _page(graphs_server.url + "graph/ctgov/NCT02649231")
    assert "registry record" in page.sections["catalog"]
    assert "/id/source/ctgov/NCT02649231" in page.links
    assert re.search(
        r"enrolment\s*eg:enrolment\s*" + REGISTRY_ENROLMENT, page.sections["statements"]
    )
    catalog = _page(graphs_server.url + "graph/catalog")  # every graph, linked to its page
    assert {"/graph/ctgov/NCT02649231", "/graph/curated/studies", "/graph/model"} <= catalog.links
    # the values the view does not show have a page too (decision 0030): the registry's
    marks = _page(graphs_server.url + "graph/not-shown")
    assert re.search(
        r"enrolment\s*eg:enrolment\s*" + REGISTRY_ENROLMENT, marks.sections["statements"]
    )
    unknown = requests.get(graphs_server.url + "graph/ctgov/NCT00000000", timeout=30)
    assert unknown.status_code == 404
    assert "no graph <" + record_graph("ctgov", "NCT00000000") + ">" in unknown.text
    assert "/graph/catalog" in unknown.text
    not_an_iri = requests.get(graphs_server.url + "graph/a%3Eb%20c", timeout=30)
    assert not_an_iri.status_code == 404 and "not an IRI" in not_an_iri.text
    # a graph of more statements than --max-rows is refused, saying how to read it
    model = requests.get(graphs_server.url + "graph/model.nt", timeout=30)
    assert model.status_code == 503 and f"limit of {MAX_ROWS:,} (--max-rows)" in model.text
    studies = requests.get(graphs_server.url + "graph/curated/studies.nt", timeout=30)
    assert studies.status_code == 200


# --- where the sources disagree, on KARE's page ---------------------------------------------


def test_kares_page_shows_where_its_sources_disagree(graphs_server: EvidenceServerProcess) -> None:
    page = _page(graphs_server.url + "id/study/NCT02649231")
    # the enrolment is one of the study's summary facts (issue 20): where sources disagree on
    # it, the summary shows each value with its source, and the section below does not again
    summary = re.sub(r" ([,:])", r"\1", " ".join(page.sections["summary"].split()))
    # the view's value first, with the paper named as its source; then the registry's
    assert re.search(
        rf"enrolment eg:enrolment: {PAPER_ENROLMENT}: curated/studies "
        rf"\(curated evidence\) \(shown\) {REGISTRY_ENROLMENT}: "
        # the source named as the view names it (sources.ttl's label of the record)
        r"ClinicalTrials\.gov record NCT02649231 \(KARE\) "
        rf"\(registry record, version of {REGISTRY_VERSION}\)",
        summary,
    ), summary
    disagreement = " ".join(page.sections["disagreements"].split())
    assert "eg:enrolment" not in disagreement and "dcterms:title" in disagreement
    assert {"/graph/curated/studies", "/graph/ctgov/NCT02649231"} <= page.links
    sources = " ".join(page.sections["graphs"].split())
    assert "curated/studies" in sources and "ClinicalTrials.gov record NCT02649231" in sources
    # a study the registry record does not touch has no disagreement section
    other = _page(graphs_server.url + "id/study/dakwar-2019")
    assert "disagreements" not in other.sections


# --- a node many records state: the page's lists stay bounded --------------------------------


def test_a_node_stated_by_many_graphs_lists_a_bounded_few() -> None:
    """61 graphs state a study's enrolment: the paper's graph 96 (the view's), 55 registry
    records 24, 5 newer ones 30. The page lists the first 50 graphs and counts the rest; the
    disagreement names at most 10 graphs a value, the view's value first, then the newer
    records' (precedence: the newer version first within a kind)."""
    n = ox.NamedNode
    study, enrolment = n(ID + "study/many"), n(EG + "enrolment")
    integer = n("http://www.w3.org/2001/XMLSchema#integer")
    catalog, kind = n(CATALOG), n(EG + "sourceKind")
    modified = n("http://purl.org/dc/terms/modified")
    vocab = "https://w3id.org/evidencegraph/vocab/"
    view = [ox.Quad(study, enrolment, ox.Literal("96", datatype=integer))]
    quads = [*view]
    curated = n(curated_graph("studies"))
    quads += [
        ox.Quad(study, enrolment, ox.Literal("96", datatype=integer), curated),
        ox.Quad(curated, kind, n(vocab + "CuratedEvidence"), catalog),
    ]
    for index in range(60):
        graph = n(record_graph("ctgov", f"NCT{index:08d}"))
        value, version = ("30", "2024-01-01") if index >= 55 else ("24", "2020-01-01")
        quads += [
            ox.Quad(study, enrolment, ox.Literal(value, datatype=integer), graph),
            ox.Quad(graph, kind, n(vocab + "RegistryRecord"), catalog),
            ox.Quad(graph, modified, ox.Literal(version), catalog),
        ]
    store = OxigraphStore()
    store.write_quads([], quads)

    found = attribute(store, study, view)
    assert (found.total, len(found.graphs)) == (61, MAX_LISTED_GRAPHS)
    assert found.graphs[0].iri == curated.value  # curated evidence stands first
    (disagreement,) = found.disagreements
    shown = [(v.value.value, v.count, len(v.graphs), v.shown) for v in disagreement.values]
    assert shown == [("96", 1, 1, True), ("30", 5, 5, False), ("24", 55, MAX_VALUE_GRAPHS, False)]
    # listed by precedence: the curated graph, the 5 newer records, then 44 of the older 55
    stated = {
        value: (
            len(found.stated_by[(enrolment.value, literal)]),
            found.counts[(enrolment.value, literal)],
        )
        for value in ("96", "30", "24")
        if (literal := ox.Literal(value, datatype=integer))
    }
    assert stated == {"96": (1, 1), "30": (5, 5), "24": (MAX_LISTED_GRAPHS - 6, 55)}


def test_a_named_query_over_one_sources_graph(graphs_server: EvidenceServerProcess) -> None:
    """/queries/NAME takes the Protocol's dataset too: the flagship question over the view
    finds KARE; over the registry record's graph alone (a record of GET73, not ketamine
    with therapy) it finds nothing."""
    url = graphs_server.url + "queries/drug-with-psychotherapy"
    headers = {"Accept": "application/sparql-results+json"}
    view = requests.get(url, headers=headers, timeout=30)
    assert KARE in {row["trial"]["value"] for row in view.json()["results"]["bindings"]}
    registry = requests.get(
        url, params={"default-graph-uri": REGISTRY_GRAPH}, headers=headers, timeout=30
    )
    assert registry.status_code == 200, registry.text
    assert registry.json()["results"]["bindings"] == []


# --- an update's dataset over the source graphs ---------------------------------------------

TOKEN = "a-graphs-test-token-0123456789"


def test_an_updates_using_graphs_read_source_graphs(tmp_path: Path) -> None:
    """using-graph-uri and using-named-graph-uri name a source graph for an update's WHERE:
    the copy holds what the registry record states (KARE's 24), nothing of the view (96) or
    of the other graphs."""
    path = _with_registry_record(tmp_path)
    token = tmp_path / "token"
    token.write_text(TOKEN, encoding="utf-8")
    copy, named_copy = "http://example.org/copy", "http://example.org/named-copy"
    with EvidenceServerProcess(path, "--allow-update", "--token-file", str(token)) as server:

        def update(text: str, **dataset: str) -> None:
            answer = requests.post(
                server.endpoint,
                params=dataset,
                data=text.encode(),
                headers={
                    "Content-Type": "application/sparql-update",
                    "Authorization": f"Bearer {TOKEN}",
                },
                timeout=30,
            )
            assert answer.status_code == 204, answer.text

        update(
            f"INSERT {{ GRAPH <{copy}> {{ ?s <{EG}enrolment> ?n }} }} "
            f"WHERE {{ ?s <{EG}enrolment> ?n }}",
            **{"using-graph-uri": REGISTRY_GRAPH},
        )
        update(
            f"INSERT {{ GRAPH <{named_copy}> {{ ?s <{EG}enrolment> ?n }} }} "
            f"WHERE {{ GRAPH ?g {{ ?s <{EG}enrolment> ?n }} }}",
            **{"using-named-graph-uri": REGISTRY_GRAPH},
        )
        for graph in (copy, named_copy):
            found = _csv(
                server, f"SELECT ?s ?n WHERE {{ GRAPH <{graph}> {{ ?s <{EG}enrolment> ?n }} }}"
            )
            assert found == [{"s": KARE, "n": REGISTRY_ENROLMENT}], graph
