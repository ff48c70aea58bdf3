"""ClinicalTrials.gov API v2 search pages: the query's parameters, and each page read into
study records the same way ``import ctgov`` reads an API page from a file.

``GET /api/v2/studies`` takes ``query.term``, ``query.cond``, ``query.intr``, ``filter.ids``,
``filter.advanced`` (``AREA[LastUpdatePostDate]RANGE[DATE,MAX]`` for studies updated since
a date), ``pageSize`` (at most 1,000), ``pageToken`` and ``countTotal``; each page holds
``studies`` and, unless it is the last, ``nextPageToken``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from evidencegraph.ingest.fetch_http import FetchError, PoliteClient, body_start
from evidencegraph.ingest.records import Limits, Record, RecordError, read_json, too_large

API_URL = "https://clinicaltrials.gov/api/v2/studies"
#: The API's largest page.
MAX_PAGE_SIZE = 1000
#: Requests a minute the API asks a client to stay under.
POLITE_DELAY = 60 / 50


@dataclass(frozen=True)
class CtgovQuery:
    """What to ask the API for; empty fields are left out of the request."""

    term: str = ""
    condition: str = ""
    intervention: str = ""
    #: NCT numbers, normalised
    ids: tuple[str, ...] = ()
    #: studies whose last update was posted on or after this ISO date
    since: str = ""
    page_size: int = 100

    def params(self, page_token: str | None) -> dict[str, str]:
        """The request's parameters for the page ``page_token`` names (None: the first)."""
        params = {"format": "json", "pageSize": str(self.page_size)}
        for name, value in (
            ("query.term", self.term),
            ("query.cond", self.condition),
            ("query.intr", self.intervention),
            ("filter.ids", ",".join(self.ids)),
            ("filter.advanced", f"AREA[LastUpdatePostDate]RANGE[{self.since},MAX]"),
        ):
            if value and (name != "filter.advanced" or self.since):
                params[name] = value
        if page_token is None:
            params["countTotal"] = "true"
        else:
            params["pageToken"] = page_token
        return params

    def as_state(self) -> dict[str, object]:
        """The query as JSON values (what a state file keeps to resume it)."""
        state = asdict(self)
        state["ids"] = list(self.ids)
        return state

    @classmethod
    def from_state(cls, state: dict[str, object]) -> CtgovQuery:
        """The query a state file kept; ValueError when it is not one."""
        try:
            ids = state.get("ids", [])
            fields = {**state, "ids": tuple(str(i) for i in ids)}  # type: ignore[attr-defined]
            return cls(**fields)  # type: ignore[arg-type]
        except TypeError as error:
            raise ValueError(f"not a ClinicalTrials.gov query: {error}") from None


@dataclass
class Page:
    """One answer of the API: its records, and what comes after it."""

    #: 1 for the first page of the query
    number: int
    #: the token that asked for this page (None: the first)
    token: str | None
    #: the token of the page after it (None: this is the last)
    next_token: str | None
    #: the studies as records (or why one cannot be read), as ``import ctgov`` reads them
    records: list[Record | RecordError]
    #: the studies the query matches, when the API counted them (first page)
    total: int | None
    #: the page as the API sent it (saved for a replay with ``import ctgov``)
    raw: bytes


def fetch_pages(
    client: PoliteClient,
    query: CtgovQuery,
    *,
    api_url: str = API_URL,
    token: str | None = None,
    number: int = 1,
    limits: Limits,
) -> Iterator[Page]:
    """The query's pages, from the one ``token`` names (None: the first), following
    ``nextPageToken``. Raises :class:`FetchError` for a failed request or an answer that is
    not an API page."""
    while True:
        response = client.get(api_url, query.params(token))
        page = read_page(response.content, f"{api_url} page {number}", limits)
        yield Page(number, token, page.next_token, page.records, page.total, response.content)
        if page.next_token is None:
            return
        token, number = page.next_token, number + 1


@dataclass
class _Read:
    records: list[Record | RecordError]
    next_token: str | None
    total: int | None


def read_page(raw: bytes, origin: str, limits: Limits) -> _Read:
    """An API page's studies as records; :class:`FetchError` for an answer that is not JSON
    or not an API page (an object with a list of ``studies``)."""
    if len(raw) > limits.member:
        raise FetchError(f"{origin}: {too_large('the page', limits.member, '--max-member-size')}")
    if raw.lstrip()[:1] not in (b"{", b"["):  # an HTML error page, a proxy's notice
        raise FetchError(
            f"{origin}: the answer is not JSON; it starts: {body_start(raw)!r}. "
            "Is --api-url the API's /studies?"
        )
    parsed = read_json(bytearray(raw), origin, limits.member)
    if isinstance(parsed, RecordError):  # cut short, or what no record may hold
        raise FetchError(f"{parsed.origin}: the page cannot be read: {parsed.reason}")
    content = parsed.content
    if not (isinstance(content, dict) and isinstance(content.get("studies"), list)):
        keys = ", ".join(sorted(content)) if isinstance(content, dict) else type(content).__name__
        raise FetchError(
            f"{origin}: the answer is JSON but not a page of studies (an object with a list "
            f"'studies'); it holds: {keys or 'nothing'}. Is --api-url the API's /studies?"
        )
    next_token = content.get("nextPageToken")
    if next_token is not None and not (isinstance(next_token, str) and next_token):
        raise FetchError(f"{origin}: nextPageToken is {next_token!r}, not a token.")
    total = content.get("totalCount")
    records: list[Record | RecordError] = []
    for index, study in enumerate(content["studies"]):
        where = f"{origin}: studies[{index}]"
        size = len(json.dumps(study, ensure_ascii=False)) if len(raw) > limits.record else 0
        if size > limits.record:
            reason = too_large("the study record", limits.record, "--max-record-size")
            records.append(RecordError(where, reason))
        else:
            records.append(Record(where, study, size))
    return _Read(records, next_token, total if isinstance(total, int) else None)
