"""Which jobs the worker pool demotes past --demote-after (decision 0013): anyone's SPARQL,
not the server's own pages. A demoted worker is retired once its job ends, and with it the
search index and the table of trials it built as it warmed up (decision 0027), so a page that
runs long while a worker warms up must not cost the worker its warm-up."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from evidencegraph.server.app import _demotable
from evidencegraph.server.evaluate import (
    Answer,
    DescriptionJob,
    GraphJob,
    QueryJob,
    ResourceJob,
    UpdateJob,
)
from evidencegraph.server.search import SearchJob
from evidencegraph.server.workers import StoreSpec, WorkerPool
from evidencegraph.store.core import Store


@dataclass(frozen=True)
class WorkerPid:
    """Answers with the worker's process id, after ``seconds``: a job that outlasts
    --demote-after without needing a store large enough to be slow."""

    seconds: float

    def run(self, store: Store) -> Answer:
        time.sleep(self.seconds)
        return Answer(200, "text/plain", str(os.getpid()).encode())


def _pid(pool: WorkerPool, job: WorkerPid, *, demote: bool) -> int:
    return int(pool.run(job, timeout=30, wait=30, demote=demote).body)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="demotion needs os.setpriority")
def test_a_long_page_keeps_its_worker_and_a_long_query_does_not(
    curated_store_path: Path,
) -> None:
    pool = WorkerPool(StoreSpec(str(curated_store_path), writable=False), 1, demote_after=0.2)
    try:
        first = _pid(pool, WorkerPid(0.0), demote=True)
        # past --demote-after, not demotable: the same worker answers the next job
        assert _pid(pool, WorkerPid(1.0), demote=False) == first
        assert pool.demoted == 0
        assert _pid(pool, WorkerPid(0.0), demote=True) == first
        # past --demote-after, demotable: retired when done, its successor answers next
        assert _pid(pool, WorkerPid(1.0), demote=True) == first
        assert _pid(pool, WorkerPid(0.0), demote=True) != first
    finally:
        pool.close()


def test_the_server_demotes_queries_and_not_its_pages() -> None:
    pages = [
        ResourceJob("https://w3id.org/evidencegraph/id/study/NCT02649231", "html", ()),
        GraphJob("https://w3id.org/evidencegraph/graph/ctgov/NCT02649231", "html", 100),
        SearchJob("KARE", "json"),
        DescriptionJob("http://127.0.0.1/", "http://127.0.0.1/sparql", "0.1.0"),
    ]
    assert not any(_demotable(job) for job in pages)
    assert _demotable(QueryJob("SELECT * WHERE { ?s ?p ?o }", (), "json", None, 0))
    assert _demotable(UpdateJob("INSERT DATA {}", "http://127.0.0.1/"))
