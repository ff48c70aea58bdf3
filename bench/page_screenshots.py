"""Screenshots of the pages for people (issue 20) for docs/server.md: the search box as one
types "KARE", KARE's study page, a drug's and a condition's trials; at 1,400 x 900 in Debian's
Chromium, headless, driven by Playwright, from a real server on 127.0.0.1.

    python bench/page_screenshots.py STORE docs/images

STORE: a store with the curated evidence and registry records imported (the images in the
docs: bench/generate_ctgov.py 5000 records, seed 7, and KARE's record as tests/data/ctgov/
NCT03418623.json under KARE's NCT number, as tests/test_browser_pages.py makes it).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from playwright import sync_api  # noqa: E402

from server_support import EvidenceServerProcess  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PAGES = (
    ("page-study", "id/study/NCT02649231"),
    ("page-drug", "id/drug/ketamine"),
    ("page-condition", "id/condition/alcohol-use-disorder"),
)


def main() -> None:
    store, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp()
    try:
        with (
            EvidenceServerProcess(store, "--workers", "1") as server,
            sync_api.sync_playwright() as pw,
        ):
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path="/usr/bin/chromium",
                headless=True,
                args=ARGS,
                viewport={"width": 1400, "height": 900},
            )
            page = context.new_page()
            page.goto(server.url + "ontology")
            page.click("#site-search")
            page.keyboard.type("KARE", delay=80)
            page.locator("#site-search-results a").first.wait_for()
            page.screenshot(path=str(out / "page-search.png"))
            for name, path in PAGES:
                page.goto(server.url + path)
                page.screenshot(path=str(out / f"{name}.png"))
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
