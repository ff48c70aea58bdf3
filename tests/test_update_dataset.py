"""The Protocol's using-graph-uri / using-named-graph-uri, written into an update as USING.

The rewrite is checked twice: as text (the clauses land right before the top-level WHERE and
nowhere else) and by what pyoxigraph does with the rewritten update on a store whose graphs
tell the datasets apart (SPARQL 1.1 Update 3.1.3: USING makes the default graph of the
WHERE, USING NAMED its named graphs; the templates still write to the store's graphs).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from evidencegraph.server.security import RefusedError, refuse_remote_fetch
from evidencegraph.server.update_dataset import UpdateDatasetError, with_using_dataset

EX = "http://example.org/"
G1, G2 = f"{EX}g1", f"{EX}g2"
USING_G1 = f"USING <{G1}>"


def _quad(s: str, o: str, graph: str | None = None) -> ox.Quad:
    name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + "p"), ox.NamedNode(EX + o), name)


def _store() -> ox.Store:
    """a p 1 in the default graph and in g1; b p 2 in g2; c p 3 in the default graph only."""
    store = ox.Store()
    store.extend([_quad("a", "1"), _quad("c", "3"), _quad("a", "1", G1), _quad("b", "2", G2)])
    return store


def _in(store: ox.Store, graph: str | None = None) -> set[str]:
    name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return {
        q.subject.value.removeprefix(EX) for q in store.quads_for_pattern(None, None, None, name)
    }


def test_no_graphs_leaves_the_text_as_it_is() -> None:
    for text in ("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", "not even SPARQL { WHERE"):
        assert with_using_dataset(text, [], []) is text


def test_where_in_strings_iris_comments_and_names_is_not_touched() -> None:
    head = (
        "PREFIX ex: <http://example.org/WHERE/>\n"
        "PREFIX x: <http://example.org/a\\u002F/WHERE>  # WHERE in a comment\n"
        "INSERT { GRAPH <http://example.org/out> {\n"
        '  ex:s ex:p "WHERE \\" WHERE", \'WHERE \\\' WHERE\', """WHERE "" {""",'
        " '''WHERE '' }''', ex:WHERE, x:o, <http://example.org/#WHERE> } }\n"
    )
    tail = "WHERE { ?where ?p ?o }"
    rewritten = with_using_dataset(head + tail, [G1], [])
    assert rewritten == f"{head} {USING_G1} {tail}"
    store = _store()
    store.update(rewritten)  # the engine reads it, and the strings came through whole
    objects = {
        q.object.value for q in store.quads_for_pattern(None, None, None, ox.NamedNode(f"{EX}out"))
    }
    assert {'WHERE " WHERE', "WHERE ' WHERE", 'WHERE "" {', "WHERE '' }"} <= objects
    assert f"{EX}WHERE/WHERE" in objects and f"{EX}a//WHEREo" in objects


def test_each_operation_between_semicolons_gets_its_clauses() -> None:
    text = (
        f"INSERT DATA {{ <{EX}d> <{EX}p> 'WHERE ; x' }} ;\n"
        f"CLEAR GRAPH <{EX}nothing> ;\n"
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 4 } where "
        "{ ?s ?p ?o { SELECT ?s WHERE { ?s ?p ?o } } } ;\n"
        f"PREFIX ex: <{EX}>\n"
        f"INSERT {{ ?s ex:q ?o }}\nWHERE {{ ?s ?p ?o }}"
    )
    expected = (
        f"INSERT DATA {{ <{EX}d> <{EX}p> 'WHERE ; x' }} ;\n"
        f"CLEAR GRAPH <{EX}nothing> ;\n"
        f"DELETE {{ ?s ?p ?o }} INSERT {{ ?s ?p 4 }}  {USING_G1} USING NAMED <{G2}> where "
        f"{{ ?s ?p ?o {{ SELECT ?s WHERE {{ ?s ?p ?o }} }} }} ;\n"
        f"PREFIX ex: <{EX}>\n"
        f"INSERT {{ ?s ex:q ?o }}\n {USING_G1} USING NAMED <{G2}> WHERE {{ ?s ?p ?o }}"
    )
    assert with_using_dataset(text, [G1], [G2]) == expected


def test_insert_data_and_graph_operations_are_untouched() -> None:
    triple = f"<{EX}x> <{EX}p> <{EX}y>"
    text = f"INSERT DATA {{ {triple} }} ; DELETE DATA {{ {triple} }} ; DROP SILENT GRAPH <{EX}z>"
    assert with_using_dataset(text, [G1], [G2]) == text


def test_delete_where_is_expanded_and_reads_only_the_using_graph() -> None:
    text = "DELETE WHERE { ?s ?p ?o }"
    rewritten = with_using_dataset(text, [G1], [])
    assert rewritten == f"DELETE {{ ?s ?p ?o }} {USING_G1} WHERE {{ ?s ?p ?o }}"
    store = _store()
    store.update(rewritten)
    # the pattern matched in g1 only (a p 1); the template deletes from the default graph
    assert _in(store) == {"c"} and _in(store, G1) == {"a"} and _in(store, G2) == {"b"}
    plain = _store()
    plain.update(text)  # without the parameter: the default graph is read, all of it goes
    assert _in(plain) == set()


def test_using_graphs_make_the_default_graph_and_named_graphs() -> None:
    store = _store()
    store.update(
        with_using_dataset(
            f"INSERT {{ GRAPH <{EX}default> {{ ?s <{EX}p> <{EX}x> }} }} WHERE {{ ?s ?p ?o }} ;"
            f"INSERT {{ GRAPH <{EX}named> {{ ?s <{EX}p> ?g }} }} "
            "WHERE { GRAPH ?g { ?s ?p ?o } }",
            [G1, G2],
            [G2],
        )
    )
    assert _in(store, f"{EX}default") == {"a", "b"}  # the merge of g1 and g2, not c
    assert _in(store, f"{EX}named") == {"b"}  # g2 alone is a named graph


@pytest.mark.parametrize(
    "text",
    [
        f"WITH <{G2}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        f"INSERT {{ ?s ?p ?o }} USING <{G2}> WHERE {{ ?s ?p ?o }}",
        f"INSERT DATA {{ <{EX}x> <{EX}p> 1 }} ;\n"
        f"insert {{ ?s ?p ?o }} using named <{G2}> where {{ ?s ?p ?o }}",
    ],
)
def test_an_update_with_its_own_dataset_is_refused(text: str) -> None:
    with pytest.raises(UpdateDatasetError, match=r"names its own dataset.*2\.2\.3"):
        with_using_dataset(text, [], [G1])


def test_using_and_with_in_strings_and_names_are_not_its_own_dataset() -> None:
    text = (
        "PREFIX with: <http://example.org/with#>\n"
        "INSERT { ?s with:using 'USING <x> WITH <y>' } # WITH <z>\n"
        "WHERE { ?s ?p ?o }"
    )
    assert f"{USING_G1} WHERE" in with_using_dataset(text, [G1], [])


@pytest.mark.parametrize(
    "value",
    [
        f"{G1}> WHERE {{}} ; DROP ALL ; INSERT {{ <x> <y> <z> }} USING <{G1}",
        f"{G1} {G2}",
        "g1",
        "",
        "http://example.org/a\\u003E",
        "http://example.org/{x}",
    ],
)
def test_a_graph_that_is_not_an_absolute_iri_is_refused(value: str) -> None:
    for default, named, name in (
        ([value], [], "using-graph-uri"),
        ([], [value], "using-named-graph-uri"),
    ):
        with pytest.raises(UpdateDatasetError, match=f"{name}=.*not an absolute IRI"):
            with_using_dataset("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", default, named)


def test_service_is_still_found_in_the_rewritten_update() -> None:
    text = "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    rewritten = with_using_dataset(text, [G1], [])
    assert USING_G1 in rewritten
    with pytest.raises(RefusedError, match="SERVICE asks this server"):
        refuse_remote_fetch(rewritten, update=True)


def test_one_tokenizer_reads_escapes_inside_iris() -> None:
    """The VALUES rewrite and the update rewrite share one tokenizer; the rewrite's own read
    `<http://a\\u002F/WHERE>` as an IRI, while the VALUES one read a keyword WHERE out of it."""
    from evidencegraph.store.values_binding import tokenize

    tokens = tokenize("PREFIX x: <http://a\\u002F/WHERE> SELECT * WHERE { ?s ?p ?o }")
    iris = [token.text for token in tokens if token.kind == "iri"]
    assert iris == ["<http://a\\u002F/WHERE>"]
    assert [token.text for token in tokens if token.text.upper() == "WHERE"] == ["WHERE"]
