"""Small HTTP servers for the fault tests of the sparql: store, all on 127.0.0.1.

A :class:`Proxy` sits in front of a real Oxigraph server and forwards every
request, unless its ``rule`` says otherwise: answer with a status of its own
(a 401, a 500), or drop the connection (a server gone). :class:`SilentServer`
accepts connections and never answers; :class:`PageServer` answers every
request with an HTML page. No stub of the store: what is forwarded is answered
by Oxigraph itself.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TypeVar

from support import free_port

_Self = TypeVar("_Self", bound="_Running")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class Request:
    """What a proxy was sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def is_write(self) -> bool:
        return self.method == "POST" and self.path.split("?")[0] in ("/update", "/store")


@dataclass
class Answer:
    """What a rule makes the proxy do instead of forwarding: answer, or drop (status 0)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


#: A proxy's rule: None to forward, else the answer to give.
Rule = Callable[[Request], "Answer | None"]
DROP = Answer(0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Running:
    """A server on a thread of its own, stopped on leaving the ``with`` block."""

    server: ThreadingHTTPServer

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.port = free_port()
        self.server = _Server(("127.0.0.1", self.port), handler)
        self.server.double = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()


class Proxy(_Running):
    """Forwards to ``upstream`` (an Oxigraph server's base URL) unless ``rule`` answers."""

    def __init__(self, upstream: str, rule: Rule | None = None):
        self.upstream = upstream
        self.rule: Rule = rule or (lambda request: None)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        super().__init__(_ProxyHandler)

    def writes(self) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.is_write]

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


class _ProxyHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        proxy: Proxy = self.server.double  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
        )
        proxy.record(request)
        answer = proxy.rule(request)
        if answer is None:
            answer = _forward(proxy.upstream, request)
        if answer.status == 0:  # the server is gone: no answer at all
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


def _forward(upstream: str, request: Request) -> Answer:
    host, port = upstream.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    try:
        connection.request(request.method, request.path, body=request.body, headers=headers)
        response = connection.getresponse()
        body = response.read()
    except OSError:
        return DROP  # the server behind is down: so is the proxy, as far as anyone can tell
    finally:
        connection.close()
    kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
    return Answer(response.status, body, kept)


class PageServer(_Running):
    """Answers every request with 200 and an HTML page: a web site, not a SPARQL endpoint."""

    def __init__(self) -> None:
        super().__init__(_PageHandler)


class _PageHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._page()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._page()

    def _page(self) -> None:
        page = b"<!doctype html><html><body><h1>Welcome</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


class SilentServer:
    """Accepts connections and never answers: a server that hangs."""

    def __init__(self) -> None:
        self.port = free_port()
        self._socket = socket.create_server(("127.0.0.1", self.port))
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()
        self._socket.close()
