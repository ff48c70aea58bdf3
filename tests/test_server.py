"""`evidencegraph serve` over real HTTP on 127.0.0.1: the SPARQL 1.1 Protocol with SPARQLWrapper
and raw requests, every results format and RDF syntax parsed back, the safety rules, named
queries, linked data and VoID. Answers are checked against FACTS.md (tests/test_competency.py)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.query import Result
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from evidencegraph.cli.main import cli
from evidencegraph.queries import get_query
from evidencegraph.server.security import RefusedError, refuse_remote_fetch
from evidencegraph.store.values_binding import bind_by_values
from server_support import EvidenceServerProcess, build_curated_store

ID = "https://w3id.org/evidencegraph/id/"
KARE = ID + "study/NCT02649231"
DAKWAR = ID + "study/dakwar-2019"
COLUMBIA = ID + "study/NCT04084860"
YOON = ID + "study/yoon-2019"
FLAGSHIP_TRIALS = {KARE, DAKWAR, COLUMBIA}
EG = "https://w3id.org/evidencegraph/ontology#"
#: The flagship query as any SPARQL client would send it: the parameter bound in the text.
FLAGSHIP = bind_by_values(
    get_query("drug-with-psychotherapy").text, {"drug": ox.Literal("ketamine")}
)
TRIALS_GRAPH = f"""PREFIX eg: <{EG}>
PREFIX dcterms: <http://purl.org/dc/terms/>
CONSTRUCT {{ ?trial a eg:Trial ; dcterms:title ?title }}
WHERE {{ ?trial a eg:Trial ; dcterms:title ?title }}"""
#: Every triple joined with every other twice: billions of rows on the curated store.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOKEN = "a-test-token-of-some-length-0123456789"
CORS_ORIGIN = "https://example.org"


@pytest.fixture(scope="module")
def strict_server(curated_store_path: Path) -> Iterator[EvidenceServerProcess]:
    """Tight limits, to be run into: 2 s (demoted after 0.5 s), 500 rows, 64 KiB; CORS for
    one origin."""
    with EvidenceServerProcess(
        curated_store_path,
        "--workers", "2", "--timeout", "2", "--demote-after", "0.5", "--max-rows", "500",
        "--max-request-bytes", "64KiB", "--cors", CORS_ORIGIN,
    ) as server:  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def update_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EvidenceServerProcess]:
    """A writable store of its own, updates with the bearer token; no CORS."""
    store = build_curated_store(tmp_path_factory.mktemp("writable") / "evidencegraph.db")
    token_file = tmp_path_factory.mktemp("token") / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    with EvidenceServerProcess(
        store, "--allow-update", "--token-file", str(token_file), "--timeout", "5"
    ) as server:
        yield server


def trials_in(rows: ox.QuerySolutions) -> set[str]:
    return {solution["trial"].value for solution in rows}


def count(server: EvidenceServerProcess, query: str, **headers: str) -> tuple[int, str]:
    answer = requests.get(
        server.endpoint,
        params={"query": query},
        headers={"Accept": "application/sparql-results+json", **headers},
        timeout=30,
    )
    answer.raise_for_status()
    value = answer.json()["results"]["bindings"][0]["n"]["value"]
    return int(value), answer.headers.get("X-Cache", "")


# --- the Protocol, with a real client -----------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_sparqlwrapper_json_finds_kare_not_yoon(
    evidence_server: EvidenceServerProcess,
    method: str,
) -> None:
    client = SPARQLWrapper(evidence_server.endpoint)
    client.setQuery(FLAGSHIP)
    client.setReturnFormat(JSON)
    if method == "POST":
        client.setMethod(POST)
    elif method == "POSTDIRECTLY":
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    answer = client.query().convert()
    assert isinstance(answer, dict)
    trials = {row["trial"]["value"] for row in answer["results"]["bindings"]}
    assert trials == FLAGSHIP_TRIALS
    assert YOON not in trials


def test_sparqlwrapper_every_results_format(evidence_server: EvidenceServerProcess) -> None:
    found: dict[str, set[str]] = {}
    for name, fmt in (("xml", XML), ("csv", CSV), ("tsv", TSV)):
        client = SPARQLWrapper(evidence_server.endpoint)
        client.setQuery(FLAGSHIP)
        client.setReturnFormat(fmt)
        raw = client.query().response.read()
        if name == "csv":
            found[name] = {row["trial"] for row in csv.DictReader(io.StringIO(raw.decode()))}
        else:
            parsed = ox.parse_query_results(
                raw, format=getattr(ox.QueryResultsFormat, name.upper())
            )
            found[name] = trials_in(parsed)  # type: ignore[arg-type]
    assert found == {"xml": FLAGSHIP_TRIALS, "csv": FLAGSHIP_TRIALS, "tsv": FLAGSHIP_TRIALS}


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_sparqlwrapper_construct(evidence_server: EvidenceServerProcess, fmt: str) -> None:
    client = SPARQLWrapper(evidence_server.endpoint)
    client.setQuery(TRIALS_GRAPH)
    client.setReturnFormat(fmt)
    result = client.query()
    graph = Graph().parse(data=result.response.read(), format=_rdflib_format(result.response))
    trials = {str(s) for s in graph.subjects(predicate=None, object=URIRef(EG + "Trial"))}
    assert KARE in trials and YOON not in trials


def _rdflib_format(response: object) -> str:
    media = response.headers["Content-Type"].split(";")[0]  # type: ignore[attr-defined]
    return {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
    }[media]


# --- content negotiation, raw HTTP --------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media", "parse"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "application/sparql-results+xml", "xml"),
        ("text/tab-separated-values", "text/tab-separated-values", "tsv"),
        ("text/csv", "text/csv", "csv"),
        ("application/json", "application/sparql-results+json", "json"),
        ("*/*", "application/sparql-results+json", "json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
         "application/sparql-results+xml", "xml"),
    ],
)  # fmt: skip
def test_select_by_accept(
    evidence_server: EvidenceServerProcess,
    accept: str,
    media: str,
    parse: str,
) -> None:
    answer = requests.post(
        evidence_server.endpoint, data={"query": FLAGSHIP}, headers={"Accept": accept}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].split(";")[0] == media
    if parse == "csv":
        parsed = Result.parse(io.BytesIO(answer.content), format="csv")
        trials = {str(row["trial"]) for row in parsed}  # type: ignore[index]
    else:
        rows = ox.parse_query_results(
            answer.content, format=getattr(ox.QueryResultsFormat, parse.upper())
        )
        trials = trials_in(rows)  # type: ignore[arg-type]
    assert trials == FLAGSHIP_TRIALS


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_by_accept(
    evidence_server: EvidenceServerProcess,
    accept: str,
    rdflib_format: str,
) -> None:
    answer = requests.post(
        evidence_server.endpoint,
        data=TRIALS_GRAPH.encode("utf-8"),
        headers={"Accept": accept, "Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].split(";")[0] == accept
    graph = Graph().parse(data=answer.content, format=rdflib_format)
    titles = {
        str(s): str(o)
        for s, _, o in graph.triples((None, URIRef("http://purl.org/dc/terms/title"), None))
    }
    assert KARE in titles and YOON not in titles
    assert "ketamine" in titles[KARE].lower()


def test_ask_and_format_parameter(evidence_server: EvidenceServerProcess) -> None:
    ask = f"ASK {{ <{KARE}> a <{EG}Trial> }}"
    for fmt in ("json", "xml", "tsv"):
        answer = requests.get(
            evidence_server.endpoint, params={"query": ask, "format": fmt}, timeout=30
        )
        assert answer.status_code == 200
        result = ox.parse_query_results(
            answer.content, format=getattr(ox.QueryResultsFormat, fmt.upper())
        )
        assert bool(result) is True


def test_syntax_error_is_400_with_line_and_column(evidence_server: EvidenceServerProcess) -> None:
    answer = requests.get(
        evidence_server.endpoint, params={"query": "SELECT *\nWHERE { ?s ?p }"}, timeout=30
    )
    assert answer.status_code == 400
    assert "line 2 column" in answer.text and "SPARQL syntax error" in answer.text


def test_accept_it_cannot_serve_is_406(evidence_server: EvidenceServerProcess) -> None:
    select = requests.get(
        evidence_server.endpoint,
        params={"query": FLAGSHIP},
        headers={"Accept": "image/png"},
        timeout=30,
    )
    assert select.status_code == 406 and "Accept" in select.text
    construct_as_csv = requests.get(
        evidence_server.endpoint,
        params={"query": TRIALS_GRAPH},
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    assert construct_as_csv.status_code == 406 and "CONSTRUCT" in construct_as_csv.text


def test_dataset_parameters_choose_the_graphs(evidence_server: EvidenceServerProcess) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    whole, _ = count(evidence_server, query)
    assert whole > 0
    # a default graph named by the Protocol replaces the store's: this one holds nothing
    answer = requests.get(
        evidence_server.endpoint,
        params={"query": query, "default-graph-uri": "http://example.org/no-such-graph"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == "0"
    bad = requests.get(
        evidence_server.endpoint,
        params={"query": query, "named-graph-uri": "not an IRI"},
        timeout=30,
    )
    assert bad.status_code == 400 and "named-graph-uri" in bad.text


def test_unknown_post_body_is_415(evidence_server: EvidenceServerProcess) -> None:
    answer = requests.post(
        evidence_server.endpoint, data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=30
    )
    assert answer.status_code == 415


def test_etag_and_the_cache(evidence_server: EvidenceServerProcess) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type } # etag test"
    first = requests.get(evidence_server.endpoint, params={"query": query}, timeout=30)
    second = requests.get(evidence_server.endpoint, params={"query": query}, timeout=30)
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert first.content == second.content and first.headers["ETag"] == second.headers["ETag"]
    again = requests.get(
        evidence_server.endpoint,
        params={"query": query},
        headers={"If-None-Match": first.headers["ETag"]},
        timeout=30,
    )
    assert again.status_code == 304 and again.content == b""
    # another format is another answer
    as_csv = requests.get(
        evidence_server.endpoint,
        params={"query": query},
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    assert as_csv.headers["X-Cache"] == "miss" and as_csv.headers["ETag"] != first.headers["ETag"]


def test_service_description(evidence_server: EvidenceServerProcess) -> None:
    answer = requests.get(evidence_server.endpoint, headers={"Accept": "text/turtle"}, timeout=30)
    graph = Graph().parse(data=answer.content, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (
        URIRef(evidence_server.endpoint),
        URIRef(sd + "endpoint"),
        URIRef(evidence_server.endpoint),
    ) in graph


def test_a_post_with_no_query_or_update_is_400(evidence_server: EvidenceServerProcess) -> None:
    """It was answered with the service description, as a GET with no query is."""
    form = requests.post(evidence_server.endpoint, data={"default-graph-uri": "x:g"}, timeout=30)
    assert form.status_code == 400 and "holds no query and no update" in form.text
    empty = requests.post(
        evidence_server.endpoint,
        data=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert empty.status_code == 400


# --- safety -------------------------------------------------------------------------------


def test_service_is_refused_before_anything_is_fetched(
    evidence_server: EvidenceServerProcess,
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        for query in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"select * where {{ service silent <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?s ?p ?o.SeRvIcE <{target}> {{ ?a ?b ?c }} }}",
        ):
            answer = requests.post(evidence_server.endpoint, data={"query": query}, timeout=30)
            assert answer.status_code == 400, query
            assert "SERVICE" in answer.text and "fetch" in answer.text
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody came


def test_the_words_in_strings_comments_and_names_are_not_refused(
    evidence_server: EvidenceServerProcess,
) -> None:
    query = """# SERVICE <http://example.org/> and LOAD <http://example.org/x>
PREFIX schema: <http://schema.org/>
SELECT ?service ?load WHERE {
  VALUES (?service ?load) { ("SERVICE <http://example.org/>" 'load <http://example.org/x>') }
  FILTER NOT EXISTS { ?s a schema:Service }  # a prefixed name, not the keyword
}"""
    answer = requests.post(evidence_server.endpoint, data={"query": query}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"][0]["service"]["value"].startswith("SERVICE")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
        "SELECT * { sErViCe ?endpoint { ?s ?p ?o } }",
        "SELECT * { ?s ?p 1.SERVICE <http://x/> { ?a ?b ?c } }",
        "PREFIX ex: <http://x/> SELECT * { ?s ?p ex:.SERVICE <http://x/> { ?a ?b ?c } }",
        "SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
        "LOAD <http://x/data.ttl>",
        "load silent <http://x/data.ttl> into graph <http://x/g>",
    ],
)
def test_remote_fetch_keywords_are_found(query: str) -> None:
    with pytest.raises(RefusedError):
        refuse_remote_fetch(query)


def test_oversized_request_is_413_and_long_url_414(strict_server: EvidenceServerProcess) -> None:
    padding = "#" + "x" * (70 * 1024) + "\nASK {}"
    answer = requests.post(strict_server.endpoint, data={"query": padding}, timeout=30)
    assert answer.status_code == 413 and "--max-request-bytes" in answer.text
    direct = requests.post(
        strict_server.endpoint,
        data=padding.encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert direct.status_code == 413
    long_url = requests.get(strict_server.endpoint, params={"query": padding}, timeout=30)
    assert long_url.status_code == 414 and "POST" in long_url.text
    assert requests.get(strict_server.endpoint, params={"query": "ASK {}"}, timeout=30).ok


def test_row_cap(strict_server: EvidenceServerProcess) -> None:
    answer = requests.get(
        strict_server.endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=30
    )
    assert answer.status_code == 503
    assert "500" in answer.text and "--max-rows" in answer.text and "LIMIT" in answer.text
    limited = requests.get(
        strict_server.endpoint,
        params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 500"},
        timeout=30,
    )
    assert limited.status_code == 200 and len(limited.json()["results"]["bindings"]) == 500
    graph = requests.get(
        strict_server.endpoint, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, timeout=30
    )
    assert graph.status_code == 503 and "500" in graph.text


def test_slow_query_is_stopped_while_others_are_answered(
    strict_server: EvidenceServerProcess,
) -> None:
    # no clock in the assertions: each step waits for what the server does (a worker demoted,
    # an answer, the log line of a stopped job), with a deadline only against a hang
    slow: dict[str, object] = {}
    stopped_before = strict_server.log().count("stopped a QueryJob")

    def run_slow() -> None:
        answer = requests.post(strict_server.endpoint, data={"query": SLOW}, timeout=60)
        slow.update(status=answer.status_code, text=answer.text)

    thread = threading.Thread(target=run_slow)
    thread.start()
    has_proc = Path("/proc/self/stat").exists()
    if has_proc:  # the slow query holds a worker, demoted after 0.5 s to the lowest priority
        assert _wait_for(lambda: 19 in _niceness(strict_server), 30), "no worker was demoted"
    else:  # nothing to watch the worker by: give it the time it takes to be demoted
        time.sleep(1.0)
    n, _ = count(strict_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t } # beside the slow one")
    # answered while the slow one still ran: neither answered nor stopped yet
    assert n > 0 and thread.is_alive() and "status" not in slow
    assert strict_server.log().count("stopped a QueryJob") == stopped_before
    if has_proc:  # the slow one's worker at the lowest priority
        assert [_nice(pid) for pid in _descendants(strict_server.process.pid)].count(19) == 1
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert slow["status"] == 503 and "time limit of 2 s" in str(slow["text"])
    # stopped by the server at its limit, not by anything else (a client timeout, a crash)
    assert strict_server.log().count("stopped a QueryJob after 2 s") == stopped_before + 1
    if has_proc:  # and retired with it
        assert _wait_for(lambda: 19 not in _niceness(strict_server), 10), "still demoted"
    # and afterwards: the killed worker is replaced, every query still answered
    for number in range(6):
        n, _ = count(strict_server, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} # {number}")
        assert n > 0


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` have passed (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _niceness(server: EvidenceServerProcess) -> list[int | None]:
    """The niceness of each process below the server (its workers)."""
    return [_nice(pid) for pid in _descendants(server.process.pid)]


def test_cors_only_for_the_named_origin(
    strict_server: EvidenceServerProcess, update_server: EvidenceServerProcess
) -> None:
    allowed = requests.get(
        strict_server.endpoint,
        params={"query": "ASK {}"},
        headers={"Origin": CORS_ORIGIN},
        timeout=30,
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == CORS_ORIGIN
    preflight = requests.options(
        strict_server.endpoint,
        headers={
            "Origin": CORS_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    other = requests.get(
        strict_server.endpoint,
        params={"query": "ASK {}"},
        headers={"Origin": "https://elsewhere.example"},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    without = requests.get(
        update_server.endpoint,
        params={"query": "ASK {}"},
        headers={"Origin": CORS_ORIGIN},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in without.headers


def test_update_needs_the_flag_and_the_token(
    evidence_server: EvidenceServerProcess,
    update_server: EvidenceServerProcess,
) -> None:
    insert = f"INSERT DATA {{ <{ID}study/served-test> a <{EG}Study> }}"
    read_only = requests.post(
        evidence_server.endpoint,
        data={"update": insert},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert read_only.status_code == 403 and "--allow-update" in read_only.text

    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a <{EG}Study> }}"
    before, _ = count(update_server, query)
    assert count(update_server, query) == (before, "hit")

    anonymous = requests.post(update_server.endpoint, data={"update": insert}, timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith(
        "Bearer"
    )
    wrong = requests.post(
        update_server.endpoint,
        data={"update": insert},
        headers={"Authorization": "Bearer not-the-token-at-all-no"},
        timeout=30,
    )
    assert wrong.status_code == 403
    assert count(update_server, query) == (before, "hit")  # nothing changed

    done = requests.post(
        update_server.endpoint,
        data=insert.encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"},
        timeout=30,
    )
    assert done.status_code == 204, done.text
    assert count(update_server, query) == (before + 1, "miss")  # the cache was emptied

    load = requests.post(
        update_server.endpoint,
        data={"update": "LOAD <http://127.0.0.1:9/data.ttl>"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert load.status_code == 400 and "LOAD" in load.text


# --- named queries ------------------------------------------------------------------------


def test_queries_list(evidence_server: EvidenceServerProcess) -> None:
    listed = requests.get(
        evidence_server.url + "queries", params={"format": "json"}, timeout=30
    ).json()
    flagship = next(q for q in listed if q["name"] == "drug-with-psychotherapy")
    assert (
        flagship["parameters"][0]["name"] == "drug"
        and flagship["parameters"][0]["default"] == "ketamine"
    )
    assert "SELECT" in flagship["text"]
    by_accept = requests.get(
        evidence_server.url + "queries", headers={"Accept": "application/json"}, timeout=30
    )
    assert by_accept.json() == listed
    page = requests.get(
        evidence_server.url + "queries", headers={"Accept": "text/html"}, timeout=30
    )
    assert (
        page.headers["Content-Type"].startswith("text/html")
        and "drug-with-psychotherapy" in page.text
    )


def test_named_query_with_parameters(evidence_server: EvidenceServerProcess) -> None:
    url = evidence_server.url + "queries/drug-with-psychotherapy"
    default = requests.get(url, headers={"Accept": "text/tab-separated-values"}, timeout=30)
    assert (
        trials_in(ox.parse_query_results(default.content, format=ox.QueryResultsFormat.TSV))
        == FLAGSHIP_TRIALS
    )  # type: ignore[arg-type]
    upper = requests.get(url, params={"drug": "KETAMINE"}, timeout=30).json()
    assert {row["trial"]["value"] for row in upper["results"]["bindings"]} == FLAGSHIP_TRIALS
    other = requests.get(url, params={"drug": "naltrexone"}, timeout=30).json()
    assert KARE not in {row["trial"]["value"] for row in other["results"]["bindings"]}


def test_named_query_errors(evidence_server: EvidenceServerProcess) -> None:
    undeclared = requests.get(
        evidence_server.url + "queries/drug-with-psychotherapy", params={"dose": "5"}, timeout=30
    )
    assert undeclared.status_code == 400
    assert "declares no parameter 'dose'" in undeclared.text and "drug" in undeclared.text
    bad_iri = requests.get(
        evidence_server.url + "queries/outcomes-for-drug", params={"drug": "<ketamine>"}, timeout=30
    )
    assert bad_iri.status_code == 400
    unknown = requests.get(evidence_server.url + "queries/drug-with-psychotherap", timeout=30)
    assert unknown.status_code == 404 and "drug-with-psychotherapy" in unknown.text


# --- linked data, VoID, ontology, files ---------------------------------------------------


@pytest.mark.parametrize(
    ("how", "rdflib_format"),
    [
        ({"Accept": "text/turtle"}, "turtle"),
        ({"Accept": "application/n-triples"}, "nt"),
        ({"Accept": "application/ld+json"}, "json-ld"),
        ({"Accept": "application/rdf+xml"}, "xml"),
        (".ttl", "turtle"),
        (".nt", "nt"),
        (".jsonld", "json-ld"),
        (".rdf", "xml"),
    ],
)
def test_dereference_a_study(
    evidence_server: EvidenceServerProcess,
    how: dict[str, str] | str,
    rdflib_format: str,
) -> None:
    pytest.importorskip("evidencegraph.server.pages")
    path = evidence_server.url + "id/study/NCT02649231"
    if isinstance(how, str):
        answer = requests.get(path + how, timeout=30)
    else:
        answer = requests.get(path, headers=how, timeout=30)
    assert answer.status_code == 200, answer.text
    graph = Graph().parse(data=answer.content, format=rdflib_format)
    assert (URIRef(KARE), None, URIRef(EG + "Trial")) in graph
    if not isinstance(how, str):
        assert answer.headers["Content-Location"].startswith("/id/study/NCT02649231.")


def test_dereference_html_and_unknown(evidence_server: EvidenceServerProcess) -> None:
    pytest.importorskip("evidencegraph.server.pages")
    page = requests.get(
        evidence_server.url + "id/study/NCT02649231", headers={"Accept": "text/html"}, timeout=30
    )
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "NCT02649231" in page.text
    assert (
        requests.get(evidence_server.url + "id/study/NCT02649231.html", timeout=30).text
        == page.text
    )
    unknown = requests.get(evidence_server.url + "id/study/NCT00000000", timeout=30)
    assert unknown.status_code == 404
    concept = requests.get(evidence_server.url + "vocab/Completed.ttl", timeout=30)
    assert concept.status_code == 200


def test_void_has_the_triple_count(
    evidence_server: EvidenceServerProcess,
    curated_store_path: Path,
) -> None:
    answer = requests.get(evidence_server.url + ".well-known/void", timeout=60)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=answer.content, format="turtle")
    void = "http://rdfs.org/ns/void#"
    dataset = URIRef(evidence_server.url + ".well-known/void.ttl#dataset")
    triples = graph.value(dataset, URIRef(void + "triples"))
    endpoint = graph.value(dataset, URIRef(void + "sparqlEndpoint"))
    n, _ = count(evidence_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(triples) == n > 2000  # type: ignore[arg-type]
    assert str(endpoint) == evidence_server.endpoint
    browser = requests.get(
        evidence_server.url + ".well-known/void",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        timeout=60,
    )
    # a browser gets the description as a page (tests/test_server_html.py)
    assert browser.headers["Content-Type"].startswith("text/html")


def test_ontology_as_turtle(evidence_server: EvidenceServerProcess) -> None:
    for answer in (
        requests.get(evidence_server.url + "ontology.ttl", timeout=30),
        requests.get(
            evidence_server.url + "ontology", headers={"Accept": "text/turtle"}, timeout=30
        ),
    ):
        graph = Graph().parse(data=answer.content, format="turtle")
        assert (URIRef(EG + "Trial"), None, None) in graph


def test_not_found_says_what_is_here(evidence_server: EvidenceServerProcess) -> None:
    answer = requests.get(evidence_server.url + "nothing-here", timeout=30)
    assert answer.status_code == 404 and "/sparql" in answer.text


# --- the command --------------------------------------------------------------------------


def test_serve_refuses_stores_it_cannot_serve(tmp_path: Path) -> None:
    runner = CliRunner()
    memory = runner.invoke(cli, ["--store", "memory:", "serve"])
    assert memory.exit_code == 2 and "oxigraph:PATH" in memory.output
    no_token = runner.invoke(
        cli,
        ["--store", f"oxigraph:{tmp_path}/db", "serve", "--allow-update"],
        env={"EVIDENCEGRAPH_SERVER_TOKEN": ""},
    )
    assert no_token.exit_code == 2 and "token" in no_token.output
    short = tmp_path / "token"
    short.write_text("short", encoding="utf-8")
    weak = runner.invoke(
        cli,
        [
            "--store",
            f"oxigraph:{tmp_path}/db",
            "serve",
            "--allow-update",
            "--token-file",
            str(short),
        ],
    )
    assert weak.exit_code == 2 and "16 characters" in weak.output
    missing = runner.invoke(cli, ["--store", f"oxigraph:{tmp_path}/absent", "serve", "--port", "0"])
    assert missing.exit_code == 3 and "no store" in missing.output


def test_json_listing_matches_the_cli(evidence_server: EvidenceServerProcess) -> None:
    cli_listing = json.loads(CliRunner().invoke(cli, ["queries", "--format", "json"]).output)
    served = requests.get(evidence_server.url + "queries?format=json", timeout=30).json()
    assert [{k: v for k, v in q.items() if k != "text"} for q in served] == cli_listing


def test_the_examples_in_docs_server_md_work(evidence_server: EvidenceServerProcess) -> None:
    import re
    import shutil
    import subprocess

    text = (Path(__file__).parent.parent / "docs" / "server.md").read_text(encoding="utf-8")
    examples = re.search(r"## Examples(.*?)\n## ", text, re.DOTALL)
    assert examples is not None
    shell, python = (
        re.search(r"```sh\n(.*?)```", examples.group(1), re.DOTALL),
        re.search(r"```python\n(.*?)```", examples.group(1), re.DOTALL),
    )
    assert shell is not None and python is not None
    local = "http://127.0.0.1:7879/"
    if shutil.which("curl"):
        commands = [line for line in shell.group(1).splitlines() if line.startswith("curl ")]
        assert len(commands) >= 6
        for command in commands:
            ran = subprocess.run(
                command.replace(local, evidence_server.url).replace("curl -s", "curl -sf"),
                shell=True,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert ran.returncode == 0 and ran.stdout.strip(), command
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(python.group(1).replace(local, evidence_server.url), {})
    assert KARE in printed.getvalue() and YOON not in printed.getvalue()


def test_answers_written_through_tsv_are_pyoxigraphs_own() -> None:
    """The worker writes SELECT answers as TSV first (to count rows), then converts: the bytes
    must be the ones pyoxigraph writes directly, for every kind of term."""
    from evidencegraph.server.evaluate import QueryJob
    from evidencegraph.store.core import OxigraphStore

    xsd = "http://www.w3.org/2001/XMLSchema#"
    store = OxigraphStore(None)
    subject, predicate = ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p")
    objects = [
        ox.NamedNode("http://example.org/a?b=c#d"),
        ox.BlankNode("b0"),
        ox.Literal("plain"),
        ox.Literal(""),
        ox.Literal('quote " tab \t newline \n cr \r backslash \\ unicode é 𝄞'),
        ox.Literal("hello", language="en-GB"),
        ox.Literal("42", datatype=ox.NamedNode(xsd + "integer")),
        ox.Literal("042", datatype=ox.NamedNode(xsd + "integer")),
        ox.Literal("-1.50", datatype=ox.NamedNode(xsd + "decimal")),
        ox.Literal("1.0E3", datatype=ox.NamedNode(xsd + "double")),
        ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean")),
        ox.Literal("2024-02-30", datatype=ox.NamedNode(xsd + "date")),
        ox.Literal("x", datatype=ox.NamedNode("urn:x:custom")),
    ]
    store.native.extend(ox.Quad(subject, predicate, value) for value in objects)
    query = "SELECT ?s ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?o ?p ?none } } ORDER BY ?o"
    for name, fmt in (
        ("json", ox.QueryResultsFormat.JSON),
        ("xml", ox.QueryResultsFormat.XML),
        ("csv", ox.QueryResultsFormat.CSV),
        ("tsv", ox.QueryResultsFormat.TSV),
    ):
        direct = store.native.query(query).serialize(format=fmt)
        answer = QueryJob(query, (), name, None, 0).run(store)
        assert answer.status == 200 and answer.body == direct, name
    rows = len(list(store.native.query(query)))  # Oxigraph keeps 042 as 42: one row fewer
    capped = QueryJob(query, (), "json", None, rows - 1).run(store)
    assert capped.status == 503 and f"more than {rows - 1} rows" in capped.body.decode()
    assert QueryJob(query, (), "json", None, rows).run(store).status == 200


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _nice(pid: int) -> int | None:
    """The niceness of a running process (Linux /proc), None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[16]) if fields[0] != "Z" else None


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_server_and_its_workers(
    curated_store_path: Path,
    stop_signal: signal.Signals,
) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the worker processes")
    server = EvidenceServerProcess(curated_store_path, "--workers", "2")
    try:
        workers = _descendants(server.process.pid)
        assert len(workers) >= 2  # the workers (and the fork server they come from)
        server.process.send_signal(stop_signal)
        assert server.process.wait(timeout=15) == 0
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not {pid for pid in workers if _running(pid)}
        assert "stopped" in server.log()
    finally:
        server.stop()


def test_index_and_static_files(evidence_server: EvidenceServerProcess) -> None:
    static = Path(__file__).parent.parent / "src" / "evidencegraph" / "server" / "static"
    index = requests.get(evidence_server.url, timeout=30)
    assert index.status_code == 200 and index.headers["Content-Type"].startswith("text/html")
    # the query page (rendered from templates/index.html) in the frame of the others
    assert '<script src="/static/app.js" defer></script>' in index.text
    assert '<textarea id="query"' in index.text and '<a href="/ontology">Ontology</a>' in index.text
    again = requests.get(evidence_server.url, timeout=30)
    assert index.headers["ETag"] and again.text == index.text
    files = sorted(file for file in static.rglob("*") if file.is_file())  # vendor/ too
    assert {file.name for file in files} >= {"app.js", "style.css", "yasqe.min.js"}
    for file in files:
        path = file.relative_to(static).as_posix()
        served = requests.get(evidence_server.url + "static/" + path, timeout=30)
        assert served.status_code == 200 and served.content == file.read_bytes(), path
    escape = requests.get(evidence_server.url + "static/..%2F__init__.py", timeout=30)
    assert escape.status_code == 404
