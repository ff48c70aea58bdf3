"""The pages for people in a real browser (issue 20 point 6): find KARE by typing "KARE" in
the search box, open it, read its summary and the disagreement between the curated and the
registry enrolment; page through a condition's trials and narrow them by a facet. Debian's
Chromium, headless, driven by Playwright; skipped when either is missing.

The store is the curated evidence, KARE's registry record (tests/data/ctgov/NCT03418623.json
under KARE's NCT number, as in test_server_graphs.py: enrolment 24 against the paper's 96) and
20 more records made from the same file under NCT numbers no real trial has (NCT9000000x),
each starting a year later, so that alcohol use disorder has more trials than one page holds.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from server_support import EvidenceServerProcess, build_curated_store
from test_server_ui import Browser, open_browser

RECORD = Path(__file__).parent / "data" / "ctgov" / "NCT03418623.json"
#: records made besides KARE's: with the 10 curated trials of the condition, more than a page
MADE = 20


def _records(folder: Path) -> list[Path]:
    template = json.loads(RECORD.read_text("utf-8"))
    written = []
    for number in range(MADE + 1):
        content: dict[str, Any] = copy.deepcopy(template)
        protocol = content["protocolSection"]
        nct = "NCT02649231" if number == 0 else f"NCT9{number:07d}"
        protocol["identificationModule"]["nctId"] = nct
        if number:
            protocol["statusModule"]["startDateStruct"]["date"] = f"{1990 + number}-01-01"
            protocol["identificationModule"]["briefTitle"] = f"Made-up trial {number} of AUD"
        path = folder / f"{nct}.json"
        path.write_text(json.dumps(content), encoding="utf-8")
        written.append(path)
    return written


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EvidenceServerProcess]:
    folder = tmp_path_factory.mktemp("browser-pages")
    path = build_curated_store(folder / "evidencegraph.db")
    records = folder / "records"
    records.mkdir()
    _records(records)
    imported = CliRunner().invoke(
        cli, ["--store", f"oxigraph:{path}", "import", "ctgov", str(records)]
    )
    assert imported.exit_code == 0, imported.output
    with EvidenceServerProcess(path, "--workers", "1") as running:
        yield running


@pytest.fixture(scope="module")
def browser(
    server: EvidenceServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    viewport = {"width": 1400, "height": 900}
    with open_browser(profile, server.url.rstrip("/"), viewport=viewport) as opened:
        yield opened


def test_type_kare_open_it_and_see_the_sources_disagree(browser: Browser) -> None:
    page = browser.page()
    page.goto(browser.origin + "/ontology")
    page.click("#site-search")
    page.keyboard.type("KARE", delay=60)  # as a person types: a request per pause
    first = page.locator("#site-search-results a").first
    first.wait_for()
    assert first.inner_text().startswith("Adjunctive Ketamine With Relapse Prevention")
    assert "KARE" in page.locator("#site-search-results li").first.inner_text()
    first.click()
    page.wait_for_url("**/id/study/NCT02649231")
    summary = page.locator("#summary")
    assert summary.is_visible()
    text = " ".join(summary.inner_text().split())
    assert "Phase phase 2" in text and "Status completed" in text
    # the curated 96 shown, the registry's 24 beside it with its source
    differ = " ".join(summary.locator(".sources-differ").first.inner_text().split())
    assert differ.startswith("Sources differ on enrolment"), differ
    assert "96: curated/studies" in differ and "24: ClinicalTrials.gov record NCT02649231" in differ
    # the summary is what a reader sees first: above the fold at 1,400 x 900
    assert summary.bounding_box()["y"] < 400  # type: ignore[index]
    assert not browser.errors and not browser.outside


def test_arrows_and_enter_choose_a_hit(browser: Browser) -> None:
    page = browser.page()
    page.goto(browser.origin + "/ontology")
    page.fill("#site-search", "NCT02649231")
    page.locator("#site-search-results a").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/id/study/NCT02649231")
    assert not browser.errors


def test_page_through_a_conditions_trials_and_narrow_them(browser: Browser) -> None:
    page = browser.page()
    page.goto(browser.origin + "/id/condition/alcohol-use-disorder")
    trials = page.locator("#trials")
    assert "page 1 of 2" in trials.locator("p.matching").inner_text()
    first_page = trials.locator("table.trials tr td:first-child a").all_inner_texts()
    assert len(first_page) == 25
    trials.locator("a[rel=next]").click()
    page.wait_for_url("**page=2#trials")
    second_page = page.locator("#trials table.trials tr td:first-child a").all_inner_texts()
    assert second_page and not set(second_page) & set(first_page)
    # narrowed to the trials with results: KARE (its findings) and the made-up records
    # (the record has results), counted as the facet said
    facet = page.locator("#trials ul[data-facet=results] li", has_text="yes")
    count = int(facet.locator(".count").inner_text())
    facet.locator("a").first.click()
    page.wait_for_url("**results=yes#trials")
    shown = page.locator("#trials p.matching").inner_text()
    assert shown.startswith(f"{count} of "), shown
    assert page.locator("#trials ul[data-facet=results] li.on").count() == 1
    assert not browser.errors and not browser.outside
