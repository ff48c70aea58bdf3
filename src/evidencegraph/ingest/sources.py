"""Importers as sources: what every importer provides, and the registry that names them.

A source (KGX's ``kgx/source/`` is the model) is one module that says which files it reads,
how to count and read its records within the size limits, and how to map one record to
triples with no store in sight. The CLI's ``import`` group builds one subcommand per
registered source, so a new source is one module and one registration:

* in this package, a line in :data:`BUILTIN` (``name -> "module:attribute"``);
* from another package, an entry point in the ``evidencegraph.importers`` group whose value
  is the source object, ``my_package.my_module:SOURCE``;
* at run time, :func:`register` (as rdflib's ``plugin.register`` does).

Sources are imported when first asked for, so listing the names costs no parsing library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from evidencegraph.errors import UsageError
from evidencegraph.ingest.records import Limits, Record, RecordError, count_records

if TYPE_CHECKING:  # the mappings' libraries (rdflib, pyoxigraph) load with a source, not here
    from evidencegraph.ingest.mapping import Mapped

#: The entry-point group through which another package registers a source.
ENTRY_POINT_GROUP = "evidencegraph.importers"

#: The sources this package ships: name -> "module:attribute" of the source object.
BUILTIN: dict[str, str] = {
    "ctgov": "evidencegraph.ingest.ctgov:SOURCE",
    "pubmed": "evidencegraph.ingest.pubmed:SOURCE",
}


@runtime_checkable
class Source(Protocol):
    """What the CLI and the import pipeline need of an importer."""

    #: the subcommand's name: ``evidencegraph import NAME``
    name: str
    #: the subcommand's help: a summary line, a blank line, then what PATHS may be
    description: str
    #: the file name endings a directory is searched for (lower case, with the dot)
    suffixes: tuple[str, ...]
    #: the size limits used where the caller gives none
    default_limits: Limits

    def count_records(self, files: Sequence[Path], limits: Limits) -> int:
        """About how many records ``files`` hold (for the progress bar), reading no further
        than ``limits.member`` bytes of a file."""
        ...

    def read(self, files: Iterable[Path], limits: Limits) -> Iterator[Record | RecordError]:
        """Every record of ``files`` in order, or a :class:`RecordError` for each that cannot
        be read or is past ``limits``; never raises for bad input."""
        ...

    def map(self, content: object, origin: str) -> Mapped:
        """One record's triples; raises :class:`~evidencegraph.errors.MappingError` for a
        record that cannot be mapped."""
        ...


@dataclass(frozen=True)
class RecordSource:
    """A :class:`Source` made of a reader and a mapper; records counted by a byte marker."""

    name: str
    description: str
    suffixes: tuple[str, ...]
    default_limits: Limits
    #: bytes that occur once per record in the raw input (counted to size the progress bar)
    record_marker: bytes
    reader: Callable[[Iterable[Path], Limits], Iterator[Record | RecordError]]
    mapper: Callable[[object, str], Mapped]

    def count_records(self, files: Sequence[Path], limits: Limits) -> int:
        return count_records(files, self.record_marker, limits.member)

    def read(self, files: Iterable[Path], limits: Limits) -> Iterator[Record | RecordError]:
        return self.reader(files, limits)

    def map(self, content: object, origin: str) -> Mapped:
        return self.mapper(content, origin)


#: Sources registered at run time: name -> the source, or "module:attribute" of it.
_REGISTERED: dict[str, Source | str] = {}


def register(source: Source | str, name: str | None = None) -> None:
    """Make ``source`` (or ``"module:attribute"`` naming it, imported when first used)
    available as ``evidencegraph import NAME``; a later registration of a name replaces it."""
    if isinstance(source, str):
        if name is None:
            raise ValueError("a source given as 'module:attribute' needs its name")
        _REGISTERED[name] = source
    else:
        _REGISTERED[name or source.name] = source


def _entry_point_targets() -> dict[str, str]:
    # imported here, not above: importlib.metadata costs ~10 ms, which `evidencegraph --help`
    # (it lists the import group) should not pay
    from importlib.metadata import entry_points

    return {point.name: point.value for point in entry_points(group=ENTRY_POINT_GROUP)}


def _targets() -> dict[str, Source | str]:
    """Every name and what it stands for; built-in names first, then entry points, then
    run-time registrations (an entry point cannot take a built-in name)."""
    targets: dict[str, Source | str] = dict(BUILTIN)
    for name, value in _entry_point_targets().items():
        targets.setdefault(name, value)
    targets.update(_REGISTERED)
    return targets


def source_names() -> list[str]:
    """The names of every source: built in, from entry points, registered; sorted."""
    return sorted(_targets())


def get_source(name: str) -> Source:
    """The source registered as ``name``; :class:`UsageError` when there is none, or when
    what is registered does not provide what a source must."""
    target = _targets().get(name)
    if target is None:
        known = ", ".join(source_names())
        raise UsageError(f"no importer is called {name!r}; the importers are: {known}.")
    if isinstance(target, str):
        module_name, _, attribute = target.partition(":")
        try:
            loaded: object = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise UsageError(
                f"the importer {name!r} ({target}) cannot be loaded: {error}. "
                "Is the package that provides it installed?"
            ) from None
    else:
        loaded = target
    if not isinstance(loaded, Source):
        raise UsageError(
            f"the importer {name!r} ({target}) is not a source: it needs name, description, "
            "suffixes, default_limits, count_records, read and map (evidencegraph.ingest."
            "sources.Source)."
        )
    return loaded
