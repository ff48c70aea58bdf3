"""Talking to a SPARQL server: the descriptor, credentials, timeouts, retries, errors.

``sparql:QUERY_URL[;key=value]...`` names the server (docs/sparql-store.md):

- ``update=URL``: the SPARQL Update endpoint. Default: ``…/update`` beside a
  query URL ending in ``/query`` (Oxigraph server, Fuseki), else the query URL
  itself (Virtuoso's ``/sparql``, Neptune).
- ``gsp=URL``: the Graph Store HTTP Protocol endpoint that takes additions as
  N-Triples. Default: ``…/store`` beside ``…/query`` (Oxigraph server), else
  none: additions then go in as ``INSERT DATA``. ``gsp=none`` turns it off.
- ``graph=IRI``: keep the triples in this named graph rather than the default
  graph (Virtuoso, whose default graph is the union of every graph).
- ``timeout=SECONDS`` (waiting for an answer, default 300),
  ``connect-timeout=SECONDS`` (default 10), ``retries=N`` (default 3),
  ``backoff=SECONDS`` (the first wait before a retry, doubled each time;
  default 0.5), ``auth=basic|digest`` (how a user and password are sent).

Credentials come from the URL (``http://user:password@host/…``), else
``EVIDENCEGRAPH_SPARQL_TOKEN`` (sent as ``Authorization: Bearer``), else
``EVIDENCEGRAPH_SPARQL_USER`` and ``EVIDENCEGRAPH_SPARQL_PASSWORD``. They are
never part of a message: errors name the server by its URL without them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from evidencegraph.errors import StoreError, UsageError

#: Environment variables holding credentials.
USER_ENV = "EVIDENCEGRAPH_SPARQL_USER"
PASSWORD_ENV = "EVIDENCEGRAPH_SPARQL_PASSWORD"
TOKEN_ENV = "EVIDENCEGRAPH_SPARQL_TOKEN"

_LOG = logging.getLogger(__name__)
_SETTINGS = ("update", "gsp", "graph", "timeout", "connect-timeout", "retries", "backoff", "auth")
#: The longest wait a server's Retry-After may ask for before it is not waited for.
_LONGEST_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach a SPARQL server; URLs carry no credentials."""

    query_url: str
    update_url: str
    gsp_url: str | None = None
    graph: str | None = None
    timeout: float = 300.0
    connect_timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    auth: AuthBase | None = field(default=None, compare=False, repr=False)
    #: how the credentials in force are named in a message (never their value)
    credentials: str = "none"

    @property
    def descriptor(self) -> str:
        """The descriptor, without credentials, as messages show it."""
        settings = []
        update, gsp = _beside(self.query_url)
        if self.update_url != update:
            settings.append(f"update={self.update_url}")
        if self.gsp_url != gsp:
            settings.append(f"gsp={self.gsp_url or 'none'}")
        if self.graph:
            settings.append(f"graph={self.graph}")
        return ";".join([f"sparql:{self.query_url}", *settings])


def parse_descriptor(rest: str, environ: Mapping[str, str] | None = None) -> Endpoint:
    """The endpoint a descriptor names (the part after ``sparql:``).

    Raises UsageError for a URL that is not http(s), an unknown setting or a
    malformed number.
    """
    env = os.environ if environ is None else environ
    url, *pairs = rest.split(";")
    settings: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        key = key.strip().lower()
        if not equals or key not in _SETTINGS:
            raise UsageError(
                f"unknown setting {pair!r} in the sparql: store descriptor; "
                f"use {', '.join(k + '=…' for k in _SETTINGS)}"
            )
        settings[key] = value.strip()
    query_url, user, password = _split_credentials(url.strip())
    update, gsp_beside = _beside(query_url)
    update_url = settings.get("update") or update
    gsp = settings.get("gsp", gsp_beside or "none")
    update_url, update_user, update_password = _split_credentials(update_url)
    gsp_url = None if gsp.lower() in ("", "none") else _split_credentials(gsp)[0]
    user, password = user or update_user, password or update_password
    auth, credentials = _auth(user, password, settings.get("auth", "basic"), env)
    return Endpoint(
        query_url=query_url,
        update_url=update_url,
        gsp_url=gsp_url,
        graph=settings.get("graph") or None,
        timeout=_number(settings, "timeout", 300.0),
        connect_timeout=_number(settings, "connect-timeout", 10.0),
        retries=int(_number(settings, "retries", 3)),
        backoff=_number(settings, "backoff", 0.5),
        auth=auth,
        credentials=credentials,
    )


def _beside(query_url: str) -> tuple[str, str | None]:
    """The update and Graph Store URLs a query URL implies: ``…/update`` and ``…/store``
    beside ``…/query`` (Oxigraph server), else the query URL itself and none."""
    if query_url.endswith("/query"):
        base = query_url[: -len("query")]
        return base + "update", base + "store"
    return query_url, None


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL without user and password, and the two (decoded) if it had them."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"the sparql: store needs an http(s) URL of a SPARQL endpoint, not {_hide(url)!r} "
            "(for example sparql:http://localhost:7878/query)"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return clean, user, password


def _hide(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="…@" + parts.netloc.rpartition("@")[2]))


def _auth(
    user: str | None, password: str | None, kind: str, env: Mapping[str, str]
) -> tuple[AuthBase | None, str]:
    """The credentials in force, and how a message names them (never their value)."""
    if kind not in ("basic", "digest"):
        raise UsageError(f"auth={kind} in the sparql: store descriptor: use auth=basic or digest")
    scheme = HTTPDigestAuth if kind == "digest" else HTTPBasicAuth
    if user is not None:
        return scheme(user, password or ""), "the user and password from the URL"
    token = env.get(TOKEN_ENV)
    if token:
        return _Bearer(token), f"the token in {TOKEN_ENV}"
    user = env.get(USER_ENV)
    if user:
        named = f"the user and password in {USER_ENV} and {PASSWORD_ENV}"
        return scheme(user, env.get(PASSWORD_ENV, "")), named
    return None, "none"


def _number(settings: Mapping[str, str], key: str, default: float) -> float:
    text = settings.get(key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0 or (key == "timeout" and value == 0):
        raise UsageError(f"{key}={text} in the sparql: store descriptor: give a positive number")
    return value


class _Bearer(AuthBase):
    """``Authorization: Bearer TOKEN``."""

    def __init__(self, token: str):
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class ChunkedBody:
    """A request body read from a sequence of byte chunks: sent as it is read, with a
    Content-Length, never joined into one copy in memory."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = [memoryview(chunk) for chunk in chunks if chunk]
        self._length = sum(len(chunk) for chunk in self._chunks)
        self._index = 0
        self._offset = 0

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while self._index < len(self._chunks) and (size < 0 or len(out) < size):
            chunk = self._chunks[self._index]
            take = len(chunk) - self._offset if size < 0 else size - len(out)
            piece = chunk[self._offset : self._offset + take]
            out += piece
            self._offset += len(piece)
            if self._offset >= len(chunk):
                self._index, self._offset = self._index + 1, 0
        return bytes(out)


#: A fresh request body for each attempt (a body read once cannot be sent again).
BodyFactory = Callable[[], "bytes | IO[bytes] | ChunkedBody | Mapping[str, str | list[str]]"]


class SparqlHttp:
    """HTTP for one endpoint: a session per thread (connections reused), timeouts,
    retries with exponential backoff, and failures turned into StoreErrors."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = self.endpoint.auth
            session.headers["User-Agent"] = "evidencegraph"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()

    def post(
        self,
        url: str,
        body: BodyFactory,
        *,
        what: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> requests.Response:
        """POST to ``url``; retried on connection errors and 5xx when ``idempotent``.

        ``what`` says what the request does, for messages ("query", "write").
        Raises StoreError with a message for people when it does not succeed.
        """
        endpoint = self.endpoint
        attempts = 1 + (endpoint.retries if idempotent else 0)
        wait = endpoint.backoff
        failure, reached = "", False
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                _LOG.warning(
                    "%s; retrying in %.2f s (attempt %d of %d)", failure, wait, attempt, attempts
                )
                time.sleep(wait)
                wait *= 2
            try:
                response = self.session().post(
                    url,
                    data=body(),
                    headers=dict(headers),
                    params=params,
                    timeout=(endpoint.connect_timeout, endpoint.timeout),
                )
            except requests.exceptions.ConnectionError as error:
                failure, reached = f"cannot reach {url}: {_reason(error)}", False
                continue
            except requests.exceptions.Timeout:
                raise StoreError(self._timed_out(url, what)) from None
            except requests.exceptions.RequestException as error:
                raise StoreError(f"the {what} to {url} failed: {_reason(error)}") from None
            if response.status_code < 500:
                self._check_status(response, url, what)
                return response
            failure = f"{url} answered HTTP {response.status_code} {_gist(response)}"
            reached = True
            retry_after = _retry_after(response)
            if retry_after is not None:
                wait = max(wait, retry_after)
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        if reached:  # the server said it failed: a request is applied whole or not at all
            raise StoreError(f"the {what} failed{tries}: {failure}.")
        raise StoreError(
            f"{failure}{tries}. Is the SPARQL server running, and is the URL right?"
            + self._maybe_written(what)
        )

    def _timed_out(self, url: str, what: str) -> str:
        return (
            f"{url} did not answer the {what} within {self.endpoint.timeout:g} s: the server "
            "may be overloaded or stuck; give it longer with ;timeout=SECONDS in the "
            "--store descriptor." + self._maybe_written(what)
        )

    @staticmethod
    def _maybe_written(what: str) -> str:
        if not what.startswith("write"):
            return ""
        return " The write may or may not have been applied: sending it again is safe."

    def _check_status(self, response: requests.Response, url: str, what: str) -> None:
        status = response.status_code
        if status < 300:
            return
        gist = _gist(response)
        if status == 403 and self.endpoint.credentials == "none":
            # 403 without credentials is the server's no, not a request for them (a read-only
            # server refusing an update, say): its own reason says what is wrong
            raise StoreError(
                f"the server {url} refused the {what} (HTTP 403 {gist}). If it takes writes "
                f"only with credentials, put them in the URL (http://USER:PASSWORD@host/…), "
                f"or set {USER_ENV} and {PASSWORD_ENV}, or {TOKEN_ENV}."
            )
        if status in (401, 403):
            sent = self.endpoint.credentials
            advice = (
                f"it refused {sent}"
                if sent != "none"
                else "none were given: put them in the URL (http://USER:PASSWORD@host/…), "
                f"or set {USER_ENV} and {PASSWORD_ENV}, or {TOKEN_ENV}"
            )
            if isinstance(self.endpoint.auth, HTTPBasicAuth):
                advice += " (if the server wants digest authentication, as Virtuoso's "
                advice += "/sparql-auth does, add ;auth=digest)"
            raise StoreError(
                f"the server {url} refused the credentials (HTTP {status}) for the {what}: "
                f"{advice}."
            )
        if status in (404, 405, 406, 415):
            raise StoreError(
                f"{url} is not a SPARQL endpoint for the {what} (HTTP {status} {gist}): check "
                "the URL (Oxigraph server: http://HOST:7878/query, Virtuoso: "
                "http://HOST:8890/sparql; see docs/sparql-store.md)."
            )
        if status == 413:
            raise StoreError(
                f"{url} refused the {what} as too large (HTTP 413): use a smaller --batch-size, "
                "or raise the server's request size limit."
            )
        raise StoreError(f"{url} rejected the {what} (HTTP {status}): {gist}")


#: Connection errors in a few words: what urllib3 says -> what the message says.
_CAUSES = {
    "Connection refused": "connection refused",
    "Name or service not known": "no such host",
    "RemoteDisconnected": "the server closed the connection",
    "Connection reset": "the connection was reset",
    "Connection aborted": "the connection was aborted",
    "timed out": "no connection within the connect timeout",
}


def _reason(error: BaseException) -> str:
    """The innermost cause of a connection error, in a few words."""
    text = str(error)
    said = next((said for marker, said in _CAUSES.items() if marker in text), None)
    return said or text.split(": ")[-1][:200] or type(error).__name__


def _gist(response: requests.Response) -> str:
    """The first line of an error response's text, short and on one line."""
    reason = response.reason or ""
    try:
        text = response.text
    except (UnicodeDecodeError, requests.exceptions.RequestException):
        text = ""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if line.startswith("<"):  # an HTML page says little in one line
        line = ""
    return f"{reason}: {line[:300]}" if line else reason


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= _LONGEST_RETRY_AFTER else None
