"""`dump` of the source graphs (issue 17): the graphs file beside the view, its VoID subsets,
and `diff` of two graphs files."""

from __future__ import annotations

import gzip
import random
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, URIRef

from evidencegraph.cli.main import cli
from evidencegraph.ontology.source_graphs import CATALOG, GRAPH_BASE, MODEL_GRAPH, NOT_SHOWN
from evidencegraph.publish.dump import (
    GRAPHS_NAME,
    NTRIPLES_NAME,
    TURTLE_NAME,
    VOID_NAME,
    OutputError,
    dump_store,
)
from evidencegraph.store.core import OxigraphStore
from support import DATA

VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EG = "https://w3id.org/evidencegraph/ontology#"
EGV = "https://w3id.org/evidencegraph/vocab/"
EGID = "https://w3id.org/evidencegraph/id/"
ISSUED = date(2025, 1, 2)
KINDS = ("ModelDefinition", "CuratedEvidence", "JournalArticleRecord", "RegistryRecord")

STUDY = ox.NamedNode(EGID + "study/NCT03418623")
ENROLMENT = ox.NamedNode(EG + "enrolment")
REGISTRY = ox.NamedNode(GRAPH_BASE + "ctgov/NCT03418623")
LOADED = ox.NamedNode(GRAPH_BASE + "file/other-enrolment.ttl")
CATALOG_GRAPH = ox.NamedNode(CATALOG)
#: A file stating another enrolment for the GET73 trial (the registry record says 24): a
#: loaded file is an "other" source, below the registry, so the view keeps 24.
OTHER_ENROLMENT = f"<{STUDY.value}> <{ENROLMENT.value}> 40 .\n"


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def make_flow_store(directory: Path, *, with_file: bool = True) -> str:
    """A store made as a user makes one: ``build`` (the model's graph and the five curated
    graphs), ``import ctgov`` of one real registry record (NCT03418623, enrolment 24) and
    ``load`` of a file stating another enrolment for it."""
    descriptor = f"oxigraph:{directory / 'kg.db'}"
    assert run("--store", descriptor, "build").exit_code == 0
    record = DATA / "ctgov" / "NCT03418623.json"
    imported = run("--store", descriptor, "import", "ctgov", record)
    assert imported.exit_code == 0, imported.output
    if with_file:
        other = directory / "other-enrolment.ttl"
        other.write_text(OTHER_ENROLMENT)
        loaded = run("--store", descriptor, "load", other)
        assert loaded.exit_code == 0, loaded.output
    return descriptor


@pytest.fixture(scope="module")
def flow_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_flow_store(tmp_path_factory.mktemp("flow"))


def opened(descriptor: str) -> OxigraphStore:
    return OxigraphStore(Path(descriptor.removeprefix("oxigraph:")), read_only=True)


@pytest.fixture(scope="module")
def dataset(flow_db: str) -> list[ox.Quad]:
    """Every quad of the flow's store: the view and the named graphs."""
    store = opened(flow_db)
    try:
        return list(ox.parse(store.dump_nquads(), format=ox.RdfFormat.N_QUADS))
    finally:
        store.close()


def view_of(quads: list[ox.Quad]) -> list[ox.Quad]:
    return [q for q in quads if isinstance(q.graph_name, ox.DefaultGraph)]


def store_of(quads: list[ox.Quad], path: Path | None = None) -> OxigraphStore:
    store = OxigraphStore(path)
    store.write_quads([], quads)
    return store


def dumped(store: OxigraphStore, directory: Path) -> dict[str, bytes]:
    dump_store(store, directory, issued=ISSUED)
    names = (TURTLE_NAME, NTRIPLES_NAME, GRAPHS_NAME, VOID_NAME)
    return {name: (directory / name).read_bytes() for name in names}


def read_graphs_file(path: Path) -> list[ox.Quad]:
    return list(ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_QUADS))


def canonical(quads: list[ox.Quad]) -> set[ox.Quad]:
    """The quads with their blank nodes relabelled canonically: equal sets mean isomorphic."""
    held = ox.Dataset(quads)
    held.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(held)


# --- the graphs file -----------------------------------------------------------------------


def test_two_dumps_of_one_store_write_the_same_graphs_file(flow_db: str, tmp_path: Path) -> None:
    for name in ("first", "second"):
        result = run("--store", flow_db, "dump", tmp_path / name, "--issued", "2025-01-02")
        assert result.exit_code == 0, result.output
    first = (tmp_path / "first" / GRAPHS_NAME).read_bytes()
    assert first == (tmp_path / "second" / GRAPHS_NAME).read_bytes()
    assert first[3] & 0x08 == 0  # gzip FLG.FNAME: no file name
    assert first[4:8] == b"\0\0\0\0"  # MTIME 0


def test_the_graphs_file_is_the_same_bytes_whatever_the_order(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    site = ox.BlankNode()  # a blank node in a source graph, relabelled canonically
    extra = [
        ox.Quad(STUDY, ox.NamedNode(EG + "site"), site, LOADED),
        ox.Quad(site, ox.NamedNode(RDF_TYPE), ox.NamedNode(EG + "Site"), LOADED),
    ]
    first = dumped(store_of(dataset + extra), tmp_path / "first")
    shuffled = dataset + extra
    random.Random(17).shuffle(shuffled)
    # parsed again, the blank node gets another identifier in the second store
    text = ox.serialize(shuffled, format=ox.RdfFormat.N_QUADS)
    assert text is not None
    second = dumped(store_of(list(ox.parse(text, format=ox.RdfFormat.N_QUADS))), tmp_path / "b")
    assert first == second
    assert b"_:c14n0" in gzip.decompress(first[GRAPHS_NAME])


def test_the_graphs_file_holds_every_named_quad_of_the_store_sorted(
    flow_db: str, tmp_path: Path
) -> None:
    assert run("--store", flow_db, "dump", tmp_path).exit_code == 0
    written = read_graphs_file(tmp_path / GRAPHS_NAME)
    store = opened(flow_db)
    try:
        assert canonical(written) == canonical(list(store.named_quads()))
    finally:
        store.close()
    assert not any(isinstance(q.graph_name, ox.DefaultGraph) for q in written)
    graphs = {q.graph_name for q in written}
    assert {CATALOG_GRAPH, REGISTRY, LOADED, ox.NamedNode(MODEL_GRAPH)} <= graphs
    # both enrolments of the GET73 trial, each in its source's graph
    assert ox.Quad(STUDY, ENROLMENT, integer(24), REGISTRY) in written
    assert ox.Quad(STUDY, ENROLMENT, integer(40), LOADED) in written
    lines = gzip.decompress((tmp_path / GRAPHS_NAME).read_bytes()).splitlines(keepends=True)
    assert lines == sorted(set(lines))  # LC_ALL=C sort order, one line a quad


def test_the_view_files_are_the_same_with_or_without_the_graphs(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    view = view_of(dataset)
    view_only = dumped(store_of(view), tmp_path / "view")
    with_graphs = dumped(store_of(dataset), tmp_path / "graphs")
    assert with_graphs[TURTLE_NAME] == view_only[TURTLE_NAME]
    assert with_graphs[NTRIPLES_NAME] == view_only[NTRIPLES_NAME]
    turtle = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(with_graphs[TURTLE_NAME], format=ox.RdfFormat.TURTLE)
    }
    assert turtle == {ox.Triple(q.subject, q.predicate, q.object) for q in view}
    # the view shows the registry's enrolment; the loaded file's stays in its graph
    assert ox.Triple(STUDY, ENROLMENT, integer(24)) in turtle
    assert ox.Triple(STUDY, ENROLMENT, integer(40)) not in turtle
    assert CATALOG.encode() not in with_graphs[TURTLE_NAME]  # nor is the catalog in the view
    assert CATALOG.encode() not in gzip.decompress(with_graphs[NTRIPLES_NAME])


def test_a_failing_dump_replaces_no_file_the_graphs_file_included(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    before = dumped(store_of(dataset), tmp_path)
    (tmp_path / VOID_NAME).unlink()
    (tmp_path / VOID_NAME).mkdir()  # void.ttl cannot be renamed over this
    changed = store_of(dataset)
    changed.write_quads([ox.Quad(STUDY, ENROLMENT, integer(40), LOADED)], [])
    with pytest.raises(OutputError, match="nothing was replaced"):
        dump_store(changed, tmp_path, issued=ISSUED)
    assert (tmp_path / GRAPHS_NAME).read_bytes() == before[GRAPHS_NAME]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no scratch left


# --- VoID ----------------------------------------------------------------------------------


def subsets(directory: Path) -> dict[str, dict[str, object]]:
    """Each void:subset of the dataset, by its dcterms:type (or the last part of its graph's
    name: "catalog", "not-shown"): what it states."""
    void = Graph().parse(directory / VOID_NAME, format="turtle")
    dataset = next(void.subjects(URIRef(RDF_TYPE), URIRef(VOID + "Dataset")))
    described: dict[str, dict[str, object]] = {}
    for part in void.objects(dataset, URIRef(VOID + "subset")):
        kind = void.value(part, URIRef(DCTERMS + "type"))
        name = void.value(part, URIRef(SD + "name"))
        key = str(kind).removeprefix(EGV) if kind is not None else str(name).rsplit("/")[-1]
        described[key] = {
            "triples": int(void.value(part, URIRef(VOID + "triples"))),  # type: ignore[arg-type]
            "graphs": int(void.value(part, URIRef(VOID + "documents"))),  # type: ignore[arg-type]
            "name": void.value(part, URIRef(SD + "name")),
            "dump": void.value(part, URIRef(VOID + "dataDump")),
            "types": set(void.objects(part, URIRef(RDF_TYPE))),
        }
    return described


def counted_by_sparql(store: OxigraphStore) -> dict[str, tuple[int, int]]:
    """Per kind of source (as the catalog names it; "OtherSource" for a graph it does not
    describe), for the catalog and for the not-shown graph: (graphs, statements), counted by
    SPARQL on the store."""
    query = f"""
        SELECT ?kind (COUNT(DISTINCT ?g) AS ?graphs) (COUNT(*) AS ?statements) WHERE {{
            GRAPH ?g {{ ?s ?p ?o }}
            OPTIONAL {{ GRAPH <{CATALOG}> {{ ?g <{EG}sourceKind> ?described }} }}
            BIND(IF(?g = <{CATALOG}>, "catalog", IF(?g = <{NOT_SHOWN}>, "not-shown",
                 STRAFTER(STR(COALESCE(?described, <{EGV}OtherSource>)), "{EGV}"))) AS ?kind)
        }} GROUP BY ?kind"""
    counted = {kind: (0, 0) for kind in (*KINDS, "OtherSource", "catalog", "not-shown")}
    for row in store.query(query).rows:
        counted[str(row["kind"])] = (int(row["graphs"]), int(row["statements"]))  # type: ignore[call-overload]
    return counted


def test_void_has_a_subset_per_kind_of_source_and_one_for_the_catalog(
    flow_db: str, tmp_path: Path
) -> None:
    assert run("--store", flow_db, "dump", tmp_path).exit_code == 0
    stated = subsets(tmp_path)
    store = opened(flow_db)
    try:
        expected = counted_by_sparql(store)
    finally:
        store.close()
    assert {kind: (s["graphs"], s["triples"]) for kind, s in stated.items()} == expected
    # the graphs the flow made (decision 0021): the model's, one per curated file (sources,
    # concepts, studies, claims-000, claims-002, appraisal), the registry record's, the loaded
    # file's
    graphs = {kind: graphs for kind, (graphs, _) in expected.items()}
    assert graphs == {
        "ModelDefinition": 1,
        "CuratedEvidence": 6,
        "JournalArticleRecord": 0,
        "RegistryRecord": 1,
        "OtherSource": 1,
        "catalog": 1,
        "not-shown": 1,  # the file's enrolment, which the curated one outranks
    }
    assert expected["OtherSource"] == (1, 1)  # the one enrolment the file states
    graphs_file = URIRef("https://w3id.org/evidencegraph/dump/" + GRAPHS_NAME)
    assert all(s["dump"] == graphs_file for s in stated.values())
    assert stated["catalog"]["name"] == URIRef(CATALOG)
    assert stated["not-shown"]["name"] == URIRef(NOT_SHOWN)
    assert URIRef(SD + "NamedGraph") in stated["catalog"]["types"]  # type: ignore[operator]


def test_void_of_a_store_with_no_named_graph_states_empty_subsets(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    dump_store(store_of(view_of(dataset)), tmp_path, issued=ISSUED)
    stated = subsets(tmp_path)
    assert {kind: (s["graphs"], s["triples"]) for kind, s in stated.items()} == {
        kind: (0, 0) for kind in (*KINDS, "OtherSource", "catalog", "not-shown")
    }
    assert gzip.decompress((tmp_path / GRAPHS_NAME).read_bytes()) == b""


# --- the command line ----------------------------------------------------------------------


def test_dump_counts_the_statements_and_graphs_and_names_the_file(
    flow_db: str, dataset: list[ox.Quad], tmp_path: Path
) -> None:
    result = run("--store", flow_db, "dump", tmp_path, "--issued", "2025-01-02")
    assert result.exit_code == 0, result.output
    named = [q for q in dataset if not isinstance(q.graph_name, ox.DefaultGraph)]
    graphs = len({q.graph_name for q in named})
    first = result.output.splitlines()[0]
    assert first == (
        f"Dumped {len(view_of(dataset)):,} triples, and {len(named):,} statements in "
        f"{graphs} named graphs, into {tmp_path}:"
    )
    assert f"  {GRAPHS_NAME}  " in result.output


def test_diff_of_two_graphs_files_names_the_graph_of_each_change(tmp_path: Path) -> None:
    """Loading a file whose value loses to the registry's changes the graphs, not the view."""
    descriptor = make_flow_store(tmp_path, with_file=False)
    assert run("--store", descriptor, "dump", tmp_path / "old").exit_code == 0
    other = tmp_path / "other-enrolment.ttl"
    other.write_text(OTHER_ENROLMENT)
    assert run("--store", descriptor, "load", other).exit_code == 0
    assert run("--store", descriptor, "dump", tmp_path / "new").exit_code == 0
    old, new = tmp_path / "old" / GRAPHS_NAME, tmp_path / "new" / GRAPHS_NAME
    result = run("diff", old, new)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"+ {ox.Quad(STUDY, ENROLMENT, integer(40), LOADED)} ." in lines
    assert all(line.startswith("+ ") for line in lines)  # nothing else left a graph
    # the value the view does not show is marked (decision 0030)
    mark = f"+ {ox.Quad(STUDY, ENROLMENT, integer(40), ox.NamedNode(NOT_SHOWN))} ."
    assert mark in lines
    # the rest is the catalog's description of the new graph
    others = [line for line in lines if not line.endswith((f" {LOADED} .", f"<{NOT_SHOWN}> ."))]
    assert others and all(line.startswith(f"+ {LOADED} ") for line in others)
    assert all(line.endswith(f" {CATALOG_GRAPH} .") for line in others)
    summary = run("diff", "--summary", old, new)
    assert summary.exit_code == 0, summary.output
    by_graph = summary.output.split("\n\n")[1].splitlines()
    assert by_graph[0].split() == ["graph", "added", "removed"]
    assert [row.split() for row in by_graph[1:]] == [
        [CATALOG, str(len(others)), "0"],
        [LOADED.value, "1", "0"],
        [NOT_SHOWN, "1", "0"],
    ]
    # the view did not change: the registry's 24 still shows
    view = run("diff", tmp_path / "old" / NTRIPLES_NAME, tmp_path / "new" / TURTLE_NAME)
    assert view.exit_code == 0 and view.output == ""


def test_diff_of_the_view_against_the_graphs_compares_graph_and_all(
    flow_db: str, tmp_path: Path
) -> None:
    """A triple of the view and the same triple in a source graph are different statements."""
    assert run("--store", flow_db, "dump", tmp_path).exit_code == 0
    result = run("diff", "--summary", tmp_path / NTRIPLES_NAME, tmp_path / GRAPHS_NAME)
    assert result.exit_code == 0, result.output
    by_graph = result.output.split("\n\n")[1].splitlines()
    assert by_graph[1].startswith("(default graph)")  # the default graph's row comes first
    assert by_graph[1].split()[2:] == ["0", f"{len(view_of_dump(tmp_path)):,}"]


def view_of_dump(directory: Path) -> list[ox.Quad]:
    return list(
        ox.parse(
            gzip.decompress((directory / NTRIPLES_NAME).read_bytes()), format=ox.RdfFormat.N_TRIPLES
        )
    )


def dumped_through_sparql(dataset: list[ox.Quad], directory: Path) -> dict[str, bytes]:
    """The dump of ``dataset`` put on an Oxigraph server by the Graph Store Protocol (as
    N-Quads, not through the store's own writer) and read back by the ``sparql:`` store,
    whose named graphs the base Store reads by SPARQL (``GRAPH ?g``)."""
    import requests

    from support import make_store, shared_oxigraph_server

    remote = make_store("sparql", directory)
    url = shared_oxigraph_server().url
    try:
        response = requests.post(
            f"{url}/store",
            data=ox.serialize(dataset, format=ox.RdfFormat.N_QUADS),
            headers={"Content-Type": "application/n-quads"},
            timeout=60,
        )
        assert response.status_code in (200, 201, 204), response.text
        return dumped(remote, directory / "remote")  # type: ignore[arg-type]
    finally:
        requests.post(f"{url}/update", data={"update": "CLEAR ALL"}, timeout=60)
        remote.close()


def test_the_view_dumped_through_the_sparql_store_is_the_same_bytes(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    expected = dumped(store_of(dataset), tmp_path / "embedded")
    remote = dumped_through_sparql(dataset, tmp_path)
    assert remote[TURTLE_NAME] == expected[TURTLE_NAME]
    assert remote[NTRIPLES_NAME] == expected[NTRIPLES_NAME]
    # the graphs file holds as many statements (and the same bytes: the next test)
    remote_graphs = read_graphs_file(tmp_path / "remote" / GRAPHS_NAME)
    assert len(remote_graphs) == len(read_graphs_file(tmp_path / "embedded" / GRAPHS_NAME))


def test_the_graphs_dumped_through_the_sparql_store_are_the_same_bytes(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    expected = dumped(store_of(dataset), tmp_path / "embedded")
    assert dumped_through_sparql(dataset, tmp_path)[GRAPHS_NAME] == expected[GRAPHS_NAME]
