"""A loopback stand-in for the ClinicalTrials.gov API v2 and E-utilities efetch, serving real
recorded answers (tests/data/README.md says what each page is assembled from), with failures
on demand: a status, a Retry-After, a dropped connection, a garbage answer."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parent / "data"
FETCH = DATA / "fetch"
CTGOV_PATH = "/api/v2/studies"
EFETCH_PATH = "/entrez/eutils/efetch.fcgi"
#: The real next page of the first page's search, in the order it listed its studies
#: (ctgov_v2_more's provenance: search_phelan_next_20260811.json studies[0..4]).
PHELAN_NEXT = ["NCT05187377", "NCT03836300", "NCT07014020", "NCT05025241", "NCT07281079"]
#: The token the assembled second page gives for the third (the last).
TOKEN_3 = "page-3"
#: Real efetch files whose articles the stand-in serves by PMID.
PUBMED_FILES = [
    DATA / "pubmed" / "pubmed-29768149.xml",
    FETCH / "biomcp_efetch_citation_22663011.xml",
    FETCH / "ncbiutils_pubmed.xml",
]


def study_id(study: dict[str, object]) -> str:
    protocol = study["protocolSection"]
    assert isinstance(protocol, dict)
    return str(protocol["identificationModule"]["nctId"])


def ctgov_pages() -> dict[str | None, bytes]:
    """The three pages of one search by the token that asks for each (None: the first).

    The first is a real API page as recorded; the second, the real next page's five studies
    (each recorded whole) with a token for the third; the third, two real study records.
    """
    first = (FETCH / "biomcp_search_phelan_limit5_20260811.json").read_bytes()
    second = {
        "studies": [
            json.loads((FETCH / "phelan_next" / f"{n}.json").read_text()) for n in PHELAN_NEXT
        ],
        "nextPageToken": TOKEN_3,
    }
    third = {
        "studies": [
            json.loads((DATA / "ctgov" / f"{n}.json").read_text())
            for n in ("NCT03418623", "NCT03630471")
        ]
    }
    return {
        None: first,
        json.loads(first)["nextPageToken"]: json.dumps(second).encode(),
        TOKEN_3: json.dumps(third).encode(),
    }


def page_ids(page: bytes) -> list[str]:
    return [study_id(study) for study in json.loads(page)["studies"]]


def pubmed_articles() -> dict[str, bytes]:
    """Every article of the real efetch files, as its XML text, by PMID."""
    articles: dict[str, bytes] = {}
    for path in PUBMED_FILES:
        text = path.read_bytes()
        for article in re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", text, re.DOTALL):
            pmid = re.search(rb"<PMID[^>]*>(\d+)</PMID>", article)
            assert pmid is not None
            articles[pmid.group(1).decode()] = article
    return articles


def efetch_answer(articles: dict[str, bytes], ids: list[str]) -> bytes:
    """What efetch answers for ``ids``: the articles it has, in a PubmedArticleSet."""
    found = b"\n".join(articles[pmid] for pmid in ids if pmid in articles)
    return b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n' + found + b"\n</PubmedArticleSet>\n"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    at: float


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


#: What a failure rule answers instead: a Reply, or DROP (the connection closed unanswered).
DROP = "drop"


class StandIn:
    """The server: ``requests`` logs what it was asked; ``fail`` maps a page token (ctgov) or
    a request number (efetch) to the replies given instead, one per request, before the real
    answer. ``pages`` and ``articles`` are what it serves."""

    def __init__(self) -> None:
        self.pages = ctgov_pages()
        self.articles = pubmed_articles()
        self.requests: list[Request] = []
        self.fail: dict[object, list[Reply | str]] = {}
        self._efetch_count = 0
        self.port = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, request: Request) -> Reply | str:
        with self._lock:
            self.requests.append(request)
            if request.path == CTGOV_PATH:
                key: object = request.params.get("pageToken")
                if key not in self.pages:
                    return Reply(400, b"pageToken: unknown token")
            elif request.path == EFETCH_PATH:
                self._efetch_count += 1
                key = self._efetch_count
            else:
                return Reply(404, b"<html><body><h1>Not Found</h1></body></html>")
            planned = self.fail.get(key)
            if planned:
                return planned.pop(0)
            if request.path == CTGOV_PATH:
                return Reply(200, self.pages[key], {"Content-Type": "application/json"})
            ids = request.params.get("id", "").split(",")
            return Reply(200, efetch_answer(self.articles, ids), {"Content-Type": "text/xml"})


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve(parse_qs(urlsplit(self.path).query))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            self._serve({**parse_qs(urlsplit(self.path).query), **form}, method="POST")

        def _serve(self, params: dict[str, list[str]], method: str = "GET") -> None:
            flat = {name: values[0] for name, values in params.items()}
            path = urlsplit(self.path).path
            reply = standin.answer(Request(method, path, flat, time.monotonic()))
            if reply == DROP:
                self.close_connection = True
                return
            assert isinstance(reply, Reply)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving() -> Iterator[StandIn]:
    """A stand-in listening on 127.0.0.1 (a free port) until the block ends."""
    standin = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    standin.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
