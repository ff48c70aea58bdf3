"""Hostile and malformed requests to `evidencegraph serve` (issue 13, points 1 to 6).

Each is refused cleanly (a 4xx or 503 with a message that says what and which limit), nothing
is fetched from the network, and the server goes on answering.
"""

from __future__ import annotations

import json
import os
import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from evidencegraph.queries import library
from evidencegraph.server import confine
from evidencegraph.server.limits import (
    DEFAULT_MAX_DEPTH,
    most_levels,
    refuse_deep_nesting,
    walk_levels,
)
from evidencegraph.server.security import RefusedError, refuse_remote_fetch
from server_support import EvidenceServerProcess, evidence_server  # noqa: F401

TOKEN = "a-hostile-test-token-0123456789"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    """A TCP listener on 127.0.0.1 that no request should ever reach, and its URL."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        yield server, f"http://127.0.0.1:{server.getsockname()[1]}/sparql"


def _nobody_came(server: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        server.accept()


@pytest.fixture(scope="module")
def update_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EvidenceServerProcess]:
    folder = tmp_path_factory.mktemp("hostile-update")
    ox.Store(str(folder / "store.db")).flush()
    token_file = folder / "token"
    token_file.write_text(TOKEN, encoding="utf-8")
    with EvidenceServerProcess(
        folder / "store.db", "--allow-update", "--token-file", str(token_file)
    ) as server:
        yield server


# --- 1. SERVICE and LOAD, however they are written ------------------------------------------


def smuggled(target: str) -> list[str]:
    """Queries that run SERVICE against ``target`` in Oxigraph, each written to slip past a
    reading of the text that is not the parser's."""
    return [
        # an escape in an IRI, then a '#' the old tokenizer took for a comment
        f"SELECT * WHERE {{ ?s <http://a/\\u0041#> ?o . SERVICE <{target}> {{ ?a ?b ?c }} }}",
        # the same with a quote, that it took for the start of a string
        f"SELECT * WHERE {{ ?s <http://a/\\u0041'> ?o . SERVICE <{target}> {{ ?a ?b ?c }} }} #'",
        f"SELECT * WHERE {{ ?s <http://a/\\U00000041#> ?o . SERVICE <{target}> {{ ?a ?b ?c }} }}",
        # the endpoint's IRI itself escaped, through a prefix
        f"PREFIX t: <{target[:-1]}\\u0074> SELECT * {{ SERVICE SILENT t: {{ ?a ?b ?c }} }}",
        f"SELECT * {{ {{ {{ SERVICE SILENT <{target}> {{ ?a ?b ?c }} }} }} }}",
        f"# SERVICE in a comment\nSELECT * {{ ?s ?p 'SERVICE' SERVICE <{target}> {{ ?a ?b ?c }} }}",
        f'SELECT * {{ ?s ?p "a\\u0022b" . sErViCe <{target}> {{ ?a ?b ?c }} }}',
        f"SELECT * {{ ?s ?p ?o.SERVICE <{target}> {{ ?a ?b ?c }} }}",
    ]


def test_smuggled_service_is_refused_and_nothing_is_fetched(
    evidence_server: EvidenceServerProcess,  # noqa: F811
    listener: tuple[socket.socket, str],
) -> None:
    server, target = listener
    for query in smuggled(target):
        for answer in (
            requests.get(evidence_server.endpoint, params={"query": query}, timeout=30),
            requests.post(evidence_server.endpoint, data={"query": query}, timeout=30),
            requests.post(
                evidence_server.endpoint,
                data=query.encode(),
                headers={"Content-Type": "application/sparql-query"},
                timeout=30,
            ),
        ):
            assert answer.status_code == 400, (query, answer.text)
            assert "SERVICE" in answer.text and "refused" in answer.text
    _nobody_came(server)


def test_load_is_refused_and_nothing_is_fetched(
    update_server: EvidenceServerProcess, listener: tuple[socket.socket, str]
) -> None:
    server, target = listener
    for update in (
        f"LOAD <{target}>",
        f"load silent <{target[:-1]}\\u0074> into graph <http://example.org/g>",
        f"INSERT DATA {{ <http://a/\\u0041#> <http://a/p> 'x' }} ; LOAD <{target}>",
        f"INSERT {{ ?a ?b ?c }} WHERE {{ SERVICE <{target}> {{ ?a ?b ?c }} }}",
    ):
        answer = requests.post(
            update_server.endpoint,
            data={"update": update},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert answer.status_code == 400, (update, answer.text)
        assert "refused" in answer.text
    _nobody_came(server)
    # nothing of a refused update was written
    ask = requests.get(
        update_server.endpoint, params={"query": "ASK { ?s ?p ?o }"}, timeout=30
    ).json()
    assert ask["boolean"] is False


#: Pieces that read differently to a tokenizer and to the parser: escapes in IRIs and strings
#: that decode to quotes, '#' and '>', long strings, escaped quotes, comments.
_NOISE = [
    "<http://a/\\u0041#>", "<http://a/\\u0022>", "<http://a/\\u0027>", "<http://a/\\u003E>",
    "<http://a/\\U00000023>", "'a\\u0027b'", '"a\\u0022b"', "'''x'y''z'''", '"""x"y""z"""',
    "'\\''", '"\\""', "# c ' \" <\n", "#\\u000A\n", "?o", "ex:a", "ex:\\#b", "1.5", "<x>",
]  # fmt: skip


def test_no_generated_query_that_makes_the_engine_fetch_passes_the_check() -> None:
    """Differential: 200 seeded queries built from the pieces above around a SERVICE call;
    whenever Oxigraph itself tries to fetch (to a closed port on 127.0.0.1: it fails with a
    connection error and nothing is reached), the check must have refused the text."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        target = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://s"), ox.NamedNode("http://p"), ox.NamedNode("http://o")))
    rng = random.Random(13)

    def statement() -> str:
        piece = rng.choice(_NOISE)
        if piece.startswith("#"):
            return piece
        return rng.choice(
            [f"OPTIONAL {{ ?s ?p {piece} }}", f"BIND({piece} AS ?v{rng.randrange(999)})",
             f"FILTER(?o != {piece})"]
        )  # fmt: skip

    fetched = smuggled = 0
    for _ in range(200):
        before = " ".join(statement() for _ in range(rng.randint(0, 3)))
        after = " ".join(statement() for _ in range(rng.randint(0, 2)))
        keyword = rng.choice(["SERVICE", "service", "SeRvIcE", "\\u0053ERVICE"])
        endpoint = rng.choice([f"<{target}>", f"<{target[:-1]}\\u002F>", "ep:"])
        query = (
            f"PREFIX ex: <http://ex/> PREFIX ep: <{target}> SELECT * WHERE {{ ?s ?p ?o . "
            f"{before} {keyword} {endpoint} {{ ?a ?b ?c }} {after} }}"
        )
        try:
            list(store.query(query))
            continue
        except SyntaxError:
            continue
        except OSError:  # the engine tried to reach the endpoint
            fetched += 1
        try:
            refuse_remote_fetch(query)
            smuggled += 1
        except RefusedError:
            pass
    assert fetched > 50  # the generator does reach the engine's SERVICE
    assert smuggled == 0


@pytest.mark.parametrize(
    "text",
    [
        '# SERVICE <http://x/>\nSELECT ("SERVICE <http://x/>" AS ?a) { }',
        "PREFIX schema: <http://schema.org/> SELECT * { ?s a schema:Service ; schema:load ?l }",
        "SELECT ?service ?load { VALUES ?load { 'LOAD <http://x/>' } }",
        "SELECT * { <http://example.org/service/load> ?p ?o }",
    ],
)
def test_the_words_elsewhere_are_not_refused(text: str) -> None:
    refuse_remote_fetch(text)  # no RefusedError


def test_unparsable_text_naming_service_is_refused() -> None:
    with pytest.raises(RefusedError, match="could not be parsed"):
        refuse_remote_fetch("SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } ")


def test_a_confined_worker_reaches_no_host(listener: tuple[socket.socket, str]) -> None:
    """The second wall: even a SERVICE the check let through finds no network."""
    server, target = listener
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: confined as a worker is, then the engine's own SERVICE
        os.close(reader)
        outcome = b"fetched?"
        try:
            confine.confine_worker(0)
            if not confine.without_network():
                outcome = b"network"
            else:
                list(ox.Store().query(f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"))
        except OSError:
            outcome = b"refused"
        except BaseException:
            outcome = b"other"
        os.write(writer, outcome)
        os._exit(0)
    os.close(writer)
    outcome = os.read(reader, 100)
    os.close(reader)
    os.waitpid(child, 0)
    if outcome == b"network":
        pytest.skip("this machine allows no network namespace (not root, no user namespaces)")
    assert outcome == b"refused"
    _nobody_came(server)


# --- 2. deep nesting ------------------------------------------------------------------------

HOSTILE = {
    "groups": "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
    "expression": "SELECT * WHERE { ?s ?p ?o FILTER(" + " + ".join(["?o"] * 10000) + " > 0) }",
    "optionals": "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 5000 + "}" * 5001,
    "sub-selects": "SELECT * WHERE " + "{ SELECT * WHERE " * 5000 + "{ ?s ?p ?o }" + " }" * 5000,
    "unions": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10000) + " }",
}


@pytest.mark.parametrize("shape", list(HOSTILE))
def test_deep_nesting_is_refused_before_evaluation(
    evidence_server: EvidenceServerProcess,  # noqa: F811
    shape: str,
) -> None:
    answer = requests.post(
        evidence_server.endpoint,
        data=HOSTILE[shape].encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert "nests too deeply" in answer.text and "1,000" in answer.text
    assert "--max-query-depth" in answer.text
    # no worker died for it: the server logged no lost worker, and answers on
    assert "died" not in evidence_server.log()
    assert requests.get(evidence_server.endpoint, params={"query": "ASK {}"}, timeout=30).ok


def test_nesting_within_the_limit_passes_and_strings_do_not_count() -> None:
    refuse_deep_nesting("SELECT * WHERE " + "{" * 900 + " ?s ?p ?o " + "}" * 900, 1000)
    inside = "'" + "{(" * 5000 + "'"
    refuse_deep_nesting(f"SELECT * WHERE {{ ?s ?p {inside} }} # {'{' * 5000}", 1000)
    with pytest.raises(RefusedError, match="line 2 column"):
        refuse_deep_nesting("SELECT *\nWHERE " + "{" * 1001 + "}" * 1001, DEFAULT_MAX_DEPTH)


#: Shapes that slipped past the first depth count and overflowed Oxigraph's stack (SIGSEGV,
#: checked by hand in a subprocess): nesting hidden in what a reading of the text took for
#: an IRI (two comparisons to Oxigraph), behind an escape in a prefixed name or an IRI that
#: began a comment or a string, and long groups of triple patterns, BINDs or FILTERs.
HIDDEN = {
    "comparisons read as an IRI": "SELECT * { ?a ?b ?c FILTER(?c<" + "(" * 6000 + "?b"
    + ")" * 6000 + "&&?c>?a) }",
    "sum read as an IRI": "SELECT * { ?a ?b ?c FILTER(?c<" + "+".join(["?b"] * 10000)
    + "&&?c>?a) }",
    "escaped # in a prefixed name": "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\# ?o . "
    + "{" * 6000 + "?s ?p ?o" + "}" * 6000 + " }",
    "escaped quote in a prefixed name": "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\' ?o . "
    + "{" * 6000 + "?s ?p ?o" + "}" * 6000 + " } # '",
    "escape in an IRI, then #": "SELECT * { ?s <http://a/\\u0041#> ?o . " + "{" * 6000
    + "?s ?p ?o" + "}" * 6000 + " }",
    "20,000 triple patterns": "SELECT * { "
    + " . ".join(f"?s{n} <http://p> ?o{n}" for n in range(20000)) + " }",
    "20,000 predicates": "SELECT * { ?s "
    + " ; ".join(f"<http://p{n}> ?o{n}" for n in range(20000)) + " }",
    "5,000 BINDs": "SELECT * { " + " ".join(f"BIND(1 AS ?v{n})" for n in range(5000)) + " }",
    "10,000 FILTERs": "SELECT * { ?s ?p ?o " + " ".join(f"FILTER(?o != {n})" for n in range(10000))
    + " }",
    "20,000 groups in a row": "SELECT * { " + "{ ?s ?p ?o } " * 20000 + "}",
}  # fmt: skip


@pytest.mark.parametrize("shape", list(HIDDEN))
def test_nesting_a_reading_of_the_text_missed_is_refused(shape: str) -> None:
    with pytest.raises(RefusedError, match="nests too deeply"):
        refuse_deep_nesting(HIDDEN[shape], DEFAULT_MAX_DEPTH)


def test_long_lists_of_data_are_not_depth() -> None:
    """What Oxigraph does not chain passes: INSERT DATA and templates of many triples, long
    IN lists and VALUES blocks, decimals and dotted prefixed names in a group."""
    triples = " ".join(f"<http://s> <http://example.org/p.q> {n}.5 ." for n in range(20000))
    refuse_deep_nesting(f"INSERT DATA {{ GRAPH <http://g> {{ {triples} }} }}", 1000)
    refuse_deep_nesting(f"CONSTRUCT {{ {triples} }} WHERE {{ ?s ?p ?o }}", 1000)
    refuse_deep_nesting(f"DELETE {{ {triples} }} INSERT {{ {triples} }} WHERE {{ }}", 1000)
    numbers = ", ".join(str(n) for n in range(20000))
    refuse_deep_nesting(f"SELECT * {{ ?s ?p ?o FILTER(?o IN ({numbers})) }}", 1000)
    rows = " ".join(f"({n} 1.5)" for n in range(20000))
    refuse_deep_nesting(f"SELECT * {{ VALUES (?a ?b) {{ {rows} }} }}", 1000)
    dotted = " ".join(f"ex:a.b{n} ex:p.q 1.5, 2.5e3" for n in range(300))
    refuse_deep_nesting(f"PREFIX ex: <http://e/> SELECT * {{ {dotted} }}", 1000)


#: Pieces of SPARQL text for the bound below: every kind of level, each kind of text the walk
#: blanks (strings, IRIs holding operators, comments, escapes, prefixed names, decimals),
#: keywords run into numbers, names and one another, and keywords spelled with letters that
#: only a case-blind match takes for theirs.
_PIECES = (
    "{", "}", "(", ")", "[", "]", " . ", ";", ",", "||", "&&", "!=", "<=", ">=", "=", "+", "-",
    "*", "/", "|", "^", " UNION ", "optional", " Minus ", "BIND", "filter", "VALUES",
    "CONSTRUCT {", "INSERT DATA {", "'a{b'", '"""x(y"""', "<http://e/a.b?c=d>", "<((a))>",
    "# { ( . \n", "\\#", "ex:a.b", "1.5", "1.5UNION", "?xUNION", "ex:aunion", "BINDUNION",
    " ?s ", " ?o ", "\n",
    # letters the walk's case-blind matching pairs with a keyword's (ſ with s, İ with i)
    "MINUſ", "BİND", "valueſ",
)  # fmt: skip


def test_the_counted_bound_is_never_below_the_depth_walked() -> None:
    """The cheap count that lets a text through unwalked is at least the depth the walk
    measures, on seeded random texts made of every kind of piece the walk treats apart; and
    the named queries are well under the default limit by it, so they are never walked."""
    rng = random.Random(2112)
    deep = 0
    for _ in range(400):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 400)))
        bound = most_levels(text)
        walk_levels(text, bound)  # the walk at the bound never refuses
        if bound > 2:
            try:
                walk_levels(text, bound // 3)
            except RefusedError:
                deep += 1
    assert deep > 50  # the texts do nest: the check above is not vacuous
    for text in (
        "{ ?s ?p ?o " + "MINUſ { ?s ?p ?o } " * 600 + "}",
        "{ ?s ?p ?o " + "FİLTER ?x " * 1200 + "}",
    ):
        # fewer than 1,000 of the characters: only the words, counted as the walk finds
        # them, put it past the limit
        assert most_levels(text) > DEFAULT_MAX_DEPTH  # so it is walked, and refused
        with pytest.raises(RefusedError, match="nests too deeply"):
            refuse_deep_nesting(text, DEFAULT_MAX_DEPTH)
    for name, query in library().items():
        assert most_levels(query.text) < DEFAULT_MAX_DEPTH / 2, name


def test_a_long_group_is_refused_by_the_server_which_answers_on(
    evidence_server: EvidenceServerProcess,  # noqa: F811
) -> None:
    answer = requests.post(
        evidence_server.endpoint,
        data=HIDDEN["20,000 triple patterns"].encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert answer.status_code == 400 and "nests too deeply" in answer.text, answer.text
    assert "died" not in evidence_server.log()


# --- 3. memory per query --------------------------------------------------------------------


def test_a_query_past_the_memory_cap_is_stopped_and_the_server_answers_on(
    curated_store_path: Path,
) -> None:
    with EvidenceServerProcess(
        curated_store_path, "--workers", "1", "--max-query-memory", "400MiB", "--timeout", "60"
    ) as server:
        # sorted by an expression, which only the engine sorts: every row is held at once
        cross = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY STR(?c) ?f"
        answer = requests.post(server.endpoint, data={"query": cross}, timeout=90)
        assert answer.status_code == 503, answer.text
        assert "memory" in answer.text and "--max-query-memory" in answer.text
        assert "419,430,400" in answer.text  # 400 MiB, the limit it was given
        # sorted by variables, the rows are sorted after they are written (decision 0032):
        # they stream, and the row cap stops them long before the memory cap is near
        by_variables = cross.replace("STR(?c)", "?c")
        answer = requests.post(server.endpoint, data={"query": by_variables}, timeout=90)
        assert answer.status_code == 503 and "--max-rows" in answer.text
        again = requests.get(
            server.endpoint,
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
            timeout=60,
        )
        assert again.status_code == 200 and int(
            again.json()["results"]["bindings"][0]["n"]["value"]
        )


# --- 4. headers -----------------------------------------------------------------------------


def test_huge_headers_are_431(evidence_server: EvidenceServerProcess) -> None:  # noqa: F811
    accept = ", ".join(f"application/x-{n}" for n in range(50_000))[: 900 * 1024]
    answer = requests.get(
        evidence_server.endpoint,
        params={"query": "ASK {}"},
        headers={"Accept": accept},
        timeout=30,
    )
    assert answer.status_code == 431 and "--max-header-bytes" in answer.text
    assert requests.get(evidence_server.endpoint, params={"query": "ASK {}"}, timeout=30).ok


# --- 5. charsets and base IRIs --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["application/sparql-query", "application/sparql-update"])
def test_a_body_not_in_utf8_is_415(
    evidence_server: EvidenceServerProcess,  # noqa: F811
    kind: str,
) -> None:
    answer = requests.post(
        evidence_server.endpoint,
        data="ASK {}".encode("utf-16"),
        headers={"Content-Type": f"{kind}; charset=UTF-16"},
        timeout=30,
    )
    assert answer.status_code == 415 and "UTF-8" in answer.text


def test_relative_iris_resolve_against_the_request_url(
    evidence_server: EvidenceServerProcess,  # noqa: F811
) -> None:
    answer = requests.get(
        evidence_server.endpoint,
        params={"query": "SELECT ?x WHERE { BIND(<relative/iri> AS ?x) }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"][0]["x"]["value"] == (
        evidence_server.url + "relative/iri"
    )


# --- 6. answers that JSON or XML cannot carry as written ------------------------------------


def test_jsonld_keeps_odd_literals_as_they_are(
    evidence_server: EvidenceServerProcess,  # noqa: F811
) -> None:
    query = (
        f'CONSTRUCT {{ <http://example.org/s> <http://example.org/p> "INF"^^<{XSD}double>, '
        f'"NaN"^^<{XSD}double>, "12abc"^^<{XSD}integer>, "maybe"^^<{XSD}boolean> }} WHERE {{}}'
    )
    answer = requests.get(
        evidence_server.endpoint,
        params={"query": query},
        headers={"Accept": "application/ld+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text

    def no_constant(name: str) -> object:
        raise AssertionError(f"bare {name} is not JSON")

    json.loads(answer.text, parse_constant=no_constant)
    written = set(ox.parse(answer.content, format=ox.RdfFormat.JSON_LD))
    objects = {(t.object.value, t.object.datatype.value) for t in written}
    assert objects == {
        ("INF", XSD + "double"),
        ("NaN", XSD + "double"),
        ("12abc", XSD + "integer"),
        ("maybe", XSD + "boolean"),
    }


def test_jsonld_keeps_the_spelling_of_numbers_and_times(
    evidence_server: EvidenceServerProcess,  # noqa: F811
) -> None:
    """Alone in an answer (no NaN beside them to make it expanded), an ill-typed decimal that
    Python's Decimal reads, and a time in Z, were rewritten by the compaction (100000, +00:00)."""
    literals = {("1e5", XSD + "decimal"), ("2020-01-02T10:00:00Z", XSD + "dateTime"),
                ("12", XSD + "integer")}  # fmt: skip
    objects = ", ".join(f'"{value}"^^<{datatype}>' for value, datatype in literals)
    query = f"CONSTRUCT {{ <http://example.org/s> <http://example.org/p> {objects} }} WHERE {{}}"
    answer = requests.get(
        evidence_server.endpoint,
        params={"query": query},
        headers={"Accept": "application/ld+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    written = set(ox.parse(answer.content, format=ox.RdfFormat.JSON_LD))
    assert {(t.object.value, t.object.datatype.value) for t in written} == literals


@pytest.mark.parametrize(
    ("query", "accept", "others"),
    [
        ('SELECT ?x WHERE { BIND("a\\u0000b" AS ?x) }', "application/sparql-results+xml", "JSON"),
        ('SELECT ?x WHERE { BIND("a\\u0001b" AS ?x) }', "application/sparql-results+xml", "JSON"),
        (
            'CONSTRUCT { <http://example.org/s> <http://example.org/p> "a\\u0001b" } WHERE {}',
            "application/rdf+xml",
            "Turtle",
        ),
    ],
)
def test_xml_cannot_carry_control_characters(
    evidence_server: EvidenceServerProcess,  # noqa: F811
    query: str,
    accept: str,
    others: str,
) -> None:
    answer = requests.get(
        evidence_server.endpoint, params={"query": query}, headers={"Accept": accept}, timeout=30
    )
    assert answer.status_code == 406, answer.text
    assert "XML 1.0" in answer.text and others in answer.text
    # the same answer in a format that carries it
    fallback = "application/sparql-results+json" if "results" in accept else "application/n-triples"
    assert requests.get(
        evidence_server.endpoint, params={"query": query}, headers={"Accept": fallback}, timeout=30
    ).ok


def test_a_long_query_is_read_for_its_form_only_at_its_head(
    evidence_server: EvidenceServerProcess,  # noqa: F811
) -> None:
    """The form of a query (for an early 406) is read in its first 8 KiB only, so that a long
    text costs the main process little: past a long prologue the worker decides."""
    prologue = "".join(f"PREFIX p{n}: <http://example.org/{n}#>\n" for n in range(400))
    query = prologue + "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1"
    assert len(prologue) > 8192
    turtle = requests.post(
        evidence_server.endpoint,
        data={"query": query},
        headers={"Accept": "text/turtle"},
        timeout=30,
    )
    assert turtle.status_code == 200, turtle.text
    csv = requests.post(
        evidence_server.endpoint, data={"query": query}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert csv.status_code == 406 and "CONSTRUCT" in csv.text
