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
from rdflib import Graph, Literal, URIRef

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.source_graphs import CATALOG, GRAPH_BASE, MODEL_GRAPH
from evidencegraph.publish.dump import (
    GRAPHS_NAME,
    NTRIPLES_NAME,
    TURTLE_NAME,
    VOID_NAME,
    OutputError,
    dump_store,
)
from evidencegraph.store.core import OxigraphStore

VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EG = "https://w3id.org/evidencegraph/ontology#"
EGV = "https://w3id.org/evidencegraph/vocab/"
EGID = "https://w3id.org/evidencegraph/id/"
ISSUED = date(2025, 1, 2)
KINDS = ("ModelDefinition", "CuratedEvidence", "JournalArticleRecord", "RegistryRecord")

KARE = ox.NamedNode(EGID + "study/NCT02649231")
ENROLMENT = ox.NamedNode(EG + "enrolment")
CURATED = ox.NamedNode(GRAPH_BASE + "curated/studies")
REGISTRY = ox.NamedNode(GRAPH_BASE + "ctgov/NCT02649231")
LOADED = ox.NamedNode(GRAPH_BASE + "file/extra.nt")
CATALOG_GRAPH = ox.NamedNode(CATALOG)


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


def source_graphs() -> list[ox.Quad]:
    """Named graphs as decision 0021 lays them out: KARE's enrolment in the curated graph (96,
    by the paper) and in the registry record's graph (24, the registry copy, FACTS.md), the
    model's graph, a loaded file's graph the catalog does not describe (counted as "other"),
    a blank node in the registry graph, and the catalog describing three of them."""
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    site = ox.BlankNode()
    graphs = [
        ox.Quad(KARE, ENROLMENT, integer(96), CURATED),
        ox.Quad(KARE, ox.NamedNode(EG + "acronym"), ox.Literal("KARE"), CURATED),
        ox.Quad(KARE, ox.NamedNode(RDF_TYPE), ox.NamedNode(EG + "Trial"), REGISTRY),
        ox.Quad(KARE, ENROLMENT, integer(24), REGISTRY),
        ox.Quad(KARE, ox.NamedNode(EG + "site"), site, REGISTRY),
        ox.Quad(site, label, ox.Literal("University College London"), REGISTRY),
        ox.Quad(
            ox.NamedNode(EG + "Trial"),
            ox.NamedNode(RDF_TYPE),
            ox.NamedNode("http://www.w3.org/2002/07/owl#Class"),
            ox.NamedNode(MODEL_GRAPH),
        ),
        ox.Quad(KARE, label, ox.Literal("a loaded label"), LOADED),
    ]
    for graph, kind in (
        (CURATED, "CuratedEvidence"),
        (REGISTRY, "RegistryRecord"),
        (ox.NamedNode(MODEL_GRAPH), "ModelDefinition"),
    ):
        stated = sum(1 for q in graphs if q.graph_name == graph)
        graphs += [
            ox.Quad(graph, ox.NamedNode(p), o, CATALOG_GRAPH)
            for p, o in (
                (RDF_TYPE, ox.NamedNode(EG + "SourceGraph")),
                (EG + "sourceKind", ox.NamedNode(EGV + kind)),
                (VOID + "triples", integer(stated)),
            )
        ]
    return graphs


def store_of(quads: list[ox.Quad], path: Path | None = None) -> OxigraphStore:
    store = OxigraphStore(path)
    store.write_quads([], quads)
    return store


@pytest.fixture(scope="module")
def dataset(built: EvidenceGraph) -> list[ox.Quad]:
    """The curated view and the source graphs: every quad of the store the tests dump."""
    return list(built.store.quads()) + source_graphs()


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


def test_the_graphs_file_is_the_same_bytes_whatever_the_order(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    first = dumped(store_of(dataset), tmp_path / "first")
    shuffled = list(dataset)
    random.Random(17).shuffle(shuffled)
    # parsed again, the blank nodes get other identifiers in the second store
    text = ox.serialize(shuffled, format=ox.RdfFormat.N_QUADS)
    assert text is not None
    second = dumped(store_of(list(ox.parse(text, format=ox.RdfFormat.N_QUADS))), tmp_path / "b")
    assert first[GRAPHS_NAME] == second[GRAPHS_NAME]
    assert first == second
    header = first[GRAPHS_NAME][:10]
    assert header[3] & 0x08 == 0  # FLG.FNAME: no file name
    assert header[4:8] == b"\0\0\0\0"  # MTIME 0


def test_the_graphs_file_holds_every_named_quad_of_the_store_sorted(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    store = store_of(dataset)
    dump_store(store, tmp_path, issued=ISSUED)
    written = read_graphs_file(tmp_path / GRAPHS_NAME)
    assert canonical(written) == canonical(list(store.named_quads()))
    assert not any(isinstance(q.graph_name, ox.DefaultGraph) for q in written)
    assert any(q.graph_name == CATALOG_GRAPH for q in written)  # the catalog comes too
    lines = gzip.decompress((tmp_path / GRAPHS_NAME).read_bytes()).splitlines(keepends=True)
    assert lines == sorted(set(lines))  # LC_ALL=C sort order, one line a quad
    assert len(lines) == len(source_graphs())


def test_the_view_files_are_the_same_with_or_without_the_graphs(
    built: EvidenceGraph, dataset: list[ox.Quad], tmp_path: Path
) -> None:
    view_only = dumped(store_of(list(built.store.quads())), tmp_path / "view")
    with_graphs = dumped(store_of(dataset), tmp_path / "graphs")
    assert with_graphs[TURTLE_NAME] == view_only[TURTLE_NAME]
    assert with_graphs[NTRIPLES_NAME] == view_only[NTRIPLES_NAME]
    turtle = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(with_graphs[TURTLE_NAME], format=ox.RdfFormat.TURTLE)
    }
    assert turtle == {ox.Triple(q.subject, q.predicate, q.object) for q in built.store.quads()}
    # the registry's 24 and the loaded label live only in their graphs, never in the view
    assert ox.Triple(KARE, ENROLMENT, integer(24)) not in turtle
    assert b"a loaded label" not in with_graphs[TURTLE_NAME]
    assert b"a loaded label" not in gzip.decompress(with_graphs[NTRIPLES_NAME])


def test_a_failing_dump_replaces_no_file_the_graphs_file_included(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    before = dumped(store_of(dataset), tmp_path)
    (tmp_path / VOID_NAME).unlink()
    (tmp_path / VOID_NAME).mkdir()  # void.ttl cannot be renamed over this
    changed = store_of(dataset)
    changed.write_quads([ox.Quad(KARE, ENROLMENT, integer(24), REGISTRY)], [])
    with pytest.raises(OutputError, match="nothing was replaced"):
        dump_store(changed, tmp_path, issued=ISSUED)
    assert (tmp_path / GRAPHS_NAME).read_bytes() == before[GRAPHS_NAME]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no scratch left


# --- VoID ----------------------------------------------------------------------------------


def subsets(directory: Path) -> dict[str, dict[str, object]]:
    """Each void:subset of the dataset, by its dcterms:type (or "catalog"): what it states."""
    void = Graph().parse(directory / VOID_NAME, format="turtle")
    dataset = next(void.subjects(URIRef(RDF_TYPE), URIRef(VOID + "Dataset")))
    described: dict[str, dict[str, object]] = {}
    for part in void.objects(dataset, URIRef(VOID + "subset")):
        kind = void.value(part, URIRef(DCTERMS + "type"))
        key = str(kind).removeprefix(EGV) if kind is not None else "catalog"
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
    describe) and for the catalog: (graphs, statements), counted by SPARQL on the store."""
    query = f"""
        SELECT ?kind (COUNT(DISTINCT ?g) AS ?graphs) (COUNT(*) AS ?statements) WHERE {{
            GRAPH ?g {{ ?s ?p ?o }}
            OPTIONAL {{ GRAPH <{CATALOG}> {{ ?g <{EG}sourceKind> ?described }} }}
            BIND(IF(?g = <{CATALOG}>, "catalog",
                 STRAFTER(STR(COALESCE(?described, <{EGV}OtherSource>)), "{EGV}")) AS ?kind)
        }} GROUP BY ?kind"""
    counted = {kind: (0, 0) for kind in (*KINDS, "OtherSource", "catalog")}
    for row in store.query(query).rows:
        counted[str(row["kind"])] = (int(row["graphs"]), int(row["statements"]))  # type: ignore[call-overload]
    return counted


def test_void_has_a_subset_per_kind_of_source_and_one_for_the_catalog(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    store = store_of(dataset)
    dump_store(store, tmp_path, issued=ISSUED)
    stated = subsets(tmp_path)
    expected = counted_by_sparql(store)
    assert {kind: (s["graphs"], s["triples"]) for kind, s in stated.items()} == expected
    # what the fixture holds, by hand: one graph of each kind but journal articles, and the
    # loaded file's graph, which the catalog does not describe, counted as other
    assert expected == {
        "ModelDefinition": (1, 1),
        "CuratedEvidence": (1, 2),
        "JournalArticleRecord": (0, 0),
        "RegistryRecord": (1, 4),
        "OtherSource": (1, 1),
        "catalog": (1, 9),
    }
    graphs_file = URIRef("https://w3id.org/evidencegraph/dump/" + GRAPHS_NAME)
    assert all(s["dump"] == graphs_file for s in stated.values())
    assert stated["catalog"]["name"] == URIRef(CATALOG)
    assert URIRef(SD + "NamedGraph") in stated["catalog"]["types"]  # type: ignore[operator]


def test_void_with_no_named_graph_states_empty_subsets(
    built: EvidenceGraph, tmp_path: Path
) -> None:
    view_only = store_of(list(built.store.quads()))
    assert next(view_only.named_quads(), None) is None
    dump_store(view_only, tmp_path, issued=ISSUED)
    stated = subsets(tmp_path)
    assert {kind: (s["graphs"], s["triples"]) for kind, s in stated.items()} == {
        kind: (0, 0) for kind in (*KINDS, "OtherSource", "catalog")
    }
    assert gzip.decompress((tmp_path / GRAPHS_NAME).read_bytes()) == b""


# --- the command line ----------------------------------------------------------------------


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def graphs_db(dataset: list[ox.Quad], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graphs") / "kg.db"
    store_of(dataset, path).close()
    return path


def test_dump_names_the_graphs_file_and_counts_the_graphs(graphs_db: Path, tmp_path: Path) -> None:
    result = run("--store", f"oxigraph:{graphs_db}", "dump", tmp_path, "--issued", "2025-01-02")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.endswith(f"and 17 statements in 5 named graphs, into {tmp_path}:")
    assert f"  {GRAPHS_NAME}  " in result.output


def test_diff_of_two_graphs_files_names_the_graph_of_each_change(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    dump_store(store_of(dataset), tmp_path / "old", issued=ISSUED)
    changed = store_of(dataset)
    removed = ox.Quad(KARE, ENROLMENT, integer(24), REGISTRY)
    added = ox.Quad(KARE, ENROLMENT, integer(25), REGISTRY)
    changed.write_quads([removed], [added])
    dump_store(changed, tmp_path / "new", issued=ISSUED)
    old, new = tmp_path / "old" / GRAPHS_NAME, tmp_path / "new" / GRAPHS_NAME
    result = run("diff", old, new)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"- {removed} .", f"+ {added} ."]
    summary = run("diff", "--summary", old, new)
    assert summary.exit_code == 0, summary.output
    tables = summary.output.split("\n\n")
    assert tables[0].splitlines()[1].split() == ["eg:Trial", "1", "1"]
    assert tables[1].splitlines()[1].split() == [REGISTRY.value, "1", "1"]
    # the view's files did not change: neither does their diff
    view = run("diff", tmp_path / "old" / NTRIPLES_NAME, tmp_path / "new" / TURTLE_NAME)
    assert view.exit_code == 0 and view.output == ""


def test_diff_of_the_view_against_the_graphs_compares_graph_and_all(
    dataset: list[ox.Quad], tmp_path: Path
) -> None:
    """A triple of the view and the same triple in a source graph are different statements:
    a view file against a graphs file shows every line of both."""
    dump_store(store_of(dataset), tmp_path, issued=ISSUED)
    result = run("diff", "--summary", tmp_path / NTRIPLES_NAME, tmp_path / GRAPHS_NAME)
    assert result.exit_code == 0, result.output
    by_graph = result.output.split("\n\n")[1].splitlines()
    assert by_graph[1].split()[0] == "(default"  # the default graph's row comes first
    assert Literal(96).n3() not in result.output  # names, not values, in a summary
