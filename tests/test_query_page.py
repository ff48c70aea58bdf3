"""Issue 20, points 4 and 5, in a real browser (Chromium, headless, driven by Playwright, as in
test_server_ui.py): the query page's editor (YASQE, served from the package) with a named query
typed and run, claim statuses as badges, a syntax error marked on its line with the results
cleared; /queries and the VoID description read as pages; the ontology's concept tables fit
the window at 1,400 pixels and narrower."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import requests

from evidencegraph.queries import library
from test_server_ui import (
    Browser,
    _open_query_page,
    _run,
    browser,
    query_text,
    set_query,
    sync_api,
    wait_for_answer,
)

__all__ = ["browser"]  # the fixture, shared with test_server_ui.py

EGV = "https://w3id.org/evidencegraph/vocab/"
AWAKN_2021 = "/id/claim/000/awakn-trial-in-2021"
#: The claims of the curated evidence by status: (status, claim) pairs FACTS.md gives. "UK,
#: 2021" is wrong (the trial ran 2016-2020, published 2022): misreported. The claim of a
#: ketamine study that cannot be pinned to one paper: an ambiguous referent.
FACTS_STATUSES = {
    AWAKN_2021: "misreported",
    "/id/claim/002/ajp-study-drinking-days-vs-placebo": "ambiguous referent",
}


def _badges(page: object) -> dict[str, tuple[str, str, str]]:
    """Each results row's claim path -> its status badge (text, class, link)."""
    script = """() => Array.from(document.querySelectorAll('#results tr')).slice(1).map(row => {
      const claim = row.querySelector("a[href^='/id/claim/']");
      const badge = row.querySelector('a.status');
      return [claim && claim.getAttribute('href'), badge && [badge.textContent,
              badge.className, badge.getAttribute('href')]];
    })"""
    rows = page.evaluate(script)  # type: ignore[attr-defined]
    return {claim: tuple(badge) for claim, badge in rows if claim and badge}


def test_the_editor_is_yasqe_served_from_the_package(browser: Browser) -> None:
    page = _open_query_page(browser)
    assert page.locator("#editor .CodeMirror").count() == 1  # YASQE drew its editor
    assert page.is_hidden("#query")  # and the plain text area made way
    # SPARQL is highlighted: keywords and variables are tokens of their own
    assert page.locator(".CodeMirror-code .cm-keyword:text-is('SELECT')").count() >= 1
    assert page.locator(".CodeMirror-code .cm-atom:text-is('?trial')").count() >= 1
    vendored = resources.files("evidencegraph.server") / "static/vendor/yasqe/yasqe.min.js"
    served = requests.get(browser.origin + "/static/vendor/yasqe/yasqe.min.js", timeout=30)
    assert served.status_code == 200 and served.content == vendored.read_bytes()
    assert browser.outside == [], "the page fetched something from outside the server"


def test_a_typed_named_query_runs_and_shows_status_badges(browser: Browser) -> None:
    browser.errors.clear()  # another test's syntax error is logged as a failed request
    page = _open_query_page(browser)
    # the named query's text entered in the editor, as pasting it would
    text = library()["misreported-claims"].text
    set_query(page, "")
    page.click(".CodeMirror-code")
    page.keyboard.insert_text(text)
    assert query_text(page) == text
    _run(page)
    assert page.is_hidden("#error")
    badges = _badges(page)
    for claim, status in FACTS_STATUSES.items():
        shown, classes, href = badges[claim]
        assert shown == status
        assert "status-" + status.replace(" ", "") in classes.split()
        assert href == "/vocab/" + status.title().replace(" ", "")
    # every row's badge says what the server answers for that row
    answer = requests.get(
        browser.origin + "/queries/misreported-claims", params={"format": "json"}, timeout=30
    ).json()
    expected = {
        row["claim"]["value"].removeprefix("https://w3id.org/evidencegraph"): row["status"]["value"]
        for row in answer["results"]["bindings"]
    }
    assert {claim: badge[0] for claim, badge in badges.items()} == expected
    assert browser.errors == []


def test_status_iris_are_badges_too_and_other_columns_stay_text(browser: Browser) -> None:
    page = _open_query_page(browser)
    set_query(page, "")
    page.click(".CodeMirror-code")
    # typed key by key, as a person would
    page.keyboard.type(
        "SELECT ?claim ?verdict ?status WHERE { ?claim "
        "<https://w3id.org/evidencegraph/ontology#verificationStatus> ?verdict "
        'BIND("misreported" AS ?status) } ORDER BY ?claim'
    )
    page.keyboard.press("Control+Enter")
    wait_for_answer(page)
    cells = page.evaluate(
        "Array.from(document.querySelectorAll('#results tr')).slice(1).map(r =>"
        " Array.from(r.cells).map(c => c.querySelector('a.status') ? 'badge' : 'text'))"
    )
    rows = requests.get(
        browser.origin + "/sparql",
        params={"query": query_text(page)},
        headers={"Accept": "text/csv"},
        timeout=30,
    ).text.splitlines()
    assert len(cells) == len(rows) - 1 > 80  # the claims and registry links, with a header
    assert all(row == ["text", "badge", "badge"] for row in cells)
    # a literal that is not a status label stays text, even in a status column
    set_query(page, 'SELECT ?status WHERE { BIND("recruiting" AS ?status) }')
    _run(page)
    assert page.locator("#results a.status").count() == 0
    assert page.locator("#results td").inner_text() == "recruiting"


def test_a_syntax_error_marks_its_line_and_clears_the_results(browser: Browser) -> None:
    page = _open_query_page(browser)
    _run(page)  # the flagship: a table of results
    assert page.locator("#results table tr").count() > 1
    set_query(
        page,
        "PREFIX eg: <https://w3id.org/evidencegraph/ontology#>\n"
        "SELECT ?trial WHERE {\n"
        "  ?trial a eg:Trial ;\n"
        "    eg:nctId ?id ; oops:title ?title .\n"
        "}",
    )
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    error = page.text_content("#error") or ""
    assert error.startswith("400") and "line 4 column" in error
    # the results of the query before are gone, and so are its downloads
    assert page.inner_text("#results") == ""
    assert page.is_hidden("#downloads")
    # the line the server names is marked in the editor, the place underlined
    marked = page.locator(".CodeMirror-code > div.eg-error-line")
    assert marked.count() == 1
    assert marked.locator(".CodeMirror-linenumber").inner_text() == "4"
    assert page.locator(".eg-error-place").inner_text() == "oops:title"
    # editing the query takes the mark away
    page.click(".CodeMirror-code")
    page.keyboard.type(" ")
    assert page.locator(".eg-error-line").count() == 0


def test_the_named_queries_page_runs_a_query_on_the_query_page(browser: Browser) -> None:
    browser.errors.clear()
    page = browser.page()
    response = page.goto(browser.origin + "/queries")
    assert response is not None and response.headers["content-type"].startswith("text/html")
    named = library()
    assert page.locator("section.named-query h2").all_inner_texts() == [
        q.title for q in named.values()
    ]
    section = page.locator("section#misreported-claims")
    section.locator("button:text-is('Run')").click()
    page.wait_for_url("**/?named=misreported-claims*")
    wait_for_answer(page)
    assert page.input_value("#examples") == "misreported-claims"
    assert _badges(page)[AWAKN_2021][0] == "misreported"
    # a parameter typed on /queries reaches the query
    page.goto(browser.origin + "/queries")
    flagship = page.locator("section#drug-with-psychotherapy")
    flagship.locator("input[name=drug]").fill("midazolam")
    flagship.locator("button:text-is('Run')").click()
    wait_for_answer(page)
    assert page.input_value("#parameters input[name=drug]") == "midazolam"
    assert "Randomized Midazolam-Controlled Pilot Trial" in page.inner_text("#results")
    # Download saves the answer as a file in the format chosen
    page.goto(browser.origin + "/queries")
    section = page.locator("section#misreported-claims")
    section.locator("select[name=format]").select_option("csv")
    with page.expect_download() as download:
        section.locator("button:text-is('Download')").click()
    assert download.value.suggested_filename == "misreported-claims.csv"
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert saved.splitlines()[0].startswith("claim,source,quote,status")
    assert browser.errors == []


def test_the_void_description_reads_as_a_page(browser: Browser) -> None:
    turtle = requests.get(browser.origin + "/.well-known/void", timeout=60)
    assert turtle.headers["Content-Type"].startswith("text/turtle")
    page = browser.page()
    response = page.goto(browser.origin + "/.well-known/void")
    assert response is not None and response.headers["content-type"].startswith("text/html")
    counts = dict(
        page.evaluate(
            "Array.from(document.querySelectorAll('#counts tr')).slice(1)"
            ".map(r => [r.cells[0].textContent, r.cells[1].textContent])"
        )
    )
    triples = requests.get(
        browser.origin + "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        headers={"Accept": "text/csv"},
        timeout=30,
    ).text.split()[1]
    assert counts["triples"] == f"{int(triples):,}"
    trial = page.locator("#classes tr:has(code:text-is('eg:Trial'))")
    assert trial.locator("a").get_attribute("href") == "/ontology#Trial"
    assert page.locator("a[type='text/turtle']").first.get_attribute("href") == (
        "/.well-known/void.ttl"
    )


@pytest.mark.parametrize("width", [1400, 1024, 800, 480])
def test_the_ontology_tables_fit_the_window(browser: Browser, width: int) -> None:
    page = browser.page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(browser.origin + "/ontology")
    overflowing = page.evaluate(
        "Array.from(document.querySelectorAll('main table')).filter(t =>"
        " t.scrollWidth > t.parentElement.clientWidth).map(t =>"
        " (t.previousElementSibling || {}).id + ' ' + t.scrollWidth)"
    )
    assert overflowing == []
    assert page.locator("table.concepts").count() >= 20
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_without_the_editor_the_text_area_does_the_job(browser: Browser) -> None:
    """A page whose editor script did not load (blocked, say) still edits and runs queries."""
    page = browser.page()
    page.route("**/vendor/yasqe/yasqe.min.js", lambda route: route.abort())
    page.goto(browser.origin + "/")
    sync_api.expect(page.locator("#examples")).to_have_value("drug-with-psychotherapy")
    assert page.is_visible("#query") and page.is_hidden("#editor")
    assert page.input_value("#query").startswith("# param: drug literal ketamine")
    _run(page)
    assert "NCT02649231" in page.inner_text("#results")
    page.fill("#query", "SELECT ?s WHERE {\n  ?s nope:x ?o\n}")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#results") == ""
    # the line the server names is selected in the text area
    selected = page.evaluate(
        "(() => { const t = document.getElementById('query');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); })()"
    )
    assert selected == "  ?s nope:x ?o"


@pytest.mark.parametrize("path", ["/", "/queries", "/.well-known/void"])
@pytest.mark.parametrize("width", [1400, 480])
def test_the_pages_fit_the_window(browser: Browser, path: str, width: int) -> None:
    page = browser.page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(browser.origin + path)
    page.wait_for_selector("main h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_error_after_a_bound_parameter_is_marked_where_it_is(browser: Browser) -> None:
    """The text sent has the parameter's VALUES inserted after each "{": the server's column
    is mapped back to the editor's text."""
    page = _open_query_page(browser)
    set_query(
        page,
        "# param: drug literal ketamine -- a drug\n"
        "SELECT ?drug WHERE { ?x <https://w3id.org/evidencegraph/ontology#name> ?drug ; "
        "oops:name ?y }",
    )
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert "line 2 column" in (page.text_content("#error") or "")
    assert page.locator(".eg-error-place").inner_text() == "oops:name"
