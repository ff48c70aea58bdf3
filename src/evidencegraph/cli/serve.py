"""``serve``: the graph over HTTP (SPARQL 1.1 Protocol, named queries, linked data)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.errors import StoreError, UsageError

if TYPE_CHECKING:
    from evidencegraph.server.app import ServerSettings

#: One past Oxigraph's own 7878, so that the two can run side by side.
DEFAULT_PORT = 7879
_UNITS = {"": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2}
_UNITS |= {"g": 1000**3, "gb": 1000**3, "gib": 1024**3}


class ByteSize(click.ParamType):  # type: ignore[type-arg]
    """A size in bytes: ``1048576``, ``64KiB``, ``128MiB``, ``1G``."""

    name = "BYTES"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*([0-9]+)\s*([A-Za-z]*)\s*", str(value))
        unit = match.group(2).lower() if match else ""
        if not match or unit not in _UNITS:
            self.fail(
                f"{value!r} is not a size: write bytes, or e.g. 64KiB, 128MiB, 1G", param, ctx
            )
        return int(match.group(1)) * _UNITS[unit]


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only this machine can connect by default; "
    "0.0.0.0 opens the server to the network.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on; 0 picks a free one (the URL printed names it).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes that run queries, each with the store open "
    "[default: one per core; one with --allow-update].",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Threads taking requests (cached answers need no worker).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.05),
    default=30.0,
    show_default=True,
    help="Seconds a query may run; past it, its worker is killed and the answer is 503.",
)
@click.option(
    "--demote-after",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    help="Seconds after which a query still running drops to the lowest CPU priority and a "
    "fresh worker takes its place, so that short queries keep every core. 0: never.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    help="Most rows (or triples) an answer may have; past it, the query is stopped "
    "and the answer is 503. 0: no limit.",
)
@click.option(
    "--max-request-bytes",
    type=ByteSize(),
    default="1MiB",
    show_default=True,
    help="Largest request body (413 past it) and query string (414).",
)
@click.option(
    "--max-header-bytes",
    type=ByteSize(),
    default="16KiB",
    show_default=True,
    help="Largest request line and headers together; past it the answer is 431.",
)
@click.option(
    "--max-query-depth",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Deepest nesting a query or update may have (groups, brackets and chained "
    "operators, UNIONs, OPTIONALs); deeper ones are refused with 400. 0: no limit.",
)
@click.option(
    "--max-query-memory",
    type=ByteSize(),
    default="2GiB",
    show_default=True,
    help="Most data memory a worker process may use while it runs a query; past it the "
    "query is stopped and the answer is 503. 0: no limit.",
)
@click.option(
    "--allow-update",
    is_flag=True,
    help="Accept SPARQL Update from clients that send the bearer token "
    "(--token-file or EVIDENCEGRAPH_SERVER_TOKEN). Updates bypass the "
    "validation gate.",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File holding the bearer token for updates (at least 16 characters).",
)
@click.option(
    "--cors",
    "cors",
    multiple=True,
    metavar="ORIGIN",
    help="Let pages from ORIGIN (https://example.org, or *) call the server from a "
    "browser (repeatable). Off by default.",
)
@click.option(
    "--cache-size",
    type=ByteSize(),
    default="128MiB",
    show_default=True,
    help="Bytes of answers kept for repeated requests; 0 turns the cache off.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="The server's public URL, as the VoID description and the service "
    "description name it [default: the address listened on].",
)
@pass_app
def serve(
    app: AppContext,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    timeout: float,
    demote_after: float,
    max_rows: int,
    max_request_bytes: int,
    max_header_bytes: int,
    max_query_depth: int,
    max_query_memory: int,
    allow_update: bool,
    token_file: Path | None,
    cors: tuple[str, ...],
    cache_size: int,
    base_url: str | None,
) -> None:
    """Serve the graph over HTTP until Ctrl-C: SPARQL 1.1 Protocol at /sparql, named queries
    at /queries, every IRI of the graph at /id/... and /vocab/..., the ontology at /ontology,
    VoID at /.well-known/void, and a page for people at /.

    \b
    Read-only, local and bounded by default: see docs/server.md.
    Examples:
      evidencegraph serve
      evidencegraph --store oxigraph:./kg.db serve --port 8080 --timeout 10
      curl -H 'Accept: text/csv' 'http://127.0.0.1:7879/queries/drug-with-psychotherapy'
    """
    from evidencegraph.server.app import ServerSettings
    from evidencegraph.server.run import serve as run_server
    from evidencegraph.server.security import TOKEN_ENV, read_token
    from evidencegraph.store.defaults import DEFAULT_PATH, resolve_descriptor

    descriptor = resolve_descriptor(app.store)
    scheme, _, rest = descriptor.partition(":")
    if scheme != "oxigraph":
        raise UsageError(
            f"serve needs an on-disk store (--store oxigraph:PATH), not {descriptor!r}: queries "
            "run in worker processes that each open the store, so that one running too long "
            "can be stopped; memory: lives in one process, and a sparql: store is a server "
            "already"
        )
    path = str(Path(rest or DEFAULT_PATH).resolve())
    token = None
    if allow_update:
        token = read_token(token_file)
        if token is None:
            raise UsageError(
                f"--allow-update needs a bearer token: --token-file FILE or {TOKEN_ENV}"
            )
        if workers not in (None, 1):
            raise UsageError(
                "--allow-update runs one worker: the writable store can be open in one "
                "process only (see docs/server.md); leave --workers out"
            )
        workers = 1
    elif token_file is not None:
        raise UsageError("--token-file is for --allow-update, which was not given")
    if base_url and not re.match(r"^https?://[^/\s]+", base_url):
        raise UsageError(f"--base-url {base_url!r} is not an http(s) URL")
    settings = ServerSettings(
        store_path=path,
        base_url=(base_url.rstrip("/") + "/") if base_url else "",
        timeout=timeout,
        demote_after=demote_after,
        max_rows=max_rows,
        max_request_bytes=max_request_bytes,
        max_header_bytes=max_header_bytes,
        max_query_depth=max_query_depth,
        max_query_memory=max_query_memory,
        allow_update=allow_update,
        token=token,
        cors=cors,
        cache_size=cache_size,
        verbose=app.verbose,
    )
    count = workers or os.cpu_count() or 1
    try:
        run_server(
            settings,
            host=host,
            port=port,
            workers=count,
            threads=threads,
            announce=lambda url, final: _announce(url, final, descriptor, count),
        )
    except OSError as error:
        # the port is taken, or the address is not this machine's: not a usage error (exit 3)
        raise StoreError(
            f"cannot listen on {host}:{port}: {error.strerror or error}. Stop what uses the "
            "port, or choose another with --port (--port 0 picks a free one)"
        ) from None


def _announce(url: str, settings: ServerSettings, descriptor: str, workers: int) -> None:
    mode = "read-write (updates with the bearer token)" if settings.allow_update else "read-only"
    cache = f"{settings.cache_size:,} bytes" if settings.cache_size else "off"
    click.echo(f"evidencegraph serve: listening at {url}")
    click.echo(
        f"  store {descriptor}, {mode}; {workers} worker{'s' if workers != 1 else ''}, "
        f"timeout {settings.timeout:g} s, max rows {settings.max_rows:,}, cache {cache}"
    )
    click.echo(f"  SPARQL endpoint {url}sparql; stop with Ctrl-C")
