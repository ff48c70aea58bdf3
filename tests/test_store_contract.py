"""The Store contract: the same tests run over every backend.

Tests taking the ``store`` fixture run over every backend of support.BACKENDS: the
embedded ones, ``sparql:`` against a real Oxigraph server, and Virtuoso where it is
installed. The tests without it are about the embedded store's own files (its lock, its
persistence on disk, read-only opening, its engine's transactions) and stay Oxigraph-only:
for a remote store those are the server's business.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef, Variable
from rdflib.compare import isomorphic

from evidencegraph.errors import QuerySyntaxError, StoreError, UsageError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.source_graphs import curated_graph, record_graph
from evidencegraph.rdf.terms import from_quad, to_quads
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.store.defaults import DEFAULT_DESCRIPTOR
from evidencegraph.store.registry import open_store
from support import BACKENDS, make_store

EX = "http://example.org/"
TRIPLES = [
    (URIRef(EX + "a"), URIRef(EX + "p"), Literal("one")),
    (URIRef(EX + "a"), URIRef(EX + "q"), URIRef(EX + "b")),
    (URIRef(EX + "b"), URIRef(EX + "p"), Literal(2)),
    (URIRef(EX + "b"), URIRef(EX + "p"), Literal("deux", lang="fr")),
]


def test_add_counts_new_triples_and_is_idempotent(store: Store) -> None:
    assert store.add(TRIPLES) == 4
    assert len(store) == 4
    assert store.add(TRIPLES) == 0
    assert store.add([*TRIPLES[:1], (URIRef(EX + "c"), URIRef(EX + "p"), Literal("three"))]) == 1
    assert len(store) == 5


def test_round_trip_keeps_every_term_exactly(store: Store) -> None:
    store.add(TRIPLES)
    expected = Graph()
    for triple in TRIPLES:
        expected.add(triple)
    assert isomorphic(store.to_graph(), expected)
    assert store.contains(TRIPLES[3])
    assert not store.contains((URIRef(EX + "a"), URIRef(EX + "p"), Literal("one", lang="en")))


def test_select_ask_construct(store: Store) -> None:
    store.add(TRIPLES)
    select = store.query(f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }}")
    assert select.kind == "select"
    assert select.variables == [Variable("o")]
    assert select.column("o") == [Literal("one")]
    assert store.query(f"ASK {{ <{EX}b> ?p 2 }}").boolean is True
    construct = store.query(f"CONSTRUCT {{ ?s <{EX}r> ?o }} WHERE {{ ?s <{EX}q> ?o }}")
    assert construct.kind == "graph" and construct.graph is not None
    assert set(construct.graph) == {(URIRef(EX + "a"), URIRef(EX + "r"), URIRef(EX + "b"))}


def test_bindings_are_rdf_terms_not_text(store: Store) -> None:
    store.add(TRIPLES)
    query = f"SELECT ?v ?s WHERE {{ ?s <{EX}p> ?v }}"
    assert store.query(query, {"v": Literal(2)}).column("s") == [URIRef(EX + "b")]
    # a value that would break out of a pasted query is just a literal that matches nothing
    hostile = Literal('x" } ; DROP ALL ; SELECT * WHERE { ?s ?p "')
    assert store.query(query, {"v": hostile}).rows == []
    assert len(store) == 4


def test_syntax_error_names_line_and_column(store: Store) -> None:
    with pytest.raises(QuerySyntaxError, match=r"syntax error at line 2 column 16"):
        store.query("SELECT ?s\nWHERE { ?s ?p }")


def test_failed_batch_writes_nothing(store: Store) -> None:
    store.add(TRIPLES[:2])

    def batch_that_fails_midway():  # type: ignore[no-untyped-def]
        yield TRIPLES[2]
        yield (URIRef(EX + "x"), URIRef(EX + "p"), object())  # not an RDF term

    with pytest.raises(TypeError):
        store.add(batch_that_fails_midway())
    assert len(store) == 2
    assert not store.contains(TRIPLES[2])


def test_replace_removes_and_adds_in_one_step(store: Store) -> None:
    store.add(TRIPLES)
    awkward = Literal('line one\nline "two" \\ é ☃', lang="en")
    new_value = (URIRef(EX + "a"), URIRef(EX + "p"), awkward)
    assert store.replace([TRIPLES[0]], [new_value, TRIPLES[1]]) == 1
    assert not store.contains(TRIPLES[0])
    assert store.contains(new_value) and store.contains(TRIPLES[1])
    assert len(store) == 4
    # removing what is not there is no error; with nothing to remove it is an add
    assert store.replace([TRIPLES[0]], []) == 0
    assert store.replace([], [TRIPLES[0]]) == 1


def test_failed_replace_writes_nothing(store: Store) -> None:
    store.add(TRIPLES)

    def additions_that_fail():  # type: ignore[no-untyped-def]
        yield (URIRef(EX + "z"), URIRef(EX + "p"), Literal("z"))
        yield (URIRef(EX + "x"), URIRef(EX + "p"), object())  # not an RDF term

    with pytest.raises(TypeError):
        store.replace([TRIPLES[0]], additions_that_fail())
    assert len(store) == 4 and store.contains(TRIPLES[0])


def test_the_engine_rolls_back_a_transaction_that_fails_midway(tmp_path: Path) -> None:
    # OxigraphStore.add relies on pyoxigraph's extend being one transaction: check that it is.
    engine = ox.Store(str(tmp_path / "engine.db"))
    first = ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("1"))

    def quads_that_fail():  # type: ignore[no-untyped-def]
        yield first
        raise RuntimeError("the source broke off")

    with pytest.raises(RuntimeError):
        engine.extend(quads_that_fail())
    assert len(engine) == 0


def test_clear(store: Store) -> None:
    store.add(TRIPLES)
    store.clear()
    assert len(store) == 0


def test_open_store_descriptors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert open_store("memory:").descriptor == "memory:"
    on_disk = open_store(f"oxigraph:{tmp_path / 'kg.db'}")
    assert isinstance(on_disk, OxigraphStore) and (tmp_path / "kg.db").is_dir()
    on_disk.close()
    monkeypatch.setenv("EVIDENCEGRAPH_STORE", "memory:")
    assert open_store().descriptor == "memory:"
    monkeypatch.delenv("EVIDENCEGRAPH_STORE")
    monkeypatch.chdir(tmp_path)
    assert DEFAULT_DESCRIPTOR == "oxigraph:./evidencegraph.db"
    default = open_store()
    assert (tmp_path / "evidencegraph.db").is_dir()
    default.close()


def test_unknown_descriptor_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown store descriptor 'postgres:x'"):
        open_store("postgres:x")


def test_on_disk_store_persists(tmp_path: Path) -> None:
    # Oxigraph-only: a server keeps its data as it is set up to (tests/test_sparql_store.py
    # starts a killed server again on the same data)
    first = OxigraphStore(tmp_path / "kg.db")
    first.add(TRIPLES)
    first.close()
    again = OxigraphStore(tmp_path / "kg.db", read_only=True)
    assert len(again) == 4


def test_read_only_on_missing_store_says_build_first(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no store at .*run `evidencegraph build`"):
        open_store(f"oxigraph:{tmp_path / 'missing.db'}", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_unwritable_store_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store(f"oxigraph:{blocker / 'kg.db'}")


def test_store_locked_by_another_process(tmp_path: Path) -> None:
    # Oxigraph-only: a server takes any number of clients
    path = tmp_path / "kg.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from evidencegraph.store.core import OxigraphStore
                store = OxigraphStore({str(path)!r})
                print("open", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="in use by another process"):
            OxigraphStore(path)
    finally:
        holder.communicate("\n", timeout=30)


def test_the_oxigraph_neighbourhood_lookup_equals_the_sparql_one(built: EvidenceGraph) -> None:
    """OxigraphStore answers with index lookups; the Store default asks SPARQL: same triples."""
    from evidencegraph.validation.shacl import inverse_path_predicates

    store = built.store
    study = "https://w3id.org/evidencegraph/id/study/NCT02649231"
    focus = [
        ox.NamedNode(str(row["node"]))
        for row in store.query(
            f"SELECT DISTINCT ?node WHERE {{ {{ BIND(<{study}> AS ?node) }} UNION "
            f"{{ <{study}> ?p ?node FILTER(isIRI(?node)) }} }}"
        ).rows
    ]
    linked = [ox.NamedNode("https://w3id.org/evidencegraph/id/drug/ketamine")]
    inverse = [ox.NamedNode(str(p)) for p in inverse_path_predicates()]
    by_lookup = store.neighbourhood_quads(focus, linked, inverse)
    by_sparql = Store.neighbourhood_quads(store, focus, linked, inverse)
    assert len(by_lookup) > 50
    assert by_lookup == by_sparql


def test_quads_gives_every_triple(store: Store) -> None:
    """The whole store as pyoxigraph quads, for the dump and whole-store reads, on every
    backend (it was the embedded store's alone, and callers asked which store they had)."""
    store.add(TRIPLES)
    assert sorted(map(str, (from_quad(quad) for quad in store.quads()))) == sorted(
        map(str, TRIPLES)
    )


def test_write_nquads_takes_out_and_puts_in(store: Store) -> None:
    store.add(TRIPLES)
    ntriples = (
        f'<{EX}c> <{EX}p> "three" .\n<{EX}c> <{EX}p> "four"@en .\n'.encode()  # two triples
    )
    store.write_nquads(list(to_quads([TRIPLES[0]])), ntriples)
    assert len(store) == 5
    assert not store.contains(TRIPLES[0])
    assert store.contains((URIRef(EX + "c"), URIRef(EX + "p"), Literal("four", lang="en")))


# --- source graphs (decision 0021) ------------------------------------------------------------
#
# Over every backend, and the sparql: store once more with the view in a graph of the server's
# (graph=IRI, as on Virtuoso).

DATASET_BACKENDS = [*BACKENDS, "sparql-graph"]
REGISTRY = ox.NamedNode(record_graph("ctgov", "NCT00000001"))
ARTICLE = ox.NamedNode(record_graph("pubmed", "10000001"))
CURATED = ox.NamedNode(curated_graph("studies"))
A, B, C = (ox.NamedNode(EX + name) for name in "abc")
P, Q = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "q")
VIEW = [ox.Quad(A, P, ox.Literal("one")), ox.Quad(A, Q, B)]
SOURCES = [
    ox.Quad(A, P, ox.Literal("one"), ARTICLE),
    ox.Quad(A, P, ox.Literal("uno", language="it"), REGISTRY),
    ox.Quad(A, Q, B, REGISTRY),
    ox.Quad(B, Q, ox.Literal(f"x {REGISTRY} .\n"), REGISTRY),
    ox.Quad(
        B,
        P,
        ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        REGISTRY,
    ),
]


@pytest.fixture(params=DATASET_BACKENDS)
def dataset(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store that keeps named graphs, once per backend."""
    fresh = make_store(request.param, tmp_path)
    yield fresh
    fresh.close()


def test_named_graphs_are_kept_beside_the_view_and_read_back(dataset: Store) -> None:
    dataset.write_quads([], [*VIEW, *SOURCES])
    # a literal that holds the end of an N-Quads line of its graph
    alone = ox.Quad(C, P, ox.Literal(f"three {CURATED} .\n{REGISTRY} .\n"), CURATED)
    dataset.write_quads([], [alone])  # one graph alone (the Graph Store Protocol on a server)
    assert set(dataset.named_quads()) == {*SOURCES, alone}
    assert set(dataset.graph_contents([REGISTRY, CURATED])) == {*SOURCES[1:], alone}
    assert set(dataset.graph_contents([ARTICLE])) == {SOURCES[0]}
    # every value of (a, p), each in its graph, the view's in the default graph
    assert set(dataset.values([(A, P)])) == {VIEW[0], SOURCES[0], SOURCES[1]}
    assert set(dataset.values([(B, Q), (C, P)])) == {SOURCES[3], alone}


def test_the_view_does_not_see_the_named_graphs(dataset: Store) -> None:
    dataset.write_quads([], [*VIEW, *SOURCES])
    assert len(dataset) == 2
    assert set(dataset.quads()) == set(VIEW)
    assert {from_quad(quad) for quad in VIEW} == set(dataset.to_graph())
    assert dataset.query(f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }}").column("o") == [
        Literal("one")
    ]
    assert not dataset.contains((URIRef(EX + "b"), URIRef(EX + "p"), Literal(2)))
    assert dataset.add([from_quad(SOURCES[4])]) == 1  # new to the view, though in a graph


def test_one_write_takes_out_and_puts_in_across_graphs(dataset: Store) -> None:
    dataset.write_quads([], [*VIEW, *SOURCES])
    newer = ox.Quad(A, P, ox.Literal("uno", language="it"))
    moved = ox.Quad(A, P, ox.Literal("eins", language="de"), CURATED)
    dataset.write_quads([VIEW[0], SOURCES[0], SOURCES[3]], [newer, moved])
    assert set(dataset.quads()) == {newer, VIEW[1]}
    assert set(dataset.named_quads()) == {SOURCES[1], SOURCES[2], SOURCES[4], moved}
    assert dataset.graph_contents([ARTICLE]) == []
    dataset.write_quads([], [])  # nothing to do is no error
    assert len(dataset) == 2


def test_write_nquads_puts_each_line_in_its_graph(dataset: Store) -> None:
    dataset.write_quads([], [*VIEW, *SOURCES])
    lines = [ox.Quad(C, P, ox.Literal("three")), ox.Quad(C, P, ox.Literal("three"), ARTICLE)]
    nquads = ox.serialize(lines, format=ox.RdfFormat.N_QUADS)
    assert nquads is not None and nquads.count(b"\n") == 2
    dataset.write_nquads([SOURCES[1]], nquads)
    assert set(dataset.quads()) == {*VIEW, lines[0]}
    assert set(dataset.named_quads()) == {SOURCES[0], *SOURCES[2:], lines[1]}


def test_clear_empties_the_view_and_the_named_graphs(dataset: Store) -> None:
    dataset.write_quads([], [*VIEW, *SOURCES])
    dataset.clear()
    assert len(dataset) == 0
    assert list(dataset.named_quads()) == []
    assert dataset.values([(A, P)]) == []


def test_add_staged_writes_every_graph_and_counts_what_is_new_to_the_view(dataset: Store) -> None:
    dataset.write_quads([], [VIEW[0]])
    staged = OxigraphStore(None)
    staged.write_quads([], [*VIEW, *SOURCES])
    assert dataset.add_staged(staged) == 1  # VIEW[1]; the source graphs are not the view
    assert set(dataset.quads()) == set(VIEW)
    assert set(dataset.named_quads()) == set(SOURCES)
