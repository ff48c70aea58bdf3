"""Open a store by its descriptor: ``oxigraph:PATH``, ``memory:``, ``sparql:URL``, or a
scheme another package registers.

As rdflib's ``plugin.py`` does for its stores: a built-in table maps a descriptor's scheme to
the factory that opens it; another package adds a backend by an entry point in the
``evidencegraph.stores`` group (name: the scheme, value: ``module:factory``), or a program by
:func:`register_store`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from evidencegraph.errors import StoreError, UsageError
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.store.defaults import DEFAULT_DESCRIPTOR, DEFAULT_PATH, resolve_descriptor

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

#: The entry-point group through which another package registers a store backend: the
#: entry point's name is the descriptor scheme, its value ``module:factory``.
ENTRY_POINT_GROUP = "evidencegraph.stores"

#: What opens a store: given the descriptor's text after ``scheme:`` and whether to open it
#: read-only, the open store; raises StoreError when it cannot be opened.
StoreFactory = Callable[[str, bool], Store]

#: The backends this package ships, by descriptor scheme.
BUILTIN: dict[str, StoreFactory] = {
    "oxigraph": lambda rest, read_only: _open_on_disk(rest or DEFAULT_PATH, read_only),
    "memory": lambda rest, read_only: OxigraphStore(None),
    "sparql": lambda rest, read_only: _open_sparql(rest, read_only),
}

#: Backends registered at run time (:func:`register_store`).
_REGISTERED: dict[str, StoreFactory] = {}


def register_store(scheme: str, factory: StoreFactory) -> None:
    """Make ``scheme:REST`` descriptors open stores by ``factory`` (in this process; another
    package can instead declare an entry point in the ``evidencegraph.stores`` group). A
    later registration of a scheme replaces the earlier; a built-in scheme cannot be taken."""
    if not scheme or not scheme.isidentifier():
        raise ValueError(f"a store scheme is a name such as 'mystore', not {scheme!r}")
    if scheme in BUILTIN:
        raise ValueError(f"the store scheme {scheme!r} is built in")
    _REGISTERED[scheme] = factory


def _entry_points() -> dict[str, EntryPoint]:
    # imported here: importlib.metadata costs ~10 ms, which the built-in schemes never pay
    from importlib.metadata import entry_points

    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def store_schemes() -> list[str]:
    """Every descriptor scheme a store can be opened by: built in, entry points, registered."""
    return sorted({*BUILTIN, *_entry_points(), *_REGISTERED})


def _factory(scheme: str) -> StoreFactory | None:
    """The factory for a scheme: built in, else registered, else an entry point (loaded)."""
    if scheme in BUILTIN:
        return BUILTIN[scheme]
    if scheme in _REGISTERED:
        return _REGISTERED[scheme]
    point = _entry_points().get(scheme)
    if point is None:
        return None
    try:
        factory = point.load()
    except Exception as error:
        raise UsageError(
            f"the store backend {scheme!r} (entry point {point.value} in the "
            f"{ENTRY_POINT_GROUP} group) cannot be loaded: {error}; reinstall the package that "
            "provides it"
        ) from None
    if not callable(factory):
        raise UsageError(
            f"the store backend {scheme!r} (entry point {point.value}) is not a factory: "
            "it must be callable as factory(rest, read_only) and return a Store"
        )
    return cast(StoreFactory, factory)


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
    factory = _factory(scheme) if separator else None
    if factory is None:
        known = ", ".join(f"{name}:" for name in store_schemes())
        raise UsageError(
            f"unknown store descriptor {text!r}: use one of {known} "
            f"(for example {DEFAULT_DESCRIPTOR} or memory:)"
        )
    store = factory(rest, read_only)
    if not isinstance(store, Store):
        raise UsageError(
            f"the store backend {scheme!r} gave {type(store).__name__}, not a Store: "
            "a backend subclasses evidencegraph.store.core.Store"
        )
    return store
