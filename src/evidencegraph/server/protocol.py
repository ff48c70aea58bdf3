"""What the server answers in: media types, content negotiation, format names and extensions."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.wrappers import Request

#: SELECT and ASK results: format name -> the media type answered.
RESULT_MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
#: CONSTRUCT and DESCRIBE results, and resource descriptions: format name -> media type.
GRAPH_MEDIA_TYPES = {
    "turtle": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
#: A source graph dereferenced with its graph names kept (``/graph/…``): name -> media type.
DATASET_MEDIA_TYPES = {
    "trig": "application/trig; charset=utf-8",
    "nq": "application/n-quads",
}
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"

# What an Accept header may name for each format, in the order a tie is settled. The aliases
# are the ones real clients send: SPARQLWrapper asks for JSON results as application/json too,
# for Turtle as application/turtle, and for RDF/XML as application/xml.
_RESULT_OFFERS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
_GRAPH_OFFERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",  # Turtle is N3's subset, so an N3 reader takes it
    "text/rdf+n3": "turtle",
    "application/x-json+ld": "jsonld",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
}
_HTML_OFFERS = {"text/html": "html", "application/xhtml+xml": "html"}
_DATASET_OFFERS = {"application/trig": "trig", "application/n-quads": "nq"}

#: ``?format=`` values: name -> (results format, graph format); either may be None. The
#: names SPARQLWrapper sends (it adds ``format=`` to every request) are among them.
FORMAT_PARAMETER: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "n3": (None, "turtle"),
    "nt": (None, "nt"),
    "ntriples": (None, "nt"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "rdfxml": (None, "rdfxml"),
    "rdf+xml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
}
#: Extensions of a resource path that choose the format: ``/id/study/NCT….ttl``.
EXTENSIONS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "jsonld", ".rdf": "rdfxml", ".html": "html"}
#: Extensions of a graph's path (``/graph/ctgov/NCT….trig``): the resource ones, and the two
#: syntaxes that keep graph names.
GRAPH_EXTENSIONS = {**EXTENSIONS, ".trig": "trig", ".nq": "nq"}
#: The extension of each resource or graph format (for Content-Location).
EXTENSION_OF = {fmt: extension for extension, fmt in GRAPH_EXTENSIONS.items()}
#: ``?format=`` names of the syntaxes that keep graph names.
_DATASET_NAMES = {"trig": "trig", "nq": "nq", "nquads": "nq", "n-quads": "nq"}


class NotAcceptableError(Exception):
    """The Accept header (or ``format=``) names nothing this route can answer in (406)."""


@dataclass(frozen=True)
class QueryFormats:
    """What a query's answer is written in: one format for results, one for graphs. A query's
    form (SELECT or CONSTRUCT) is known for sure only to the parser, so both are chosen."""

    results: str | None
    graph: str | None

    def media_type(self, form: str) -> str | None:
        """The media type answered for a query of ``form`` (select, ask, graph)."""
        if form == "graph":
            return GRAPH_MEDIA_TYPES[self.graph] if self.graph else None
        return RESULT_MEDIA_TYPES[self.results] if self.results else None


def _accept(request: Request) -> MIMEAccept:
    # no Accept header means anything (RFC 9110 12.5.1); werkzeug reads it as matching nothing
    if "Accept" not in request.headers:
        return MIMEAccept([("*/*", 1)])
    return request.accept_mimetypes


def _best(accept: MIMEAccept, offers: dict[str, str]) -> str | None:
    match = accept.best_match(list(offers))
    return offers[match] if match is not None else None


def query_formats(request: Request) -> QueryFormats:
    """The formats a query request asks for: by ``?format=`` when it names one (a format name
    or a media type), else by Accept. An unknown ``format=`` value is left to Accept, as
    clients add the parameter for servers other than this one.

    Raises NotAcceptableError when neither a results format nor an RDF syntax fits.
    """
    named = request.args.get("format", "").strip().lower()
    if named in FORMAT_PARAMETER:
        results, graph = FORMAT_PARAMETER[named]
        return QueryFormats(results, graph)
    if named in _RESULT_OFFERS or named in _GRAPH_OFFERS:
        return QueryFormats(_RESULT_OFFERS.get(named), _GRAPH_OFFERS.get(named))
    accept = _accept(request)
    formats = QueryFormats(_best(accept, _RESULT_OFFERS), _best(accept, _GRAPH_OFFERS))
    if formats.results is None and formats.graph is None:
        raise NotAcceptableError(not_acceptable_message(request, "query results"))
    return formats


def resource_format(request: Request, *, html: bool = True, quads: bool = False) -> str:
    """``html`` or an RDF syntax for a resource page, by ``?format=`` (a name of an RDF
    syntax, or html) or else Accept (Turtle for ``*/*``); with ``quads``, TriG and N-Quads
    too (a source graph). Raises NotAcceptableError."""
    named = request.args.get("format", "").strip().lower()
    if named == "html" and html:
        return "html"
    graph = FORMAT_PARAMETER.get(named, (None, None))[1] or _GRAPH_OFFERS.get(named)
    if graph is None and quads:
        graph = _DATASET_NAMES.get(named) or _DATASET_OFFERS.get(named)
    if graph is not None:
        return graph
    offers = {
        **_GRAPH_OFFERS,
        **(_DATASET_OFFERS if quads else {}),
        **(_HTML_OFFERS if html else {}),
    }
    # Turtle first, so that */* (curl, most RDF clients) reads Turtle; browsers name text/html
    chosen = _best(_accept(request), offers)
    if chosen is None:
        raise NotAcceptableError(not_acceptable_message(request, "this resource"))
    return chosen


def json_or_html(request: Request) -> str:
    """``json`` or ``html`` for a listing: ``?format=``, else JSON only for a client that
    prefers application/json to text/html (browsers and ``*/*`` get HTML)."""
    named = request.args.get("format")
    if named in ("json", "html"):
        return named
    accept = _accept(request)
    return "json" if accept.quality("application/json") > accept.quality("text/html") else "html"


def not_acceptable_message(request: Request, what: str) -> str:
    """Why a 406: what was asked for, and what the server writes."""
    asked = request.headers.get("Accept", "")
    return (
        f"cannot write {what} as {asked!r}. This server writes SELECT and ASK results as "
        f"{', '.join(_RESULT_OFFERS)}; CONSTRUCT, DESCRIBE and resources as "
        f"{', '.join(_GRAPH_OFFERS)}; pages as text/html. Send one of those in Accept, "
        "or add format=json|xml|csv|tsv|turtle|nt|jsonld|rdfxml."
    )
