"""What a worker process does with a job: run it on its store and write the answer's bytes.

Every job is a small picklable value with a ``run(store)`` method that returns an
:class:`Answer`; the worker pool (``workers.py``) sends jobs to worker processes and kills a
worker whose job runs past its deadline. Answers are written by pyoxigraph's serialisers.
SELECT solutions are first written as SPARQL TSV, where every row is one line, so that rows
can be counted as they stream out and the query stopped as soon as it passes the row cap;
other results formats are then written from that TSV (a lossless round trip, all in Rust).
A final ``ORDER BY`` of variables is left out of the run and its lines sorted here, where SPARQL
defines the order of the keys' values (decision 0032).
CONSTRUCT and DESCRIBE triples go the same way through N-Triples.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from types import ModuleType
from typing import IO, Protocol, cast

import pyoxigraph as ox
import rdflib

from evidencegraph.errors import StoreNeedsUpgradeError
from evidencegraph.queries.name_keys import check_marks_kept, check_name_keys
from evidencegraph.rdf.terms import OxTerm, quiet_rdflib, to_rdflib
from evidencegraph.server.protocol import (
    DATASET_MEDIA_TYPES,
    GRAPH_MEDIA_TYPES,
    HTML_MEDIA_TYPE,
    RESULT_MEDIA_TYPES,
    TEXT_MEDIA_TYPE,
)
from evidencegraph.server.security import RefusedError, refuse_remote_fetch
from evidencegraph.store.core import Store, describe_syntax_error, sparql_service
from evidencegraph.store.solution_order import (
    OrderKey,
    final_order,
    order_tsv,
    remember_engine_order,
)

_RESULTS_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
#: Characters XML 1.0 cannot carry, raw or as a character reference: C0 controls other than
#: tab, line feed and carriage return, and U+FFFE, U+FFFF (Oxigraph writes them raw).
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
_PLAIN = {
    "http://www.w3.org/2001/XMLSchema#string",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
}


@dataclass(frozen=True)
class Answer:
    """What a job answered: HTTP status, media type, body; ``form`` says what kind of result
    it was (select, ask, graph, update, resource); ``cacheable`` False: an answer the server
    must not keep (made while the worker was still building what it answers from)."""

    status: int
    content_type: str
    body: bytes
    form: str = ""
    cacheable: bool = True


def failure(status: int, message: str) -> Answer:
    """An answer that says, in plain text, what went wrong and what to do."""
    return Answer(status, TEXT_MEDIA_TYPE, (message.rstrip() + "\n").encode("utf-8"))


class Job(Protocol):
    """A unit of work for a worker process."""

    def run(self, store: Store) -> Answer: ...


class _RowCapError(Exception):
    """Raised from inside pyoxigraph's serialiser to stop the query (see _LineCounter)."""


class _LineCounter:
    """A binary sink that counts lines as a serialiser writes them, and stops it (by raising
    from ``write``, which pyoxigraph passes on) once more than ``limit`` lines have come
    after the ``header`` lines. ``limit`` 0 counts without stopping."""

    def __init__(self, limit: int, header: int):
        self.limit = limit
        self.header = header
        self.lines = 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.limit and self.lines - self.header > self.limit:
            raise _RowCapError
        return len(chunk)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class NotWritableError(Exception):
    """The answer cannot be written in the format asked for (406); the message says why."""


def _xml_checked(body: bytes, fmt: str) -> bytes:
    """``body`` unchanged, when it is well-formed XML as far as characters go; else raise
    NotWritableError. XML 1.0 has no way at all to write U+0000 and most C0 controls (not
    even ``&#1;``), and RDF literals may hold them: such an answer is refused, naming the
    formats that carry it, rather than sent as a document no XML parser accepts."""
    found = _NOT_XML.search(body)
    if found is None:
        return body
    code = found.group().decode("utf-8", "replace")
    others = "SPARQL JSON, CSV or TSV" if fmt == "xml" else "Turtle, N-Triples or JSON-LD"
    raise NotWritableError(
        f"the answer holds the character U+{ord(code):04X}, which XML 1.0 cannot carry "
        f"(raw or escaped), so it cannot be written as "
        f"{'SPARQL XML results' if fmt == 'xml' else 'RDF/XML'}: ask for {others} instead."
    )


def _over_the_cap(limit: int, what: str) -> Answer:
    return failure(
        503,
        f"the answer has more than {limit:,} {what}, this server's limit (--max-rows): it was "
        "stopped there. Ask for fewer with LIMIT (and OFFSET to page through), or narrow the "
        "query.",
    )


@dataclass(frozen=True)
class QueryJob:
    """A SPARQL query with pre-bound variables, answered in ``results`` (SELECT, ASK) or
    ``graph`` (CONSTRUCT, DESCRIBE) format; at most ``max_rows`` rows or triples (0: any)."""

    text: str
    substitutions: tuple[tuple[str, OxTerm], ...]
    results: str | None
    graph: str | None
    max_rows: int
    #: relative IRIs in the query resolve against it (the request's URL)
    base_iri: str | None = None
    #: the Protocol's default-graph-uri and named-graph-uri; None: the store's own dataset
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    #: a named query's ``# key:`` parameters: an empty answer from a store written before
    #: the name keys says so (decision 0028)
    keyed: tuple[str, ...] = ()

    def run(self, store: Store) -> Answer:
        substitutions: dict[ox.Variable, OxTerm | ox.Triple] = {
            ox.Variable(name): term for name, term in self.substitutions
        }
        try:
            refuse_remote_fetch(self.text)
        except RefusedError as error:
            return failure(400, str(error))
        try:  # a store written before the marks of the values not shown (decision 0030)
            check_marks_kept(store, self.text)
        except StoreNeedsUpgradeError as error:
            return failure(503, str(error))
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None
        if self.default_graphs is not None or self.named_graphs is not None:
            # a dataset named by the Protocol replaces the query's own (FROM, FROM NAMED)
            default_graph = [ox.NamedNode(iri) for iri in self.default_graphs or ()]
            named_graphs = [ox.NamedNode(iri) for iri in self.named_graphs or ()]
        service = sparql_service(store, "answer the SPARQL Protocol")

        def run(text: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
            return service.run_query(
                text,
                base_iri=self.base_iri,
                default_graph=default_graph,
                named_graphs=named_graphs,
                substitutions=substitutions or None,
            )

        # a final ORDER BY of variables is sorted here, after the rows are written (decision
        # 0032); where only the engine can sort them, the text runs again as it came
        ordering = final_order(self.text) if store.local else None
        try:
            answer = run(ordering.unordered if ordering is not None else self.text)
            if isinstance(answer, ox.QueryBoolean):
                return self._boolean(answer)
            if isinstance(answer, ox.QuerySolutions):
                if self.results is None:
                    return self._not_acceptable("select")
                body = None
                if ordering is not None:
                    body = self._sorted_here(answer, ordering.keys)
                    if body is None:
                        remember_engine_order(self.text)
                        answer = run(self.text)
                        assert isinstance(answer, ox.QuerySolutions)
                if body is None:
                    body = _tsv(answer, self.max_rows)
                return self._solutions(body, store)
            return self._triples(answer)
        except SyntaxError as error:
            return failure(400, describe_syntax_error(str(error)))
        except _RowCapError:
            return _over_the_cap(self.max_rows, "rows or triples")
        except NotWritableError as error:
            return failure(406, str(error))
        except MemoryError:
            return out_of_memory()
        except (RuntimeError, OSError, ValueError) as error:
            # evaluation errors (a bound variable the query does not project, a store read
            # failing) surface here, some of them only while the rows stream out
            return failure(400, f"cannot run the query: {error}")

    def _keys_missing(self, store: Store) -> str | None:
        """What to run, when a name this empty answer's query was given has no key in this
        store (a store written before the name keys); else None."""
        given = {name: to_rdflib(term) for name, term in self.substitutions}
        try:
            check_name_keys(store, self.keyed, given)
        except StoreNeedsUpgradeError as error:
            return str(error)
        return None

    def _not_acceptable(self, form: str) -> Answer:
        wanted = "SPARQL results" if form != "graph" else "RDF"
        return failure(
            406,
            f"this is a {'CONSTRUCT or DESCRIBE' if form == 'graph' else 'SELECT or ASK'} "
            f"query, whose answer is {wanted}; the request's Accept (or format=) names no "
            f"{wanted} format. Accept one of: "
            + ", ".join((GRAPH_MEDIA_TYPES if form == "graph" else RESULT_MEDIA_TYPES).values()),
        )

    def _boolean(self, answer: ox.QueryBoolean) -> Answer:
        if self.results is None:
            return self._not_acceptable("ask")
        body = answer.serialize(format=_RESULTS_FORMATS[self.results])
        return Answer(200, RESULT_MEDIA_TYPES[self.results], body or b"", "ask")

    def _sorted_here(self, answer: ox.QuerySolutions, keys: Sequence[OrderKey]) -> bytes | None:
        """The solutions as TSV sorted by ``keys`` here, or None where the engine must sort
        them: a key the query does not answer (known before any row is written), or values
        only the engine orders."""
        answered = {variable.value for variable in answer.variables}
        if any(key.variable not in answered for key in keys):
            return None
        return order_tsv(_tsv(answer, self.max_rows), keys)

    def _solutions(self, body: bytes, store: Store) -> Answer:
        """The answer to a SELECT, from its solutions in TSV (:func:`_tsv`)."""
        assert self.results is not None
        if self.keyed and body.count(b"\n") <= 1:  # the header alone: no row
            missing = self._keys_missing(store)
            if missing is not None:
                return failure(503, missing)
        if self.results != "tsv":
            rows = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
            body = rows.serialize(format=_RESULTS_FORMATS[self.results]) or b""
        if self.results == "xml":
            body = _xml_checked(body, "xml")
        return Answer(200, RESULT_MEDIA_TYPES[self.results], body, "select")

    def _triples(self, answer: ox.QueryTriples) -> Answer:
        if self.graph is None:
            return self._not_acceptable("graph")
        sink = _LineCounter(self.max_rows, header=0)
        answer.serialize(cast(IO[bytes], sink), format=ox.RdfFormat.N_TRIPLES)
        body = sink.getvalue()
        if self.graph != "nt":
            body = graph_bytes(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), self.graph)
        return Answer(200, GRAPH_MEDIA_TYPES[self.graph], body, "graph")


def _tsv(answer: ox.QuerySolutions, max_rows: int) -> bytes:
    """The solutions as SPARQL TSV, a line a row; _RowCapError past ``max_rows`` (0: any)."""
    sink = _LineCounter(max_rows, header=1)
    answer.serialize(cast(IO[bytes], sink), format=ox.QueryResultsFormat.TSV)
    return sink.getvalue()


def graph_bytes(
    triples: Iterable[ox.Triple | ox.Quad], fmt: str, prefixes: Mapping[str, str] | None = None
) -> bytes:
    """Triples written in an RDF syntax (``turtle``, ``nt``, ``jsonld``, ``rdfxml``), with
    ``prefixes`` (the project's by default); JSON-LD compacted with the package context, as
    ``export`` writes it."""
    from evidencegraph.export.formats import WRITTEN_PREFIXES, jsonld_bytes

    plain = [ox.Triple(t.subject, t.predicate, t.object) for t in triples]
    if fmt == "jsonld":
        if all(_compacts_exactly(t.object) for t in plain):
            return jsonld_bytes([ox.Quad(t.subject, t.predicate, t.object) for t in plain])
        # rdflib's compaction would write NaN or INF as bare NaN/Infinity (not JSON) or drop
        # the datatype of an ill-typed literal: Oxigraph's writer keeps every literal exactly
        # (expanded JSON-LD, each literal with its @value and @type)
        return ox.serialize(plain, format=ox.RdfFormat.JSON_LD) or b""
    chosen = dict(WRITTEN_PREFIXES if prefixes is None else prefixes)
    body = ox.serialize(plain, format=_RDF_FORMATS[fmt], prefixes=chosen) or b""
    return _xml_checked(body, fmt) if fmt == "rdfxml" else body


def _compacts_exactly(term: object) -> bool:
    """Whether rdflib's JSON-LD writer keeps ``term`` as it is: a literal of a datatype it
    converts must be well typed, not a NaN or infinite float, and spelled as rdflib spells
    its value."""
    if not isinstance(term, ox.Literal) or term.datatype.value in _PLAIN:
        return True
    with quiet_rdflib(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        literal = rdflib.Literal(term.value, datatype=term.datatype.value)
    if literal.ill_typed:
        return False
    value = literal.value
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if not isinstance(value, (int, float, Decimal, datetime, time)):  # bool is an int
        return True
    # numbers and times are written in rdflib's own spelling: "1e5"^^xsd:decimal (ill-typed,
    # which Python's Decimal reads) became 100000, "...T10:00:00Z" "...T10:00:00+00:00";
    # only a literal already so spelled comes through as it is
    with quiet_rdflib(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(rdflib.Literal(value, datatype=term.datatype.value)) == term.value


def out_of_memory() -> Answer:
    """The answer to a job that ran out of the memory a worker may use."""
    return failure(
        503,
        "stopped: the query needed more memory than this server lets one query use "
        "(--max-query-memory). Narrow it: bind more of its variables, avoid ORDER BY or "
        "GROUP BY over a cross product.",
    )


@dataclass(frozen=True)
class UpdateJob:
    """A SPARQL update, run in one transaction on a writable store."""

    text: str
    #: relative IRIs in the update resolve against it (the request's URL)
    base_iri: str | None = None

    def run(self, store: Store) -> Answer:
        try:
            refuse_remote_fetch(self.text, update=True)
        except RefusedError as error:
            return failure(400, str(error))
        try:
            sparql_service(store, "answer the SPARQL Protocol").run_update(
                self.text, base_iri=self.base_iri
            )
        except MemoryError:
            return out_of_memory()
        except SyntaxError as error:
            return failure(400, describe_syntax_error(str(error)))
        except (RuntimeError, OSError, ValueError) as error:
            return failure(500, f"the update failed and nothing of it was written: {error}")
        return Answer(204, TEXT_MEDIA_TYPE, b"", "update")


@functools.cache
def _pages() -> ModuleType | None:
    try:
        from evidencegraph.server import pages
    except ImportError:
        return None
    return pages


def _not_built() -> Answer:
    return failure(501, "the linked-data pages are not part of this build of evidencegraph")


@dataclass(frozen=True)
class ResourceJob:
    """What the graph says about one IRI: an HTML page (``fmt`` html) or its triples."""

    iri: str
    fmt: str
    #: the request's parameters, for a page that takes some (a drug's trials: facets, page)
    arguments: tuple[tuple[str, str], ...] = ()

    def run(self, store: Store) -> Answer:
        from evidencegraph.server.urls import local_path

        pages = _pages()
        if pages is None:
            return _not_built()
        unknown = failure(404, f"nothing is known about <{self.iri}> in this graph")
        if self.fmt == "html":
            page = pages.resource_html(store, self.iri, local_path, self.arguments)
            if page is None:
                return unknown
            return Answer(200, HTML_MEDIA_TYPE, page.encode("utf-8"), "resource")
        quads = pages.describe(store, self.iri)
        if not quads:
            return unknown
        try:
            body = graph_bytes(quads, self.fmt)
        except NotWritableError as error:
            return failure(406, str(error))
        return Answer(200, GRAPH_MEDIA_TYPES[self.fmt], body, "resource")


@dataclass(frozen=True)
class GraphJob:
    """A source graph dereferenced (``/graph/…``): its description in the catalog and its
    statements, as a page (``fmt`` html), as quads with their graph names (TriG, N-Quads),
    or as triples (Turtle and the other RDF syntaxes); at most ``max_rows`` statements
    (0: any)."""

    iri: str
    fmt: str
    max_rows: int

    def run(self, store: Store) -> Answer:
        from evidencegraph.ontology.source_graphs import CATALOG
        from evidencegraph.server import graphs
        from evidencegraph.server.urls import local_path

        pages = _pages()
        if self.fmt == "html" and pages is None:
            return _not_built()
        try:
            ox.NamedNode(self.iri)
        except ValueError:  # a path no graph can have: "<", ">", a space...
            return failure(404, f"no graph is named {self.iri!r}: that is not an IRI")
        described = graphs.catalog_quads(store, [self.iri])
        size = graphs.graph_size(store, self.iri)
        if not described and not size:
            return failure(
                404,
                f"no graph <{self.iri}> in this store: the graph /graph/catalog lists every "
                "graph it holds (a registry record's is graph/ctgov/NCT…, a PubMed "
                "article's graph/pubmed/PMID, a curated file's graph/curated/NAME)",
            )
        if self.max_rows and size > self.max_rows:
            return failure(
                503,
                f"the graph <{self.iri}> holds {size:,} statements, more than this server's "
                f"limit of {self.max_rows:,} (--max-rows). Read it page by page at /sparql "
                "(GRAPH <…> { ?s ?p ?o } with ORDER BY, LIMIT and OFFSET), or from the dump "
                "(evidencegraph dump).",
            )
        statements = graphs.graph_statements(store, self.iri)
        if self.iri == CATALOG:
            described = []  # the catalog's statements already hold what it says of itself
        if self.fmt == "html":
            assert pages is not None
            page = pages.graph_html(store, self.iri, described, statements, local_path)
            return Answer(200, HTML_MEDIA_TYPE, page.encode("utf-8"), "graph")
        quads = [*described, *statements]
        if self.fmt in DATASET_MEDIA_TYPES:
            body = dataset_bytes(quads, self.fmt)
            return Answer(200, DATASET_MEDIA_TYPES[self.fmt], body, "graph")
        try:
            body = graph_bytes(quads, self.fmt, _graph_prefixes())
        except NotWritableError as error:
            return failure(406, str(error))
        return Answer(200, GRAPH_MEDIA_TYPES[self.fmt], body, "graph")


def dataset_bytes(quads: Iterable[ox.Quad], fmt: str) -> bytes:
    """Quads written as TriG (``trig``, with the project's prefixes) or N-Quads (``nq``), in
    the order given."""
    if fmt == "nq":
        return ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) or b""
    return ox.serialize(list(quads), format=ox.RdfFormat.TRIG, prefixes=_graph_prefixes()) or b""


def _graph_prefixes() -> dict[str, str]:
    """The project's prefixes and VoID's, which the catalog uses (void:triples)."""
    from evidencegraph.export.formats import WRITTEN_PREFIXES

    return {**WRITTEN_PREFIXES, "void": "http://rdfs.org/ns/void#"}


@dataclass(frozen=True)
class DescriptionJob:
    """The VoID description of the store as N-Triples: counts taken by SPARQL, the endpoint
    named; the dataset is ``<location>void.ttl#dataset`` (publish/void.py)."""

    location: str
    endpoint: str
    version: str

    def run(self, store: Store) -> Answer:
        from evidencegraph.publish.void import dataset_statistics, void_lines

        lines = void_lines(
            dataset_statistics(store),
            [],
            location=self.location,
            version=self.version,
            issued=date.today(),
            sparql_endpoint=self.endpoint,
        )
        return Answer(200, GRAPH_MEDIA_TYPES["nt"], b"".join(lines), "graph")
