"""`fetch ctgov` against a loopback stand-in of the API: what fetching adds to an import.

Synthetic studies (bench/generate_ctgov.py, pages of ``--page-size``) are served by a
stand-in on 127.0.0.1 that answers each page after ``--latency`` seconds (the API's own time
to answer a page), and fetched with the polite ``--delay`` between requests. Three runs, each
into a fresh on-disk store, in this process:

- baseline: ``import ctgov`` of the same page files (the pipeline alone, no network);
- one after the other: each page asked for once the page before is imported;
- one ahead (what ``fetch`` does): the next page asked for while one is imported.

Reported: wall seconds, studies/s, and each fetch's time as a ratio of the baseline's; the
runs take turns ``--repeat`` times and each keeps its best time.

Run:  python bench/fetch.py --studies 2000 --page-size 500 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from common import machine, replace_section, run_id  # type: ignore[import-not-found]

BEGIN, END = "<!-- fetch:begin -->", "<!-- fetch:end -->"
HERE = Path(__file__).parent


def generate(studies: int, page_size: int, target: Path) -> list[bytes]:
    """The pages, in order, as the generator wrote them."""
    subprocess.run(
        [
            sys.executable,
            str(HERE / "generate_ctgov.py"),
            str(studies),
            str(target),
            "--format",
            "pages",
            "--page-size",
            str(page_size),
            "--seed",
            "7",
        ],
        check=True,
        capture_output=True,
    )
    return [path.read_bytes() for path in sorted(target.glob("page-*.json"))]


@contextmanager
def stand_in(pages: list[bytes], latency: float) -> Iterator[str]:
    """The API's /studies on a free loopback port, serving ``pages`` by their tokens."""
    by_token: dict[str | None, bytes] = {None: pages[0]}
    for page, following in itertools.pairwise(pages):
        by_token[json.loads(page)["nextPageToken"]] = following

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            token = parse_qs(urlsplit(self.path).query).get("pageToken", [None])[0]
            body = by_token[token]
            time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/studies"
    finally:
        server.shutdown()
        server.server_close()


def run_import(directory: Path, store: Path) -> tuple[float, int]:
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.graph.pipeline import Importer
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.records import expand_paths
    from evidencegraph.store.core import OxigraphStore

    started = time.perf_counter()
    graph = EvidenceGraph(OxigraphStore(store))
    files = expand_paths([directory], ctgov.SUFFIXES)
    summary = Importer(graph, ctgov.map_study).run(ctgov.read_paths(files))
    graph.close()
    assert summary.stopped is None, str(summary.stopped)
    return time.perf_counter() - started, summary.imported


def run_fetch(url: str, store: Path, state: Path, delay: float, ahead: bool) -> tuple[float, int]:
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.graph.fetching import Answer, FetchRun, FetchState
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.fetch_ctgov import CtgovQuery, fetch_pages
    from evidencegraph.ingest.fetch_http import PoliteClient
    from evidencegraph.store.core import OxigraphStore

    started = time.perf_counter()
    graph = EvidenceGraph(OxigraphStore(store))
    query = CtgovQuery(condition="any", page_size=1000)
    client = PoliteClient(delay=delay, retries=0)
    pages = fetch_pages(client, query, api_url=url, limits=ctgov.DEFAULT_LIMITS)
    answers = (
        Answer(p.number, p.records, p.raw, p.next_token, p.next_token is None) for p in pages
    )
    fetch_state = FetchState(state, "ctgov", query.as_state())
    fetch_state.start()
    summary = FetchRun(graph, ctgov.map_study, fetch_state, ahead=ahead).run(answers)
    graph.close()
    assert summary.stopped is None, str(summary.stopped)
    return time.perf_counter() - started, summary.imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds a page takes")
    parser.add_argument("--delay", type=float, default=1.2, help="fetch's --delay")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--write", type=Path, help="put the results into this Markdown file")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-fetch-") as scratch_name:
        scratch = Path(scratch_name)
        pages = generate(args.studies, args.page_size, scratch / "pages")
        labels = [
            "baseline: import ctgov of the page files",
            "fetch, one page after the other",
            "fetch, one page ahead (as shipped)",
        ]
        best: dict[str, tuple[float, int]] = {}
        with stand_in(pages, args.latency) as url:
            # the runs take turns, and each keeps its best time: other work on the machine
            # slows whichever run it meets, not one kind of run
            for attempt in range(args.repeat):
                for label in labels:
                    store = scratch / f"{attempt}-{labels.index(label)}.db"
                    if label.startswith("baseline"):
                        result = run_import(scratch / "pages", store)
                    else:
                        ahead = "ahead" in label
                        state = store.with_suffix(".json")
                        result = run_fetch(url, store, state, args.delay, ahead)
                    if label not in best or result[0] < best[label][0]:
                        best[label] = result
        rows = [(label, *best[label]) for label in labels]
        base_seconds = rows[0][1]

    command = (
        f"python bench/fetch.py --studies {args.studies} --page-size {args.page_size} "
        f"--latency {args.latency} --delay {args.delay} --repeat {args.repeat}"
    )
    lines = [
        BEGIN,
        "## Fetch: `fetch ctgov` against a loopback stand-in of the API",
        "",
        f"Run {run_id()} on {machine()}. `{command}`: {args.studies} synthetic studies in "
        f"{len(pages)} pages of {args.page_size}, each page answered after {args.latency} s, "
        f"requests at least {args.delay} s apart; each run into a fresh on-disk store, the "
        f"three taking turns {args.repeat} times, the best time of each kept (load average "
        f"at the start: {load_at_start:.1f}).",
        "",
        "| run | seconds | studies/s | time / baseline |",
        "|---|---:|---:|---:|",
    ]
    for label, seconds, count in rows:
        lines.append(
            f"| {label} | {seconds:.1f} | {count / seconds:.0f} | {seconds / base_seconds:.2f}x |"
        )
    lines.append(END)
    section = "\n".join(lines)
    print(section)
    if args.write:
        replace_section(args.write, BEGIN, END, section)


if __name__ == "__main__":
    main()
