"""A polite HTTP client for the registries' APIs: a pause between requests, retries with
backoff on 429/5xx and dropped connections (honouring ``Retry-After``), and errors that say
what the server answered.

ClinicalTrials.gov asks for about 50 requests a minute per address; NCBI's E-utilities allow
3 a second without an API key and 10 with one. Both answer 429 when a client goes faster.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests

from evidencegraph import __version__
from evidencegraph.errors import InputError

#: Statuses worth asking again: throttled, or the server (or a proxy before it) failing for now.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest wait between two tries (a Retry-After past it ends the fetch: resume later).
MAX_WAIT = 300.0
#: Characters of an error body shown in a message.
_BODY_SHOWN = 300
_TAGS = re.compile(r"<[^>]+>")
USER_AGENT = f"evidencegraph/{__version__} (+https://w3id.org/evidencegraph)"


class FetchError(InputError):
    """A request that failed for good: the network, the server's status, or what it sent
    (exit 3). ``retryable`` says whether trying later may succeed (network, 429, 5xx)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class PoliteClient:
    """Requests one at a time, at least ``delay`` seconds apart, retried ``retries`` times.

    A retry waits what ``Retry-After`` asks, else ``backoff`` seconds doubled at each try
    (at most :data:`MAX_WAIT`). ``timeout`` is the seconds to wait for the server to connect
    and for each read.
    """

    delay: float = 1.2
    retries: int = 5
    backoff: float = 2.0
    timeout: float = 60.0
    #: called with a line for people before each wait (the CLI shows it on stderr)
    on_wait: Callable[[str], None] | None = None
    session: requests.Session = field(default_factory=requests.Session)
    _last: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.session.headers["User-Agent"] = USER_AGENT

    def get(self, url: str, params: Mapping[str, str]) -> requests.Response:
        """GET ``url`` with ``params``; the response of status 200, or :class:`FetchError`."""
        return self._request("GET", url, params=params)

    def post(self, url: str, data: Mapping[str, str]) -> requests.Response:
        """POST ``data`` as a form to ``url`` (E-utilities take long id lists this way)."""
        return self._request("POST", url, data=data)

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> requests.Response:
        attempt = 0
        while True:
            self._pause()
            try:
                response = self.session.request(
                    method, url, params=params, data=data, timeout=self.timeout
                )
                error = _status_error(response, url)
                wait_asked = retry_after(response) if error is not None else None
            except requests.RequestException as failure:
                error = FetchError(_network_message(url, failure), retryable=True)
                wait_asked = None
            if error is None:
                return response
            if not error.retryable or attempt >= self.retries:
                if error.retryable and self.retries:
                    raise FetchError(f"{error} (tried {attempt + 1} times)", retryable=True)
                raise error
            wait = self.backoff * 2**attempt if wait_asked is None else wait_asked
            if wait > MAX_WAIT:
                raise FetchError(
                    f"{error}; the server asks to wait {wait:.0f} s before trying again.",
                    retryable=True,
                )
            attempt += 1
            if self.on_wait is not None:
                self.on_wait(f"{error}; trying again in {wait:.1f} s (try {attempt + 1}).")
            time.sleep(wait)

    def _pause(self) -> None:
        """Wait until ``delay`` seconds have passed since the last request started."""
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()


def _status_error(response: requests.Response, url: str) -> FetchError | None:
    if response.status_code == 200:
        return None
    message = f"{url} answered HTTP {response.status_code} {response.reason or ''}".rstrip()
    said = body_message(response.content)
    if said:
        message += f": {said}"
    return FetchError(message, retryable=response.status_code in RETRY_STATUSES)


def body_message(body: bytes) -> str:
    """What an error body says, short: a JSON ``message``/``error`` field, or the text
    without markup, cut to a few hundred characters."""
    text = body.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for key in ("message", "error", "ERROR", "detail"):
            if isinstance(parsed.get(key), str):
                text = parsed[key]
                break
    text = " ".join(_TAGS.sub(" ", text).split())
    return text if len(text) <= _BODY_SHOWN else text[:_BODY_SHOWN] + "..."


def body_start(raw: bytes, length: int = 80) -> str:
    """The first characters of an answer, for a message about what it was."""
    return " ".join(raw[: length * 4].decode("utf-8", "replace").split())[:length]


def retry_after(response: requests.Response) -> float | None:
    """The seconds ``Retry-After`` asks for (a number, or an HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _network_message(url: str, failure: requests.RequestException) -> str:
    if isinstance(failure, requests.Timeout):
        return f"{url} did not answer in time ({failure.__class__.__name__})"
    if isinstance(failure, requests.ConnectionError):
        return f"cannot reach {url}: the connection failed or was dropped ({_reason(failure)})"
    return f"the request to {url} failed ({_reason(failure)})"


def _reason(failure: BaseException) -> str:
    """The innermost cause's words: urllib3 wraps them three deep."""
    while failure.__cause__ is not None or failure.__context__ is not None:
        failure = failure.__cause__ or failure.__context__  # type: ignore[assignment]
    return str(failure) or failure.__class__.__name__
