"""What a worker works out once from the store it holds and keeps until the store changes."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from evidencegraph.store.core import Store

T = TypeVar("T")


class PerStore(Generic[T]):
    """One value per store, built by ``build`` on first use and dropped by :meth:`forget`
    (the store changed: the next use builds it again). A worker holds one store for its life;
    the value goes with the store."""

    def __init__(self, build: Callable[[Store], T]) -> None:
        self._build = build
        self._built: weakref.WeakKeyDictionary[Store, T] = weakref.WeakKeyDictionary()

    def of(self, store: Store) -> T:
        """The value for ``store``, built now if there is none."""
        found = self._built.get(store)
        if found is None:
            found = self._built[store] = self._build(store)
        return found

    def forget(self, store: Store) -> None:
        """Drop the value for ``store``."""
        self._built.pop(store, None)
