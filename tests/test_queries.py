"""The named-query library: headers, parameters and their binding as RDF terms."""

from __future__ import annotations

import re

import pytest
from rdflib import XSD, Literal, URIRef

from evidencegraph.errors import InputError, ParameterError, UnknownQueryError
from evidencegraph.queries import get_query, library, parse_query


def test_library_has_the_ten_competency_questions() -> None:
    queries = library()
    assert len(queries) == 10
    assert "drug-with-psychotherapy" in queries
    flagship = queries["drug-with-psychotherapy"]
    assert [(p.name, p.kind, p.default) for p in flagship.parameters] == [
        ("drug", "literal", "ketamine")
    ]
    for query in queries.values():
        assert query.title and query.description, query.name


@pytest.mark.parametrize("name", sorted(library()))
def test_every_parameter_is_projected(name: str) -> None:
    # SEP-0007 substitution binds only projected variables; an unprojected one would be ignored
    query = library()[name]
    projection = re.search(r"SELECT(.*?)WHERE", query.text, re.DOTALL | re.IGNORECASE)
    assert projection is not None
    for parameter in query.parameters:
        assert f"?{parameter.name}" in projection.group(1), (name, parameter.name)


def test_binding_kinds() -> None:
    query = parse_query(
        "# param: s iri -- x\n# param: n integer 3 -- x\n# param: d decimal 0.5 -- x\n"
        "# param: t term -- x\n# param: l literal -- x\nSELECT * WHERE {}",
        "q",
    )
    bound = query.bind({"s": "egid:study/NCT02649231", "t": '"5"^^xsd:integer', "l": "a b"})
    assert bound["s"] == URIRef("https://w3id.org/evidencegraph/id/study/NCT02649231")
    assert bound["n"] == Literal(3, datatype=XSD.integer)
    assert bound["d"] == Literal("0.5", datatype=XSD.decimal)
    assert bound["t"] == Literal(5, datatype=XSD.integer)
    assert bound["l"] == Literal("a b")
    assert query.bind({"s": "<https://example.org/x>", "t": "true", "l": ""})["t"] == Literal(True)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("s", "not an iri", "not a valid IRI"),
        ("s", "https://exa mple.org/", "not a valid IRI"),
        ("s", "nope:thing with space", "not a valid IRI"),
        ("n", "3.5", "not an integer"),
        ("d", "NaN", "not a finite decimal"),
        ("d", "abc", "not a decimal"),
        ("t", '"unterminated', "not a valid RDF term"),
    ],
)
def test_invalid_values_are_refused(name: str, value: str, message: str) -> None:
    query = parse_query(
        "# param: s iri -- x\n# param: n integer 3 -- x\n# param: d decimal 0.5 -- x\n"
        "# param: t term '1' -- x\nSELECT * WHERE {}",
        "q",
    )
    values = {"s": "https://example.org/ok", name: value}
    with pytest.raises(ParameterError, match=message):
        query.bind(values)


def test_malformed_header_line_names_the_line() -> None:
    with pytest.raises(InputError, match=r"q.rq:2: malformed parameter line"):
        parse_query("# title: t\n# param: drug literally ketamine\nSELECT * {}", "q", "q.rq")


def test_unknown_query_suggests() -> None:
    with pytest.raises(UnknownQueryError, match="Did you mean 'ongoing-trials'"):
        get_query("ongoing-trial")
    with pytest.raises(UnknownQueryError, match="evidencegraph queries"):
        get_query("zzzzzz")
