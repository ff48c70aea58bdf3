"""A query's final ORDER BY sorted in this process on the embedded store (decision 0032).

The engine is the reference: the same text with a ``LIMIT`` after its ``ORDER BY`` (which
keeps the sort in Oxigraph) must give the same sequence of keys. Rows whose keys are equal may
come in another order: SPARQL leaves it open, and Oxigraph's own sort is not stable.
"""

from __future__ import annotations

import json
import random
from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from evidencegraph.errors import QuerySyntaxError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.queries import library
from evidencegraph.rdf.results import QueryResult
from evidencegraph.server import evaluate
from evidencegraph.server.evaluate import QueryJob
from evidencegraph.store.core import OxigraphStore
from evidencegraph.store.solution_order import OrderKey, order_rows, order_tsv, split_final_order

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ENGINE_SORTS = "\nLIMIT 100000000"

# Text a registry holds: accents, case, digits, astral characters, combining marks, quotes,
# tabs and new lines, the empty string (orders by code point, not by locale)
WORDS = [
    "",
    "a",
    "A",
    "ab",
    "a b",
    "a\tb",
    "a\nb",
    "Z",
    "z",
    "é",
    "e\u0301",
    "Ä",
    "ß",
    "ss",
    "10",
    "9",
    "-1",
    "𝔘nicode",
    "日本",
    '"quoted"',
    "back\\slash",
    "ketamine",
    "Ketamine",
    "KETAMINE",
    "~",
    "\u00a0space",
]


def _term(kind: str, rng: random.Random) -> ox.NamedNode | ox.Literal | None:
    if kind == "unbound" or rng.random() < 0.1:
        return None
    if kind == "iri" or (kind == "mixed" and rng.random() < 0.4):
        return ox.NamedNode(EX + rng.choice(["a", "b", "B", "a/b", "%C3%A9", "z9"]))
    if kind == "integer":
        return ox.Literal(
            rng.choice(["0", "-0", "+3", "3", "007", "-12", "9223372036854775807", "42"]),
            datatype=ox.NamedNode(XSD + "integer"),
        )
    return ox.Literal(rng.choice(WORDS))


def _store(rng: random.Random, kinds: list[str], rows: int) -> OxigraphStore:
    store = OxigraphStore()
    quads = []
    for index in range(rows):
        subject = ox.NamedNode(f"{EX}row/{index}")
        quads.append(ox.Quad(subject, ox.NamedNode(EX + "is"), ox.NamedNode(EX + "Row")))
        for column, kind in enumerate(kinds):
            value = _term(kind, rng)
            if value is not None:
                quads.append(ox.Quad(subject, ox.NamedNode(f"{EX}k{column}"), value))
    store.native.extend(quads)
    return store


def _query(kinds: list[str], order: str) -> str:
    optionals = " ".join(
        f"OPTIONAL {{ ?row <{EX}k{column}> ?k{column} }}" for column in range(len(kinds))
    )
    return f"SELECT * WHERE {{ ?row <{EX}is> <{EX}Row> . {optionals} }}\nORDER BY {order}"


def _keys(result: QueryResult, names: list[str]) -> list[tuple[object, ...]]:
    return [tuple(row.get(name) for name in names) for row in result.rows]


def _rows(result: QueryResult) -> Counter[tuple[tuple[str, object], ...]]:
    return Counter(tuple(sorted(row.items())) for row in result.rows)


@pytest.mark.parametrize(
    ("kinds", "order"),
    [
        (["string"], "?k0"),
        (["string"], "DESC(?k0)"),
        (["iri", "string"], "?k0 DESC(?k1)"),
        (["mixed", "integer"], "?k0 ?k1"),
        (["integer", "string"], "desc(?k0) asc(?k1) ?row"),
        (["string", "string", "string"], "?k2 DESC(?k1) ?k0"),
    ],
)
def test_the_order_is_the_engines(kinds: list[str], order: str) -> None:
    rng = random.Random(f"{kinds}{order}")
    store = _store(rng, kinds, 400)
    text = _query(kinds, order)
    ours, engines = store.query(text), store.query(text + ENGINE_SORTS)
    names = [key.variable for key in split_final_order(text).keys]  # type: ignore[union-attr]
    assert _keys(ours, names) == _keys(engines, names)
    assert _rows(ours) == _rows(engines)
    assert len(ours.rows) == 400
    # and the rows were sorted here, not handed back to the engine
    final_order = split_final_order(text)
    assert final_order is not None
    unordered = store.native.query(final_order.unordered)
    assert isinstance(unordered, ox.QuerySolutions)
    columns = [variable.value for variable in unordered.variables]
    assert order_rows(columns, [list(row) for row in unordered], final_order.keys) is not None


@pytest.mark.parametrize(
    "value",
    [
        ox.BlankNode("b1"),
        ox.Literal("chat", language="fr"),
        ox.Literal("2.50", datatype=ox.NamedNode(XSD + "decimal")),
        ox.Literal("1e3", datatype=ox.NamedNode(XSD + "double")),
        ox.Literal("2026-12-07", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("7", datatype=ox.NamedNode(XSD + "int")),
        ox.Literal("seven", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("99999999999999999999", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("5", datatype=ox.NamedNode(XSD + "integer")),  # beside strings
    ],
    ids=lambda value: str(value),
)
def test_orders_only_the_engine_defines_are_left_to_it(value: ox.Term) -> None:
    """A value outside strings, integers and IRIs (or an integer among strings) is sorted by
    the engine, row for row: the order of such values is Oxigraph's, not SPARQL's."""
    store = OxigraphStore()
    strings = ["b", "a", "c", "10", "2"]
    store.native.extend(
        ox.Quad(ox.NamedNode(f"{EX}row/{index}"), ox.NamedNode(EX + "k"), ox.Literal(text))
        for index, text in enumerate(strings)
    )
    store.native.add(ox.Quad(ox.NamedNode(EX + "row/odd"), ox.NamedNode(EX + "k"), value))
    # a text of its own (a text the engine sorted once goes to it at once from then on)
    text = f"# {value!r}\nSELECT ?k ?row WHERE {{ ?row <{EX}k> ?k }} ORDER BY DESC(?k)"
    ours, engines = store.query(text), store.query(text + ENGINE_SORTS)
    assert [row["row"] for row in ours.rows] == [row["row"] for row in engines.rows]


def test_a_key_the_query_does_not_answer_is_sorted_by_the_engine() -> None:
    store = OxigraphStore()
    store.native.extend(
        ox.Quad(ox.NamedNode(f"{EX}row/{index}"), ox.NamedNode(EX + "k"), ox.Literal(text))
        for index, text in enumerate(["b", "c", "a", "d"])
    )
    text = f"SELECT ?row WHERE {{ ?row <{EX}k> ?k }} ORDER BY ?k"
    for _ in range(2):  # the second run knows the text and asks the engine at once
        assert [row["row"] for row in store.query(text).rows] == [
            URIRef(f"{EX}row/{index}") for index in (2, 0, 1, 3)
        ]


def test_a_grouped_answer_is_sorted_by_its_aggregate() -> None:
    store = OxigraphStore()
    store.native.extend(
        ox.Quad(ox.NamedNode(f"{EX}s/{index}"), ox.NamedNode(EX + "tag"), ox.Literal(tag))
        for index, tag in enumerate("abbcccb")
    )
    text = (
        f"SELECT ?tag (COUNT(*) AS ?n) WHERE {{ ?s <{EX}tag> ?tag }}\n"
        "GROUP BY ?tag\n# most used first\nORDER BY DESC(?n) ?tag"
    )
    assert [(str(row["tag"]), int(row["n"])) for row in store.query(text).rows] == [  # type: ignore[call-overload]
        ("b", 3),
        ("c", 3),
        ("a", 1),
    ]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("SELECT * { ?s ?p ?o } ORDER BY ?s", [("s", False)]),
        ("select * { ?s ?p ?o }\norder by desc(?o) $p # last\n", [("o", True), ("p", False)]),
        ("SELECT * { ?s ?p ?o } # } ORDER BY ?s", None),  # the ORDER BY is in a comment
        ("SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 5", None),
        ("SELECT * { ?s ?p ?o } ORDER BY ?s OFFSET 1", None),
        ("SELECT * { ?s ?p ?o } ORDER BY STR(?s)", None),
        ("SELECT * { ?s ?p ?o } ORDER BY (?o + 1)", None),
        ("SELECT ?s (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?s HAVING (?n > 1) ORDER BY ?n", None),
        ("SELECT * { ?s ?p ?o } ORDER BY ?s VALUES ?s { <x:a> }", None),
        ("SELECT * { { SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }", None),
        ('SELECT * { ?s ?p "} ORDER BY ?s" }', None),
        # where words run together the engine reads them (?aORDER is one variable to it, and
        # ?sDESC(?o) a variable and an expression): such texts are left to it
        ("SELECT ?a { ?a ?p ?o } GROUP BY ?aORDER BY ?a", None),
        ("SELECT * { ?s ?p ?o } ORDER BY ?sDESC(?o)", None),
        ("SELECT * { ?s ?p ?o } ORDER BYASC(?o)", None),
        ("SELECT * { ?s ?p ?o }ORDER BY?s", [("s", False)]),
        ("SELECT ?s { ?s ?p ?o } GROUP BY ?s ORDER BY DESC ( ?s )", [("s", True)]),
    ],
)
def test_which_texts_are_sorted_here(text: str, keys: list[tuple[str, bool]] | None) -> None:
    found = split_final_order(text)
    if keys is None:
        assert found is None
    else:
        assert found is not None
        assert found.keys == tuple(OrderKey(name, way) for name, way in keys)
        assert "ORDER" not in found.unordered.upper().split("}")[-1]


def test_a_graph_or_a_boolean_ignores_the_order() -> None:
    store = OxigraphStore()
    store.native.add(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "k"), ox.Literal("x")))
    built = store.query(f"CONSTRUCT {{ ?s <{EX}k> ?o }} WHERE {{ ?s ?p ?o }} ORDER BY ?o")
    assert built.graph is not None and len(built.graph) == 1
    assert store.query("ASK { ?s ?p ?o } ORDER BY ?s").boolean is True


def test_a_broken_query_still_names_its_line_and_column() -> None:
    store = OxigraphStore()
    with pytest.raises(QuerySyntaxError) as raised:
        store.query("SELECT * WHERE {\n  ?s ?p . \n}\nORDER BY ?s")
    assert "line 2" in str(raised.value)
    assert store.query("SELECT * { ?s ?p ?o } ORDER BY ?s").rows == []


@pytest.mark.parametrize("name", ["drug-with-psychotherapy", "claims-not-peer-reviewed", "risks"])
def test_the_curated_answers_come_in_the_engines_order(built: EvidenceGraph, name: str) -> None:
    """Named queries on the built graph: the flagship by title and arm (Dakwar 2019, KARE,
    NCT04084860), the claims by source, the risks by name, as the engine orders them."""
    query = library()[name]
    text, bound = query.prepare({})
    assert split_final_order(text) is not None
    ours, engines = built.store.query(text, bound), built.store.query(text + ENGINE_SORTS, bound)
    names = [key.variable for key in split_final_order(text).keys]  # type: ignore[union-attr]
    assert _keys(ours, names) == _keys(engines, names)
    assert _rows(ours) == _rows(engines)
    assert len(ours.rows) >= 3


# --- the server's workers (QueryJob): the TSV lines sorted, the engine where it must -------


def _tsv_keys(body: bytes, names: list[str]) -> list[tuple[object, ...]]:
    solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)
    return [tuple(solution[name] for name in names) for solution in solutions]


def _tsv_rows(body: bytes) -> Counter[bytes]:
    return Counter(body.split(b"\n")[1:])


@pytest.fixture
def sorted_here(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each call of the worker's TSV sort: whether it sorted (True) or left it to the engine."""
    calls: list[bool] = []

    def spy(body: bytes, keys: tuple[OrderKey, ...]) -> bytes | None:
        answer = order_tsv(body, keys)
        calls.append(answer is not None)
        return answer

    monkeypatch.setattr(evaluate, "order_tsv", spy)
    return calls


@pytest.mark.parametrize(
    ("kinds", "order"),
    [
        (["string", "iri"], "?k0 DESC(?k1)"),
        (["mixed", "integer"], "DESC(?k1) ?k0"),
        (["string", "string"], "?k1 ?k0 ?row"),
    ],
)
def test_a_worker_sorts_the_lines_as_the_engine_would(
    kinds: list[str], order: str, sorted_here: list[bool]
) -> None:
    rng = random.Random(f"worker{kinds}{order}")
    store = _store(rng, kinds, 400)
    text = _query(kinds, order)
    names = [key.variable for key in split_final_order(text).keys]  # type: ignore[union-attr]
    ours = QueryJob(text, (), "tsv", None, 0).run(store)
    engines = QueryJob(text + ENGINE_SORTS, (), "tsv", None, 0).run(store)
    assert (ours.status, engines.status) == (200, 200)
    assert sorted_here == [True]  # the first was sorted here; the reference has a LIMIT
    assert _tsv_keys(ours.body, names) == _tsv_keys(engines.body, names)
    # every line is the engine's own, tabs and line breaks inside values escaped as it wrote them
    assert _tsv_rows(ours.body) == _tsv_rows(engines.body)
    as_json = QueryJob(text, (), "json", None, 0).run(store)
    reference = json.loads(QueryJob(text + ENGINE_SORTS, (), "json", None, 0).run(store).body)
    key_values = [
        [row.get(name, {}).get("value") for name in names]
        for row in reference["results"]["bindings"]
    ]
    assert [
        [row.get(name, {}).get("value") for name in names]
        for row in json.loads(as_json.body)["results"]["bindings"]
    ] == key_values


def test_a_worker_leaves_to_the_engine_what_only_it_orders(sorted_here: list[bool]) -> None:
    store = OxigraphStore()
    store.native.extend(
        ox.Quad(ox.NamedNode(f"{EX}r{index}"), ox.NamedNode(EX + "label"), value)
        for index, value in enumerate(
            [ox.Literal("b", language="en"), ox.Literal("a"), ox.Literal("c", language="de")]
        )
    )
    # a text of its own: one another test ran may be remembered as the engine's already
    text = f"SELECT ?s ?workerLabel WHERE {{ ?s <{EX}label> ?workerLabel }} ORDER BY ?workerLabel"
    first = QueryJob(text, (), "tsv", None, 0).run(store)
    reference = QueryJob(text + ENGINE_SORTS, (), "tsv", None, 0).run(store)
    assert first.body == reference.body
    assert sorted_here == [False]  # a language string: the engine sorted it, on a second run
    assert QueryJob(text, (), "tsv", None, 0).run(store).body == reference.body
    assert sorted_here == [False]  # remembered: the engine sorted it at once


def test_a_worker_keeps_the_row_cap_and_the_other_forms(sorted_here: list[bool]) -> None:
    store = _store(random.Random("cap"), ["string"], 50)
    text = _query(["string"], "?k0")
    capped = QueryJob(text, (), "json", None, 49).run(store)
    assert capped.status == 503 and b"limit (--max-rows)" in capped.body
    assert sorted_here == []  # stopped at the cap before any sort
    ask = QueryJob(f"ASK {{ ?s <{EX}is> <{EX}Row> }} ORDER BY ?s", (), "json", None, 0).run(store)
    assert json.loads(ask.body)["boolean"] is True
    construct = QueryJob(
        f"CONSTRUCT {{ ?s <{EX}is> <{EX}Row> }} WHERE {{ ?s <{EX}is> <{EX}Row> }} ORDER BY ?s",
        (),
        None,
        "nt",
        0,
    ).run(store)
    assert construct.status == 200 and construct.body.count(b"\n") == 50


def test_a_worker_leaves_a_key_it_does_not_answer_to_the_engine(sorted_here: list[bool]) -> None:
    store = _store(random.Random("unanswered"), ["string", "string"], 60)
    text = (
        f"SELECT ?row ?k0 WHERE {{ ?row <{EX}is> <{EX}Row> ; <{EX}k0> ?k0 ; <{EX}k1> ?hidden }}"
        "\nORDER BY ?hidden ?k0"
    )
    ours = QueryJob(text, (), "tsv", None, 0).run(store)
    engines = QueryJob(text + ENGINE_SORTS, (), "tsv", None, 0).run(store)
    assert ours.status == 200 and ours.body == engines.body
    assert sorted_here == []  # known from the answer's variables: no line was sorted here
