"""Worker processes that hold the store open and run jobs, so that a job can be stopped.

pyoxigraph cannot cancel a running query, and a thread cannot be killed; a process can.
Each worker opens the on-disk store (read-only, or the one writable store when updates are
allowed) and runs one job at a time. A job past its deadline costs its worker: the process is
killed (a RocksDB transaction not committed is simply gone) and a fresh one started in the
background, while the other workers go on answering.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any

from evidencegraph.errors import EvidenceGraphError, StoreError
from evidencegraph.server import pages, search, trials
from evidencegraph.server.evaluate import Answer, Job, failure
from evidencegraph.server.per_store import PerStore, warm_up

#: What a worker builds from its store when it starts, in this order (the search first: it
#: is what a visitor types into at once; the counts of the busiest nodes need the table).
_PER_STORE: tuple[PerStore[Any], ...] = (search.INDEXES, trials.TABLES, pages.COUNTED)

#: How long a new worker may take to open the store.
STARTUP_SECONDS = 120.0


class PoolBusyError(Exception):
    """Every worker stayed busy for the whole wait (503)."""


class JobTimeoutError(Exception):
    """The job ran past its deadline; its worker was killed (503)."""


class WorkerLostError(Exception):
    """The worker died during the job (killed from outside, out of memory) (500).
    ``exitcode`` is the process's (negative: the signal that ended it), if known."""

    def __init__(self, exitcode: int | None = None):
        super().__init__(exitcode)
        self.exitcode = exitcode


@dataclass(frozen=True)
class StoreSpec:
    """The store every worker opens: an on-disk Oxigraph store, writable or read-only."""

    path: str
    writable: bool
    #: the most bytes of data memory a worker may use (confine.py); 0: no cap
    memory_limit: int = 0


def worker_main(connection: Connection, spec: StoreSpec) -> None:
    """A worker's life: open the store, say so, then run the jobs that come until the pipe
    closes. Ctrl-C in a terminal reaches the whole process group; the parent decides."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from evidencegraph.server.confine import confine_worker
    from evidencegraph.store.core import OxigraphStore

    confine_worker(spec.memory_limit)  # before the store starts threads

    try:
        store = OxigraphStore(spec.path, read_only=not spec.writable)
    except EvidenceGraphError as error:
        connection.send(("failed", str(error)))
        return
    connection.send(("ready", os.getpid()))
    # the search index and the study table, built now in the background rather than on the
    # first search or listing (seconds of CPU each at registry scale); until each is ready,
    # what needs it is answered by SPARQL (search.SearchJob, trials.listing)
    warm_up(store, _PER_STORE, _say_warm)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            answer = job.run(store)
        except Exception as error:  # a bug in one job must not cost the worker
            traceback.print_exc(file=sys.stderr)
            answer = failure(500, f"internal error ({type(error).__name__}): {error}")
        if answer.form == "update":  # the store changed: this worker's indexes are old
            for kept in _PER_STORE:
                kept.forget(store)
            warm_up(store, _PER_STORE)
        try:
            connection.send(answer)
        except (BrokenPipeError, OSError):
            return


def _say_warm(seconds: float) -> None:
    print(
        f"evidencegraph serve: worker {os.getpid()} has built its search index and study "
        f"table in {seconds:.1f} s",
        file=sys.stderr,
        flush=True,
    )


class _Waiter:
    """A request waiting for a worker: woken with one handed to it."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.worker: _Worker | None = None


class _Handoff:
    """Free workers, handed to waiting requests first come, first served.

    A plain queue wakes an arbitrary waiter: under load some requests then wait many times
    longer than others, and the p99 latency is several times the p50.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: collections.deque[_Worker] = collections.deque()
        self._waiting: collections.deque[_Waiter] = collections.deque()

    def put(self, worker: _Worker) -> None:
        with self._lock:
            if self._waiting:
                waiter = self._waiting.popleft()
                waiter.worker = worker
                waiter.ready.set()
            else:
                self._free.append(worker)

    def get(self, timeout: float) -> _Worker | None:
        """The next free worker within ``timeout`` seconds, or None."""
        with self._lock:
            if self._free:
                return self._free.popleft()
            waiter = _Waiter()
            self._waiting.append(waiter)
        waiter.ready.wait(timeout)
        with self._lock:
            if waiter.worker is None:  # not handed one in time: leave the line
                self._waiting.remove(waiter)
            return waiter.worker


class _Worker:
    def __init__(self, process: BaseProcess, connection: Connection):
        self.process = process
        self.connection = connection

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=30)
        self.connection.close()


def _context() -> ForkServerContext | SpawnContext:
    # A fork server forks each worker from a small process that has already imported the
    # job code: a replacement starts in milliseconds, and nothing is forked from the
    # server's own threads. Where there is none (Windows), spawn.
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # (a module missing from the build is skipped: the fork server ignores ImportError)
        context.set_forkserver_preload(
            [
                "evidencegraph.server.evaluate",
                "evidencegraph.server.pages",
                "evidencegraph.server.search",
                "evidencegraph.server.trials",
                "evidencegraph.export.formats",
            ]
        )
        return context
    return multiprocessing.get_context("spawn")


class WorkerPool:
    """``size`` workers on the store of ``spec``; :meth:`run` hands a job to a free one.

    A job still running after ``demote_after`` seconds is *demoted*: its worker goes to the
    lowest CPU priority and a fresh worker takes its place in the pool, so that short jobs keep
    every core while a long one runs (the operating system shares a core between processes,
    not between queries). The demoted worker finishes or is killed at the deadline, and is
    retired either way. At most ``size`` jobs are demoted at once; a pool on a writable store
    (one process only) demotes none. Raises StoreError when the workers cannot open the store
    (the message says why).
    """

    def __init__(self, spec: StoreSpec, size: int, *, demote_after: float | None = None):
        self.spec = spec
        self.size = size
        can_demote = not spec.writable and hasattr(os, "setpriority")
        self.demote_after = demote_after if can_demote and demote_after else None
        self._context = _context()
        self._idle = _Handoff()
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._demoted = 0
        self.restarts = 0
        try:
            for worker in [self._launch() for _ in range(size)]:
                self._await_ready(worker)
                self._idle.put(worker)
        except BaseException:
            self.close()
            raise

    def _launch(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=worker_main, args=(theirs, self.spec), name="evidencegraph-worker", daemon=True
        )
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        with self._lock:
            self._live.add(worker)
        return worker

    def _await_ready(self, worker: _Worker) -> None:
        try:
            if not worker.connection.poll(STARTUP_SECONDS):
                raise StoreError(
                    f"a worker could not open the store {self.spec.path} within "
                    f"{STARTUP_SECONDS:.0f} s"
                )
            status, detail = worker.connection.recv()
        except (EOFError, OSError):
            status, detail = "failed", "the worker process exited while opening the store"
        if status != "ready":
            self._discard(worker)
            raise StoreError(str(detail))

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._live.discard(worker)

    def run(self, job: Job, *, timeout: float, wait: float, demote: bool = True) -> Answer:
        """Run ``job`` on the first worker free within ``wait`` seconds, for at most
        ``timeout`` seconds; ``demote`` False keeps it from being demoted (the server's own
        pages: a worker demoted is retired, with what it had built for them). Raises
        PoolBusyError, JobTimeoutError (the worker is then replaced) or WorkerLostError."""
        worker = self._idle.get(timeout=wait)
        if worker is None:
            raise PoolBusyError
        healthy = demoted = False
        try:
            worker.connection.send(job)
            waited = 0.0
            patience = self.demote_after if demote else None
            if patience is not None and timeout > patience and not worker.connection.poll(patience):
                demoted = self._demote(worker)
                waited = patience
            if not worker.connection.poll(timeout - waited):
                raise JobTimeoutError
            answer: Answer = worker.connection.recv()
            healthy = True
            return answer
        except (EOFError, OSError):
            worker.process.join(timeout=1.0)  # to learn how it ended
            raise WorkerLostError(worker.process.exitcode) from None
        finally:
            if demoted:  # its successor is in the pool already
                self._discard(worker)
                with self._lock:
                    self._demoted -= 1
            elif healthy:
                self._idle.put(worker)
            else:
                self._replace(worker)

    def _demote(self, worker: _Worker) -> bool:
        """Lower ``worker``'s CPU priority and start a successor; False when the pool already
        has ``size`` demoted jobs (or is closing), and nothing was done."""
        with self._lock:
            if self._closed or self._demoted >= self.size:
                return False
            self._demoted += 1
        pid = worker.process.pid
        if pid is not None:  # (never None once started; 0 would mean this process)
            with contextlib.suppress(OSError):  # it has just exited: its answer is on the way
                os.setpriority(os.PRIO_PROCESS, pid, 19)
        threading.Thread(target=self._start_successor, daemon=True).start()
        return True

    @property
    def demoted(self) -> int:
        """Jobs running demoted now."""
        return self._demoted

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now, and start its successor on a thread of its own."""
        self._discard(worker)
        if not self._closed:
            threading.Thread(target=self._start_successor, daemon=True).start()

    def _start_successor(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                worker = self._launch()
                self._await_ready(worker)
            except (StoreError, OSError) as error:
                print(f"evidencegraph serve: cannot start a worker: {error}", file=sys.stderr)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if self._closed:
                self._discard(worker)
                return
            self.restarts += 1
            self._idle.put(worker)
            return

    def close(self) -> None:
        """Stop every worker (a job in progress is abandoned)."""
        self._closed = True
        with self._lock:
            workers = list(self._live)
            self._live.clear()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        deadline = time.monotonic() + 2.0
        for worker in workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            worker.kill()
