"""``sparql:URL``: any SPARQL 1.1 server as the store (decision 0011).

Queries go over the SPARQL 1.1 Protocol; additions over the Graph Store HTTP
Protocol (N-Triples, POST) where the server has it, else as ``INSERT DATA``;
a write that takes values out is one SPARQL Update request
``DELETE DATA {…} ; INSERT DATA {…}``. Every write is one request, so it is as
atomic as the server makes a request (SPARQL 1.1 Protocol: an update request
SHOULD be atomic; Oxigraph runs it in one transaction). The validation gate
runs on this side before anything is sent, exactly as on the embedded store.
Settings, credentials, timeouts and retries: :mod:`evidencegraph.store.sparql_http`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pyoxigraph as ox
import requests
from rdflib import Graph
from rdflib.term import Node

from evidencegraph.errors import QuerySyntaxError, StoreError, UsageError
from evidencegraph.ontology.source_graphs import GRAPH_BASE
from evidencegraph.rdf.results import QueryResult
from evidencegraph.rdf.terms import Triple, from_quad, to_oxigraph, to_quads
from evidencegraph.store.core import Store, _to_result, describe_syntax_error
from evidencegraph.store.sparql_http import ChunkedBody, Endpoint, SparqlHttp, parse_descriptor
from evidencegraph.store.values_binding import bind_by_values, query_form, uses_service

_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
_GRAPHS = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
#: Triples per VALUES block when asking which of a batch's triples the server holds.
_CHUNK = 500


class SparqlStore(Store):
    """A SPARQL 1.1 server reached over HTTP; see the module docstring."""

    def __init__(self, endpoint: Endpoint, *, read_only: bool = False):
        self.endpoint = endpoint
        self.descriptor = endpoint.descriptor
        self.read_only = read_only
        self._http = SparqlHttp(endpoint)
        # syntax and projection errors read exactly as on the embedded store
        self._parser = ox.Store()

    @classmethod
    def open(cls, rest: str, *, read_only: bool = False) -> SparqlStore:
        """Open the store a descriptor names (after ``sparql:``) and check that it answers
        SPARQL. Raises UsageError for a malformed descriptor, StoreError otherwise."""
        store = cls(parse_descriptor(rest), read_only=read_only)
        try:
            store.check()
        except BaseException:
            store.close()
            raise
        return store

    def check(self) -> None:
        """Ask the server a trivial query: a StoreError says what is wrong if it cannot."""
        self._ask("ASK { }")

    # --- reading -----------------------------------------------------------------

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        terms = {name: to_oxigraph(term) for name, term in (bindings or {}).items()}
        form = self._check_locally(sparql, terms)
        text = bind_by_values(sparql, terms)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return _to_result(self._construct(text))
        if form == "ASK":
            return QueryResult.from_boolean(self._ask(text))
        return _to_result(self._select(text))

    def construct_quads(self, sparql: str) -> Iterator[ox.Quad]:
        # straight from N-Triples to pyoxigraph terms: the gate reads neighbourhoods this way
        yield from self._construct(sparql)

    def contains(self, triple: Triple) -> bool:
        quad = next(iter(to_quads([triple])))
        if _has_blank_node(quad):
            raise UsageError(
                "cannot look up a triple with a blank node on a SPARQL server: a blank node "
                "names nothing outside one request"
            )
        return self._ask(f"ASK {{ {quad.subject} {quad.predicate} {quad.object} }}")

    def __len__(self) -> int:
        solutions = self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        count = next(iter(solutions))["n"]
        if not isinstance(count, ox.Literal):
            raise StoreError(f"{self.endpoint.query_url} did not count the triples: {count}")
        return int(count.value)

    def to_graph(self) -> Graph:
        graph = Graph()
        for quad in self._construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"):
            graph.add(from_quad(quad))
        return graph

    # --- writing -----------------------------------------------------------------

    def add(self, triples: Iterable[Triple]) -> int:
        quads = list(dict.fromkeys(to_quads(triples)))  # a bad term fails here, before sending
        new = len(quads) - self._count_present(quads)
        self.write_quads([], quads)
        return new

    def replace(self, removals: Iterable[Triple], additions: Iterable[Triple]) -> int:
        removed = list(dict.fromkeys(to_quads(removals)))
        quads = list(dict.fromkeys(to_quads(additions)))
        new = len(quads) - self._count_present(quads)
        self.write_quads(removed, quads)
        return new

    def write_quads(self, removals: Sequence[ox.Quad], additions: Sequence[ox.Quad]) -> None:
        self.write_nquads(removals, _ntriples(additions))

    def write_nquads(self, removals: Sequence[ox.Quad], ntriples: bytes) -> None:
        if self.read_only:
            raise StoreError(f"the store {self.descriptor} was opened read-only")
        # Sending the same ground triples twice leaves the same set of triples, so a write
        # without blank nodes may be sent again when the answer to it was lost (a
        # connection reset, a 5xx from a proxy): that is why writes are retried. A blank
        # node would be a new node each time, so such a write is sent only once.
        repeatable = b"_:" not in ntriples and not any(_has_blank_node(q) for q in removals)
        additions = list(ox.parse(ntriples, format=ox.RdfFormat.N_QUADS)) if ntriples else []
        if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in [*removals, *additions]):
            # source graphs (decision 0021): one SPARQL Update, GRAPH blocks for each graph
            chunks = [b"DELETE DATA { ", self._quads_block(removals), b"}"]
            if additions:
                chunks += [b" ;\nINSERT DATA { ", self._quads_block(additions), b"}"]
            self._update(chunks, repeatable=repeatable)
            return
        if removals:
            graph_open, graph_close = self._graph_block()
            chunks = [b"DELETE DATA { " + graph_open, _ntriples(removals), graph_close + b"}"]
            if ntriples.strip():  # Virtuoso refuses an empty INSERT DATA
                chunks += [b" ;\nINSERT DATA { " + graph_open, ntriples, graph_close + b"}"]
            self._update(chunks, repeatable=repeatable)
        elif ntriples.strip():
            self._insert(ntriples, repeatable=repeatable)

    def clear(self) -> None:
        # the view, and the source graphs and catalog (decision 0021), which are named
        # graphs on the server whichever graph holds the view
        graph = self.endpoint.graph
        self._update(
            [
                f"CLEAR GRAPH <{graph}>".encode() if graph else b"CLEAR DEFAULT",
                b" ;\nDELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } "
                + f'FILTER(STRSTARTS(STR(?g), "{GRAPH_BASE}")) }}'.encode(),
            ]
        )

    def close(self) -> None:
        self._http.close()

    # --- the protocol ------------------------------------------------------------

    def _check_locally(
        self, sparql: str, terms: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]
    ) -> str:
        """Parse the query (and check its bindings) with pyoxigraph on an empty store, so
        that errors read as on the embedded backend; the query's form."""
        form = query_form(sparql)
        if form == "ASK" and uses_service(sparql):
            return form  # an ASK is answered at once: it would call the SERVICE from here
        substitutions = {ox.Variable(name): term for name, term in terms.items()}
        try:
            self._parser.query(sparql, substitutions=substitutions or None)  # type: ignore[arg-type]
        except SyntaxError as error:
            raise QuerySyntaxError(describe_syntax_error(str(error))) from None
        except RuntimeError as error:
            raise UsageError(f"cannot run the query: {error}") from None
        return form

    def _request_query(self, text: str, accept: str) -> requests.Response:
        form = {"query": text}
        if self.endpoint.graph:
            form["default-graph-uri"] = self.endpoint.graph
        return self._http.post(
            self.endpoint.query_url,
            lambda: form,
            what="query",
            headers={"Accept": accept},
        )

    def _select(self, text: str) -> ox.QuerySolutions:
        answer = self._results(text)
        if not isinstance(answer, ox.QuerySolutions):
            raise StoreError(
                f"{self.endpoint.query_url} answered a SELECT query with a boolean; "
                "is it a SPARQL endpoint?"
            )
        return answer

    def _ask(self, text: str) -> bool:
        answer = self._results(text)
        if isinstance(answer, ox.QueryBoolean):
            return bool(answer)
        # Virtuoso answers ASK in JSON as one row of one variable (1 or 0)
        rows = list(answer)
        values = [value for row in rows for value in row if value is not None]
        if len(rows) <= 1 and len(values) <= 1:
            return bool(values) and getattr(values[0], "value", "") in ("1", "true")
        raise StoreError(f"{self.endpoint.query_url} did not answer an ASK query with a boolean")

    def _results(self, text: str) -> ox.QuerySolutions | ox.QueryBoolean:
        response = self._request_query(text, _RESULTS)
        media = _media_type(response)
        results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
        if results_format is None:
            raise self._not_sparql(media)
        try:
            return ox.parse_query_results(response.content, format=results_format)
        except SyntaxError as error:
            raise StoreError(
                f"{self.endpoint.query_url} answered with {media} that does not parse: {error}"
            ) from None

    def _construct(self, text: str) -> Iterator[ox.Quad]:
        response = self._request_query(text, _GRAPHS)
        media = _media_type(response)
        rdf_format = ox.RdfFormat.from_media_type(media) if media else None
        if rdf_format is None:
            raise self._not_sparql(media)
        try:
            return iter(list(ox.parse(response.content, format=rdf_format)))
        except SyntaxError as error:
            raise StoreError(
                f"{self.endpoint.query_url} answered with {media} that does not parse: {error}"
            ) from None

    def _not_sparql(self, media: str) -> StoreError:
        what = f"answered {media}" if media else "answered with no content type"
        page = " (a web page)" if "html" in media else ""
        return StoreError(
            f"{self.endpoint.query_url} is not a SPARQL endpoint: it {what}{page} to a SPARQL "
            "query. Check the URL (Oxigraph server: http://HOST:7878/query, Virtuoso: "
            "http://HOST:8890/sparql; see docs/sparql-store.md)."
        )

    def _update(self, chunks: list[bytes], *, repeatable: bool = True) -> None:
        self._http.post(
            self.endpoint.update_url,
            lambda: ChunkedBody(chunks),
            what="write (SPARQL Update)",
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            idempotent=repeatable,
        )

    def _insert(self, ntriples: bytes, *, repeatable: bool) -> None:
        endpoint = self.endpoint
        if endpoint.gsp_url is None:
            graph_open, graph_close = self._graph_block()
            self._update(
                [b"INSERT DATA { " + graph_open, ntriples, graph_close + b"}"],
                repeatable=repeatable,
            )
            return
        self._http.post(
            endpoint.gsp_url,
            lambda: io.BytesIO(ntriples),
            what="write (Graph Store Protocol)",
            headers={"Content-Type": "application/n-triples"},
            params={"graph": endpoint.graph} if endpoint.graph else {"default": ""},
            idempotent=repeatable,
        )

    def _quads_block(self, quads: Sequence[ox.Quad]) -> bytes:
        """Quads for DELETE DATA or INSERT DATA: the view's triples where this store keeps
        them (the default graph, or the descriptor's graph), each named graph's in its own
        GRAPH block."""
        graph_open, graph_close = self._graph_block()
        view = [q for q in quads if isinstance(q.graph_name, ox.DefaultGraph)]
        named: dict[str, list[ox.Quad]] = {}
        for quad in quads:
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                named.setdefault(str(quad.graph_name), []).append(
                    ox.Quad(quad.subject, quad.predicate, quad.object)
                )
        parts = [graph_open, _ntriples(view), graph_close] if view else []
        for graph, triples in named.items():
            parts += [f"GRAPH {graph} {{ ".encode(), _ntriples(triples), b"} "]
        return b"".join(parts)

    def _graph_block(self) -> tuple[bytes, bytes]:
        graph = self.endpoint.graph
        return (f"GRAPH <{graph}> {{ ".encode(), b"} ") if graph else (b"", b"")

    def _count_present(self, quads: Sequence[ox.Quad]) -> int:
        """How many of ``quads`` the server holds (blank nodes: none, they are always new)."""
        ground = [q for q in quads if not _has_blank_node(q)]
        present = 0
        for start in range(0, len(ground), _CHUNK):
            rows = " ".join(
                f"({q.subject} {q.predicate} {q.object})" for q in ground[start : start + _CHUNK]
            )
            solutions = self._select(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES (?s ?p ?o) {{ {rows} }} ?s ?p ?o }}"
            )
            count = next(iter(solutions))["n"]
            present += int(count.value) if isinstance(count, ox.Literal) else 0
        return present


def _ntriples(quads: Sequence[ox.Quad]) -> bytes:
    """Default-graph quads as N-Triples lines (what N-Quads writes for them)."""
    if not quads:
        return b""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return data


def _has_blank_node(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()
