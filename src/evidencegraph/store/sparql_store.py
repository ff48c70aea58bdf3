"""``sparql:URL``: any SPARQL 1.1 server as the store (decision 0011).

The store keeps the view (the default graph of decision 0021) in the server's default
graph, or in the graph the descriptor names (``graph=IRI``), and each source graph and
the catalog in a named graph of the same name on the server. Queries go over the
SPARQL 1.1 Protocol. A write is one request: additions to one graph alone go over the
Graph Store HTTP Protocol (N-Triples, ``POST ?graph=IRI``) where the server has it;
anything else (several graphs, or values taken out) is one SPARQL Update request
``DELETE DATA {…} ; INSERT DATA {…}`` with a ``GRAPH`` block per graph. So a write is as
atomic as the server makes a request (SPARQL 1.1 Protocol: an update request SHOULD be
atomic; Oxigraph runs it in one transaction). The validation gate runs on this side
before anything is sent, exactly as on the embedded store. Settings, credentials,
timeouts and retries: :mod:`evidencegraph.store.sparql_http`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pyoxigraph as ox
import requests
from rdflib import Graph
from rdflib.term import Node

from evidencegraph.errors import QuerySyntaxError, StoreError, UsageError
from evidencegraph.ontology.namespace import EG
from evidencegraph.ontology.source_graphs import CATALOG, GRAPH_BASE
from evidencegraph.rdf.results import QueryResult
from evidencegraph.rdf.terms import Triple, from_quad, to_oxigraph, to_quads
from evidencegraph.store.core import (
    OxigraphStore,
    Store,
    _to_result,
    _values_chunks,
    describe_syntax_error,
    pair_rows,
)
from evidencegraph.store.sparql_http import ChunkedBody, Endpoint, SparqlHttp, parse_descriptor
from evidencegraph.store.values_binding import bind_by_values, query_form, tokenize, uses_service

_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
_GRAPHS = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
#: Triples per VALUES block when asking which of a batch's triples the server holds.
_CHUNK = 500
#: The catalog, and the class of the graphs it describes (decision 0021).
_CATALOG = ox.NamedNode(CATALOG)
_SOURCE_GRAPH = ox.NamedNode(str(EG.SourceGraph))
_GRAPH_WORD = re.compile(r"\bGRAPH\b", re.IGNORECASE)
#: Where a quad goes on the server: the view (pyoxigraph's default graph) or a named graph.
GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


class SparqlStore(Store):
    """A SPARQL 1.1 server reached over HTTP; see the module docstring."""

    def __init__(self, endpoint: Endpoint, *, read_only: bool = False):
        self.endpoint = endpoint
        self.descriptor = endpoint.descriptor
        self.read_only = read_only
        #: the named graph that holds the view on the server (graph=IRI), else None: the
        #: server's default graph does
        self.view_graph = _graph_iri(endpoint.graph) if endpoint.graph else None
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

    def quads(self) -> Iterator[ox.Quad]:
        # straight from N-Triples to pyoxigraph terms, not through an rdflib Graph
        yield from self._construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")

    # --- source graphs (decision 0021) ---------------------------------------------
    #
    # The base class asks these through query(), with the store's dataset: with graph=IRI
    # that is `default-graph-uri`, under which the Protocol gives a query no named graph, so
    # each would first ask for the list of the store's graphs to name them; and its rows
    # become rdflib terms and back. These ask without a dataset, name the view's graph in
    # the query, and read the answer's terms as pyoxigraph terms directly.

    def values(
        self, pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]]
    ) -> list[ox.Quad]:
        found: list[ox.Quad] = []
        for rows in pair_rows(pairs):
            found += self._quads(
                f"VALUES (?s ?p) {{ {rows} }} {{ {self._in_view('?s ?p ?o')} }} UNION "
                f"{{ GRAPH ?g {{ ?s ?p ?o }} {self._own_graphs_filter()} }}"
            )
        return found

    def present(self, subjects: Sequence[ox.NamedNode]) -> set[ox.NamedNode]:
        found: set[ox.NamedNode] = set()
        for chunk in _values_chunks(list(subjects)):
            solutions = self._select(
                f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {chunk} }} "
                f"{{ {self._in_view('?s ?p ?o')} }} UNION "
                f"{{ GRAPH ?g {{ ?s ?p ?o }} {self._own_graphs_filter()} }} }}",
                dataset=False,
            )
            found.update(row["s"] for row in solutions if isinstance(row["s"], ox.NamedNode))
        return found

    def view_values(
        self, pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]]
    ) -> list[ox.Quad]:
        found: list[ox.Quad] = []
        for rows in pair_rows(pairs):
            found += self._quads(f"VALUES (?s ?p) {{ {rows} }} {self._in_view('?s ?p ?o')}")
        return found

    def graph_contents(self, graphs: Sequence[ox.NamedNode]) -> list[ox.Quad]:
        found: list[ox.Quad] = []
        for chunk in _values_chunks(list(graphs)):
            found += self._quads(f"VALUES ?g {{ {chunk} }} GRAPH ?g {{ ?s ?p ?o }}")
        return found

    def named_quads(self) -> Iterator[ox.Quad]:
        yield from self._quads(f"GRAPH ?g {{ ?s ?p ?o }} {self._own_graphs_filter()}")

    def named_graphs(self) -> list[ox.NamedNode]:
        """The store's named graphs on the server (source graphs and the catalog): every
        named graph, or with ``graph=IRI`` those :meth:`_own_graphs_filter` keeps."""
        solutions = self._select(
            f"SELECT ?g WHERE {{ GRAPH ?g {{ }} {self._own_graphs_filter()} }}", dataset=False
        )
        return [row["g"] for row in solutions if isinstance(row["g"], ox.NamedNode)]

    def _in_view(self, pattern: str) -> str:
        """``pattern`` matched against the view, in a query sent without a dataset."""
        if self.view_graph is None:
            return pattern
        return f"GRAPH {self.view_graph} {{ {pattern} }}"

    def _own_graphs_filter(self) -> str:
        """With ``graph=IRI`` the server is shared (Virtuoso keeps its own graphs beside
        ours, and its default graph is their union): the store's named graphs are then those
        under the graph base and any other the catalog describes (``load --graph IRI``), and
        the view's graph is the view, not a source graph."""
        if self.view_graph is None:
            return ""
        described = f"EXISTS {{ GRAPH {_CATALOG} {{ ?g a {_SOURCE_GRAPH} }} }}"
        under_base = f"STRSTARTS(STR(?g), {ox.Literal(GRAPH_BASE)})"
        return f"FILTER(?g != {self.view_graph} && ({under_base} || {described}))"

    def _quads(self, pattern: str) -> list[ox.Quad]:
        """The quads a graph pattern binding ``?s ?p ?o`` (and ``?g``, unbound for the
        view) matches, asked without a dataset."""
        solutions = self._select(f"SELECT ?s ?p ?o ?g WHERE {{ {pattern} }}", dataset=False)
        found = []
        for row in solutions:
            graph = row["g"]
            name = ox.DefaultGraph() if graph is None else graph
            found.append(ox.Quad(row["s"], row["p"], row["o"], name))
        return found

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

    def add_staged(self, staged: OxigraphStore) -> int:
        # what is new to the view, asked 500 triples a request (the base class asks per triple)
        quads = list(staged.native)
        view = [quad for quad in quads if isinstance(quad.graph_name, ox.DefaultGraph)]
        new = len(view) - self._count_present(view)
        self.write_quads([], quads)
        return new

    def write_quads(self, removals: Sequence[ox.Quad], additions: Sequence[ox.Quad]) -> None:
        self._write(removals, _by_graph(additions))

    def write_nquads(self, removals: Sequence[ox.Quad], nquads: bytes) -> None:
        additions = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
        if all(isinstance(quad.graph_name, ox.DefaultGraph) for quad in additions):
            # the view's lines alone are N-Triples already: sent as they are, not rewritten
            self._write(removals, {ox.DefaultGraph(): nquads} if additions else {})
        else:
            self._write(removals, _by_graph(additions))

    def _write(self, removals: Sequence[ox.Quad], additions: dict[GraphName, bytes]) -> None:
        """Take ``removals`` out and put in ``additions`` (N-Triples by graph) in one request."""
        if self.read_only:
            raise StoreError(f"the store {self.descriptor} was opened read-only")
        # Sending the same ground triples twice leaves the same set of triples, so a write
        # without blank nodes may be sent again when the answer to it was lost (a
        # connection reset, a 5xx from a proxy): that is why writes are retried. A blank
        # node would be a new node each time, so such a write is sent only once.
        repeatable = not any(b"_:" in data for data in additions.values()) and not any(
            _has_blank_node(q) for q in removals
        )
        if not removals and len(additions) == 1 and self.endpoint.gsp_url is not None:
            # one graph: the Graph Store Protocol takes it as N-Triples, which Oxigraph reads
            # faster than the same triples inside an update (docs/sparql-store.md)
            [(graph, ntriples)] = additions.items()
            self._post_graph(graph, ntriples, repeatable=repeatable)
            return
        chunks: list[bytes] = []
        if removals:
            chunks += [b"DELETE DATA {\n", *self._blocks(_by_graph(removals)), b"}"]
        if additions:  # Virtuoso refuses an empty INSERT DATA
            chunks += [b" ;\n" if chunks else b"", b"INSERT DATA {\n"]
            chunks += [*self._blocks(additions), b"}"]
        if chunks:
            self._update(chunks, repeatable=repeatable)

    def _blocks(self, by_graph: dict[GraphName, bytes]) -> Iterator[bytes]:
        """The inside of a DELETE DATA or INSERT DATA: the view's triples where the view
        is kept, each named graph's in a ``GRAPH <g> { }`` block."""
        for graph, ntriples in by_graph.items():
            target = self.view_graph if isinstance(graph, ox.DefaultGraph) else graph
            if target is None:
                yield ntriples
            else:
                yield from (f"GRAPH {target} {{\n".encode(), ntriples, b"}\n")

    def clear(self) -> None:
        """Empty the view and drop the store's named graphs, in one request."""
        view = f"CLEAR SILENT GRAPH {self.view_graph}" if self.view_graph else "CLEAR DEFAULT"
        drops = [f" ;\nDROP SILENT GRAPH {graph}" for graph in self.named_graphs()]
        self._update([view.encode(), *(drop.encode() for drop in drops)])

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

    def _request_query(self, text: str, accept: str, *, dataset: bool = True) -> requests.Response:
        """Send a query; with ``dataset``, against the store's view as the default graph."""
        form: dict[str, str | list[str]] = {"query": text}
        if dataset and self.view_graph is not None:
            form["default-graph-uri"] = self.view_graph.value
            if _names_graphs(text):
                # default-graph-uri alone leaves a query no named graph (SPARQL 1.1 Protocol
                # 2.1.4): a query that asks GRAPH gets the store's graphs named too
                form["named-graph-uri"] = [graph.value for graph in self.named_graphs()]
        return self._http.post(
            self.endpoint.query_url,
            lambda: form,
            what="query",
            headers={"Accept": accept},
        )

    def _select(self, text: str, *, dataset: bool = True) -> ox.QuerySolutions:
        answer = self._results(text, dataset=dataset)
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

    def _results(self, text: str, *, dataset: bool = True) -> ox.QuerySolutions | ox.QueryBoolean:
        response = self._request_query(text, _RESULTS, dataset=dataset)
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

    def _post_graph(self, graph: GraphName, ntriples: bytes, *, repeatable: bool) -> None:
        """Add N-Triples to one graph with a Graph Store Protocol POST."""
        assert self.endpoint.gsp_url is not None
        target = self.view_graph if isinstance(graph, ox.DefaultGraph) else graph
        self._http.post(
            self.endpoint.gsp_url,
            lambda: io.BytesIO(ntriples),
            what="write (Graph Store Protocol)",
            headers={"Content-Type": "application/n-triples"},
            params={"default": ""} if target is None else {"graph": target.value},
            idempotent=repeatable,
        )

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


def _by_graph(quads: Iterable[ox.Quad]) -> dict[GraphName, bytes]:
    """Quads as N-Triples, by the graph they are in (the view's first)."""
    groups: dict[GraphName, list[ox.Quad]] = {}
    for quad in quads:
        if isinstance(quad.graph_name, ox.BlankNode):
            raise UsageError(
                f"cannot write to a graph named by a blank node ({quad.graph_name}) on a "
                "SPARQL server: name the graph with an IRI"
            )
        groups.setdefault(quad.graph_name, []).append(quad)
    ordered = sorted(groups.items(), key=lambda item: not isinstance(item[0], ox.DefaultGraph))
    return {graph: _ntriples(graph, group) for graph, group in ordered}


def _ntriples(graph: GraphName, quads: list[ox.Quad]) -> bytes:
    """The quads of one graph as N-Triples: their N-Quads lines without the graph's name,
    in half the time of making triples of them to serialise. Only a line's end is
    `` <g> .`` before a newline: N-Quads escapes a newline inside a literal."""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None
    if isinstance(graph, ox.DefaultGraph):
        return data
    return data.replace(f" {graph} .\n".encode(), b" .\n")


def _names_graphs(sparql: str) -> bool:
    """Whether a query reads named graphs (a ``GRAPH`` pattern, not the word in a string)."""
    # the word first (IRIs such as .../evidencegraph/... do not have it), then the tokens
    return bool(_GRAPH_WORD.search(sparql)) and any(t.keyword == "GRAPH" for t in tokenize(sparql))


def _graph_iri(text: str) -> ox.NamedNode:
    """The IRI of ``graph=`` in the descriptor, checked: it is written into queries."""
    try:
        return ox.NamedNode(text)
    except ValueError:
        raise UsageError(
            f"graph={text} in the sparql: store descriptor is not an absolute IRI "
            "(for example graph=urn:x-evidencegraph:kg)"
        ) from None


def _has_blank_node(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()
