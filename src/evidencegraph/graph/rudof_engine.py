"""The gate's SHACL engine: rudof (Rust, through pyrudof), with results shaped like pyshacl's.

rudof validates our shapes with the same results as pyshacl on every mutation
case of the shape tests, several times faster (decision 0009). It leaves out
``sh:message`` for a few constraint components (sh:or, sh:not,
sh:lessThanOrEquals); those messages are taken from the shapes themselves, so
a rejected batch reads the same whichever engine judged it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from evidencegraph.graph.terms import Triple, to_quads
from evidencegraph.ontology.namespace import compact, shapes_file

_PYRUDOF_MISSING = False
try:  # pyrudof is a dependency; the fallback keeps a broken wheel from stopping every load
    import pyrudof
except ImportError:  # pragma: no cover - exercised only where pyrudof does not install
    _PYRUDOF_MISSING = True


def available() -> bool:
    """Whether rudof can be used on this machine."""
    return not _PYRUDOF_MISSING


@functools.cache
def _session() -> pyrudof.Rudof:
    session = pyrudof.Rudof()
    session.read_shacl(
        shapes_file().read_text(encoding="utf-8"),
        pyrudof.ShaclFormat.Turtle,
        reader_mode=pyrudof.ReaderMode.Strict,
    )
    return session


@functools.cache
def _model_ntriples() -> str:
    from evidencegraph.graph.validation import model_graph

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
    data: str, focus: set[Node] | None
) -> list[tuple[str, str, str, str, str, str]]:
    """Validate N-Triples data (plus the model) against the shapes.

    Returns (focus node, path, constraint, message, severity, value) per
    violation, shown the way the rest of the package shows terms; with
    ``focus`` only results on those nodes are kept.
    """
    session = _session()
    session.read_data(
        _model_ntriples(),
        pyrudof.RDFFormat.NTriples,
        reader_mode=pyrudof.ReaderMode.Strict,
        merge=False,
    )
    session.read_data(
        data, pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict, merge=True
    )
    report = session.validate_shacl()
    wanted = {str(node) for node in focus} if focus is not None else None
    results = []
    for entry in report:
        focus_iri = _strip(entry.focus_node or "")
        if wanted is not None and focus_iri not in wanted:
            continue
        path = _show_path(entry.path)
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
    """A literal as rdflib's n3() shows it, so both engines print values alike."""
    try:
        parsed = ox.parse(f"<x:s> <x:p> {term} .", format=ox.RdfFormat.N_TRIPLES)
        value = next(iter(parsed)).object
    except (SyntaxError, StopIteration):
        return term
    from evidencegraph.graph.terms import to_rdflib

    return str(to_rdflib(value).n3())


def _show_path(path: str | None) -> str:
    if not path:
        return ""
    if path.startswith("^(") and path.endswith(")"):
        return "^" + _show(path[2:-1])
    if path.startswith("^"):
        return "^" + _show(path[1:])
    return _show(path)


def _message(entry: object, path: str, constraint: str) -> str:
    message = getattr(entry, "message", "") or ""
    if message and "not satisfied" not in message and "constraint violated" not in message:
        return str(message)
    source = _strip(getattr(entry, "source_shape", "") or "")
    return (
        _messages().get((path, constraint))
        or _messages().get((_show(source), constraint))
        or str(message)
    )


@functools.cache
def _messages() -> dict[tuple[str, str], str]:
    """(shown path or shape, constraint component) -> the shapes' sh:message for it."""
    from evidencegraph.graph.validation import shapes_graph

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
            key = _shown_path(shapes, path) if path is not None else _show(str(shape))
            found.setdefault((key, component), str(message))
    return found


def _shown_path(shapes: Graph, path: Node) -> str:
    if isinstance(path, URIRef):
        return _show(str(path))
    inverse = shapes.value(path, SH.inversePath)
    return "^" + _show(str(inverse)) if inverse is not None else ""
