"""Sorted N-Triples lines, and byte-stable Turtle written from them without an rdflib graph.

Everything here works on N-Triples lines as bytes, the form pyoxigraph writes (one triple
per line, canonical N-Triples). Sorting the lines bytewise sorts the triples by subject,
then predicate, then object (each compared as its N-Triples text), and it keeps each
subject's triples together: all of them start with the same ``<subject> ``, and the lines
sharing a prefix form one run in byte order. So the Turtle writer needs only one subject's
triples at a time, whatever the size of the store.
"""

from __future__ import annotations

import heapq
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, Protocol

import pyoxigraph as ox

#: Bytes of lines held in memory before a sorted run is written to a scratch file.
SORT_BUDGET = 256 * 1024 * 1024

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Datatypes Turtle can write bare, with the lexical forms its grammar reads back unchanged.
_BARE_LITERALS: dict[str, re.Pattern[str]] = {
    f"<{_XSD}integer>": re.compile(r"[+-]?[0-9]+"),
    f"<{_XSD}decimal>": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    f"<{_XSD}boolean>": re.compile(r"true|false"),
}
#: A local name that needs no escape in a prefixed name (a safe subset of Turtle's PN_LOCAL).
_PLAIN_LOCAL = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?")
#: Objects of one predicate go on one line while it stays this short.
_LINE = 100
_OBJECT_BREAK = " ,\n        "


def sort_lines(lines: Iterable[bytes], scratch: Path, budget: int = SORT_BUDGET) -> Iterator[bytes]:
    """``lines`` (each ending in a newline) in byte order, repeats removed.

    Up to ``budget`` bytes of lines are sorted in memory; beyond that, sorted runs are
    written to temporary files in ``scratch`` and merged, so memory stays bounded whatever
    the input's size. The files are removed when the iterator is exhausted or closed.
    """
    with ExitStack() as stack:
        runs: list[BinaryIO] = []
        held: list[bytes] = []
        size = 0
        for line in lines:
            held.append(line)
            size += len(line) + 64  # the bytes object's own overhead counts too
            if size >= budget:
                held.sort()
                run = stack.enter_context(tempfile.TemporaryFile(dir=scratch))
                run.writelines(held)
                run.seek(0)
                runs.append(run)
                held, size = [], 0
        held.sort()
        merged: Iterable[bytes] = heapq.merge(held, *runs) if runs else held
        previous = None
        for line in merged:
            if line != previous:
                yield line
                previous = line


def canonical_blank_nodes(lines: list[bytes]) -> list[bytes]:
    """The triples of ``lines`` (those naming blank nodes) with the blank nodes relabelled by
    RDF Dataset Canonicalization (RDFC-1.0, labels ``c14n0``, ``c14n1`` ...).

    Isomorphic inputs get the same labels, so the same graph loaded twice (when the store
    gave its blank nodes different identifiers) dumps to the same bytes. The labels depend on
    every triple that names a blank node: change one and others may be renamed.
    """
    if not lines:
        return []
    dataset = ox.Dataset(
        ox.Quad(t.subject, t.predicate, t.object)
        for t in ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES)
    )
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return [f"{q.subject} {q.predicate} {q.object} .\n".encode() for q in dataset]


def canonical_blank_quads(lines: list[bytes]) -> list[bytes]:
    """The quads of ``lines`` (N-Quads lines that name blank nodes) relabelled by RDFC-1.0, as
    :func:`canonical_blank_nodes` relabels triples: the graph names take part, so the same
    statements in the same graphs get the same labels."""
    if not lines:
        return []
    dataset = ox.Dataset(ox.parse(b"".join(lines), format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return [f"{quad} .\n".encode() for quad in dataset]


def quad_names_blank_node(line: bytes) -> bool:
    """Whether an N-Quads line has a blank node as its subject, object or graph name."""
    if b"_:" not in line:
        return False
    quad = next(iter(ox.parse(line, format=ox.RdfFormat.N_QUADS)))
    return any(
        isinstance(term, ox.BlankNode) for term in (quad.subject, quad.object, quad.graph_name)
    )


def names_blank_node(line: bytes) -> bool:
    """Whether an N-Triples line has a blank node as its subject or object."""
    if line.startswith(b"_:"):
        return True
    # the object is the last term: a blank node label has no quote and no '>'
    end = line.rstrip(b" .\r\n")
    start = end.rfind(b" ")
    return end[start + 1 : start + 3] == b"_:"


def split_triple(line: str) -> tuple[str, str, str]:
    """Subject, predicate and object of one canonical N-Triples line, as N-Triples terms."""
    subject, predicate, rest = line.split(" ", 2)
    return subject, predicate, rest.rstrip("\r\n")[:-2]


class BinaryWriter(Protocol):
    """Where the Turtle goes: anything with a binary ``write``."""

    def write(self, data: bytes, /) -> int: ...


class TurtleWriter:
    """Writes sorted N-Triples lines as Turtle: one block per subject, ``rdf:type`` first.

    IRIs are written as prefixed names when the local name needs no escape, else relative to
    ``base`` when they are under it (``<study/NCT02649231>``), else in full. The ``@base`` is
    always declared: a relative IRI must never depend on where the file is read from.
    """

    def __init__(
        self,
        out: BinaryWriter,
        prefixes: Mapping[str, str],
        base: str | None = None,
    ) -> None:
        self._out = out
        self._prefixes = sorted(prefixes.items(), key=lambda item: (-len(item[1]), item[0]))
        self._base = base
        self._iris: dict[str, str] = {}
        header = [f"@base <{base}> .\n"] if base is not None else []
        header += [f"@prefix {name}: <{iri}> .\n" for name, iri in sorted(prefixes.items())]
        self._out.write("".join(header).encode())

    def write(self, sorted_lines: Iterable[bytes]) -> int:
        """Write the triples of ``sorted_lines`` (in :func:`sort_lines` order); return how many."""
        count = 0
        subject = None
        pairs: list[tuple[str, str]] = []
        for raw in sorted_lines:
            line = raw.decode("utf-8")
            if line.startswith("<<"):
                raise ValueError("triple terms (RDF-star) cannot be dumped as Turtle here")
            s, p, o = split_triple(line)
            if s != subject:
                if subject is not None:
                    self._write_subject(subject, pairs)
                subject, pairs = s, []
            pairs.append((p, o))
            count += 1
        if subject is not None:
            self._write_subject(subject, pairs)
        return count

    def _write_subject(self, subject: str, pairs: list[tuple[str, str]]) -> None:
        # pairs arrive sorted by predicate, then object; rdf:type is lifted to the front
        typed = [(p, o) for p, o in pairs if p == RDF_TYPE]
        if typed:
            pairs = typed + [(p, o) for p, o in pairs if p != RDF_TYPE]
        parts = ["\n", self._term(subject), " "]
        index = 0
        while index < len(pairs):
            predicate = pairs[index][0]
            objects = []
            while index < len(pairs) and pairs[index][0] == predicate:
                objects.append(self._term(pairs[index][1]))
                index += 1
            verb = "a" if predicate == RDF_TYPE else self._iri(predicate)
            if len(parts) > 3:
                parts.append(" ;\n    ")
            parts.append(verb)
            parts.append(" ")
            joined = " , ".join(objects)
            if len(objects) > 1 and len(joined) + len(verb) + 5 > _LINE:
                joined = _OBJECT_BREAK.join(objects)
            parts.append(joined)
        parts.append(" .\n")
        self._out.write("".join(parts).encode("utf-8"))

    def _term(self, term: str) -> str:
        first = term[0]
        if first == "<":
            return self._iri(term)
        if first == "_":
            return term
        return self._literal(term)

    def _literal(self, term: str) -> str:
        # N-Triples string escapes are all valid Turtle escapes: the quoted part is kept as is
        close = term.rfind('"')
        suffix = term[close + 1 :]
        if not suffix.startswith("^^"):
            return term  # a plain string, or a language-tagged one
        datatype = suffix[2:]
        bare = _BARE_LITERALS.get(datatype)
        lexical = term[1:close]
        if bare is not None and bare.fullmatch(lexical):
            return lexical
        return term[: close + 1] + "^^" + self._iri(datatype)

    def _iri(self, term: str) -> str:
        written = self._iris.get(term)
        if written is None:
            written = self._compact(term[1:-1])
            if len(self._iris) < 200_000:  # predicates, classes, concepts repeat; most do not
                self._iris[term] = written
        return written

    def _compact(self, iri: str) -> str:
        for name, namespace in self._prefixes:
            if iri.startswith(namespace) and _PLAIN_LOCAL.fullmatch(iri[len(namespace) :]):
                return f"{name}:{iri[len(namespace) :]}"
        if self._base is not None:
            relative = relative_reference(iri, self._base)
            if relative is not None:
                return f"<{relative}>"
        return f"<{iri}>"


def relative_reference(iri: str, base: str) -> str | None:
    """``iri`` as a reference relative to ``base`` that resolves back to it exactly, or None.

    Only the plain case is taken: ``iri`` extends ``base``, and the rest neither starts a new
    path, query or fragment, nor looks like a scheme, nor holds ``.``/``..`` segments
    (which resolution would remove).
    """
    if not iri.startswith(base) or not base.endswith("/"):
        return None
    rest = iri[len(base) :]
    if not rest or rest[0] in "/?#" or ":" in rest.split("/", 1)[0]:
        return None
    path = rest.split("?", 1)[0].split("#", 1)[0]
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    return rest
