"""Screenshots of the query page, the named queries and the VoID page for docs/server.md.

Builds the curated evidence into a temporary store, serves it on 127.0.0.1 (a free port), and
takes each picture with Debian's Chromium (headless, driven by Playwright) at 1,400 pixels:

    python bench/ui_screenshots.py [--out docs/images]

Pictures: ``query-page.png`` (the named query of misreported claims run, its statuses as
badges), ``query-error.png`` (a syntax error marked on its line), ``named-queries.png``
(``/queries``), ``void.png`` (``/.well-known/void``), ``ontology-concepts.png`` (a concept
table of the ontology page).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).parent.parent
CLI = [sys.executable, "-m", "evidencegraph"]
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1400, 900
BAD_QUERY = (
    "PREFIX eg: <https://w3id.org/evidencegraph/ontology#>\n"
    "SELECT ?trial ?title WHERE {\n"
    "  ?trial a eg:Trial ;\n"
    "    eg:nctId ?id ; dc:title ?title .\n"
    "}"
)


def _serve(store: Path) -> tuple[subprocess.Popen[str], str]:
    command = [*CLI, "--store", f"oxigraph:{store}", "serve", "--port", "0", "--workers", "1"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    line = server.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if found is None:
        server.terminate()
        raise SystemExit(f"the server did not say where it listens: {line!r}")
    return server, found.group(0)


def _answered(page: Page) -> None:
    expect(page.locator("#status")).to_have_text(re.compile(r" in [0-9.]+ s$"), timeout=30_000)


def take(url: str, out: Path) -> list[Path]:
    """Every picture, taken from the server at ``url``, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})

        def shot(name: str) -> None:
            path = out / name
            page.screenshot(path=str(path))
            taken.append(path)

        page.set_viewport_size({"width": WIDTH, "height": 1300})  # the editor and the results
        page.goto(url + "?named=misreported-claims")
        _answered(page)
        page.evaluate("window.scrollTo(0, document.getElementById('examples').offsetTop - 20)")
        shot("query-page.png")
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        page.evaluate("text => window.evidencegraph.setQueryText(text)", BAD_QUERY)
        page.click("#run")
        page.wait_for_selector("#error:not([hidden])")
        page.evaluate("window.scrollTo(0, document.getElementById('examples').offsetTop - 20)")
        shot("query-error.png")
        page.goto(url + "queries")
        shot("named-queries.png")
        page.goto(url + ".well-known/void")
        shot("void.png")
        page.goto(url + "ontology#egv-InterventionTypeScheme")
        shot("ontology-concepts.png")
        browser.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        subprocess.run([*CLI, "-q", "--store", f"oxigraph:{store}", "build"], check=True)
        server, url = _serve(store)
        try:
            time.sleep(1)  # the workers open the store
            for path in take(url, options.out):
                print(path)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
