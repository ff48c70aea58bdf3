"""Start the server: the worker pool, the WSGI app under waitress, and a clean stop."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType

from evidencegraph.server.app import EvidenceServer, ServerSettings
from evidencegraph.server.workers import StoreSpec, WorkerPool
from evidencegraph.store.serving_guard import guard_server


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(
    settings: ServerSettings,
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    announce: Callable[[str, ServerSettings], None],
) -> None:
    """Serve until SIGINT or SIGTERM; then stop the workers and return.

    ``settings.base_url`` empty means "the address listened on" (known once bound; port 0
    picks a free port). ``announce`` is told the base URL once the server listens. Raises
    StoreError when the workers cannot open the store, OSError when the port is taken.
    """
    from waitress.server import MultiSocketServer, create_server

    # no other process may write the store while it is served (store/serving_guard.py)
    guard = guard_server(Path(settings.store_path), f"oxigraph:{settings.store_path}")
    try:
        pool = WorkerPool(
            StoreSpec(settings.store_path, settings.allow_update, settings.max_query_memory),
            workers,
            demote_after=settings.demote_after or None,
        )
    except BaseException:
        guard.release()
        raise
    previous = signal.signal(signal.SIGTERM, _stop)
    started = False
    try:
        app = EvidenceServer(settings, pool)
        server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="evidencegraph",
            # the app answers an oversized body with its own message (413); waitress's limits
            # only stop what the app would not see in time: a chunked body, and headers
            # (431), which werkzeug would otherwise parse at length (a 0.9 MB Accept header
            # cost seconds); the query string is part of the request line, so room for it
            max_request_body_size=2 * settings.max_request_bytes + 65536,
            max_request_header_size=settings.max_header_bytes + settings.max_request_bytes,
            asyncore_use_poll=True,
            clear_untrusted_proxy_headers=True,
        )
        if isinstance(server, MultiSocketServer):  # a name with several addresses
            bound_port = int(server.effective_listen[0][1])
        else:
            bound_port = int(server.getsockname()[1])
        if not settings.base_url:
            shown = "localhost" if host in ("0.0.0.0", "::", "") else host
            shown = f"[{shown}]" if ":" in shown else shown
            app.settings = replace(settings, base_url=f"http://{shown}:{bound_port}/")
        guard.announce(app.settings.base_url)
        announce(app.settings.base_url, app.settings)
        started = True
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
        pool.close()
        guard.release()
        if started:  # a server that never listened did not stop: its error says why
            print("evidencegraph serve: stopped", file=sys.stderr)
