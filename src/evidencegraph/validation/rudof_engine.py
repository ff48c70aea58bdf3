"""The gate's SHACL engine: rudof (Rust, through pyrudof), with results shaped like pyshacl's.

rudof validates our shapes with the same results as pyshacl on every mutation
case of the shape tests, several times faster (decision 0009). It leaves out
``sh:message`` for a few constraint components (sh:or, sh:not,
sh:lessThanOrEquals); those messages are taken from the shapes themselves. It does not
check lexical forms: :func:`ill_typed` does, more strictly than rdflib does for pyshacl
("yes" as an xsd:boolean, a malformed xsd:gYear are refused here only; decision 0020).
Results come as :class:`~evidencegraph.validation.shacl.ValidationResult` terms, read once
from rudof's text. :class:`ChunkSession` serves ``validate`` of a whole store, a chunk at a
time (decision 0012).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from dataclasses import replace

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from evidencegraph.ontology.namespace import PREFIXES
from evidencegraph.rdf.model import model_graph, shapes_graph
from evidencegraph.rdf.terms import Triple, to_quads
from evidencegraph.validation.shacl import (
    InversePath,
    ResultPath,
    ValidationResult,
    exact,
    result_path,
    show,
)

_PYRUDOF_MISSING = False
try:  # pyrudof is a dependency; the fallback keeps a broken wheel from stopping every load
    import pyrudof
except ImportError:  # pragma: no cover - exercised only where pyrudof does not install
    _PYRUDOF_MISSING = True


def available() -> bool:
    """Whether rudof can be used on this machine."""
    return not _PYRUDOF_MISSING


_LOCK = threading.Lock()
#: N-Triples text staged into one session before it is replaced by a fresh one: about
#: 2,000 registry studies. A session grows by about 60 MiB per 100 MB staged (it keeps every
#: term it has seen) and a fresh one costs milliseconds, so it is renewed often.
_RENEW_AFTER_BYTES = 50_000_000


class _Staging:
    """A rudof session holding the shapes and the model; each validation is staged on top
    and rolled back, and the session is renewed every ``_RENEW_AFTER_BYTES`` staged."""

    def __init__(self) -> None:
        self._session: pyrudof.Rudof | None = None
        self._staged = 0

    def report(self, data: str) -> Iterable[object]:
        """rudof's report on N-Triples ``data`` plus the model. Releases the GIL while rudof
        works; one caller at a time."""
        if self._session is None or self._staged > _RENEW_AFTER_BYTES:
            self._session = _fresh_session()
            self._staged = 0
        self._staged += len(data)
        session = self._session
        session.begin_staging()
        try:
            session.read_data(
                data, pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict, merge=True
            )
            report: Iterable[object] = session.validate_shacl()
        finally:
            session.rollback_staging()
        return report


#: the gate's session, shared by every batch (under ``_LOCK``)
_GATE = _Staging()


@functools.cache
def model_ntriples() -> str:
    """The model (ontology and vocabularies) as N-Triples: every judgement holds it."""
    return ntriples(model_graph())


def ntriples(triples: Iterable[Triple]) -> str:
    """Triples as N-Triples text, written by pyoxigraph."""
    data = ox.serialize(
        (ox.Triple(q.subject, q.predicate, q.object) for q in to_quads(triples)),
        format=ox.RdfFormat.N_TRIPLES,
    )
    assert data is not None
    return data.decode("utf-8")


def validate_ntriples(data: str, focus: set[str] | None) -> list[ValidationResult]:
    """Validate N-Triples data (plus the model) against the shapes: the violations, with
    ``focus`` (IRIs) only those on these nodes."""
    with _LOCK:
        report = _GATE.report(data)
    return [result for result, _ in _results(report, focus)]


def _results(
    report: Iterable[object], focus: set[str] | None
) -> list[tuple[ValidationResult, object]]:
    """Each result as terms (rudof writes them as text: read here, once), with rudof's own
    entry."""
    results = []
    for entry in report:
        focus_text = _strip(getattr(entry, "focus_node", "") or "")
        if focus is not None and focus_text not in focus:
            continue
        path = _rudof_path(getattr(entry, "path", None))
        constraint = _iri(str(getattr(entry, "constraint_component", "") or ""))
        result = ValidationResult(
            focus=_rdflib(focus_text),
            path_term=path,
            constraint_term=constraint,
            message=_message(entry, path, constraint),
            severity_term=SH[_severity(str(getattr(entry, "severity", "") or ""))],
            value_term=_rdflib(str(getattr(entry, "value", "") or "")),
        )
        results.append((result, entry))
    return results


class ChunkSession:
    """A rudof session for validating a store chunk by chunk (``validate`` of a whole store).

    The shapes are read as N-Triples written from :func:`shapes_graph`, whose blank node
    labels rudof keeps: a result's source shape then names a node of that graph, as
    pyshacl's does. Each chunk is staged on top of the shapes and the model, and rolled
    back; the session is renewed every so often, since rudof keeps every term it has seen.
    """

    def __init__(self) -> None:
        self._staging = _Staging()

    def validate(self, data: str, focus: set[str]) -> list[ValidationResult]:
        """The violations on ``focus`` (IRIs, ``_:label`` for blank nodes) in N-Triples
        ``data`` plus the model, each with the shape that raised it. Releases the GIL while
        rudof works: call it from a thread."""
        report = self._staging.report(data)
        return [
            replace(result, source_shape=_rdflib(str(getattr(entry, "source_shape", "") or "")))
            for result, entry in _results(report, focus)
        ]


def _fresh_session() -> pyrudof.Rudof:
    session = pyrudof.Rudof()
    session.read_shacl(
        shapes_ntriples(), pyrudof.ShaclFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict
    )
    # merge must be given: pyrudof merges when it is left out
    session.read_data(
        model_ntriples(),
        pyrudof.RDFFormat.NTriples,
        reader_mode=pyrudof.ReaderMode.Strict,
        merge=False,
    )
    return session


@functools.cache
def shapes_ntriples() -> str:
    """The shapes as N-Triples, written from the parsed graph pyshacl gets."""
    return ntriples(shapes_graph())


def term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    """The RDF term rudof writes as ``text`` (an IRI bare or in <>, ``_:label``, a literal
    whose datatype may be a CURIE such as ``xsd:integer``); None when it names none."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("_:"):
        return ox.BlankNode(text[2:])
    if not text.startswith('"'):
        return ox.NamedNode(_strip(text))
    try:
        parsed = ox.parse(f"{_TURTLE_PREFIXES}<x:s> <x:p> {text} .", format=ox.RdfFormat.TURTLE)
        value = next(iter(parsed)).object
    except (SyntaxError, StopIteration):
        return None
    return value if isinstance(value, ox.Literal) else None


def _severity(text: str) -> str:
    """``Violation``, ``Warning`` or ``Info``: rudof names it bare, or by its sh: IRI."""
    local = _strip(text).rsplit("#", 1)[-1].removeprefix("sh:")
    return local or "Violation"


def _strip(term: str) -> str:
    return term[1:-1] if term.startswith("<") and term.endswith(">") else term


def _rdflib(text: str) -> Node | None:
    """The rdflib term rudof writes as ``text``, a literal's lexical form as written."""
    parsed = term(text)
    return exact(parsed) if parsed is not None else None


def _iri(text: str) -> URIRef | None:
    iri = _strip(text.strip())
    return URIRef(iri) if iri else None


def _rudof_path(path: str | None) -> ResultPath | None:
    """A result path as rudof writes it: ``<iri>``, ``^<iri>`` or ``^(<iri>)``."""
    if not path:
        return None
    if path.startswith("^"):
        predicate = _iri(path[1:].removeprefix("(").removesuffix(")"))
        return InversePath(predicate) if predicate is not None else None
    return _iri(path)


def _message(entry: object, path: ResultPath | None, constraint: URIRef | None) -> str:
    """The shape's sh:message: rudof joins its own text and ours as '"its", "ours"@en'."""
    message = str(getattr(entry, "message", "") or "")
    separator = '", "'
    if message.endswith('"@en') and separator in message:
        return message[message.index(separator) + len(separator) : -len('"@en')]
    if message.startswith('"') and message.endswith('"@en'):
        # a SPARQL constraint's message (issue 19): rudof gives it alone, as a literal
        return message[1 : -len('"@en')]
    source = _rdflib(str(getattr(entry, "source_shape", "") or ""))
    messages = _messages()
    return messages.get((path, constraint)) or messages.get((source, constraint)) or message


@functools.cache
def _messages() -> dict[tuple[object, object], str]:
    """(path or shape, constraint component) -> the shapes' sh:message for it."""
    shapes = shapes_graph()
    found: dict[tuple[object, object], str] = {}
    components = {
        SH["or"]: SH.OrConstraintComponent,
        SH["not"]: SH.NotConstraintComponent,
        SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    }
    for parameter, component in components.items():
        for shape in shapes.subjects(parameter, None):
            message = shapes.value(shape, SH.message)
            if message is None:
                continue
            path = shapes.value(shape, SH.path)
            key = result_path(shapes, path) if path is not None else shape
            found.setdefault((key, component), str(message))
    return found


_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Prefixes a rudof rendering of a literal may use for its datatype (``xsd:integer``).
_TURTLE_PREFIXES = "".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in PREFIXES.items())
#: Lexical forms rudof does not check (it accepts "2016-13-45"^^xsd:date); pyshacl does.
_LEXICAL = {
    _XSD + "date": re.compile(
        r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(Z|[+-]\d{2}:\d{2})?"
    ),
    _XSD + "gYearMonth": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])(Z|[+-]\d{2}:\d{2})?"),
    _XSD + "gYear": re.compile(r"-?\d{4,}(Z|[+-]\d{2}:\d{2})?"),
    _XSD + "boolean": re.compile(r"true|false|1|0"),
}


def ill_typed(triples: Iterable[ox.Triple | ox.Quad]) -> list[ValidationResult]:
    """Literals whose text is not a valid value of their datatype, as violations.

    rudof leaves these to the datatype's parser and lets them through; checking the batch's
    own literals here makes the gate stricter than rdflib's reading in pyshacl on two
    datatypes (tests/test_validate_engines.py: "yes" as an xsd:boolean and a gYear pyshacl
    does not check are refused here and let through there).
    """
    results = []
    for triple in triples:
        value = triple.object
        if not isinstance(value, ox.Literal) or isinstance(triple.subject, ox.Triple):
            continue
        pattern = _LEXICAL.get(value.datatype.value)
        if pattern is None:
            continue
        valid = pattern.fullmatch(value.value) is not None
        if valid and value.datatype.value == _XSD + "date":
            valid = _real_date(value.value)
        if valid:
            continue
        predicate = URIRef(triple.predicate.value)
        datatype = show(URIRef(value.datatype.value))
        results.append(
            ValidationResult(
                focus=exact(triple.subject),
                path_term=predicate,
                constraint_term=SH.DatatypeConstraintComponent,
                message=f"{_path_messages().get(predicate, '')} "
                f"({value.value!r} is not a valid {datatype})".strip(),
                value_term=exact(value),
            )
        )
    return results


def _real_date(text: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


@functools.cache
def _path_messages() -> dict[URIRef, str]:
    """Property path -> the sh:message of a property shape on that path."""
    shapes = shapes_graph()
    found: dict[URIRef, str] = {}
    for shape, path in shapes.subject_objects(SH.path):
        message = shapes.value(shape, SH.message)
        if isinstance(path, URIRef) and message is not None:
            found.setdefault(path, str(message))
    return found
