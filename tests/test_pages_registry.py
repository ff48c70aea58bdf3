"""Pages for people at registry scale (issue 20 points 1-3): the study's summary with every
source's value where they disagree, a drug's and a condition's trials paged with facets and
the MeSH tree's "and narrower", and search by name, synonym and identifier.

The store is the curated evidence with a registry record of KARE imported, as in
test_server_graphs.py: tests/data/ctgov/NCT03418623.json under KARE's NCT number (a
constructed record). Its enrolment, 24, is not the 96 the paper randomised (FACTS.md (a)).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.server import search, trials
from evidencegraph.server.evaluate import UpdateJob
from evidencegraph.server.pages import _same_places, resource_html
from evidencegraph.server.search import SearchIndex, SearchJob
from evidencegraph.server.urls import local_path
from evidencegraph.store.core import OxigraphStore
from server_support import EvidenceServerProcess, build_curated_store

ID = "https://w3id.org/evidencegraph/id/"
EG = "https://w3id.org/evidencegraph/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EGV = "https://w3id.org/evidencegraph/vocab/"
KARE = ID + "study/NCT02649231"
AUD = ID + "condition/alcohol-use-disorder"
KETAMINE = ID + "drug/ketamine"
#: FACTS.md (a): the KARE paper's identifiers
KARE_PAPER = ID + "source/doi/10.1176/appi.ajp.2021.21030277"
KARE_PMID, KARE_DOI = "35012326", "10.1176/appi.ajp.2021.21030277"
HTML = {"Accept": "text/html"}
RECORD = Path(__file__).parent / "data" / "ctgov" / "NCT03418623.json"


def _record() -> dict[str, object]:
    content = json.loads(RECORD.read_text("utf-8"))
    content["protocolSection"]["identificationModule"]["nctId"] = "NCT02649231"
    return content  # type: ignore[no-any-return]


REGISTRY_ENROLMENT = str(_record()["protocolSection"]["designModule"]["enrollmentInfo"]["count"])  # type: ignore[index]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The curated evidence with KARE's registry record imported (closed again)."""
    folder = tmp_path_factory.mktemp("registry-pages")
    path = build_curated_store(folder / "evidencegraph.db")
    record = folder / "NCT02649231.json"
    record.write_text(json.dumps(_record()), encoding="utf-8")
    imported = CliRunner().invoke(
        cli, ["--store", f"oxigraph:{path}", "import", "ctgov", str(record)]
    )
    assert imported.exit_code == 0, imported.output
    return path


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[OxigraphStore]:
    opened = OxigraphStore(store_path, read_only=True)
    yield opened
    opened.close()


class _Sections(HTMLParser):
    """A page's text by section id, its links, and the order the sections come in."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.order: list[str] = []
        self.links: list[str] = []
        self._open: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("id"):
            self._open.append(str(found["id"]))
            self.order.append(str(found["id"]))
            self.sections[str(found["id"])] = ""
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for name in self._open:
            self.sections[name] += " " + data

    def text(self, section: str) -> str:
        return " ".join(self.sections.get(section, "").split())


def _page(store: OxigraphStore, iri: str, *arguments: tuple[str, str]) -> _Sections:
    html = resource_html(store, iri, local_path, arguments)
    assert html is not None
    return _Sections(html)


def _count(store: OxigraphStore, query: str) -> int:
    rows = store.query(query).rows
    return int(rows[0]["n"])  # type: ignore[arg-type]


# --- 1. the study's summary --------------------------------------------------------------------


def test_a_study_page_opens_with_its_summary(store: OxigraphStore) -> None:
    page = _page(store, KARE)
    # the summary comes first, before the arms and long before the other properties
    assert page.order.index("summary") < page.order.index("arms") < page.order.index("properties")
    summary = page.text("summary")
    # FACTS.md (a): phase 2, completed, double-blind factorial, sponsored by UCL,
    # registered 5 January 2016, EudraCT 2015-000222-11
    for expected in (
        "Phase phase 2",
        "Status completed",
        "double blind",
        "factorial",
        "University College London",
        "Registered 2016-01-05",
        "NCT02649231",
        "2015-000222-11",
    ):
        assert expected in summary, (expected, summary)
    assert "Eligibility" in summary  # the registry record states its eligibility
    # the record's lead sponsor, of class INDUSTRY (tests/data/ctgov/NCT03418623.json)
    assert "Laboratorio Farmaceutico Ct S.r.l. (industry)" in summary, summary


def test_the_summary_shows_each_sources_enrolment_where_they_disagree(
    store: OxigraphStore,
) -> None:
    summary = _page(store, KARE).text("summary")
    enrolment = summary[summary.index("Enrolment") : summary.index("Design")]
    # the view's 96 (the paper's), then every value with its source: the registry's 24
    assert re.search(
        r"Sources differ on enrolment eg:enrolment : 96 : curated/studies \(curated evidence\) "
        rf"\(shown\) {REGISTRY_ENROLMENT} : ClinicalTrials\.gov record NCT02649231",
        enrolment,
    ), enrolment


def test_the_summary_is_not_repeated_below(store: OxigraphStore) -> None:
    page = _page(store, KARE)
    others = page.text("properties")
    assert others.startswith("Other properties")
    for shown in ("eg:phase", "eg:enrolment", "eg:overallStatus", "eg:sponsor", "eg:nctId"):
        assert shown not in others, shown
    # the disagreements the summary shows are not listed again below it; the others are
    below = page.text("disagreements")
    assert "eg:enrolment" not in below and "dcterms:title" in below, below
    # findings, claims and sources have sections of their own: not listed again as links here
    incoming = page.text("incoming")
    for shown in ("eg:ofStudy", "eg:about", "eg:reports"):
        assert shown not in incoming, shown


def test_a_result_reads_with_its_units_and_precision(store: OxigraphStore) -> None:
    findings = _page(store, KARE).text("findings")
    # FACTS.md (a): relapse OR 0.80 (95% CI 0.31 to 2.10); days abstinent +10.1 (1.1 to 19.0)
    assert "odds ratio: 0.80; 95% CI 0.31 to 2.10" in findings, findings
    assert "ratio;" not in findings  # the unit "ratio" only restated the measure
    assert "10.1 percentage point; 95% CI 1.1 to 19.0" in findings, findings


def test_numbers_are_written_to_one_precision() -> None:
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    terms = [ox.Literal(v, datatype=decimal) for v in ("10.1", "1.1", "19")]
    assert _same_places(terms) == ["10.1", "1.1", "19.0"]
    assert _same_places([ox.Literal("3", datatype=decimal), None]) == ["3", ""]
    assert _same_places([ox.Literal("n/a")]) == ["n/a"]


# --- 2. a drug's and a condition's trials ------------------------------------------------------


def test_a_conditions_page_lists_its_trials_with_facets(store: OxigraphStore) -> None:
    page = _page(store, AUD)
    studied = _count(
        store,
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{EG}studiesCondition> <{AUD}> }}",
    )
    listed = page.text("trials")
    assert listed.startswith(f"Trials ({studied})"), listed
    assert "/id/study/NCT02649231" in page.links
    phase2 = _count(
        store,
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{EG}studiesCondition> <{AUD}> ; "
        f"<{EG}phase> <{EGV}Phase2> }}",
    )
    assert re.search(rf"Phase phase 2 {phase2}\b", listed), listed
    for caption in ("Status", "Design", "Has results", "Start year"):
        assert caption in listed
    # the flat list of links the issue saw is gone: the condition's studies are not links here
    assert "studies condition" not in page.text("incoming")


def test_a_facet_narrows_the_list(store: OxigraphStore) -> None:
    chosen = trials.listing(store, ox.NamedNode(AUD), "condition", {"phase": EGV + "Phase2"})
    every = trials.listing(store, ox.NamedNode(AUD), "condition", {})
    assert 0 < chosen.matching < every.total == chosen.total
    for trial in chosen.trials:
        assert trial.phase == EGV + "Phase2"
    assert KARE in {trial.iri for trial in chosen.trials}
    # with results: KARE has findings
    with_results = trials.listing(store, ox.NamedNode(KETAMINE), "drug", {"results": "yes"})
    assert KARE in {trial.iri for trial in with_results.trials}
    assert all(trial.results for trial in with_results.trials)


def test_the_trials_are_paged(store: OxigraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trials, "PAGE_SIZE", 3)
    node = ox.NamedNode(AUD)
    first = trials.listing(store, node, "condition", {}, 1)
    assert first.pages == -(-first.total // 3) > 1
    seen = [
        t.iri
        for number in range(1, first.pages + 1)
        for t in trials.listing(store, node, "condition", {}, number).trials
    ]
    assert len(seen) == len(set(seen)) == first.total
    # past the end: the last page
    assert trials.listing(store, node, "condition", {}, 999).page == first.pages
    html = _page(store, AUD, ("page", "2"))
    assert "page 2 of" in html.text("trials")
    assert "?page=1#trials" in html.links and "?page=3#trials" in html.links


def test_mesh_narrower_terms_bring_their_studies() -> None:
    """A condition that is a MeSH term lists the studies the registry indexes under a term
    below it; the MeSH term's own page lists them too."""
    mesh = ox.NamedNode("http://id.nlm.nih.gov/mesh/D000437")
    narrower = ox.NamedNode("http://id.nlm.nih.gov/mesh/D999999")
    condition, study = ox.NamedNode(AUD), ox.NamedNode(ID + "study/NCT90000001")
    memory = OxigraphStore(None)
    native = memory.native
    for quad in (
        ox.Quad(condition, ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch"), mesh),
        ox.Quad(study, ox.NamedNode(RDF_TYPE), ox.NamedNode(EG + "Trial")),
        ox.Quad(study, ox.NamedNode(EG + "conditionMesh"), narrower),
        ox.Quad(study, ox.NamedNode(EG + "conditionMeshAncestor"), mesh),
        ox.Quad(study, ox.NamedNode(EG + "phase"), ox.NamedNode(EGV + "Phase3")),
    ):
        native.add(quad)
    by_condition = trials.listing(memory, condition, "condition", {})
    by_class = trials.listing(memory, mesh, "class", {})
    assert [t.iri for t in by_condition.trials] == [study.value]
    assert [t.iri for t in by_class.trials] == [study.value]
    assert trials.listing(memory, narrower, "class", {}).total == 1
    assert trials.listing(memory, ox.NamedNode(AUD + "-x"), "condition", {}).total == 0


def test_facet_choices_and_page_come_from_the_request() -> None:
    chosen, page = trials.chosen_facets(
        [("phase", EGV + "Phase2"), ("page", "3"), ("other", "x"), ("year", "2016")]
    )
    assert chosen == {"phase": EGV + "Phase2", "year": "2016"} and page == 3
    assert trials.chosen_facets([("page", "two")])[1] == 1


# --- 3. search --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(store: OxigraphStore) -> SearchIndex:
    return SearchIndex.build(store)


@pytest.mark.parametrize(
    ("query", "first", "kind"),
    [
        ("KARE", KARE, "study"),  # its acronym
        ("kar", KARE, "study"),  # as one types
        ("NCT02649231", KARE, "study"),
        (KARE_PMID, KARE_PAPER, "source"),
        (KARE_DOI, KARE_PAPER, "source"),
        ("10.1176/appi.ajp.2021", KARE_PAPER, "source"),
        ("ketamine", KETAMINE, "drug"),
        ("alcoholism", AUD, "condition"),  # a synonym (skos:altLabel)
        ("alcohol use", AUD, "condition"),
    ],
)
def test_search_finds_names_synonyms_and_identifiers(
    index: SearchIndex, query: str, first: str, kind: str
) -> None:
    hits = index.search(query)
    assert hits, query
    assert (hits[0].iri, hits[0].kind) == (first, kind), hits[:3]


def test_search_says_which_synonym_matched(index: SearchIndex) -> None:
    hit = index.search("alcoholism")[0]
    assert hit.name == "alcohol use disorder" and hit.matched == "alcoholism"
    assert index.search("zzzqqq") == [] and index.search("  ") == []
    assert len(index.search("a")) <= search.MAX_RESULTS


def test_an_update_makes_the_worker_build_its_index_again(tmp_path: Path) -> None:
    path = build_curated_store(tmp_path / "store.db")
    store = OxigraphStore(path)
    try:
        assert json.loads(SearchJob("Zebrafish", "json").run(store).body)["results"] == []
        update = UpdateJob(
            f"INSERT DATA {{ <{ID}drug/zebrafish-extract> a <{EG}Drug> ; "
            '<http://www.w3.org/2000/01/rdf-schema#label> "zebrafish extract" }'
        )
        assert update.run(store).form == "update"
        search.INDEXES.forget(store)  # what the worker does after an update (workers.worker_main)
        found = json.loads(SearchJob("Zebrafish", "json").run(store).body)["results"]
        assert [hit["href"] for hit in found] == ["/id/drug/zebrafish-extract"]
    finally:
        search.INDEXES.forget(store)
        store.close()


def test_a_writable_servers_search_and_listings_follow_its_updates(tmp_path: Path) -> None:
    """The worker forgets its search index and study table after an update (decision 0026):
    a drug inserted by SPARQL Update is found by the next search, with its trial listed."""
    path = build_curated_store(tmp_path / "store.db")
    token = "a-test-token-of-some-length-0123456789"
    (tmp_path / "token").write_text(token + "\n", encoding="utf-8")
    with EvidenceServerProcess(
        path, "--allow-update", "--token-file", str(tmp_path / "token")
    ) as writable:

        def search(text: str) -> list[str]:
            answer = requests.get(
                writable.url + "search", params={"q": text, "format": "json"}, timeout=60
            )
            return [hit["href"] for hit in answer.json()["results"]]

        drug = writable.url + "id/drug/zebrafish-extract"
        assert search("zebrafish") == []
        # a listing before the update: the worker's study table is built now
        before = requests.get(writable.url + "id/drug/ketamine", headers=HTML, timeout=30)
        assert "Trials (" in before.text
        update = requests.post(
            writable.endpoint,
            data={
                "update": f"INSERT DATA {{ <{ID}drug/zebrafish-extract> a <{EG}Drug> ; "
                '<http://www.w3.org/2000/01/rdf-schema#label> "zebrafish extract" . '
                f"<{KARE}> <{EG}studiesIntervention> <{ID}x/zebrafish> . "
                f"<{ID}x/zebrafish> <{EG}drug> <{ID}drug/zebrafish-extract> }}"
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert update.status_code == 204, update.text
        assert search("zebrafish") == ["/id/drug/zebrafish-extract"]
        page = requests.get(drug, headers=HTML, timeout=30).text
        assert "Trials (1)" in page and 'href="/id/study/NCT02649231"' in page


# --- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(store_path: Path, store: OxigraphStore) -> Iterator[EvidenceServerProcess]:
    with EvidenceServerProcess(store_path, "--workers", "1") as running:
        yield running


def test_search_over_http(server: EvidenceServerProcess) -> None:
    answer = requests.get(server.url + "search", params={"q": "KARE", "format": "json"}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(
        "application/json"
    )
    first = answer.json()["results"][0]
    assert first["href"] == "/id/study/NCT02649231" and first["matched"] == "KARE"
    page = requests.get(server.url + "search", params={"q": KARE_PMID}, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert 'href="/id/source/doi/10.1176/appi.ajp.2021.21030277"' in page.text
    too_long = requests.get(server.url + "search", params={"q": "x" * 201}, timeout=30)
    assert too_long.status_code == 400 and "at most 200 characters" in too_long.text
    # the search box is on every page
    ontology = requests.get(server.url + "ontology", headers=HTML, timeout=30)
    assert 'id="site-search"' in ontology.text


def test_a_pages_facets_over_http(server: EvidenceServerProcess) -> None:
    address = server.url + "id/condition/alcohol-use-disorder"
    every = requests.get(address, headers=HTML, timeout=30)
    chosen = requests.get(address, params={"phase": EGV + "Phase2"}, headers=HTML, timeout=30)
    assert every.status_code == chosen.status_code == 200
    assert "trials match" not in every.text and "trials match" in chosen.text
    # a parameter that is not the page's is not part of its cache key
    again = requests.get(address, params={"x": "1"}, headers=HTML, timeout=30)
    assert again.headers["X-Cache"] == "hit"


def test_a_node_stated_by_very_many_graphs_lists_them_kind_by_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past graphs.MANY_GRAPHS graphs stating one statement (a MeSH class every record
    labels), the first graphs are taken kind by kind without sorting them all: the curated
    graph still first, the total still counted, the list still bounded."""
    from evidencegraph.ontology.source_graphs import CATALOG, curated_graph, record_graph
    from evidencegraph.server import graphs

    monkeypatch.setattr(graphs, "MANY_GRAPHS", 5)
    n = ox.NamedNode
    mesh, label = n("http://id.nlm.nih.gov/mesh/D001523"), n(RDFS_LABEL)
    catalog, kind = n(CATALOG), n(EG + "sourceKind")
    name = ox.Literal("Mental Disorders")
    curated = n(curated_graph("studies"))
    quads = [
        ox.Quad(mesh, label, name),
        ox.Quad(mesh, label, name, curated),
        ox.Quad(curated, kind, n(EGV + "CuratedEvidence"), catalog),
    ]
    for index in range(80):
        graph = n(record_graph("ctgov", f"NCT{index:08d}"))
        quads += [
            ox.Quad(mesh, label, name, graph),
            ox.Quad(graph, kind, n(EGV + "RegistryRecord"), catalog),
        ]
    memory = OxigraphStore()
    memory.write_quads([], quads)
    found = graphs.attribute(memory, mesh, quads[:1])
    assert found.total == 81 and len(found.graphs) == graphs.MAX_LISTED_GRAPHS
    assert found.graphs[0].iri == curated.value
    assert found.counts[(RDFS_LABEL, name)] == 81


def test_a_mesh_class_has_a_page_of_its_trials(server: EvidenceServerProcess) -> None:
    """KARE's registry record indexes it under MeSH Alcoholism (D000437): the term's page at
    /mesh/D000437 lists KARE, and the study page links the term there."""
    page = requests.get(server.url + "mesh/D000437", headers=HTML, timeout=30)
    assert page.status_code == 200, page.text
    assert 'href="/id/study/NCT02649231"' in page.text and 'id="trials"' in page.text
    assert requests.get(server.url + "mesh/D000437.ttl", timeout=30).status_code == 200
    assert requests.get(server.url + "mesh/D999999999", timeout=30).status_code == 404
    study = requests.get(server.url + "id/study/NCT02649231", headers=HTML, timeout=30)
    assert 'href="/mesh/D000437"' in study.text
    found = requests.get(
        server.url + "search", params={"q": "Alcoholism", "format": "json"}, timeout=30
    ).json()["results"]
    assert {"href": "/mesh/D000437", "kind": "class"} in [
        {"href": hit["href"], "kind": hit["kind"]} for hit in found
    ]


def test_a_short_name_that_starts_as_typed_comes_before_long_titles(index: SearchIndex) -> None:
    # "keta" starts the drug's name and many studies' titles: the drug first
    hits = index.search("keta")
    assert hits[0].iri == KETAMINE
    assert any(hit.kind == "study" for hit in hits)


def test_a_drug_is_found_by_what_its_interventions_are_called() -> None:
    """A registry record names its intervention "Ketamine Hydrochloride", other name
    "Ketalar" (skos:altLabel on the intervention, docs/importing.md): both find the drug."""
    n = ox.NamedNode
    drug, intervention = n(KETAMINE), n(ID + "study/NCT90000001/intervention/ketamine-hcl")
    label, alt = n(RDFS_LABEL), n("http://www.w3.org/2004/02/skos/core#altLabel")
    memory = OxigraphStore()
    memory.write_quads(
        [],
        [
            ox.Quad(drug, n(RDF_TYPE), n(EG + "Drug")),
            ox.Quad(drug, label, ox.Literal("ketamine")),
            ox.Quad(intervention, n(EG + "drug"), drug),
            ox.Quad(intervention, label, ox.Literal("Ketamine Hydrochloride")),
            ox.Quad(intervention, alt, ox.Literal("Ketalar")),
        ],
    )
    built = SearchIndex.build(memory)
    assert [(h.iri, h.matched) for h in built.search("ketal")] == [(KETAMINE, "Ketalar")]
    assert [(h.iri, h.matched) for h in built.search("ketamine hydro")] == [
        (KETAMINE, "Ketamine Hydrochloride")
    ]
    assert len(built) == 1  # the intervention is found through its drug, not itself


@pytest.mark.parametrize(
    ("node", "kind"),
    [(AUD, "condition"), (KETAMINE, "drug"), ("http://id.nlm.nih.gov/mesh/D000437", "class")],
)
def test_the_worker_table_has_the_studies_sparql_finds(
    store: OxigraphStore, node: str, kind: str
) -> None:
    """The worker's table answers a listing's members as the SPARQL patterns do
    (trials._MEMBERS, what docs/server.md says a listing holds)."""
    members = trials._MEMBERS[kind].replace("?node", f"<{node}>")
    rows = store.query(trials._PREFIXES + f"SELECT DISTINCT ?study WHERE {{ {members} }}").rows
    expected = {str(row["study"]) for row in rows}
    assert expected
    assert {t.iri for t in trials.table_of(store).members(node, kind)} == expected


# --- at registry scale: the same answers, sooner (the worker's table, counts and warm-up) ------


def _reference_listing(
    members: list[trials.Trial], chosen: dict[str, str], page: int
) -> tuple[list[str], list[tuple[str, list[tuple[str, int, bool]]]], int]:
    """A listing worked out trial by trial, as docs/server.md words it: each facet counted
    over the trials every other choice keeps, newest start first. The page's trials, the
    facets and how many match."""

    def kept(trial: trials.Trial, but: str | None) -> bool:
        return all(
            value in trial.facet_values(name) for name, value in chosen.items() if name != but
        )

    facets = []
    for name, _ in trials.FACETS:
        counts: dict[str, int] = {}
        for trial in members:
            if kept(trial, name):
                for value in trial.facet_values(name):
                    counts[value] = counts.get(value, 0) + 1
        if name in ("year", "results"):
            order = sorted(counts, reverse=True)
        else:
            order = sorted(counts, key=lambda v: (-counts[v], v))
        facets.append((name, [(v, counts[v], chosen.get(name) == v) for v in order]))
    matching = sorted(
        (t for t in members if kept(t, None)), key=lambda t: (t.start or "0000", t.iri)
    )[::-1]
    pages = max(1, -(-len(matching) // trials.PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = matching[(page - 1) * trials.PAGE_SIZE : page * trials.PAGE_SIZE]
    return [t.iri for t in shown], facets, len(matching)


def _listed(
    found: trials.Listing,
) -> tuple[list[str], list[tuple[str, list[tuple[str, int, bool]]]], int]:
    facets = [
        (name, [(v.value, v.count, v.chosen) for v in values]) for name, _, values in found.facets
    ]
    return [t.iri for t in found.trials], facets, found.matching


def _listing_nodes(store: OxigraphStore) -> list[tuple[str, str]]:
    rows = store.query(
        f"SELECT DISTINCT ?node ?type WHERE {{ VALUES ?type {{ <{EG}Drug> <{EG}Condition> "
        f"<{EG}MeshTerm> }} ?node a ?type }} ORDER BY ?node"
    ).rows
    kinds = {EG + "Drug": "drug", EG + "Condition": "condition", EG + "MeshTerm": "class"}
    return [(str(row["node"]), kinds[str(row["type"])]) for row in rows]


def test_facets_counted_by_codes_are_the_trial_by_trial_counts(
    store: OxigraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table counts a facet by per-study codes (issue 20: 110 ms a page at 100,000
    studies trial by trial): every drug's, condition's and MeSH term's listing of the store,
    with no choice and with each phase, design and year chosen, pages 1 and 2 of 2 trials
    each, is the listing worked out trial by trial."""
    monkeypatch.setattr(trials, "PAGE_SIZE", 2)
    table = trials.table_of(store)
    checked = 0
    for node, kind in _listing_nodes(store):
        members = table.members(node, kind)
        if not members:
            continue
        choices: list[dict[str, str]] = [{}]
        for name in ("phase", "design", "year", "results"):
            values = sorted({v for t in members for v in t.facet_values(name)})
            choices += [{name: value} for value in values[:2]]
        choices.append({"phase": EGV + "Phase2", "results": "yes"})
        for chosen in choices:
            for page in (1, 2):
                found = trials.listing(store, ox.NamedNode(node), kind, chosen, page)
                assert _listed(found) == _reference_listing(members, chosen, page), (node, chosen)
                checked += 1
    assert checked > 50


def test_a_listing_before_the_table_is_built_is_the_same(store: OxigraphStore) -> None:
    """While the worker builds its table (at its start, in the background), a listing reads
    its node's trials by SPARQL: the same trials, facets and counts as from the table."""
    for node, kind in [
        (AUD, "condition"),
        (KETAMINE, "drug"),
        ("http://id.nlm.nih.gov/mesh/D000437", "class"),
    ]:
        whole = trials.table_of(store)
        alone = trials.StudyTable.build(store, only=(ox.NamedNode(node), kind))
        for chosen in ({}, {"phase": EGV + "Phase2"}, {"results": "yes"}):
            from_table = whole.listing(whole.numbers(node, kind), chosen)
            by_sparql = alone.listing(alone.numbers(node, kind), chosen)
            assert _listed(by_sparql) == _listed(from_table), (node, chosen)
            assert by_sparql.total == from_table.total > 0
        # and what trials.listing answers while the table is pending
        trials.TABLES.forget(store)
        assert trials.TABLES.pend(store)
        try:
            assert trials.TABLES.ready(store) is None
            pending = trials.listing(store, ox.NamedNode(node), kind, {})
        finally:
            trials.TABLES.settle(store)
        assert _listed(pending) == _listed(trials.listing(store, ox.NamedNode(node), kind, {}))


def test_kept_statement_counts_give_the_same_attribution_and_page(
    store: OxigraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker counts once what the graphs state of the busiest nodes (pages.COUNTED; issue
    20: 170 ms of a MeSH class's page at 100,000 studies): the attribution, and the page,
    are those counted per page. Here every node with a study counts as busy."""
    from evidencegraph.server import graphs, pages

    for iri in (AUD, KETAMINE, KARE, "http://id.nlm.nih.gov/mesh/D000437"):
        node = ox.NamedNode(iri)
        view = pages._gather(store, iri, for_page=True).quads
        counted = graphs.count_statements(store, node)
        assert counted.total > 0 and counted.counts
        assert graphs.attribute(store, node, view, counted) == graphs.attribute(store, node, view)
    unkept = resource_html(store, AUD, local_path)
    monkeypatch.setattr(pages, "MANY_GRAPHS", 0)
    pages.COUNTED.forget(store)
    try:
        assert AUD in pages.COUNTED.of(store)
        assert resource_html(store, AUD, local_path) == unkept
    finally:
        pages.COUNTED.forget(store)


def test_a_value_built_while_the_store_changed_is_built_again(tmp_path: Path) -> None:
    """A background build (per_store.warm_up) that read the store before an update is not
    kept: the value is built again from what the store holds now, never older."""
    import threading

    from evidencegraph.server.per_store import PerStore, warm_up

    store = OxigraphStore(build_curated_store(tmp_path / "store.db"))
    reading, go_on = threading.Event(), threading.Event()

    def drugs(store: OxigraphStore) -> int:
        found = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?d a <{EG}Drug> }}")
        reading.set()
        go_on.wait(30)
        return found

    kept: PerStore[int] = PerStore(drugs)
    try:
        before = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?d a <{EG}Drug> }}")
        thread = warm_up(store, [kept])
        assert thread is not None and reading.wait(30)
        assert kept.ready(store) is None  # being built: the caller answers without it
        assert warm_up(store, [kept]) is None  # one build at a time
        UpdateJob(f"INSERT DATA {{ <{ID}drug/zebrafish-extract> a <{EG}Drug> }}").run(store)
        kept.forget(store)  # what the worker does after an update
        go_on.set()
        thread.join(30)
        assert kept.ready(store) == before + 1
    finally:
        go_on.set()
        store.close()


def test_a_search_before_the_index_is_built_finds_the_same(store: OxigraphStore) -> None:
    """While the worker builds its index, a search reads the nodes that may match by SPARQL
    and ranks them as the index does; the answer is not cached (it may rank fewer)."""
    index = search.index_of(store)
    for text in (
        "KARE",
        "kar",
        "NCT02649231",
        KARE_PMID,
        KARE_DOI,
        "ketamine",
        "alcoholism",
        "alcohol use",
        "keta",
    ):
        expected = [(h.iri, h.matched) for h in index.search(text)]
        assert [(h.iri, h.matched) for h in SearchIndex.build_for(store, text).search(text)][
            :3
        ] == expected[:3], text
    assert SearchIndex.build_for(store, "zzzqqq").search("zzzqqq") == []
    # the nodes looked up one by one are indexed as the whole store's scan indexes them
    every = [ox.NamedNode(node.iri) for node in index._nodes]
    looked_up = SearchIndex.build(store, among=every)

    def held(built: SearchIndex) -> list[tuple[str, str, str, list[str], list[str]]]:
        return [(n.iri, n.kind, n.name, n.shown, n.identifiers) for n in built._nodes]

    assert held(looked_up) == held(index) and len(index) > 100
    search.INDEXES.forget(store)
    assert search.INDEXES.pend(store)
    try:
        answer = SearchJob("KARE", "json").run(store)
    finally:
        search.INDEXES.settle(store)
    assert not answer.cacheable
    assert json.loads(answer.body)["results"][0]["href"] == "/id/study/NCT02649231"
    assert SearchJob("KARE", "json").run(store).cacheable


def test_a_server_answers_a_search_at_once_and_warms_up(store_path: Path) -> None:
    """A worker builds its index and table when it starts, in the background: a search sent
    as soon as the server answers is answered rightly, and once the worker says it is warm
    its answers come from the index (cached: a repeat is a cache hit)."""
    import time

    with EvidenceServerProcess(store_path, "--workers", "1") as running:
        first = requests.get(
            running.url + "search", params={"q": "KARE", "format": "json"}, timeout=60
        )
        assert first.status_code == 200
        assert first.json()["results"][0]["href"] == "/id/study/NCT02649231"
        deadline = time.monotonic() + 60
        while "has built its search index" not in running.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "has built its search index and study table" in running.log(), running.log()
        asked = {"q": "alcoholism", "format": "json"}
        once = requests.get(running.url + "search", params=asked, timeout=30)
        again = requests.get(running.url + "search", params=asked, timeout=30)
        assert once.json()["results"][0]["href"] == "/id/condition/alcohol-use-disorder"
        assert again.headers["X-Cache"] == "hit" and again.json() == once.json()
        listing = requests.get(
            running.url + "id/condition/alcohol-use-disorder", headers=HTML, timeout=30
        )
        assert listing.status_code == 200 and 'href="/id/study/NCT02649231"' in listing.text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_the_warm_up_yields_the_cpu_to_the_jobs(tmp_path: Path) -> None:
    """The background build runs at a lower priority than the worker's jobs, and only it: the
    thread that answers the jobs keeps its own."""
    import os
    import threading

    from evidencegraph.server.per_store import WARM_UP_NICENESS, PerStore, warm_up

    def nice_of(thread_id: int) -> int:
        fields = Path(f"/proc/self/task/{thread_id}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[16])  # field 19 of proc(5), counted from the state (field 3)

    store = OxigraphStore(build_curated_store(tmp_path / "store.db"))
    seen: list[int] = []

    def drugs(store: OxigraphStore) -> int:
        seen.append(nice_of(threading.get_native_id()))
        return _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?d a <{EG}Drug> }}")

    kept: PerStore[int] = PerStore(drugs)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        thread = warm_up(store, [kept])
        assert thread is not None
        thread.join(30)
        assert seen == [min(19, ours + WARM_UP_NICENESS)]
        assert kept.ready(store) == _count(
            store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?d a <{EG}Drug> }}"
        )
        assert nice_of(threading.get_native_id()) == ours  # the caller's thread is as it was
    finally:
        store.close()
