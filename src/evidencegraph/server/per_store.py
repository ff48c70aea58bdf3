"""What a worker works out once from the store it holds and keeps until the store changes.

A value (the search index, the study table) can be built when it is first used, or in the
background as soon as the worker starts (:func:`warm_up`), so that the first user does not
wait for it. Until a background build is done, :meth:`PerStore.ready` answers None and the
caller answers another way (by SPARQL). A build that began before the store changed
(:meth:`PerStore.forget`) may have read the old data: it is thrown away and built again, so a
value is never older than the last change.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from evidencegraph.store.core import Store

T = TypeVar("T")


class PerStore(Generic[T]):
    """One value per store, built by ``build`` on first use or in the background, and dropped
    by :meth:`forget` (the store changed: it is built again). A worker holds one store for its
    life; the value goes with the store."""

    def __init__(self, build: Callable[[Store], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._built: weakref.WeakKeyDictionary[Store, T] = weakref.WeakKeyDictionary()
        #: how many times each store was forgotten: a build keeps its value only if the
        #: store did not change while it read it
        self._changes: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
        #: the stores whose value a background build will bring
        self._pending: weakref.WeakSet[Store] = weakref.WeakSet()

    def of(self, store: Store) -> T:
        """The value for ``store``, built now if there is none (also while a background
        build is under way: a caller that cannot wait asks :meth:`ready`)."""
        while True:
            with self._lock:
                found = self._built.get(store)
                if found is not None:
                    return found
                changes = self._changes.get(store, 0)
            value = self._build(store)
            if self._keep(store, value, changes):
                return value

    def ready(self, store: Store) -> T | None:
        """The value for ``store``; None while a background build of it is under way (the
        caller answers without it); built now when there is none and none is coming."""
        with self._lock:
            found = self._built.get(store)
            if found is not None or store in self._pending:
                return found
        return self.of(store)

    def forget(self, store: Store) -> None:
        """Drop the value for ``store`` (it changed); a build under way is built again."""
        with self._lock:
            self._built.pop(store, None)
            self._changes[store] = self._changes.get(store, 0) + 1

    def pend(self, store: Store) -> bool:
        """Say that a background build (:meth:`settle`) will bring the value for ``store``;
        False when one is coming already or the value is there (nothing to do)."""
        with self._lock:
            if store in self._pending or store in self._built:
                return False
            self._pending.add(store)
            return True

    def settle(self, store: Store) -> None:
        """Build the value for ``store`` (after :meth:`pend`), again while the store changes
        under the build. A build that fails is reported on stderr and left to the next use,
        which builds it again and answers the error."""
        try:
            while True:
                with self._lock:
                    if store in self._built:
                        self._pending.discard(store)
                        return
                    changes = self._changes.get(store, 0)
                value = self._build(store)
                # kept and no longer pending at once: a change after this builds it again
                if self._keep(store, value, changes, settled=True):
                    return
        except Exception:  # the worker goes on answering; the next use builds it
            traceback.print_exc(file=sys.stderr)
            with self._lock:
                self._pending.discard(store)

    def _keep(self, store: Store, value: T, changes: int, *, settled: bool = False) -> bool:
        """Keep ``value`` for ``store`` if the store did not change since the build began
        (``settled``: and the background build is done)."""
        with self._lock:
            if self._changes.get(store, 0) != changes:
                return False
            self._built.setdefault(store, value)
            if settled:
                self._pending.discard(store)
            return True


#: How much nicer the warm-up thread is than the worker: under load, its jobs get the CPU first.
WARM_UP_NICENESS = 10


def _yield_to_jobs() -> None:
    """Lower the CPU priority of this thread alone (on Linux a thread's nice value is its own):
    a worker started while every core is busy answering queries (a successor to one demoted
    or killed) builds its values from what the queries leave, rather than taking a core from
    them for tens of seconds; meanwhile it answers by SPARQL. Where it cannot be done, the
    build goes on at the worker's priority."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            thread = threading.get_native_id()
            niceness = os.getpriority(os.PRIO_PROCESS, thread) + WARM_UP_NICENESS
            os.setpriority(os.PRIO_PROCESS, thread, min(19, niceness))


def warm_up(
    store: Store, values: Sequence[PerStore[Any]], done: Callable[[float], None] | None = None
) -> threading.Thread | None:
    """Build each of ``values`` for ``store`` on a thread of its own, at a lower priority than
    the worker's jobs (:func:`_yield_to_jobs`), one after the other, those that no build is
    bringing already; then call ``done`` with the seconds it took. The thread, or None when
    there was nothing to build."""
    started = [value for value in values if value.pend(store)]
    if not started:
        return None

    def build_all() -> None:
        began = time.monotonic()
        _yield_to_jobs()
        for value in started:
            value.settle(store)
        if done is not None:
            done(time.monotonic() - began)

    thread = threading.Thread(target=build_all, name="evidencegraph-warm-up", daemon=True)
    thread.start()
    return thread
