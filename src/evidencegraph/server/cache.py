"""A response cache bounded in bytes: the store does not change under a read-only server."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedResponse:
    """An answer as it was sent: status, media type, body, and the ETag made from the body."""

    status: int
    content_type: str
    body: bytes
    #: a strong entity tag: the body's BLAKE2b digest (the same body, the same tag)
    etag: str

    @classmethod
    def of(cls, status: int, content_type: str, body: bytes) -> CachedResponse:
        """An answer with its entity tag computed once, here."""
        return cls(status, content_type, body, entity_tag(body))


def entity_tag(body: bytes) -> str:
    """The entity tag of a body, unquoted (werkzeug quotes it in the ETag header)."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


class ResponseCache:
    """Least recently used answers, at most ``max_bytes`` of bodies in all; 0 holds nothing.

    Keys are whatever identifies an answer: the query text, its bound parameters and the
    format written. :meth:`clear` (after an update) also moves the generation on, so that an
    answer computed before the update and arriving after it is not stored.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.generation = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Hashable) -> CachedResponse | None:
        """The cached answer for ``key``, made the most recently used; None if there is none."""
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: Hashable, entry: CachedResponse, generation: int) -> None:
        """Keep ``entry`` unless it was computed before the last :meth:`clear` (``generation``
        is :attr:`generation` as read before the computation) or is larger than an eighth of
        the cache; the least recently used answers make room."""
        size = len(entry.body)
        if not self.enabled or size > self.max_bytes // 8:
            return
        with self._lock:
            if generation != self.generation:
                return
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous.body)
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        """Forget every answer (the store changed)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.generation += 1

    @property
    def size(self) -> int:
        """Bytes of bodies held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
