"""The gate's SHACL engine: rudof (Rust, through pyrudof), with results shaped like pyshacl's.

rudof validates our shapes with the same results as pyshacl on every mutation
case of the shape tests, several times faster (decision 0009). It leaves out
``sh:message`` for a few constraint components (sh:or, sh:not,
sh:lessThanOrEquals); those messages are taken from the shapes themselves, so
a rejected batch reads the same whichever engine judged it.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import SH

from evidencegraph.graph.terms import Triple, to_quads
from evidencegraph.graph.validation import model_graph, shapes_graph, show_path
from evidencegraph.ontology.namespace import compact, shapes_file

_PYRUDOF_MISSING = False
try:  # pyrudof is a dependency; the fallback keeps a broken wheel from stopping every load
    import pyrudof
except ImportError:  # pragma: no cover - exercised only where pyrudof does not install
    _PYRUDOF_MISSING = True


def available() -> bool:
    """Whether rudof can be used on this machine."""
    return not _PYRUDOF_MISSING


_LOCK = threading.Lock()
#: N-Triples text staged into one session before it is replaced by a fresh one.
_RENEW_AFTER_BYTES = 200_000_000
_staged_bytes = 0


@functools.cache
def _session() -> pyrudof.Rudof:
    """One rudof session holding the shapes and the model; batches are staged on top."""
    session = pyrudof.Rudof()
    session.read_shacl(
        shapes_file().read_text(encoding="utf-8"),
        pyrudof.ShaclFormat.Turtle,
        reader_mode=pyrudof.ReaderMode.Strict,
    )
    # merge must be given: pyrudof merges when it is left out
    session.read_data(
        _model_ntriples(),
        pyrudof.RDFFormat.NTriples,
        reader_mode=pyrudof.ReaderMode.Strict,
        merge=False,
    )
    return session


@functools.cache
def _model_ntriples() -> str:
    return ntriples(model_graph())


def ntriples(triples: Iterable[Triple]) -> str:
    """Triples as N-Triples text, written by pyoxigraph."""
    data = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in to_quads(triples)),
        format=ox.RdfFormat.N_TRIPLES,
    )
    assert data is not None
    return data.decode("utf-8")


def validate_ntriples(
    data: str, focus: set[str] | None
) -> list[tuple[str, str, str, str, str, str]]:
    """Validate N-Triples data (plus the model) against the shapes.

    Returns (focus node, path, constraint, message, severity, value) per
    violation, shown the way the rest of the package shows terms; with
    ``focus`` (IRIs) only results on those nodes are kept.
    """
    global _staged_bytes
    with _LOCK:
        if _staged_bytes > _RENEW_AFTER_BYTES:
            # rudof keeps every term it has seen, even in rolled-back stages: a fresh
            # session every so often keeps a registry-sized import's memory flat
            _session.cache_clear()
            _staged_bytes = 0
        _staged_bytes += len(data)
        session = _session()
        session.begin_staging()
        try:
            session.read_data(
                data, pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict, merge=True
            )
            report = session.validate_shacl()
        finally:
            session.rollback_staging()
    results = []
    for entry in report:
        focus_iri = _strip(entry.focus_node or "")
        if focus is not None and focus_iri not in focus:
            continue
        path = _show_rudof_path(entry.path)
        constraint = _show(entry.constraint_component or "")
        message = _message(entry, path, constraint)
        results.append(
            (
                _show(focus_iri),
                path,
                constraint,
                message,
                _show(entry.severity or "").removeprefix("sh:") or "Violation",
                _show_value(entry.value or ""),
            )
        )
    return results


def _strip(term: str) -> str:
    return term[1:-1] if term.startswith("<") and term.endswith(">") else term


def _show(term: str) -> str:
    iri = _strip(term)
    if not iri or iri.startswith(("_:", '"')):
        return iri
    shown = compact(iri)
    return shown if shown != iri else f"<{iri}>"


def _show_value(term: str) -> str:
    if term.startswith('"') or term.startswith("_:"):
        return _literal(term)
    return _show(term)


def _literal(term: str) -> str:
    """A literal in N-Triples form (as rdflib's n3() shows it), rudof's rendering repaired."""
    try:
        parsed = ox.parse(f"<x:s> <x:p> {term} .", format=ox.RdfFormat.N_TRIPLES)
        return str(next(iter(parsed)).object)
    except (SyntaxError, StopIteration):
        return term


def _show_rudof_path(path: str | None) -> str:
    if not path:
        return ""
    if path.startswith("^(") and path.endswith(")"):
        return "^" + _show(path[2:-1])
    if path.startswith("^"):
        return "^" + _show(path[1:])
    return _show(path)


def _message(entry: object, path: str, constraint: str) -> str:
    """The shape's sh:message: rudof joins its own text and ours as '"its", "ours"@en'."""
    message = str(getattr(entry, "message", "") or "")
    separator = '", "'
    if message.endswith('"@en') and separator in message:
        return message[message.index(separator) + len(separator) : -len('"@en')]
    source = _strip(str(getattr(entry, "source_shape", "") or ""))
    messages = _messages()
    return messages.get((path, constraint)) or messages.get((_show(source), constraint)) or message


@functools.cache
def _messages() -> dict[tuple[str, str], str]:
    """(shown path or shape, constraint component) -> the shapes' sh:message for it."""
    shapes = shapes_graph()
    found: dict[tuple[str, str], str] = {}
    components = {
        SH["or"]: "sh:OrConstraintComponent",
        SH["not"]: "sh:NotConstraintComponent",
        SH.lessThanOrEquals: "sh:LessThanOrEqualsConstraintComponent",
    }
    for parameter, component in components.items():
        for shape in shapes.subjects(parameter, None):
            message = shapes.value(shape, SH.message)
            if message is None:
                continue
            path = shapes.value(shape, SH.path)
            key = show_path(shapes, path) if path is not None else _show(str(shape))
            found.setdefault((key, component), str(message))
    return found


_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Lexical forms rudof does not check (it accepts "2016-13-45"^^xsd:date); pyshacl does.
_LEXICAL = {
    _XSD + "date": re.compile(
        r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(Z|[+-]\d{2}:\d{2})?"
    ),
    _XSD + "gYearMonth": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])(Z|[+-]\d{2}:\d{2})?"),
    _XSD + "gYear": re.compile(r"-?\d{4,}(Z|[+-]\d{2}:\d{2})?"),
    _XSD + "boolean": re.compile(r"true|false|1|0"),
}


def ill_typed(triples: Iterable[ox.Triple | ox.Quad]) -> list[tuple[str, str, str, str, str, str]]:
    """Literals whose text is not a valid value of their datatype, as violation rows.

    rudof leaves these to the datatype's parser and lets them through; checking
    the batch's own literals here keeps the gate as strict as pyshacl.
    """
    rows = []
    for triple in triples:
        value = triple.object
        if not isinstance(value, ox.Literal):
            continue
        pattern = _LEXICAL.get(value.datatype.value)
        if pattern is None:
            continue
        valid = pattern.fullmatch(value.value) is not None
        if valid and value.datatype.value == _XSD + "date":
            valid = _real_date(value.value)
        if valid:
            continue
        datatype = _show(value.datatype.value)
        rows.append(
            (
                _show(str(triple.subject)),
                _show(str(triple.predicate)),
                "sh:DatatypeConstraintComponent",
                f"{_path_messages().get(_show(str(triple.predicate)), '')} "
                f"({value.value!r} is not a valid {datatype})".strip(),
                "Violation",
                str(value),
            )
        )
    return rows


def _real_date(text: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


@functools.cache
def _path_messages() -> dict[str, str]:
    """Shown property path -> the sh:message of a property shape on that path."""
    shapes = shapes_graph()
    found: dict[str, str] = {}
    for shape, path in shapes.subject_objects(SH.path):
        message = shapes.value(shape, SH.message)
        if isinstance(path, URIRef) and message is not None:
            found.setdefault(_show(str(path)), str(message))
    return found
