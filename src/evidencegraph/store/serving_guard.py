"""A store being served is not written by another process: the guard file both sides lock.

``evidencegraph serve`` reads an on-disk store in worker processes that open it read-only.
pyoxigraph calls reading a store that another process writes undefined behaviour, and a
read-only store does not see later commits: a ``load`` or ``import`` beside a running server
would leave it answering from the old data, silently. So the server holds a shared lock on
``evidencegraph-serve.lock`` in the store's directory for as long as it runs, and a process
that opens the store to write takes an exclusive lock on the same file: whichever comes
second is refused with a message naming the other (exit 3). The operating system drops the
locks of a process that dies, so a crashed server never blocks a write.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path
from typing import IO

from evidencegraph.errors import StoreError

#: The guard file, inside the store's directory (RocksDB leaves files it does not know alone).
GUARD_NAME = "evidencegraph-serve.lock"


class Guard:
    """A lock held on a store's guard file; :meth:`release` (or closing the process) drops it."""

    def __init__(self, handle: IO[str] | None) -> None:
        self._handle = handle

    def announce(self, url: str) -> None:
        """Write the server's pid and URL into the guard file, for writers' messages."""
        if self._handle is not None:
            _note(self._handle, {"pid": os.getpid(), "url": url, "since": time.time()})

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file drops its lock
            self._handle = None


def _holder(path: Path) -> dict[str, object]:
    try:
        return dict(json.loads((path / GUARD_NAME).read_text(encoding="utf-8") or "{}"))
    except (OSError, ValueError, TypeError):
        return {}


def _describe(holder: dict[str, object]) -> str:
    details = [f"pid {holder['pid']}"] if "pid" in holder else []
    if holder.get("url"):
        details.append(str(holder["url"]))
    return f" ({', '.join(details)})" if details else ""


def _lock(path: Path, mode: int) -> IO[str] | None:
    """The guard file opened and locked with ``mode``; None when it was not free."""
    handle = (path / GUARD_NAME).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _note(handle: IO[str], holder: dict[str, object]) -> None:
    """Say who holds the lock, for the message the other side shows."""
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(holder))
    handle.flush()


def guard_writer(path: Path, descriptor: str) -> Guard:
    """An exclusive lock for a process about to write the store at ``path``.

    Raises StoreError naming the server when ``evidencegraph serve`` has the store open.
    A store directory that cannot hold the guard file cannot be written either: no lock.
    """
    try:
        handle = _lock(path, fcntl.LOCK_EX)
    except OSError:
        return Guard(None)
    if handle is None:
        raise StoreError(
            f"the store {descriptor} is being served by `evidencegraph serve`"
            f"{_describe(_holder(path))}, which reads it and would go on answering from the "
            "old data: stop the server, write, then start it again (a server started with "
            "--allow-update takes SPARQL Update itself)"
        )
    _note(handle, {"pid": os.getpid(), "command": " ".join(sys.argv[:3])})
    return Guard(handle)


def served_by(path: Path) -> str | None:
    """Who serves the store at ``path`` (pid and URL), or None when no server holds it."""
    try:
        handle = _lock(path, fcntl.LOCK_EX)
    except OSError:
        return None
    if handle is not None:
        handle.close()
        return None
    holder = _holder(path)
    if "url" not in holder:  # a writer holds it (servers say where they listen)
        return None
    return f"`evidencegraph serve`{_describe(holder)}"


def guard_server(path: Path, descriptor: str) -> Guard:
    """A shared lock for a server reading the store at ``path`` (several servers may share).

    Raises StoreError when a process has the store open to write it. A store directory the
    server cannot write in cannot be written by anyone else either: no lock then.
    """
    try:
        handle = _lock(path, fcntl.LOCK_SH)
    except OSError:
        return Guard(None)
    if handle is None:
        holder = _holder(path)
        command = f", {holder['command']}" if holder.get("command") else ""
        pid = f" (pid {holder['pid']}{command})" if "pid" in holder else ""
        raise StoreError(
            f"the store {descriptor} is being written by another process{pid}: wait until "
            "it finishes, then start the server"
        )
    return Guard(handle)
