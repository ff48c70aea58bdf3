"""Open a store by its descriptor: ``oxigraph:PATH``, ``memory:``, ``sparql:URL``.

The table maps a descriptor's scheme to the backend that opens it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evidencegraph.errors import StoreError, UsageError
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.store.defaults import DEFAULT_DESCRIPTOR, DEFAULT_PATH, resolve_descriptor

# --- the registry: descriptor scheme -> factory --------------------------------

_BACKENDS: dict[str, Callable[[str, bool], Store]] = {
    "oxigraph": lambda rest, read_only: _open_on_disk(rest or DEFAULT_PATH, read_only),
    "memory": lambda rest, read_only: OxigraphStore(None),
    "sparql": lambda rest, read_only: _open_sparql(rest, read_only),
}


def _open_on_disk(path: str, read_only: bool) -> OxigraphStore:
    """``oxigraph:PATH``; to write, only while no ``evidencegraph serve`` reads the store
    (store/serving_guard.py): a server would go on answering from the old data."""
    from evidencegraph.store.serving_guard import guard_writer, served_by

    try:
        store = OxigraphStore(path, read_only=read_only)
    except StoreError:
        server = None if read_only or not Path(path).is_dir() else served_by(Path(path))
        if server is None:
            raise
        raise StoreError(
            f"the store oxigraph:{path} is open to write in {server}: send it SPARQL Update, "
            "or stop it, write, then start it again"
        ) from None
    if not read_only:
        try:
            store._guard = guard_writer(Path(path), store.descriptor)
        except StoreError:
            store.close()
            raise
    return store


def _open_sparql(rest: str, read_only: bool) -> Store:
    """``sparql:URL`` (store/sparql_store.py), imported when used: the embedded backends
    need no HTTP client."""
    from evidencegraph.store.sparql_store import SparqlStore

    return SparqlStore.open(rest, read_only=read_only)


def open_store(descriptor: str | None = None, *, read_only: bool = False) -> Store:
    """Open the store a descriptor names, such as ``oxigraph:./kg.db`` or ``memory:``.

    Raises UsageError for an unknown scheme and StoreError when the store
    cannot be opened (unwritable path, locked by another process).
    """
    text = resolve_descriptor(descriptor)
    scheme, separator, rest = text.partition(":")
    if not separator or scheme not in _BACKENDS:
        known = ", ".join(f"{name}:" for name in sorted(_BACKENDS))
        raise UsageError(
            f"unknown store descriptor {text!r}: use one of {known} "
            f"(for example {DEFAULT_DESCRIPTOR} or memory:)"
        )
    return _BACKENDS[scheme](rest, read_only)
