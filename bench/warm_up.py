"""What a user of a just-started server sees while its workers warm up (decision 0027).

Starts ``evidencegraph serve`` on an existing store (opened read-only by the server), then at
once searches and opens the page of the MeSH term most studies fall under; waits for every
worker to say it has built its index and table; then asks the same again (the MeSH page's
first page by another address, so that the response cache does not answer it; a search
answered before the index is not cached). Wall milliseconds of
each answer, as a client sees them, and when each worker was warm.

    nice python bench/warm_up.py --store STORE [--workers 2] [--wait 600]
"""

from __future__ import annotations

import argparse
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import requests

EG = "https://w3id.org/evidencegraph/ontology#"


def _busiest_mesh(store: Path) -> str:
    """The local path of the MeSH term most studies fall under (``mesh/D…``)."""
    from evidencegraph.store.core import OxigraphStore

    opened = OxigraphStore(store, read_only=True)
    try:
        rows = opened.query(
            f"SELECT ?o (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{EG}interventionMeshAncestor> ?o }}"
            " GROUP BY ?o ORDER BY DESC(?n) ?o LIMIT 1"
        ).rows
    finally:
        opened.close()
    return "mesh/" + str(rows[0]["o"]).rsplit("/", 1)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--wait", type=float, default=600, help="seconds to wait for the workers to be warm"
    )
    args = parser.parse_args()
    mesh = _busiest_mesh(args.store)
    started = time.monotonic()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "evidencegraph", "--store", f"oxigraph:{args.store}"),
            *("serve", "--port", "0", "--workers", str(args.workers)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert server.stdout is not None and server.stderr is not None
    try:
        url = None
        while url is None:
            line = server.stdout.readline().decode("utf-8")
            if not line:
                raise SystemExit("the server did not start")
            found = re.search(r"listening at (http://\S+/)", line)
            url = found.group(1) if found else None
        print(f"listening after {time.monotonic() - started:.1f} s")

        def ask(when: str, path: str, params: dict[str, str], html: bool) -> None:
            clock = time.monotonic()
            headers = {"Accept": "text/html"} if html else {}
            answer = requests.get(url + path, params=params, headers=headers, timeout=300)
            ms = (time.monotonic() - clock) * 1000
            cache = answer.headers.get("X-Cache", "-")
            print(f"{when}: {path} {params} -> {answer.status_code} in {ms:,.0f} ms ({cache})")

        for when, page in (("at once", {"page": "1"}), ("after the warm-up", {})):
            ask(when, "search", {"q": "KARE", "format": "json"}, False)
            ask(when, "search", {"q": "alcohol use", "format": "json"}, False)
            ask(when, mesh, page, True)
            if when == "at once":
                warm = 0
                deadline = time.monotonic() + args.wait
                while warm < args.workers:
                    left = deadline - time.monotonic()
                    ready, _, _ = select.select([server.stderr], [], [], max(left, 0))
                    if not ready:  # (a server before decision 0027 never says so)
                        print(f"not every worker said it was warm within {args.wait:.0f} s")
                        break
                    line = server.stderr.readline().decode("utf-8").strip()
                    if "has built" in line:
                        warm += 1
                        print(f"{time.monotonic() - started:.1f} s after the start: {line}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
