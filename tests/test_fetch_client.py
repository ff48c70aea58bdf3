"""The fetch commands' HTTP client on its own: the pause between requests, retries and their
limit, Retry-After in both its forms, and what it says when a server cannot be reached."""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Iterator

import pytest
import requests

from evidencegraph.ingest.fetch_http import FetchError, PoliteClient, body_message, retry_after
from fetch_standin import CTGOV_PATH, Reply, StandIn, serving
from support import free_port


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # a proxy must not carry loopback requests
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with serving() as server:
        yield server


def test_requests_are_spaced_by_the_delay(standin: StandIn) -> None:
    client = PoliteClient(delay=0.2, retries=0)
    for _ in range(3):
        client.get(standin.url + CTGOV_PATH, {})
    starts = [request.at for request in standin.requests]
    # arrivals, not starts: one request's connection may take longer to set up than the
    # next's, so each gap is allowed some slack; together they cannot be shorter
    assert all(later - earlier >= 0.12 for earlier, later in itertools.pairwise(starts))
    assert starts[-1] - starts[0] >= 0.35


def test_retries_stop_at_their_number_and_say_so(standin: StandIn) -> None:
    standin.fail[None] = [Reply(503, b"<h1>Service Unavailable</h1>")] * 3
    client = PoliteClient(delay=0, retries=2, backoff=0.01)
    with pytest.raises(FetchError) as raised:
        client.get(standin.url + CTGOV_PATH, {})
    assert str(raised.value).endswith(
        "HTTP 503 Service Unavailable: Service Unavailable (tried 3 times)"
    )
    assert raised.value.retryable
    assert len(standin.requests) == 3


def test_a_client_error_is_not_asked_again(standin: StandIn) -> None:
    standin.fail[None] = [Reply(400, b'{"message": "pageSize must be at most 1000"}')]
    with pytest.raises(FetchError, match="HTTP 400 Bad Request: pageSize must be at most 1000"):
        PoliteClient(delay=0, retries=3, backoff=0.01).get(standin.url + CTGOV_PATH, {})
    assert len(standin.requests) == 1


def test_a_wait_past_the_limit_ends_the_fetch_at_once(standin: StandIn) -> None:
    standin.fail[None] = [Reply(429, b"slow down", {"Retry-After": "3600"})]
    started = time.monotonic()
    with pytest.raises(FetchError, match="asks to wait 3600 s"):
        PoliteClient(delay=0, retries=3).get(standin.url + CTGOV_PATH, {})
    assert time.monotonic() - started < 5 and len(standin.requests) == 1


def test_retry_after_is_read_as_seconds_or_as_a_date() -> None:
    response = requests.Response()
    response.headers["Retry-After"] = "7"
    assert retry_after(response) == 7
    response.headers["Retry-After"] = email.utils.formatdate(time.time() + 120, usegmt=True)
    waited = retry_after(response)
    assert waited is not None and 110 < waited <= 120
    response.headers["Retry-After"] = "soon"
    assert retry_after(response) is None


def test_a_server_that_is_not_there_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    url = f"http://127.0.0.1:{free_port()}/api/v2/studies"
    with pytest.raises(FetchError, match=r"cannot reach http://127\.0\.0\.1:\d+/api/v2/studies"):
        PoliteClient(delay=0, retries=1, backoff=0.01).get(url, {})


def test_an_error_body_is_shown_short_and_without_markup() -> None:
    assert body_message(b'{"error": "API rate limit exceeded", "count": "11"}') == (
        "API rate limit exceeded"
    )
    page = b"<html><head><title>502</title></head><body>" + b"x" * 1000 + b"</body></html>"
    shown = body_message(page)
    assert "<" not in shown and shown.endswith("...") and len(shown) == 303
