"""The named-query library: headers, parameters and their binding as RDF terms."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import XSD, Literal, URIRef

from evidencegraph.cli.main import cli
from evidencegraph.errors import InputError, ParameterError, QuerySyntaxError, UnknownQueryError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.queries import get_query, library, parse_query
from evidencegraph.rdf.terms import to_oxigraph
from evidencegraph.store.values_binding import bind_by_values


def test_library_has_the_ten_competency_questions() -> None:
    queries = library()
    # the ten competency questions, two on the source graphs (decision 0021), and the
    # curators' appraisal (issue 19)
    assert len(queries) == 13
    assert {"source-graphs", "source-disagreements", "certainty"} <= set(queries)
    assert "drug-with-psychotherapy" in queries
    flagship = queries["drug-with-psychotherapy"]
    assert [(p.name, p.kind, p.default) for p in flagship.parameters] == [
        ("drug", "literal", "ketamine"),
        ("condition", "literal", "any"),  # a value that means every condition
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


# --- issue 14 point 10: parameters bound whatever the projection ----------------------

#: A user's query whose parameter the SELECT does not project.
UNPROJECTED = """# title: Arms that receive a drug
# param: drug literal ketamine -- the drug's name, any case
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?arm WHERE {
  ?concept rdfs:label ?name .
  FILTER(LCASE(STR(?name)) = LCASE(STR(?drug)))
  ?arm eg:receives/eg:drug ?concept .
}
"""


def test_a_parameter_need_not_be_projected(built: EvidenceGraph) -> None:
    query = parse_query(UNPROJECTED, "arms")
    arms = {str(row["arm"]) for row in built.run(query, {"drug": "Midazolam"}).rows}
    # FACTS.md: midazolam is the comparator of Dakwar et al., NCT04084860 and KeDA
    assert arms == {
        "https://w3id.org/evidencegraph/id/study/dakwar-2019/arm/midazolam",
        "https://w3id.org/evidencegraph/id/study/NCT04084860/arm/midazolam-met-mbrp",
        "https://w3id.org/evidencegraph/id/study/NCT04084860/arm/midazolam-medication-management",
        "https://w3id.org/evidencegraph/id/study/NCT06090422/arm/midazolam",
    }
    assert built.run(query, {"drug": "no such drug"}).rows == []


def test_unprojected_parameters_read_the_same_under_values(built: EvidenceGraph) -> None:
    # what a sparql: store sends (every binding by VALUES) answers as the embedded store does
    query = parse_query(UNPROJECTED, "arms")
    text, bindings = query.prepare({"drug": "ketamine"})
    assert not bindings and "VALUES ?drug" in text  # bound in the text, not substituted
    embedded = built.store.query(text, bindings)
    everything_by_values = bind_by_values(
        query.text,
        {name: to_oxigraph(term) for name, term in query.bind({"drug": "ketamine"}).items()},
    )
    remote = built.store.query(everything_by_values)
    assert embedded.rows and sorted(map(str, embedded.rows)) == sorted(map(str, remote.rows))


def test_projected_parameters_stay_substituted() -> None:
    text, bindings = get_query("drug-with-psychotherapy").prepare({"condition": "AUD"})
    # the text as it is, but for the name keys (`# key:`), written in as constants
    as_written = get_query("drug-with-psychotherapy").text
    assert text == as_written.replace("?drugKey", '"ketamine"').replace("?conditionKey", '"aud"')
    assert bindings == {"drug": Literal("ketamine"), "condition": Literal("AUD")}


def test_empty_default_and_bad_defaults() -> None:
    query = parse_query('# param: c literal "" -- any when empty\nSELECT ?c WHERE {}', "q")
    assert query.parameters[0].default == "" and not query.parameters[0].required
    assert query.bind({}) == {"c": Literal("")}
    with pytest.raises(InputError, match=r"q.rq:2: the default of --param n='x' is not an integer"):
        parse_query("# title: t\n# param: n integer x -- a number\nSELECT * {}", "q", "q.rq")


def test_prepare_reports_syntax_errors_on_the_text_as_written() -> None:
    query = parse_query("# param: d literal x -- x\nSELECT ?s\nWHERE { ?s ?p }", "q")
    with pytest.raises(QuerySyntaxError, match="line 3 column"):
        query.prepare({})


def test_the_header_is_documented_where_users_look() -> None:
    help_text = CliRunner().invoke(cli, ["query", "--help"]).output
    assert "# param: drug literal ketamine -- " in help_text
    assert "NAME KIND [DEFAULT] -- DESCRIPTION" in help_text
    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "queries.md").read_text(encoding="utf-8")
    assert "# param: NAME KIND [DEFAULT] -- DESCRIPTION" in guide
    assert "docs/queries.md" in (root / "README.md").read_text(encoding="utf-8")


# --- issue 14 point 12: syntax errors shown on the query text ---------------------------


@pytest.fixture
def store_descriptor(tmp_path: Path) -> str:
    descriptor = f"oxigraph:{tmp_path / 'kg.db'}"
    result = CliRunner().invoke(cli, ["--store", descriptor, "build"])
    assert result.exit_code == 0, result.output
    return descriptor


def test_a_syntax_error_shows_line_caret_and_hint(store_descriptor: str) -> None:
    text = "SELECT ?s WHERE {\n  ?s ?p ?o\n  OPTINAL { ?s ?p ?o }\n}"
    result = CliRunner().invoke(cli, ["--store", store_descriptor, "query", "--sparql", text])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    where = next(i for i, line in enumerate(lines) if "   3 |   OPTINAL { ?s ?p ?o }" in line)
    caret = lines[where + 1]
    # oxigraph stops after the misspelt word; the caret stands at that column, under line 3
    assert "line 3 column 11" in result.output
    assert caret.index("^") == lines[where].index("{")
    assert "   2 |   ?s ?p ?o" in lines[where - 1]  # the line before, for context
    assert any(line.startswith("Hint: ") and "misspelt keyword" in line for line in lines)
    assert "Traceback" not in result.output


def test_a_syntax_error_in_a_query_file_names_it(store_descriptor: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.rq"
    broken.write_text("# title: broken\nSELEC ?s WHERE { ?s ?p ?o }\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--store", store_descriptor, "query", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}: SPARQL syntax error at line 2 column" in result.output
    assert "   2 | SELEC ?s WHERE { ?s ?p ?o }" in result.output
    assert "starts with SELECT, ASK, CONSTRUCT or DESCRIBE" in result.output


def test_an_unprojected_parameter_works_from_the_cli(store_descriptor: str, tmp_path: Path) -> None:
    mine = tmp_path / "arms.rq"
    mine.write_text(UNPROJECTED, encoding="utf-8")
    args = ["--store", store_descriptor, "query", str(mine), "--param", "drug=naltrexone"]
    result = CliRunner().invoke(cli, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "arm",
        "https://w3id.org/evidencegraph/id/study/yoon-2019/arm/naltrexone-ketamine",
    ]


def test_the_flagship_text_sent_as_it_is_ignores_the_unbound_condition(
    built: EvidenceGraph,
) -> None:
    # a SPARQL client that binds only ?drug (the server's query page, SPARQLWrapper) gets the
    # answer of today: the condition left unbound means any
    text = bind_by_values(
        get_query("drug-with-psychotherapy").text, {"drug": ox.Literal("ketamine")}
    )
    trials = {str(row["trial"]) for row in built.store.query(text).rows}
    assert trials == {
        "https://w3id.org/evidencegraph/id/study/NCT02649231",
        "https://w3id.org/evidencegraph/id/study/dakwar-2019",
        "https://w3id.org/evidencegraph/id/study/NCT04084860",
    }


@pytest.mark.parametrize(
    ("text", "ends_early"),
    [
        ("SELECT ?x WHERE { ?x ?p ?o } LIMT 3", False),  # the parser reads to the end
        ("SELECT ?x WHERE { ?x ?p ?o . BIND(1 AS ?x) }", False),
        ("SELECT ?x WHERE { ?x ?p ?o . FILTER(?o = 1)", True),  # '}' missing
        ('SELECT ?x WHERE { ?x ?p "unterminated }', True),
        ("SELECT ?x WHERE { ?x ?p ?o . FILTER(?o = <urn:x#y>)", True),  # '#' in an IRI
    ],
)
def test_the_ends_too_early_hint_only_when_something_is_left_open(
    text: str, ends_early: bool
) -> None:
    """`... } LIMT 3` was told "the query ends too early: a '}' or ')' is missing", though
    every bracket was closed: Oxigraph reports a misspelt keyword near the end of the text at
    the end of the text."""
    result = CliRunner().invoke(cli, ["--store", "memory:", "query", "--sparql", text])
    assert result.exit_code == 2, result.output
    hint = next(line for line in result.output.splitlines() if line.startswith("Hint: "))
    assert ("ends too early" in hint) is ends_early, hint
    if not ends_early:
        assert "misspelt keyword" in hint, hint


def test_a_parameter_in_having_binds_after_grouping(tmp_path: Path) -> None:
    """`HAVING (COUNT(?a) > ?n)` with ?n a parameter outside the projection answered no row
    at all: ?n was bound by VALUES inside WHERE, and grouping dropped it."""
    mine = tmp_path / "groups.rq"
    mine.write_text(
        "# param: n integer 0 -- fewest rows a group keeps\n"
        "SELECT ?g (COUNT(*) AS ?c) WHERE { VALUES ?g { 1 1 1 2 2 3 } }\n"
        "GROUP BY ?g HAVING (COUNT(*) > ?n) ORDER BY ?g\n",
        encoding="utf-8",
    )
    for n, expected in (("0", ["1,3", "2,2", "3,1"]), ("1", ["1,3", "2,2"]), ("2", ["1,3"])):
        args = ["--store", "memory:", "query", str(mine), "--param", f"n={n}", "--format", "csv"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert result.output.split() == ["g,c", *expected], (n, result.output)
