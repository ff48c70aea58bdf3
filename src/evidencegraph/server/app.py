"""The WSGI application: routes, the SPARQL 1.1 Protocol, named queries, linked data.

Nothing here touches the store: every query, update and resource lookup is a job for the
worker pool (``workers.py``), which can stop one that runs too long. What the store cannot
change under a read-only server (answers, the VoID counts) is kept in the response cache.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pyoxigraph as ox
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from evidencegraph import __version__
from evidencegraph.errors import ParameterError, UnknownQueryError
from evidencegraph.ontology.namespace import EGID, EGV, ontology_file, vocabulary_files
from evidencegraph.ontology.source_graphs import GRAPH_BASE
from evidencegraph.rdf.terms import to_oxigraph
from evidencegraph.server.cache import CachedResponse, ResponseCache
from evidencegraph.server.evaluate import (
    Answer,
    DescriptionJob,
    GraphJob,
    Job,
    QueryJob,
    ResourceJob,
    UpdateJob,
    graph_bytes,
)
from evidencegraph.server.limits import DEFAULT_MAX_DEPTH, refuse_deep_nesting
from evidencegraph.server.ontology_page import ontology_html
from evidencegraph.server.protocol import (
    EXTENSION_OF,
    EXTENSIONS,
    GRAPH_EXTENSIONS,
    GRAPH_MEDIA_TYPES,
    HTML_MEDIA_TYPE,
    RESULT_MEDIA_TYPES,
    TEXT_MEDIA_TYPE,
    NotAcceptableError,
    QueryFormats,
    json_or_html,
    query_formats,
    resource_format,
)
from evidencegraph.server.publishing import PublicationJob, publication_format
from evidencegraph.server.search import SearchJob
from evidencegraph.server.security import RefusedError, check_bearer
from evidencegraph.server.templating import render
from evidencegraph.server.trials import FACET_NAMES
from evidencegraph.server.update_dataset import (
    USING_GRAPH,
    USING_NAMED_GRAPH,
    UpdateDatasetError,
    with_using_dataset,
)
from evidencegraph.server.urls import MESH, local_path
from evidencegraph.server.void_page import void_html
from evidencegraph.server.workers import JobTimeoutError, PoolBusyError, WorkerLostError, WorkerPool
from evidencegraph.store.values_binding import first_form

#: Query-string parameters of /queries/NAME that are not the query's parameters: the format,
#: the Protocol's dataset (a named query over one source's graph, say), and what the forms of
#: /queries send beside them (``download``: answer as a file; ``named``: the query's name).
_RESERVED = frozenset({"format", "default-graph-uri", "named-graph-uri", "download", "named"})
#: The file extension of each answer's media type, for a download's file name.
_DOWNLOAD_EXTENSIONS = {
    "application/sparql-results+json": "srj",
    "application/sparql-results+xml": "srx",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
}
#: VoID counts scan the whole store, and a search before a worker has its index reads the
#: store's names (decisions 0026, 0027): they may take longer than one query may.
_DESCRIPTION_TIMEOUT = 600.0
#: The server's own pages: a study's, a listing of trials, a graph, a search, the store's
#: description. Their cost is the store's, not a query's, and a worker builds its index and
#: table for them as it warms up: demoted, it would be retired with them (decision 0027).
#: What anyone may send (SPARQL queries and updates, publications) is demoted past
#: --demote-after.
_PAGE_JOBS = (ResourceJob, GraphJob, SearchJob, DescriptionJob)
#: The longest search the server takes, in characters (a name, a title, a DOI).
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True)
class ServerSettings:
    """Everything ``evidencegraph serve`` was told (see cli/serve.py for what each means)."""

    store_path: str
    base_url: str
    timeout: float = 30.0
    demote_after: float = 3.0
    max_rows: int = 100_000
    max_request_bytes: int = 1 << 20
    allow_update: bool = False
    token: str | None = None
    cors: tuple[str, ...] = ()
    cache_size: int = 128 << 20
    verbose: int = 0
    max_query_depth: int = DEFAULT_MAX_DEPTH
    max_query_memory: int = 2 << 30
    max_header_bytes: int = 16 << 10

    @property
    def endpoint(self) -> str:
        return self.base_url + "sparql"


class _RequestError(Exception):
    """A request answered early with a plain-text message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class EvidenceServer:
    """The WSGI application. Call it as any WSGI app; :attr:`cache` and :attr:`pool` are open
    to the caller (``run.py`` closes the pool)."""

    def __init__(self, settings: ServerSettings, pool: WorkerPool):
        self.settings = settings
        self.pool = pool
        self.cache = ResponseCache(settings.cache_size)
        self._description: bytes | None = None
        self._description_page: bytes | None = None  # its HTML, made from it once
        self._description_lock = threading.Lock()
        self._ontology_bodies: dict[str, bytes] = {}
        self._index_body: bytes | None = None
        get = ["GET"]  # and HEAD, which werkzeug adds
        self.urls = Map(
            [
                Rule("/", endpoint="index", methods=get),
                Rule("/static/<path:name>", endpoint="static", methods=get),
                Rule("/sparql", endpoint="sparql", methods=["GET", "POST"]),
                # the W3C Protocol tests, and some clients, name the endpoint with a slash
                Rule("/sparql/", endpoint="sparql", methods=["GET", "POST"]),
                Rule("/queries", endpoint="queries", methods=get),
                Rule("/queries/<name>", endpoint="named_query", methods=get),
                Rule("/id/<path:rest>", endpoint="data_resource", methods=get),
                Rule("/vocab/<path:rest>", endpoint="concept_resource", methods=get),
                Rule("/graph/<path:rest>", endpoint="graph_resource", methods=get),
                Rule("/mesh/<rest>", endpoint="mesh_resource", methods=get),
                Rule("/search", endpoint="search", methods=get),
                Rule("/ontology", endpoint="ontology", methods=get),
                Rule("/ontology.<extension>", endpoint="ontology", methods=get),
                Rule("/.well-known/void", endpoint="void", methods=get),
                Rule("/.well-known/void.ttl", endpoint="void_turtle", methods=get),
            ]
        )

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        request.max_content_length = self.settings.max_request_bytes
        response = self._dispatch(request)
        self._decorate(request, response)
        if self.settings.verbose:
            print(
                f"{request.method} {request.full_path.rstrip('?')[:200]} {response.status_code} "
                f"{(time.perf_counter() - started) * 1000:.1f} ms",
                file=sys.stderr,
            )
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        try:
            self._check_size(request)
            adapter = self.urls.bind_to_environ(request.environ)
            if request.method == "OPTIONS":  # a CORS preflight, or a client asking
                adapter.match(method="GET")  # 404 for a path that is not here
                return Response(status=204, headers={"Allow": "GET, HEAD, POST, OPTIONS"})
            endpoint, arguments = adapter.match()
            handler: Callable[..., Response] = getattr(self, "_" + str(endpoint))
            return handler(request, **arguments)
        except _RequestError as stop:
            return _text(stop.status, str(stop), stop.headers)
        except NotAcceptableError as error:
            return _text(406, str(error))
        except RefusedError as error:
            return _text(400, str(error))
        except RequestEntityTooLarge:
            return _too_large(self.settings.max_request_bytes)
        except HTTPException as error:
            if error.code in (301, 302, 307, 308):  # werkzeug's slash redirects
                return error.get_response(request.environ)
            return _text(error.code or 500, _http_message(error, request))
        except Exception as error:  # a bug: say so, and keep serving
            traceback.print_exc(file=sys.stderr)
            return _text(500, f"internal error ({type(error).__name__}): {error}")

    def _check_size(self, request: Request) -> None:
        # headers first, before anything reads one (werkzeug's Accept parsing of a 0.9 MB
        # header took seconds); waitress stops larger ones sooner, but lets through a request
        # line as long as --max-request-bytes (a query in the URL) and headers beside it
        headers = sum(
            len(name) + len(str(value))
            for name, value in request.environ.items()
            if name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")
        )
        if headers > self.settings.max_header_bytes:
            raise _RequestError(
                431,
                f"the request's headers take {headers:,} bytes, more than this server's limit "
                f"of {self.settings.max_header_bytes:,} (--max-header-bytes)",
            )
        limit = self.settings.max_request_bytes
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge
        if len(request.environ.get("QUERY_STRING", "")) > limit:
            raise _RequestError(
                414,
                f"the URL is longer than this server's limit of {limit:,} bytes "
                "(--max-request-bytes); send a long query by POST",
            )

    def _decorate(self, request: Request, response: Response) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            # the pages show text from any record imported: should one slip past escaping,
            # it can run no script, load nothing from elsewhere, and post nowhere else
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        allowed = self.settings.cors
        origin = request.headers.get("Origin")
        if not allowed or origin is None or ("*" not in allowed and origin not in allowed):
            return
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        if "*" not in allowed:
            response.vary.add("Origin")
        response.headers["Access-Control-Expose-Headers"] = "ETag, Content-Location, X-Cache"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = (
                "Accept, Authorization, Content-Type, If-None-Match"
            )
            response.headers["Access-Control-Max-Age"] = "600"

    # --- running jobs -----------------------------------------------------------------

    def _run(self, job: Job, *, timeout: float | None = None) -> Answer:
        limit = self.settings.timeout if timeout is None else timeout
        try:
            return self.pool.run(
                job, timeout=limit, wait=self.settings.timeout, demote=_demotable(job)
            )
        except JobTimeoutError:
            print(
                f"evidencegraph serve: stopped a {type(job).__name__} after {limit:g} s; "
                "its worker was replaced",
                file=sys.stderr,
            )
            raise _RequestError(
                503,
                f"stopped: the request ran past this server's time limit of {limit:g} s "
                "(--timeout). Narrow the query: bind more of its variables, or add a LIMIT "
                "where no ORDER BY or GROUP BY has to see every row first.",
            ) from None
        except PoolBusyError:
            raise _RequestError(
                503,
                f"every worker stayed busy for {self.settings.timeout:g} s; try again shortly",
                {"Retry-After": "5"},
            ) from None
        except WorkerLostError as lost:
            if self.settings.max_query_memory and lost.exitcode == -signal.SIGABRT:
                # an allocation past RLIMIT_DATA (confine.py) aborts the Rust engine
                raise _RequestError(
                    503,
                    "stopped: the request needed more memory than this server lets one worker "
                    f"use, {self.settings.max_query_memory:,} bytes (--max-query-memory). "
                    "Narrow it: bind more of its variables, avoid ORDER BY or GROUP BY over a "
                    "cross product.",
                ) from None
            raise _RequestError(
                500,
                f"the worker running the request died (exit status {lost.exitcode}); try again",
            ) from None

    def _cached(
        self,
        request: Request,
        key: Hashable,
        job: Callable[[], Job],
        *,
        timeout: float | None = None,
    ) -> Response:
        """The answer to ``job`` from the cache, or run and then cached when it succeeded."""
        entry = self.cache.get(key)
        state = "hit"
        if entry is None:
            state = "miss" if self.cache.enabled else "off"
            generation = self.cache.generation
            answer = self._run(job(), timeout=timeout)
            entry = CachedResponse.of(answer.status, answer.content_type, answer.body)
            if answer.status == 200 and answer.cacheable:
                self.cache.put(key, entry, generation)
        return self._respond(request, entry, state)

    def _respond(self, request: Request, entry: CachedResponse, state: str) -> Response:
        if entry.status != 200:
            return Response(entry.body, status=entry.status, content_type=entry.content_type)
        response = Response(entry.body, status=200, content_type=entry.content_type)
        response.set_etag(entry.etag)
        response.vary.add("Accept")
        response.headers["X-Cache"] = state
        if request.if_none_match.contains_weak(entry.etag):
            response.status_code = 304
            response.set_data(b"")
        return response

    # --- the SPARQL 1.1 Protocol ---------------------------------------------------------

    def _sparql(self, request: Request) -> Response:
        queries, updates = self._protocol_operation(request)
        if len(queries) + len(updates) > 1:
            raise _RequestError(400, "give one query (or one update) per request, not several")
        if updates:
            return self._update(request, updates[0])
        if not queries and request.method == "POST":
            raise _RequestError(
                400,
                "the POST holds no query and no update: send query=TEXT or update=TEXT as a "
                "form, or the text as application/sparql-query or application/sparql-update",
            )
        if not queries:
            return self._service_description(request)
        return self._query(request, queries[0], (), _dataset(request))

    def _protocol_operation(self, request: Request) -> tuple[list[str], list[str]]:
        """The query and update texts of a request, in any of the Protocol's three ways."""
        if request.method == "GET":
            if "update" in request.args:
                raise _RequestError(400, "an update must be sent by POST (SPARQL 1.1 Protocol 2.2)")
            return request.args.getlist("query"), []
        mimetype = request.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            return request.form.getlist("query"), request.form.getlist("update")
        if mimetype not in ("application/sparql-query", "application/sparql-update"):
            raise _RequestError(
                415,
                f"cannot read a POST body of type {mimetype or 'none'!r}: send "
                "application/x-www-form-urlencoded (query= or update=), "
                "application/sparql-query or application/sparql-update",
            )
        charset = request.mimetype_params.get("charset", "utf-8").strip().lower()
        if charset not in ("utf-8", "utf8"):
            raise _RequestError(
                415,
                f"cannot read a {mimetype} body in charset {charset!r}: the SPARQL 1.1 "
                "Protocol (2.1.3, 2.2.2) has it in UTF-8. Send it as UTF-8 (charset=utf-8, or "
                "no charset).",
            )
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError as error:
            raise _RequestError(
                400, f"the request body is not UTF-8 (byte {error.start + 1} is not)"
            ) from None
        if mimetype == "application/sparql-query":
            return [text], []
        return [], [text]

    def _query(
        self,
        request: Request,
        text: str,
        bindings: tuple[tuple[str, ox.Literal | ox.NamedNode | ox.BlankNode], ...],
        dataset: tuple[tuple[str, ...] | None, tuple[str, ...] | None] = (None, None),
        keyed: tuple[str, ...] = (),
    ) -> Response:
        formats = query_formats(request)
        # relative IRIs resolve against the URL the request was sent to, as Oxigraph's
        # server does; it is part of what the answer depends on
        base = request.base_url
        key = ("query", text, bindings, formats, dataset, base)

        def job() -> Job:
            # cheap, and here rather than in a worker: a query that could crash one never
            # reaches it. SERVICE and LOAD are checked in the worker, on the parsed query.
            refuse_deep_nesting(text, self.settings.max_query_depth)
            _check_acceptable(text, formats)
            return QueryJob(
                text, bindings, formats.results, formats.graph, self.settings.max_rows,
                base, *dataset, keyed,
            )  # fmt: skip

        return self._cached(request, key, job)

    def _update(self, request: Request, text: str) -> Response:
        if not self.settings.allow_update or self.settings.token is None:
            raise _RequestError(
                403,
                "this server is read-only: updates are accepted only when it is started with "
                "--allow-update and a bearer token",
            )
        refusal = check_bearer(request.headers.get("Authorization"), self.settings.token)
        if refusal == 401:
            raise _RequestError(
                401,
                "an update needs the server's bearer token: send Authorization: Bearer TOKEN",
                {"WWW-Authenticate": 'Bearer realm="evidencegraph"'},
            )
        if refusal == 403:
            raise _RequestError(
                403,
                "the bearer token is not this server's; nothing was changed",
                {"WWW-Authenticate": 'Bearer realm="evidencegraph", error="invalid_token"'},
            )
        try:  # the Protocol's dataset, as USING clauses; all below sees what the engine runs
            text = with_using_dataset(
                text, _parameter(request, USING_GRAPH), _parameter(request, USING_NAMED_GRAPH)
            )
        except UpdateDatasetError as error:
            raise _RequestError(400, str(error)) from None
        refuse_deep_nesting(text, self.settings.max_query_depth)
        try:
            answer = self._run(UpdateJob(text, request.base_url))
        finally:
            # whatever the outcome (a timed-out update may have committed just before), no
            # answer computed before it may be served again
            self.cache.clear()
            with self._description_lock:
                self._description = None
                self._description_page = None
        return Response(answer.body, status=answer.status, content_type=answer.content_type)

    def _service_description(self, request: Request) -> Response:
        try:
            fmt = resource_format(request)
        except NotAcceptableError:
            fmt = "turtle"
        if fmt == "html":  # a person: the page for people has the query form
            return Response(status=303, headers={"Location": "/"})
        endpoint = ox.NamedNode(self.settings.endpoint)
        sd = "http://www.w3.org/ns/sparql-service-description#"
        formats = "http://www.w3.org/ns/formats/"
        statements = [
            (endpoint, ox.NamedNode(_RDF_TYPE), ox.NamedNode(sd + "Service")),
            (endpoint, ox.NamedNode(sd + "endpoint"), endpoint),
            (endpoint, ox.NamedNode(sd + "supportedLanguage"), ox.NamedNode(sd + "SPARQL11Query")),
        ]
        if self.settings.allow_update:
            statements.append(
                (
                    endpoint,
                    ox.NamedNode(sd + "supportedLanguage"),
                    ox.NamedNode(sd + "SPARQL11Update"),
                )
            )
        for name in (
            "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
            "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML",
        ):  # fmt: skip
            statements.append(
                (endpoint, ox.NamedNode(sd + "resultFormat"), ox.NamedNode(formats + name))
            )
        triples = [ox.Triple(*statement) for statement in statements]
        prefixes = {"sd": sd, "formats": formats}
        return Response(graph_bytes(triples, fmt, prefixes), content_type=GRAPH_MEDIA_TYPES[fmt])

    # --- named queries ------------------------------------------------------------------

    def _queries(self, request: Request) -> Response:
        from evidencegraph.queries import library

        named = library()
        if json_or_html(request) == "json":
            payload = [q.describe(with_text=True) for q in named.values()]
            response = Response(json.dumps(payload, indent=2), content_type="application/json")
        else:
            page = render("queries.html", queries=list(named.values()), formats=_QUERY_FORMATS)
            response = Response(page, content_type=HTML_MEDIA_TYPE)
        # one URL, two answers: a browser's cache must not hand the page's script the HTML,
        # nor a person the JSON the script fetched
        response.vary.add("Accept")
        return response

    def _named_query(self, request: Request, name: str) -> Response:
        from evidencegraph.queries import get_query

        try:
            named = get_query(name)
        except UnknownQueryError as error:
            raise _RequestError(
                404, str(error).replace("`evidencegraph queries`", "/queries")
            ) from None
        values: dict[str, str] = {}
        for key in request.args:
            if key in _RESERVED:
                continue
            given = request.args.getlist(key)
            if len(given) > 1:
                raise _RequestError(
                    400, f"parameter {key!r} is given {len(given)} times; give it once"
                )
            values[key] = given[0]
        try:
            text, bound = named.prepare(values)
        except ParameterError as error:
            raise _RequestError(400, str(error)) from None
        bindings = tuple(sorted((name, to_oxigraph(term)) for name, term in bound.items()))
        response = self._query(request, text, bindings, _dataset(request), named.keyed)
        if "download" in request.args and response.status_code == 200:
            # the Download buttons of /queries: a file to save, not a text to show
            extension = _DOWNLOAD_EXTENSIONS.get(response.mimetype or "", "txt")
            response.headers["Content-Disposition"] = (
                f'attachment; filename="{named.name}.{extension}"'
            )
        return response

    # --- linked data --------------------------------------------------------------------

    def _data_resource(self, request: Request, rest: str) -> Response:
        wanted = publication_format(request)
        if wanted is not None:  # a claim's ClaimReview, FHIR or nanopub (server/publishing.py)
            iri = str(EGID) + rest
            return self._cached(
                request, ("publish", iri, wanted), lambda: PublicationJob(iri, wanted)
            )
        return self._resource(request, str(EGID), "/id/", rest)

    def _concept_resource(self, request: Request, rest: str) -> Response:
        return self._resource(request, str(EGV), "/vocab/", rest)

    def _mesh_resource(self, request: Request, rest: str) -> Response:
        return self._resource(request, MESH, "/mesh/", rest)

    def _graph_resource(self, request: Request, rest: str) -> Response:
        return self._resource(request, GRAPH_BASE, "/graph/", rest, graph=True)

    def _resource(
        self, request: Request, namespace: str, mount: str, rest: str, *, graph: bool = False
    ) -> Response:
        """A resource (``graph``: a source graph) by its local path ``rest`` under ``mount``."""
        # ".ttl" and the like choose the format, unless the IRI itself ends so
        # (a DOI may): the IRI without the extension is asked first, then the whole
        extensions = GRAPH_EXTENSIONS if graph else EXTENSIONS
        candidates: list[tuple[str, str | None]] = [
            (rest[: -len(extension)], fmt)
            for extension, fmt in extensions.items()
            if rest.endswith(extension) and len(rest) > len(extension)
        ]
        candidates.append((rest, None))
        for index, (local, chosen) in enumerate(candidates):
            fmt = chosen or resource_format(request, quads=graph)
            iri = namespace + local
            # a page of a drug's trials takes its facets and page number from the URL
            arguments = _page_arguments(request) if fmt == "html" and not graph else ()
            key = ("graph" if graph else "resource", iri, fmt, arguments)
            entry = self.cache.get(key)
            state = "hit"
            if entry is None:
                state = "miss" if self.cache.enabled else "off"
                generation = self.cache.generation
                job: Job = (
                    GraphJob(iri, fmt, self.settings.max_rows)
                    if graph
                    else ResourceJob(iri, fmt, arguments)
                )
                answer = self._run(job)
                entry = CachedResponse.of(answer.status, answer.content_type, answer.body)
                if answer.status == 200:
                    self.cache.put(key, entry, generation)
            if entry.status == 404 and index < len(candidates) - 1:
                continue
            response = self._respond(request, entry, state)
            if entry.status == 200 and chosen is None:
                response.headers["Content-Location"] = (
                    local_path(iri) or mount + local
                ) + EXTENSION_OF[fmt]
            return response
        raise AssertionError("the last candidate always answers")

    def _ontology(self, request: Request, extension: str | None = None) -> Response:
        if extension is not None:
            fmt = EXTENSIONS.get("." + extension)
            if fmt is None:
                raise _RequestError(
                    404,
                    f"the ontology is served as /ontology and /ontology{{{','.join(EXTENSIONS)}}}",
                )
        else:
            fmt = resource_format(request)
        if fmt not in self._ontology_bodies:
            self._ontology_bodies[fmt] = _ontology_bytes(fmt)
        body = self._ontology_bodies[fmt]
        media = HTML_MEDIA_TYPE if fmt == "html" else GRAPH_MEDIA_TYPES[fmt]
        return self._respond(request, CachedResponse.of(200, media, body), "static")

    def _void_turtle(self, request: Request) -> Response:
        return self._void(request, "turtle")

    def _void(self, request: Request, fmt: str | None = None) -> Response:
        """The VoID description: HTML for a browser (server/void_page.py), an RDF syntax by
        Accept or ``?format=``; ``/.well-known/void.ttl`` is Turtle whatever is asked."""
        fmt = fmt or resource_format(request)
        with self._description_lock:
            described = self._description
        if described is None:
            job = DescriptionJob(
                self.settings.base_url + ".well-known/", self.settings.endpoint, __version__
            )
            answer = self._run(job, timeout=max(self.settings.timeout, _DESCRIPTION_TIMEOUT))
            if answer.status != 200:
                return Response(answer.body, status=answer.status, content_type=answer.content_type)
            described = answer.body
            with self._description_lock:
                self._description = described
        from evidencegraph.publish.void import VOID_PREFIXES

        triples = ox.parse(described, format=ox.RdfFormat.N_TRIPLES)
        if fmt == "html":
            with self._description_lock:
                page = self._description_page if self._description is described else None
            if page is None:  # made once per description: its classes and properties sorted
                location = self.settings.base_url + ".well-known/void.ttl"
                page = void_html(triples, location + "#dataset", "/.well-known/void.ttl").encode()
                with self._description_lock:
                    if self._description is described:
                        self._description_page = page
            entry = CachedResponse.of(200, HTML_MEDIA_TYPE, page)
        else:
            body = graph_bytes(triples, fmt, VOID_PREFIXES)
            entry = CachedResponse.of(200, GRAPH_MEDIA_TYPES[fmt], body)
        return self._respond(request, entry, "static")

    # --- search (server/search.py) ---------------------------------------------------------

    def _search(self, request: Request) -> Response:
        query = request.args.get("q", "")
        if len(query) > MAX_SEARCH_CHARS:
            raise _RequestError(
                400,
                f"a search is at most {MAX_SEARCH_CHARS} characters; this one has {len(query):,}",
            )
        # the search box's script asks for JSON; a browser sending the form gets a page
        fmt = "json" if request.args.get("format") == "json" else "html"
        if (
            fmt == "html"
            and request.accept_mimetypes.best_match(["text/html", "application/json"])
            == "application/json"
        ):
            fmt = "json"
        # a worker builds its index at start, in the background (decision 0026); a search
        # before it is done reads the names by SPARQL: seconds at registry scale
        return self._cached(
            request,
            ("search", query, fmt),
            lambda: SearchJob(query, fmt),
            timeout=max(self.settings.timeout, _DESCRIPTION_TIMEOUT),
        )

    # --- files for people ---------------------------------------------------------------

    def _index(self, request: Request) -> Response:
        if self._index_body is None:  # the same for every request: rendered once
            self._index_body = render("index.html", statuses=_claim_statuses()).encode("utf-8")
        entry = CachedResponse.of(200, HTML_MEDIA_TYPE, self._index_body)
        return self._respond(request, entry, "static")

    def _static(self, request: Request, name: str) -> Response:
        folder = resources.files("evidencegraph.server") / "static"
        relative = safe_join(".", name)
        target = folder.joinpath(*relative.split("/")) if relative else None
        if target is None or not target.is_file():
            raise _RequestError(404, f"no file {name!r} here")
        import mimetypes

        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media.startswith("text/") or media in ("application/javascript", "image/svg+xml"):
            media += "; charset=utf-8"
        entry = CachedResponse.of(200, media, target.read_bytes())
        return self._respond(request, entry, "static")


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: The Content-Security-Policy of every HTML page: scripts only from this server's files (no
#: inline script, no eval), nothing fetched elsewhere. Styles may be inline (the ontology's
#: indents, and the editor sets element styles), images may be data: (the empty favicon).
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: What /queries offers to download a named query's answer as: (format=, caption).
_QUERY_FORMATS = (("csv", "CSV"), ("tsv", "TSV"), ("json", "SPARQL JSON"), ("xml", "SPARQL XML"))


def _demotable(job: Job) -> bool:
    """Whether ``job`` goes to the lowest priority past --demote-after (not a page's)."""
    return not isinstance(job, _PAGE_JOBS)


def _page_arguments(request: Request) -> tuple[tuple[str, str], ...]:
    """A page's facet choices and page number (trials.py), sorted: the same choices, the
    same cache entry. Other parameters are not the page's and are left out."""
    wanted = FACET_NAMES | {"page"}
    return tuple(
        sorted(
            (name, value[:200])
            for name, value in request.args.items(multi=True)
            if name in wanted and value
        )
    )


def _parameter(request: Request, name: str) -> list[str]:
    """Every value of ``name`` in the query string and, for a form, the body."""
    return request.args.getlist(name) + request.form.getlist(name)


def _dataset(request: Request) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The Protocol's dataset: the default-graph-uri and named-graph-uri IRIs (None for a
    parameter not given; when either is given, the two replace the query's FROM and FROM
    NAMED). Raises _RequestError (400) for a value that is not an absolute IRI."""
    chosen: list[tuple[str, ...] | None] = []
    for name in ("default-graph-uri", "named-graph-uri"):
        values = _parameter(request, name)
        for value in values:
            try:
                ox.NamedNode(value)
            except ValueError as error:
                raise _RequestError(
                    400, f"{name}={value!r} is not an absolute IRI ({error})"
                ) from None
        chosen.append(tuple(values) if values else None)
    return chosen[0], chosen[1]


#: How much of a query's text is read for its form (SELECT, CONSTRUCT...) before a worker
#: sees it: the tokenizer is Python, and a megabyte took it a second of the main process. It
#: stops at the first form keyword, which most texts reach after their prefixes.
_FORM_WINDOW = 8192


def _check_acceptable(text: str, formats: QueryFormats) -> None:
    """A 406 before any work when the query's form (read by the tokenizer in the first
    8 KiB; the parser has the last word in the worker, which answers 406 itself) has no
    format in what was asked for."""
    keyword = first_form(text[:_FORM_WINDOW])
    if keyword is None:  # a prologue longer than the window: the worker decides
        return
    form = "graph" if keyword in ("CONSTRUCT", "DESCRIBE") else "select"
    if formats.media_type(form) is None:
        kind = "CONSTRUCT or DESCRIBE" if form == "graph" else "SELECT or ASK"
        offered = GRAPH_MEDIA_TYPES if form == "graph" else RESULT_MEDIA_TYPES
        raise NotAcceptableError(
            f"this is a {kind} query; the request's Accept (or format=) names none of the "
            f"formats its answer is written in: "
            + ", ".join(media.split(";")[0] for media in offered.values())
        )


_STATUS_LABELS = """
SELECT ?concept ?label WHERE {
  ?concept <http://www.w3.org/2004/02/skos/core#inScheme> egv:VerificationStatusScheme ;
           <http://www.w3.org/2004/02/skos/core#prefLabel> ?label
}"""


def _claim_statuses() -> str:
    """The verification statuses of claims as JSON, ``{"Misreported": "misreported", …}``
    (local name: label), for the query page's badges. Read from the scheme's own file, not
    the whole model's description: that takes 0.2 s of CPU, this a millisecond."""
    vocab = next(f for f in vocabulary_files() if f.name == "verification-status.ttl")
    graph = ox.Store()
    graph.load(vocab.read_bytes(), format=ox.RdfFormat.TURTLE)
    rows = graph.query(_STATUS_LABELS, prefixes={"egv": str(EGV)})
    assert isinstance(rows, ox.QuerySolutions)
    labels = {row["concept"].value.removeprefix(str(EGV)): row["label"].value for row in rows}
    return json.dumps(labels, sort_keys=True)


def _ontology_bytes(fmt: str) -> bytes:
    if fmt == "html":
        return ontology_html(local_path).encode("utf-8")
    turtle = ontology_file().read_bytes()
    if fmt == "turtle":
        return turtle
    return graph_bytes(ox.parse(turtle, format=ox.RdfFormat.TURTLE), fmt)


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        message.rstrip() + "\n", status=status, content_type=TEXT_MEDIA_TYPE, headers=headers
    )


def _too_large(limit: int) -> Response:
    return _text(
        413,
        f"the request body is larger than this server's limit of {limit:,} bytes "
        "(--max-request-bytes)",
    )


def _http_message(error: HTTPException, request: Request) -> str:
    if error.code == 404:
        return (
            f"nothing at {request.path}: see / for what this server offers (/sparql, /queries, "
            "/id/..., /vocab/..., /graph/..., /ontology, /.well-known/void)"
        )
    if error.code == 405:
        return f"{request.method} is not allowed on {request.path}"
    return str(error.description or error.name)
