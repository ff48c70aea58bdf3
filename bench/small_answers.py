"""Small answers over HTTP: what a request costs `evidencegraph serve` beside `oxigraph serve`.

Where an answer is small, a request's cost is mostly the server's own: reading the request,
the checks before any worker sees the text (its depth, its form against the Accept header),
the crossing to a worker and back, the answer written out. Every named query with a small
answer, with its defaults, its parameters bound by VALUES in the text so that both servers
get the same text, is POSTed ``--requests`` times one after the other (a Python client on
keep-alive; what is measured is the servers' CPU, not the client's) to:

- ``evidencegraph serve --cache-size 0`` (two workers, warmed up): the HTTP process's CPU and
  the whole tree's (the HTTP process, its workers);
- ``oxigraph serve-read-only`` on the same store directory, after the other has stopped.

CPU ms a request, from /proc (bench/common.tree_cpu_seconds), after 30 requests to warm up.
The ratio is Oxigraph's CPU over ours: above 1.00 we spend less.

Run:  python bench/small_answers.py --store DIR --requests 300 [--write docs/benchmarks.md]
      (DIR: a store `evidencegraph build` made; it is only read)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import requests

from common import machine, print_and_write, run_id, tree_cpu_seconds  # type: ignore[import-not-found]
from server import ACCEPT, Server, evidencegraph_server, oxigraph_server  # type: ignore[import-not-found]

BEGIN, END = "<!-- small-answers:begin -->", "<!-- small-answers:end -->"
#: answers up to this many rows count as small
SMALL = 100
WARM_UP = 30


def query_texts() -> dict[str, str]:
    """Every named query as it runs with its defaults, parameters bound by VALUES."""
    from evidencegraph.queries import library
    from evidencegraph.rdf.terms import to_oxigraph
    from evidencegraph.store.values_binding import bind_by_values

    texts = {}
    for name, query in sorted(library().items()):
        text, bound = query.prepare({})
        texts[name] = bind_by_values(text, {key: to_oxigraph(term) for key, term in bound.items()})
    return texts


def _post(session: requests.Session, endpoint: str, text: str) -> int:
    answer = session.post(
        endpoint,
        data=text.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT},
        timeout=120,
    )
    answer.raise_for_status()
    return len(answer.json()["results"]["bindings"])


def _http_cpu(pid: int) -> float:
    """CPU seconds of the process ``pid`` alone (not its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


def measure(
    server: Server, texts: dict[str, str], count: int
) -> dict[str, tuple[int, float, float]]:
    """For each query: its rows, and the HTTP process's and the tree's CPU ms a request."""
    figures = {}
    with requests.Session() as session:
        for name, text in texts.items():
            for _ in range(WARM_UP):
                rows = _post(session, server.endpoint, text)
            pid = server.process.pid
            http, tree = _http_cpu(pid), tree_cpu_seconds(pid)
            for _ in range(count):
                _post(session, server.endpoint, text)
            http = 1000 * (_http_cpu(pid) - http) / count
            tree = 1000 * (tree_cpu_seconds(pid) - tree) / count
            figures[name] = (rows, http, tree)
            print(f"{server.name}: {name} {rows} rows, {tree:.2f} ms", file=sys.stderr)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--write", type=Path, help="replace this file's section")
    args = parser.parse_args()
    texts = query_texts()
    with tempfile.TemporaryDirectory() as scratch:
        ours = evidencegraph_server(args.store, False, 60, Path(scratch) / "eg.log")
        try:
            rows = {name: _post(requests.Session(), ours.endpoint, t) for name, t in texts.items()}
            texts = {name: text for name, text in texts.items() if rows[name] <= SMALL}
            by_us = measure(ours, texts, args.requests)
        finally:
            ours.stop()
        theirs = oxigraph_server(args.store, Path(scratch) / "ox.log")
        try:
            by_oxigraph = measure(theirs, texts, args.requests)
        finally:
            theirs.stop()
    same = all(by_us[name][0] == by_oxigraph[name][0] for name in texts)
    lines = [
        BEGIN,
        "## Small answers over HTTP (issue 21 goal 4)",
        "",
        f"Run `{run_id()}`. Command: `python bench/small_answers.py --store DIR --requests "
        f"{args.requests} --write docs/benchmarks.md` (DIR: the store `evidencegraph build` "
        "makes).",
        "",
        f"Machine: {machine()}. Packages: pyoxigraph {version('pyoxigraph')}, oxigraph (CLI) "
        f"{version('oxigraph')}, waitress {version('waitress')}, werkzeug "
        f"{version('werkzeug')}; Python {platform.python_version()}.",
        "",
        f"Every named query whose answer has at most {SMALL} rows, with its defaults, "
        f"POSTed {args.requests} times one after the other (after {WARM_UP} to warm up) to "
        "`evidencegraph serve --cache-size 0`, then to `oxigraph serve-read-only` on the "
        "same store. CPU ms a request, read from /proc: for evidencegraph the HTTP process "
        "alone and the whole tree (with its two workers). The ratio is Oxigraph's CPU over "
        "ours: above 1.00× we spend less. "
        + ("Both servers gave the same row counts." if same else "**The row counts differ.**"),
        "",
        "| query | rows | evidencegraph: HTTP process | evidencegraph: all | oxigraph serve "
        "| ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in texts:
        rows, http, tree = by_us[name]
        _, _, oxigraph = by_oxigraph[name]
        lines.append(
            f"| {name} | {rows} | {http:.2f} | {tree:.2f} | {oxigraph:.2f} | "
            f"{oxigraph / tree:.2f}× |"
        )
    lines.append(END)
    section = "\n".join(lines)
    print_and_write(section, args.write, BEGIN, END)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
