"""The page for people, in a real browser: Debian's Chromium, headless, driven by Playwright,
opens ``/``, runs the flagship query, reads the KARE trial in the results table and follows
its link to the study's page. Skipped when Chromium or Playwright is not installed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest

from evidencegraph.queries import library
from evidencegraph.server.urls import local_path
from evidencegraph.store.values_binding import bind_by_values
from server_support import EvidenceServerProcess

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium): the browser test of "
        "the query page needs it",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright (pip install playwright) drives the browser"
)


#: A browser that runs without a display, a sandbox or any network but the test server.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The status line once an answer is shown: "12 rows in 0.07 s".
ANSWERED = re.compile(r" in [0-9.]+ s$")
KARE_TITLE = (
    "Adjunctive Ketamine With Relapse Prevention–Based Psychological Therapy in the "
    "Treatment of Alcohol Use Disorder"
)


class Browser:
    """One Chromium for the module, with what it asked for outside the server and what its
    pages logged as errors."""

    def __init__(self, context: sync_api.BrowserContext, origin: str) -> None:
        self.context = context
        self.origin = origin
        self.outside: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._only_the_server)

    def _only_the_server(self, route: sync_api.Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin or parts.scheme == "data":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def page(self) -> sync_api.Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        return page


@contextmanager
def open_browser(profile: Path, origin: str, **options: Any) -> Iterator[Browser]:
    """Chromium on a profile of its own, allowed to reach ``origin`` only; ``options`` go to
    Playwright's ``launch_persistent_context`` (a viewport, downloads). The profile goes
    afterwards."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            **options,
        )
        try:
            yield Browser(context, origin)
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(
    evidence_server: EvidenceServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    with open_browser(profile, evidence_server.url.rstrip("/"), accept_downloads=True) as opened:
        yield opened


def _open_query_page(browser: Browser) -> sync_api.Page:
    page = browser.page()
    page.goto(browser.origin + "/")
    # the named queries have arrived and the flagship is chosen
    sync_api.expect(page.locator("#examples")).to_have_value(
        "drug-with-psychotherapy", timeout=30_000
    )
    return page


def set_query(page: sync_api.Page, text: str) -> None:
    """Put ``text`` in the query editor (YASQE), as pasting it would."""
    page.evaluate("text => window.evidencegraph.setQueryText(text)", text)


def query_text(page: sync_api.Page) -> str:
    """The text in the query editor."""
    return str(page.evaluate("window.evidencegraph.queryText()"))


def wait_for_answer(page: sync_api.Page) -> None:
    """Until the status line says how long the answer took. (Waiting by a script of the
    test's own would be an eval, which the pages' Content-Security-Policy forbids.)"""
    sync_api.expect(page.locator("#status")).to_have_text(ANSWERED, timeout=30_000)


def _run(page: sync_api.Page) -> None:
    page.click("#run")
    wait_for_answer(page)


def test_the_flagship_query_finds_the_kare_trial(browser: Browser) -> None:
    page = _open_query_page(browser)
    assert page.locator("#examples option:checked").inner_text() == (
        "Trials that pair a drug with a psychotherapy in the same arm"
    )
    # the editor holds the query and its parameters; the title and description are above it
    assert query_text(page).startswith("# param: drug literal ketamine")
    assert "Competency question 1" in page.text_content("#description")  # type: ignore[operator]
    assert page.input_value("#parameters input[name=drug]") == "ketamine"
    _run(page)
    assert page.is_hidden("#error")
    table = page.locator("#results table")
    assert KARE_TITLE in table.inner_text()
    assert "NCT02649231" in table.inner_text()
    assert "rows in" in page.text_content("#status")  # type: ignore[operator]
    # the trial's IRI links to its page, which shows its arms and the claims about it
    page.click("#results a[href='/id/study/NCT02649231']")
    page.wait_for_url("**/id/study/NCT02649231")
    assert page.text_content("h1") == KARE_TITLE
    arms = page.locator("#arms").inner_text()
    assert "ketamine + relapse-prevention based therapy" in arms
    assert "saline placebo + alcohol education" in arms
    assert "Result: 86% abstinence rate over 6 months" in page.locator("#claims").inner_text()
    assert browser.outside == [], "the page fetched something from outside the server"
    assert browser.errors == []


def test_a_parameter_changes_the_answer(browser: Browser) -> None:
    page = _open_query_page(browser)
    page.fill("#parameters input[name=drug]", "midazolam")
    _run(page)
    results = page.locator("#results").inner_text()
    assert KARE_TITLE not in results  # no arm of KARE receives midazolam
    assert "Randomized Midazolam-Controlled Pilot Trial" in results  # Dakwar et al.'s does


def test_a_results_download_in_each_format(browser: Browser) -> None:
    page = _open_query_page(browser)
    _run(page)
    for name, expected in (("CSV", "NCT02649231"), ("JSON", '"vars"'), ("TSV", "\t")):
        with page.expect_download() as download:
            page.click(f"#downloads button:text-is('{name}')")
        saved = Path(download.value.path())
        assert expected in saved.read_text(encoding="utf-8"), name
        assert download.value.suggested_filename == "results." + name.lower()


def test_a_construct_query_shows_triples_and_offers_graph_formats(browser: Browser) -> None:
    page = _open_query_page(browser)
    set_query(
        page,
        "PREFIX eg: <https://w3id.org/evidencegraph/ontology#>\n"
        "CONSTRUCT { ?study eg:hasArm ?arm }\n"
        "WHERE { ?study eg:hasArm ?arm ; eg:nctId 'NCT02649231' }",
    )
    _run(page)
    assert "4 triples" in page.text_content("#status")  # type: ignore[operator]
    assert "/id/study/NCT02649231/arm/ketamine-therapy" in page.inner_html("#results")
    buttons = page.locator("#downloads button").all_inner_texts()
    assert buttons == ["Turtle", "N-Triples", "JSON-LD", "RDF/XML"]
    with page.expect_download() as download:
        page.click("#downloads button:text-is('Turtle')")
    assert "NCT02649231" in Path(download.value.path()).read_text(encoding="utf-8")


def test_an_error_from_the_server_is_shown(browser: Browser) -> None:
    page = _open_query_page(browser)
    set_query(page, "SELECT * WHERE { ?s ?p }")
    page.click(".CodeMirror-code")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert "400" in page.text_content("#error")  # type: ignore[operator]
    assert "syntax" in page.text_content("#error").lower()  # type: ignore[union-attr]


def test_tab_indents_in_the_editor(browser: Browser) -> None:
    page = _open_query_page(browser)
    set_query(page, "")
    page.click(".CodeMirror-code")
    page.keyboard.press("Tab")
    page.keyboard.type("x")
    assert query_text(page) == "  x"


def test_the_page_binds_parameters_as_the_server_does(browser: Browser) -> None:
    """The page's VALUES rewrite (app.js) gives the text store/values_binding.py gives."""
    page = _open_query_page(browser)
    for query in library().values():
        bindings = {p.name: ox.Literal(p.default or "x") for p in query.parameters}
        expected = bind_by_values(query.text, bindings)
        script = "([text, b]) => window.evidencegraph.bindByValues(text, b)"
        written = {name: str(term) for name, term in bindings.items()}
        assert page.evaluate(script, [query.text, written]) == expected, query.name


def test_the_page_maps_iris_to_paths_as_the_server_does(browser: Browser) -> None:
    """app.js's localPath gives what server/urls.py's local_path gives."""
    page = _open_query_page(browser)
    iris = [
        "https://w3id.org/evidencegraph/id/study/NCT02649231",
        "https://w3id.org/evidencegraph/id/source/doi/10.1176/appi.ajp.2021.21030277",
        "https://w3id.org/evidencegraph/id/x/a b?c#d%e'f&g=h;i,j+k@l:m~n(o)*p!$",
        "https://w3id.org/evidencegraph/id/é/ü",
        "https://w3id.org/evidencegraph/vocab/Misreported",
        "https://w3id.org/evidencegraph/graph/ctgov/NCT02649231",
        "https://w3id.org/evidencegraph/ontology#Study",
        "https://w3id.org/evidencegraph/ontology",
        "https://w3id.org/evidencegraph/id/",
        "https://example.org/x",
    ]
    for iri in iris:
        assert page.evaluate("window.evidencegraph.localPath", iri) == local_path(iri), iri


def test_a_long_answer_is_cut_in_the_table_and_an_ask_is_answered(browser: Browser) -> None:
    page = _open_query_page(browser)
    set_query(page, "SELECT * WHERE { ?s ?p ?o }")
    _run(page)
    assert page.locator("#results tr").count() == 2000 + 1  # and the header
    assert "The first 2,000 of" in page.text_content("#results")  # type: ignore[operator]
    set_query(page, "ASK { ?s a <https://w3id.org/evidencegraph/ontology#Trial> }")
    _run(page)
    assert page.text_content("#results") == "Answer: true"
    assert page.locator("#downloads button").all_inner_texts() == ["JSON", "XML", "CSV", "TSV"]
