"""Hostile-input benchmark: an ordinary cached query while two clients send deeply nested ones.

`evidencegraph serve` runs on the curated evidence (built into a temporary store), with its
defaults. One client sends an ordinary, cached query (the number of triples) again and again
and records each latency: first alone for ``--seconds`` (the baseline), then for as long again
while two other clients send, in turn, the deeply nested queries of issue 13 point 2 (5,000
nested groups, a 10,000-term expression, 5,000 nested OPTIONALs, 5,000 nested sub-selects,
10,000 UNION branches) as fast as they are answered. Reported: the cached query's median and
p95 in both phases and their ratio, the hostile requests sent and the statuses they got, and
the CPU time the server's processes (itself, its fork server and workers, the ones that died
included) spent in the attack phase, in all and per hostile request. The clients share the
machine's cores with the server: the faster hostile requests are answered, the more of them
come, and the more CPU the clients themselves take.

Then (issue 13 point 3) the cross product of every triple with every other, ORDER BY both
objects, on a server with its defaults: its status, how long it took, and the largest resident
memory of any of the server's processes while it ran (sampled every 50 ms).

Run:  python bench/hostile_server.py --seconds 10 --label after --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from common import machine, p95, replace_section, tree_cpu_seconds  # noqa: E402
from server_support import EvidenceServerProcess, build_curated_store  # noqa: E402

ORDINARY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
HOSTILE = {
    "5,000 nested groups": "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
    "10,000-term expression": "SELECT * WHERE { ?s ?p ?o FILTER("
    + " + ".join(["?o"] * 10000)
    + " > 0) }",
    "5,000 nested OPTIONALs": "SELECT * WHERE { ?s ?p ?o "
    + "OPTIONAL { ?s ?p ?o " * 5000
    + "}" * 5000
    + " }",
    "5,000 nested sub-selects": "SELECT * WHERE "
    + "{ SELECT * WHERE " * 5000
    + "{ ?s ?p ?o }"
    + " }" * 5000,
    "10,000 UNION branches": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10000) + " }",
}


def _ordinary(endpoint: str, seconds: float) -> list[float]:
    """Latencies (ms) of the cached query sent back to back for ``seconds``."""
    session = requests.Session()
    latencies = []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        started = time.perf_counter()
        answer = session.post(
            endpoint,
            data={"query": ORDINARY},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        latencies.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return latencies


def _hostile(endpoint: str, until: float, statuses: collections.Counter[str]) -> None:
    session = requests.Session()
    texts = list(HOSTILE.values())
    index = 0
    while time.monotonic() < until:
        try:
            answer = session.post(
                endpoint,
                data=texts[index % len(texts)].encode(),
                headers={"Content-Type": "application/sparql-query"},
                timeout=60,
            )
            statuses[str(answer.status_code)] += 1
        except requests.RequestException as error:
            statuses[type(error).__name__] += 1
        index += 1


#: Sorted by an expression, which only the engine sorts, holding every row at once; sorted by
#: plain variables it would stream to the row cap instead (decision 0032).
MEMORY_HOG = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY STR(?c) ?f"


def _tree_pids(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending.extend(int(child) for child in children)
    return pids


def _rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_hog(endpoint: str, server_pid: int) -> dict[str, object]:
    """The cross-product query's status, seconds and the peak RSS (MiB) of any server process."""
    result: dict[str, object] = {}

    def send() -> None:
        started = time.perf_counter()
        answer = requests.post(endpoint, data={"query": MEMORY_HOG}, timeout=120)
        result.update(status=answer.status_code, seconds=time.perf_counter() - started)
        result["message"] = answer.text.strip()[:120]

    sender = threading.Thread(target=send)
    sender.start()
    peak = 0.0
    while sender.is_alive():
        peak = max([peak, *(_rss_mib(pid) for pid in _tree_pids(server_pid))])
        time.sleep(0.05)
    sender.join()
    result["peak_mib"] = peak
    return result


def run(seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        store = build_curated_store(Path(folder) / "evidencegraph.db")
        with EvidenceServerProcess(store) as server:
            _ordinary(server.endpoint, 1.0)  # warm: the answer is in the cache from here on
            alone = _ordinary(server.endpoint, seconds)
            statuses: collections.Counter[str] = collections.Counter()
            until = time.monotonic() + seconds
            clients = [
                threading.Thread(target=_hostile, args=(server.endpoint, until, statuses))
                for _ in range(2)
            ]
            cpu_before = tree_cpu_seconds(server.process.pid)
            for client in clients:
                client.start()
            attacked = _ordinary(server.endpoint, seconds)
            for client in clients:
                client.join()
            cpu = tree_cpu_seconds(server.process.pid) - cpu_before
            log_lines = len(server.log().splitlines())
            hog = memory_hog(server.endpoint, server.process.pid)
    return {
        "alone_p50": statistics.median(alone),
        "alone_p95": p95(alone),
        "attacked_p50": statistics.median(attacked),
        "attacked_p95": p95(attacked),
        "ordinary_requests": len(attacked),
        "hostile": dict(statuses),
        "server_cpu": cpu,
        "hog": hog,
        "log_lines": log_lines,
    }


def section(label: str, seconds: float, figures: dict[str, object], command: str) -> str:
    begin, end = f"<!-- hostile-server-{label}:begin -->", f"<!-- hostile-server-{label}:end -->"
    alone, attacked = figures["alone_p50"], figures["attacked_p50"]
    assert isinstance(alone, float) and isinstance(attacked, float)
    hostile = ", ".join(f"{status}: {n}" for status, n in sorted(figures["hostile"].items()))  # type: ignore[attr-defined]
    return "\n".join(
        [
            begin,
            f"### Hostile queries against the server ({label})",
            "",
            f"`{command}` on {machine()}. The cached query `{ORDINARY}` alone, then while two",
            f"clients send deeply nested queries for {seconds:g} s (issue 13 point 2):",
            "",
            "| | p50 ms | p95 ms |",
            "|---|---|---|",
            f"| cached query alone | {alone:.1f} | {figures['alone_p95']:.1f} |",
            f"| cached query, two hostile clients | {attacked:.1f} "
            f"| {figures['attacked_p95']:.1f} |",
            f"| ratio | {attacked / alone:.1f}x | |",
            "",
            f"Hostile requests answered by status: {hostile}; ordinary requests during the attack: "
            f"{figures['ordinary_requests']}; lines the server wrote on stderr during the attack: "
            f"{figures['log_lines']}. CPU time of the server's processes during the attack: "
            f"{figures['server_cpu']:.1f} s, "
            f"{1000 * figures['server_cpu'] / max(1, sum(figures['hostile'].values())):.1f} ms "  # type: ignore[operator, attr-defined]
            "per hostile request.",
            "",
            f"The cross product `{MEMORY_HOG}` (issue 13 point 3): status "
            f"{figures['hog']['status']} after {figures['hog']['seconds']:.1f} s, peak resident "  # type: ignore[index]
            f"memory of a server process {figures['hog']['peak_mib']:,.0f} MiB "  # type: ignore[index]
            f'("{figures["hog"]["message"]}").',  # type: ignore[index]
            end,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--label", default="after", help="names the section written")
    parser.add_argument("--write", type=Path, help="docs/benchmarks.md to update")
    options = parser.parse_args()
    figures = run(options.seconds)
    command = (
        f"python bench/hostile_server.py --seconds {options.seconds:g} --label {options.label}"
    )
    text = section(options.label, options.seconds, figures, command)
    print(text)
    if options.write:
        replace_section(options.write, *text.splitlines()[:1], text.splitlines()[-1], text)


if __name__ == "__main__":
    main()
