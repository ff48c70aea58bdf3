"""``diff``: the statements added and removed between two dumps, or a count of them per class
(and per named graph).

A statement is compared with its graph: the view's files (Turtle, N-Triples) hold only the
default graph, a dump's graphs file (N-Quads) or any TriG/N-Quads file its named graphs too,
so the graphs files of two dumps compare graph by graph. Both inputs are parsed whole (and
their lines sorted, on disk past a memory budget) before the first difference is reported, so
a file that is not RDF stops the diff with no output. Blank nodes are compared by label: two
dumps of this project label them canonically.
"""

from __future__ import annotations

import gzip
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from evidencegraph.errors import InputError
from evidencegraph.publish.sorted_turtle import sort_lines, split_triple
from evidencegraph.rdf.files import file_iri, syntax_for
from evidencegraph.rdf.terms import RDF_TYPE

#: The class a triple is counted under when neither dump gives its subject a type.
UNTYPED = "(untyped)"
#: The row of a per-graph summary for statements in no named graph.
DEFAULT_GRAPH = "(default graph)"


@dataclass
class DumpContent:
    """One dump: its statements as sorted N-Quads lines (a statement of the default graph is
    an N-Triples line), and the types of its subjects."""

    lines: Iterator[bytes]
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass(frozen=True)
class ClassChange:
    """Triples added and removed about the instances of one class."""

    class_iri: str
    added: int
    removed: int


@dataclass(frozen=True)
class GraphChange:
    """Statements added to and removed from one named graph (or the default graph)."""

    graph: str
    added: int
    removed: int


def read_dump(path: Path, scratch: Path, syntax: str | None = None) -> DumpContent:
    """Parse a dump (N-Triples, Turtle or any syntax ``load`` reads; ``.gz`` is unpacked).
    Relative IRIs resolve against the file's location, as ``load`` resolves them.

    The whole file is parsed before this returns. Raises InputError naming the file, and the
    line and column of a syntax error; UsageError when the syntax cannot be told.
    """
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    rdf_format = syntax_for(Path(name), syntax)
    content = DumpContent(iter(()))
    try:
        with _open(path) as handle:
            parsed = _parse(handle, rdf_format, str(path), content, file_iri(path))
            lines = sort_lines(parsed, scratch)
            first = next(lines, None)  # sort_lines reads all of its input before the first line
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    except (EOFError, zlib.error) as error:
        raise InputError(
            f"{path}: not a complete gzip file ({error}); give an uncompressed dump or "
            "the .gz file `evidencegraph dump` wrote"
        ) from None
    content.lines = _prepend(first, lines)
    return content


def diff_lines(old: DumpContent, new: DumpContent) -> Iterator[tuple[str, bytes]]:
    """``("-", line)`` for each triple only in ``old``, ``("+", line)`` for each only in
    ``new``, in the order of the lines."""
    removed, added = next(old.lines, None), next(new.lines, None)
    while removed is not None or added is not None:
        if added is None or (removed is not None and removed < added):
            yield "-", removed  # type: ignore[misc]
            removed = next(old.lines, None)
        elif removed is None or added < removed:
            yield "+", added
            added = next(new.lines, None)
        else:
            removed, added = next(old.lines, None), next(new.lines, None)


def summarise(old: DumpContent, new: DumpContent) -> list[ClassChange]:
    """Added and removed statements counted per class of their subject (typed in either dump;
    a subject of several classes counts in each), sorted by class IRI, untyped last."""
    return summarise_changes(old, new)[0]


def summarise_changes(
    old: DumpContent, new: DumpContent
) -> tuple[list[ClassChange], list[GraphChange]]:
    """In one pass: the changes per class (as :func:`summarise`), and per graph, sorted by
    graph name, the default graph first; the second is empty when no named graph changed."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    graphs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sign, line in diff_lines(old, new):
        side = 0 if sign == "+" else 1
        subject = split_triple(line.decode("utf-8"))[0]
        classes = old.types.get(subject, set()) | new.types.get(subject, set())
        for class_term in classes or {UNTYPED}:
            counts[class_term][side] += 1
        graphs[_graph_of(line)][side] += 1
    by_class = [
        ClassChange(_unbracket(term), added, removed)
        for term, (added, removed) in sorted(counts.items(), key=lambda item: _order(item[0]))
    ]
    if set(graphs) <= {DEFAULT_GRAPH}:
        return by_class, []
    by_graph = [
        GraphChange(_unbracket(name), added, removed)
        for name, (added, removed) in sorted(
            graphs.items(), key=lambda item: (item[0] != DEFAULT_GRAPH, item[0])
        )
    ]
    return by_class, by_graph


def _graph_of(line: bytes) -> str:
    """The graph name of one N-Quads line, in N-Triples form, or :data:`DEFAULT_GRAPH`."""
    quad = next(iter(ox.parse(line, format=ox.RdfFormat.N_QUADS)))
    graph = quad.graph_name
    return DEFAULT_GRAPH if isinstance(graph, ox.DefaultGraph) else str(graph)


def _parse(
    handle: IO[bytes], rdf_format: ox.RdfFormat, name: str, into: DumpContent, base_iri: str
) -> Iterator[bytes]:
    try:
        for quad in ox.parse(handle, format=rdf_format, base_iri=base_iri):
            if quad.predicate == RDF_TYPE:
                into.types[str(quad.subject)].add(str(quad.object))
            # a quad of the default graph is written as a triple: files of triples and files
            # of quads compare statement by statement
            yield f"{quad} .\n".encode()
    except SyntaxError as error:
        where = f"{name}:{error.lineno}:{error.offset}" if error.lineno else name
        raise InputError(
            f"{where}: not RDF in the syntax its name says ({error.msg or error}). "
            "Give a dump written by `evidencegraph dump` (.ttl, .nt, .nt.gz or .nq.gz), "
            "or fix the file there."
        ) from None


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _prepend(first: bytes | None, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first is not None:
        yield first
        yield from rest


def _order(term: str) -> tuple[bool, str]:
    return term == UNTYPED, term


def _unbracket(term: str) -> str:
    return term[1:-1] if term.startswith("<") else term
