"""PubMed articles by PMID from E-utilities efetch (``db=pubmed``, ``retmode=xml``), read into
article records the same way ``import pubmed`` reads an efetch file.

Ids go up to 200 a request; a request of more than :data:`GET_IDS` ids is POSTed (a long
URL is refused by some proxies). ``api_key`` raises NCBI's limit from 3 to 10 requests a
second.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from evidencegraph.ingest.fetch_http import FetchError, PoliteClient, body_start
from evidencegraph.ingest.identifiers import normalise_pmid
from evidencegraph.ingest.pubmed import read_stream
from evidencegraph.ingest.records import Limits, Record, RecordError

API_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
#: Ids a request asks for at most (NCBI's advice for efetch by id).
MAX_IDS = 200
#: Ids sent in a GET's URL at most; more are POSTed.
GET_IDS = 20
#: Seconds between requests: NCBI allows 3 a second without a key, 10 with one.
DELAY_WITHOUT_KEY = 1 / 3
DELAY_WITH_KEY = 1 / 10
#: efetch's own error document: ``<eFetchResult><ERROR>...</ERROR></eFetchResult>``.
_EFETCH_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)
_PMID = re.compile(r"<PMID[^>]*>(\d+)</PMID>")


@dataclass
class Batch:
    """One efetch answer: the ids asked for, the articles read, what came back."""

    #: 1 for the first request
    number: int
    ids: list[str]
    records: list[Record | RecordError]
    #: ids asked for that no article of the answer has
    missing: list[str]
    raw: bytes


def parse_ids(texts: Iterable[str]) -> list[str]:
    """PMIDs from arguments or the lines of a file (spaces, commas and ``#`` comments
    allowed), normalised, each once, in order; ValueError names the first that is not one."""
    ids: dict[str, None] = {}
    for text in texts:
        for word in re.split(r"[\s,]+", text.split("#", 1)[0]):
            if not word:
                continue
            pmid = normalise_pmid(word)
            if pmid is None:
                raise ValueError(f"{word!r} is not a PMID (a PubMed id is a number)")
            ids[pmid] = None
    return list(ids)


def batches(ids: Sequence[str], size: int = MAX_IDS) -> list[list[str]]:
    """``ids`` cut into requests of at most ``size``."""
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def fetch_batches(
    client: PoliteClient,
    id_batches: Sequence[Sequence[str]],
    *,
    api_url: str = API_URL,
    api_key: str = "",
    first: int = 1,
    limits: Limits,
) -> Iterator[Batch]:
    """The articles of each batch of ids, one request a batch, from request number ``first``
    (1: the first) on. Raises
    :class:`FetchError` for a failed request or an answer that is not efetch XML."""
    for number in range(first, len(id_batches) + 1):
        ids = list(id_batches[number - 1])
        form = {"db": "pubmed", "retmode": "xml", "id": ",".join(ids)}
        if api_key:
            form["api_key"] = api_key
        send = client.post if len(ids) > GET_IDS else client.get
        response = send(api_url, form)
        records = read_answer(response.content, f"{api_url} request {number}", limits)
        found = set(_PMID.findall(response.content.decode("utf-8", "replace")))
        missing = [pmid for pmid in ids if pmid not in found]
        yield Batch(number, ids, records, missing, response.content)


def read_answer(raw: bytes, origin: str, limits: Limits) -> list[Record | RecordError]:
    """An efetch answer's articles; :class:`FetchError` when it is not efetch XML, is cut
    short or malformed, or is efetch's own error document."""
    said = _EFETCH_ERROR.search(raw)
    if said is not None and b"<PubmedArticle" not in raw:
        text = " ".join(said.group(1).decode("utf-8", "replace").split())
        raise FetchError(f"{origin}: E-utilities refused the request: {text}")
    if not raw.lstrip().startswith(b"<"):
        raise FetchError(
            f"{origin}: the answer is not XML; it starts: {body_start(raw)!r}. "
            "Is --api-url efetch.fcgi?"
        )
    records = list(read_stream(io.BytesIO(raw), origin, limits))
    broken = [item for item in records if isinstance(item, RecordError)]
    if broken:  # the whole answer or none of it: a broken one is asked for again on --resume
        raise FetchError(f"{broken[0]} (nothing of this answer was imported)")
    return records
