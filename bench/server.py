"""Server benchmark: the flagship query over HTTP, `evidencegraph serve` against `oxigraph serve`.

On the synthetic registry-sized store (bench/synthetic.py), the flagship query (the named
query drug-with-psychotherapy, its parameter bound in the text by VALUES so that every server
gets the same text) is sent by 16 concurrent clients of wrk (a C load generator; Debian package
`wrk`) on loopback, one server at a time:

- evidencegraph serve with its response cache (the default), then with --cache-size 0;
- oxigraph serve-read-only (PyPI package `oxigraph`) on the same store directory;
- the same three again while one deliberately slow query (a cross product of every triple
  with every other) runs on the same server, started just before the load.

Each case reports requests/s, p50 and p99 latency (wrk's), the servers' CPU per answer, and
errors; the uncached cases run ``--rounds`` times, alternately, and the ratio to Oxigraph's
figure is the median of each round's ratio, in the same run. The servers share the machine's
cores with wrk itself.

Run:  python bench/server.py --studies 100000 --store-dir /tmp/eg-bench-100k \\
          --seconds 20 --uncached-seconds 30 --rounds 5 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from statistics import median

import pyoxigraph as ox
import requests

from common import tree_cpu_seconds  # type: ignore[import-not-found]

HERE = Path(__file__).parent
BEGIN, END = "<!-- server:begin -->", "<!-- server:end -->"
#: Never finishes on any store of this size: every triple joined with every other.
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
ACCEPT = "application/sparql-results+json"
SLOW_SUFFIX = ", one slow query running"

_WRK_SCRIPT = """
local body = io.open(os.getenv("EG_QUERY_FILE")):read("*a")
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/sparql-query"
wrk.headers["Accept"] = "%(accept)s"
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "seconds": %%f, "p50_ms": %%f, "p99_ms": %%f, "max_ms": %%f, '
    .. '"errors": %%d, "non_2xx": %%d, "timeouts": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
"""


@dataclass
class Figures:
    """One wrk run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int
    timeouts: int
    #: CPU seconds the server's processes used during the run (bench/common.tree_cpu_seconds)
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_answer(self) -> float:
        return 1000 * self.cpu_seconds / self.requests if self.requests else float("nan")

    @property
    def failed(self) -> int:
        return self.errors + self.non_2xx + self.timeouts


#: What a worker of `evidencegraph serve` prints once warm (server/workers.py), and how many
#: workers `serve` starts by default.
WARM_LINE = "has built its search index and study table"
WORKERS = 2


def flagship_text() -> str:
    """The flagship query as the named query runs it for ``drug`` ketamine (its name key written
    in as a constant, decision 0028), with every parameter bound by VALUES in the text: one
    text that any SPARQL server answers alike."""
    from evidencegraph.queries import get_query
    from evidencegraph.rdf.terms import to_oxigraph
    from evidencegraph.store.values_binding import bind_by_values

    text, bound = get_query("drug-with-psychotherapy").prepare({"drug": "ketamine"})
    return bind_by_values(text, {name: to_oxigraph(term) for name, term in bound.items()})


class Server:
    """A server process on 127.0.0.1 whose SPARQL endpoint answers a POSTed query."""

    def __init__(self, name: str, command: list[str], endpoint: str | None, log: Path):
        self.name = name
        self._log, self._log_path = log.open("wb"), log
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, start_new_session=True
        )
        self.endpoint = endpoint or self._announced()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited; see {log}")
            try:
                if requests.post(self.endpoint, data={"query": "ASK {}"}, timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer at {self.endpoint}")

    def await_warm(self, workers: int) -> None:
        """Wait until ``workers`` workers have said they built their search index and study
        table (decision 0027): measured before that, the load would share the CPU with the
        warm-up and say what a just-started server does, not what a running one does."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            said = self._log_path.read_text(encoding="utf-8", errors="replace")
            if said.count(WARM_LINE) >= workers:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self._log_path}")
            time.sleep(0.5)
        raise RuntimeError(f"{self.name}: its workers did not warm up within 600 s")

    def _announced(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        found = re.search(r"listening at (http://\S+/)", line)
        if not found:
            raise RuntimeError(f"{self.name} did not start: {line!r}")
        return found.group(1) + "sparql"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._log.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def evidencegraph_server(store: Path, cache: bool, timeout: float, log: Path) -> Server:
    command = [
        sys.executable, "-m", "evidencegraph", "--store", f"oxigraph:{store}", "serve",
        "--port", "0", "--timeout", str(timeout),
    ]  # fmt: skip
    if not cache:
        command += ["--cache-size", "0"]
    name = "evidencegraph serve" + ("" if cache else " --cache-size 0")
    server = Server(name, command, None, log)
    server.await_warm(WORKERS)
    return server


def oxigraph_server(store: Path, log: Path) -> Server:
    command_path = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    port = free_port()
    command = [
        command_path,
        "serve-read-only",
        "--location",
        str(store),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    return Server("oxigraph serve-read-only", command, f"http://127.0.0.1:{port}/query", log)


def check_answer(server: Server, query: str) -> int:
    """The flagship's row count from ``server`` (every server must give the same)."""
    answer = requests.post(
        server.endpoint,
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": ACCEPT},
        timeout=600,
    )
    answer.raise_for_status()
    return len(answer.json()["results"]["bindings"])


def load(server: Server, query_file: Path, seconds: int, connections: int, work: Path) -> Figures:
    """wrk with ``connections`` clients for ``seconds`` on the flagship query, and the CPU the
    server spent meanwhile."""
    script = work / "flagship.lua"
    script.write_text(_WRK_SCRIPT % {"accept": ACCEPT}, encoding="utf-8")
    cpu = tree_cpu_seconds(server.process.pid)
    completed = subprocess.run(
        [
            "wrk", "--threads", "2", "--connections", str(connections), "--duration",
            f"{seconds}s", "--timeout", "120s", "--script", str(script), server.endpoint,
        ],
        capture_output=True, text=True, check=True,
        env={**os.environ, "EG_QUERY_FILE": str(query_file)},
    )  # fmt: skip
    cpu = tree_cpu_seconds(server.process.pid) - cpu
    line = next(text for text in completed.stdout.splitlines() if text.startswith("{"))
    return Figures(**json.loads(line), cpu_seconds=cpu)


def slow_query_in_background(endpoint: str) -> threading.Thread:
    """Send the never-ending query; its answer (a timeout, or the server stopping) is ignored."""

    def send() -> None:
        with contextlib.suppress(requests.RequestException):
            requests.post(endpoint, data={"query": SLOW_QUERY}, timeout=3600)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    time.sleep(1.0)  # let it reach a worker (or a thread) and start burning
    return thread


def run(args: argparse.Namespace) -> str:
    sys.path.insert(0, str(HERE))
    from synthetic import build_store  # type: ignore[import-not-found]

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="eg-bench-server-"))
    store_dir = args.store_dir or work / "store"
    store = store_dir / f"studies-{args.studies}.db"
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
        if not store.exists():
            print(f"building a store of {args.studies:,} synthetic studies in {store} ...")
            triples, seconds = build_store(store, args.studies)
            print(f"  {triples:,} triples in {seconds:.0f} s")
        triples = len(ox.Store.read_only(str(store)))
        query_file = work / "flagship.rq"
        query_file.write_text(flagship_text(), encoding="utf-8")
        query = query_file.read_text(encoding="utf-8")

        cases: dict[str, list[Figures]] = {}
        rows: dict[str, int] = {}
        starters = {
            "evidencegraph, cache": lambda log: evidencegraph_server(store, True, 3600, log),
            "evidencegraph, no cache": lambda log: evidencegraph_server(store, False, 3600, log),
            "oxigraph serve-read-only": lambda log: oxigraph_server(store, log),
        }
        for slow in (False, True):
            for round_ in range(args.rounds):
                for name, start in starters.items():
                    if round_ and name == "evidencegraph, cache":
                        continue  # answered from memory: once says it
                    label = name + (SLOW_SUFFIX if slow else "")
                    server = start(work / f"{sum(map(len, cases.values()))}.log")
                    try:
                        rows[label] = check_answer(server, query)  # also warms caches
                        if slow:
                            slow_query_in_background(server.endpoint)
                        cached = name == "evidencegraph, cache"
                        seconds = args.seconds if cached else args.uncached_seconds
                        figures = load(server, query_file, seconds, args.connections, work)
                    finally:
                        server.stop()
                    cases.setdefault(label, []).append(figures)
                    print(
                        f"  {label:<50} {figures.per_second:8.1f} req/s"
                        f"  p50 {figures.p50_ms:8.1f} ms  p99 {figures.p99_ms:8.1f} ms"
                        + (
                            ""  # the slow query's CPU is in it
                            if slow
                            else f"  CPU {figures.cpu_ms_per_answer:7.1f} ms/answer"
                        )
                        + f"  errors {figures.failed}  rows {rows[label]}",
                        flush=True,
                    )
        if len(set(rows.values())) != 1:
            raise SystemExit(f"the servers disagree on the flagship's rows: {rows}")
        return report(args, triples, next(iter(rows.values())), cases)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(
    args: argparse.Namespace, triples: int, rows: int, cases: dict[str, list[Figures]]
) -> str:
    command = (
        f"python bench/server.py --studies {args.studies} --seconds {args.seconds} "
        f"--uncached-seconds {args.uncached_seconds} --rounds {args.rounds} --store-dir DIR "
        "--write docs/benchmarks.md"
    )
    lines = [
        BEGIN,
        "## Server: the flagship query over HTTP",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; pyoxigraph {version('pyoxigraph')}, oxigraph (CLI) "
        f"{version('oxigraph')}, waitress {version('waitress')}, werkzeug {version('werkzeug')}; "
        f"wrk {wrk_version()}.",
        "",
        f"{args.studies:,} synthetic studies ({triples:,} triples, bench/synthetic.py) in the "
        f"on-disk store; the flagship query (`drug-with-psychotherapy`, drug bound to ketamine "
        f"by VALUES in the text, {rows:,} rows) POSTed as `application/sparql-query`, answered as "
        f"SPARQL JSON, by wrk with {args.connections} connections on loopback (wrk is C; a "
        "Python load generator on the same 2 cores would take their time from the servers). "
        "One server at a time; `evidencegraph serve` with its defaults (2 worker processes). "
        "The slow query is a cross product of every triple with every other, sent just before "
        "the load and still running throughout it.",
        "",
        f"The uncached cases run {args.rounds} times, alternately (evidencegraph, then Oxigraph, "
        f"then again), {args.uncached_seconds} s each: on this shared virtual machine one run "
        "can differ from the next by a quarter. Each figure is the median over the rounds "
        "(requests/s of every round in brackets); the ratio is the median of each round's "
        "ratio to the Oxigraph run beside it, in the same scenario (with or without the slow "
        "query). CPU is what the server's processes (for evidencegraph, the HTTP process and "
        "its workers) spent during the load, per answer.",
        "",
        "| server | requests/s | p50 | p99 | CPU per answer | errors | requests/s vs Oxigraph |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, runs in cases.items():
        scenario = SLOW_SUFFIX if label.endswith(SLOW_SUFFIX) else ""
        base = cases["oxigraph serve-read-only" + scenario]
        if len(runs) == len(base):  # round by round, each against the Oxigraph run beside it
            paired = zip(runs, base, strict=True)
            ratio = median([ours.per_second / theirs.per_second for ours, theirs in paired])
        else:
            ratio = median([r.per_second for r in runs]) / median([r.per_second for r in base])
        each = ", ".join(f"{r.per_second:,.1f}" for r in runs)
        lines.append(
            f"| {label} | {median([r.per_second for r in runs]):,.1f}"
            + (f" ({each})" if len(runs) > 1 else "")
            + f" | {median([r.p50_ms for r in runs]):,.1f} ms"
            f" | {median([r.p99_ms for r in runs]):,.1f} ms"
            + (  # the slow query's CPU is in it: not the answers' own
                " | -" if scenario else f" | {median([r.cpu_ms_per_answer for r in runs]):,.1f} ms"
            )
            + f" | {sum(r.failed for r in runs)} | {ratio:.2f}× |"
        )
    lines += ["", END]
    return "\n".join(lines)


def wrk_version() -> str:
    # `wrk --version` prints its banner and usage, and exits 1
    banner = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return banner.split()[1] if len(banner.split()) > 1 else "?"


def write_section(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8")
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000, help="synthetic studies (N)")
    parser.add_argument(
        "--store-dir", type=Path, help="keep the store here and reuse it (built if missing)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="load per cached case")
    parser.add_argument(
        "--uncached-seconds", type=int, default=20, help="load per uncached and Oxigraph case"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each uncached case, alternately"
    )
    parser.add_argument("--write", type=Path, help="replace this file's server section")
    args = parser.parse_args()
    section = run(args)
    print()
    print(section)
    if args.write:
        write_section(args.write, section)


if __name__ == "__main__":
    main()
