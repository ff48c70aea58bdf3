"""Read RDF files in any common syntax; errors name file and line.

Before a file reaches pyoxigraph's parser it is checked for what that parser does not
survive (JSON-LD nested thousands deep crashes the process; RDF/XML nested deep takes
quadratic time) or expands without bound (XML entities), and refused with file and line.
:func:`stage_rdf_files` streams the files into a pyoxigraph store (``load``);
:func:`read_rdf_files` reads them into one rdflib Graph (``validate FILE``).
"""

from __future__ import annotations

import datetime
import json
import re
import xml.parsers.expat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib import Graph

from evidencegraph._compat import Traversable
from evidencegraph.errors import InputError, UsageError
from evidencegraph.rdf.terms import from_quad, quiet_rdflib

#: Syntax names accepted by --format, with the file extensions that select them.
RDF_SYNTAXES: dict[str, tuple[ox.RdfFormat, tuple[str, ...]]] = {
    "turtle": (ox.RdfFormat.TURTLE, (".ttl", ".turtle")),
    "nt": (ox.RdfFormat.N_TRIPLES, (".nt", ".ntriples")),
    "nq": (ox.RdfFormat.N_QUADS, (".nq", ".nquads")),
    "trig": (ox.RdfFormat.TRIG, (".trig",)),
    "n3": (ox.RdfFormat.N3, (".n3",)),
    "rdfxml": (ox.RdfFormat.RDF_XML, (".rdf", ".owl", ".xml")),
    "jsonld": (ox.RdfFormat.JSON_LD, (".jsonld", ".json")),
}

#: Deepest JSON nesting (objects and arrays) a JSON-LD file may have: pyoxigraph's parser
#: recurses and kills the process (SIGSEGV) near 4,000 levels on an 8 MiB stack.
MAX_JSON_NESTING = 500
#: Deepest element nesting an RDF/XML file may have: pyoxigraph's parser takes quadratic
#: time in it (20,000 levels 4 s, 100,000 levels 155 s).
MAX_XML_NESTING = 1_000
_READ_SIZE = 1 << 20
#: A JSON string (closed or cut by the end of the buffer), or a bracket.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*(")?|[{}\[\]]', re.DOTALL)

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = re.compile(r"[+-]?\d+")
_UNSIGNED = re.compile(r"\+?\d+|-0+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN")
_ZONE = r"(Z|[+-]\d{2}:\d{2})?"
_DATE = re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _ZONE)
#: Lexical forms of the XSD datatypes the model uses (XML Schema 1.1 part 2, section 3).
_LEXICAL: dict[str, re.Pattern[str]] = {
    **{
        _XSD + name: _INTEGER
        for name in ("integer", "long", "int", "short", "byte", "nonPositiveInteger")
    },
    **{
        _XSD + name: _UNSIGNED
        for name in (
            "nonNegativeInteger",
            "positiveInteger",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
        )
    },
    _XSD + "negativeInteger": re.compile(r"-\d+"),
    _XSD + "decimal": _DECIMAL,
    _XSD + "double": _FLOAT,
    _XSD + "float": _FLOAT,
    _XSD + "boolean": re.compile(r"true|false|1|0"),
    _XSD + "date": _DATE,
    _XSD + "dateTime": re.compile(
        r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
        + _ZONE
    ),
    _XSD + "gYear": re.compile(r"-?\d{4,}" + _ZONE),
    _XSD + "gYearMonth": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])" + _ZONE),
}


def syntax_for(path: Path, syntax: str | None = None) -> ox.RdfFormat:
    """The syntax to read ``path`` with: ``syntax`` if given, else guessed from the extension."""
    if syntax is not None:
        if syntax not in RDF_SYNTAXES:
            raise UsageError(
                f"unknown RDF format {syntax!r}: use one of {', '.join(sorted(RDF_SYNTAXES))}"
            )
        return RDF_SYNTAXES[syntax][0]
    suffix = path.suffix.lower()
    for rdf_format, extensions in RDF_SYNTAXES.values():
        if suffix in extensions:
            return rdf_format
    raise UsageError(
        f"{path}: cannot tell the RDF format from the extension {suffix or '(none)'!r}; "
        f"name it with --format ({', '.join(sorted(RDF_SYNTAXES))})"
    )


@dataclass(frozen=True)
class RdfInput:
    """One file to read: where it is, its syntax, and the base IRI its relative IRIs
    resolve against (None: the parser's default)."""

    path: Path
    rdf_format: ox.RdfFormat
    base_iri: str | None = None


def rdf_inputs(
    paths: Iterable[Path], syntax: str | None = None, base: str | None = None
) -> list[RdfInput]:
    """The inputs of a ``load``, each with its syntax and base IRI: ``base`` if given, else
    the file's own location (its ``file://`` IRI), as Jena's ``riot`` resolves them (a
    document's own ``@base`` comes first). Raises UsageError for an unknown syntax, and for a
    gzip-compressed file (read uncompressed, so that errors name a line of the file)."""
    paths = list(paths)
    for path in paths:
        if path.suffix.lower() == ".gz":
            raise UsageError(
                f"{path}: a gzip-compressed file; load and validate read RDF uncompressed: "
                f"unpack it first (gunzip -k {path}) and give {path.with_suffix('')}"
            )
    return [RdfInput(path, syntax_for(path, syntax), base or file_iri(path)) for path in paths]


def file_iri(path: Path) -> str:
    """The ``file://`` IRI of ``path``: the base a file's relative IRIs resolve against."""
    return path.resolve().as_uri()


# --- guards: what the parser must not be handed -----------------------------------


def check_parsable(source: RdfInput) -> None:
    """Refuse a file pyoxigraph's parser would crash on, hang on, or expand without bound.

    Raises InputError naming the file and line.
    """
    if source.rdf_format == ox.RdfFormat.JSON_LD:
        _check_json_nesting(source.path)
    elif source.rdf_format == ox.RdfFormat.RDF_XML:
        _check_xml(source.path)


def _check_json_nesting(path: Path) -> None:
    """A streaming count of JSON nesting: strings skipped, brackets counted."""
    depth, line, carry = 0, 1, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_SIZE):
            buffer, carry, done = carry + chunk, b"", 0
            for match in _JSON_TOKENS.finditer(buffer):
                token = match.group()
                if token[:1] == b'"':
                    if match.group(1) is None:  # cut by the end of the buffer: read on
                        carry = buffer[match.start() :]
                        break
                elif token in (b"{", b"["):
                    depth += 1
                    if depth > MAX_JSON_NESTING:
                        line += buffer.count(b"\n", done, match.start())
                        raise InputError(
                            f"{path}:{line}: JSON nested more than {MAX_JSON_NESTING} levels "
                            "deep; the JSON-LD parser cannot read it safely, so the file was "
                            "refused and nothing was written. Flatten the document (JSON-LD "
                            "flattening, or @id references) and load it again."
                        )
                else:
                    depth -= 1
                line += buffer.count(b"\n", done, match.end())
                done = match.end()
            else:
                line += buffer.count(b"\n", done)
                continue
            line += buffer.count(b"\n", done, len(buffer) - len(carry))


def _check_xml(path: Path) -> None:
    """Read the XML once with expat, which refuses entity expansion past its amplification
    limit (as the PubMed importer's parser does), and count element nesting."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    depth = 0

    def start(_name: str, _attributes: object) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_NESTING:
            raise _TooDeepError

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    def entity(name: str, parameter: int, _value: object, _base: object, system: object,
               public: object, _notation: object) -> None:  # fmt: skip
        if system is not None or public is not None:
            raise _ExternalEntityError(f"{'%' if parameter else ''}{name}", system or public)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = entity
    try:
        with path.open("rb") as handle:
            parser.ParseFile(handle)
    except _ExternalEntityError as error:
        name, target = error.args
        raise InputError(
            f"{path}:{parser.CurrentLineNumber}: the XML declares an external entity "
            f"({name}, naming {target}), which load never reads nor fetches: a file must not "
            "make this program read other files or reach the network; nothing was written. "
            "Write the text out in place of the entity and load it again."
        ) from None
    except _TooDeepError:
        raise InputError(
            f"{path}:{parser.CurrentLineNumber}: XML elements nested more than "
            f"{MAX_XML_NESTING} levels deep; the RDF/XML parser slows to a halt on such "
            "nesting, so the file was refused and nothing was written. Write the nested "
            "descriptions as separate nodes (rdf:nodeID or rdf:about) and load it again."
        ) from None
    except xml.parsers.expat.ExpatError as error:
        what = xml.parsers.expat.errors.messages[error.code]
        if "amplification" in what or "entity" in what.lower():
            raise InputError(
                f"{path}:{error.lineno}:{error.offset + 1}: the XML's entity declarations "
                f"expand past the safe limit ({what}); a file that grows like this is an "
                "entity-expansion attack, so it was refused and nothing was written. Remove "
                "the <!ENTITY ...> declarations (write the text out) and load it again."
            ) from None
        raise InputError(
            f"{path}:{error.lineno}:{error.offset + 1}: the RDF/XML is not well-formed XML "
            f"({what}). Fix the XML there and load it again."
        ) from None


class _TooDeepError(Exception):
    """Raised from inside expat's callbacks to stop the parse."""


class _ExternalEntityError(Exception):
    """Raised from inside expat's callbacks at an external entity's declaration."""


# --- parsing ------------------------------------------------------------------------


def _syntax_error(name: str, error: SyntaxError) -> InputError:
    where = f"{name}:{error.lineno}:{error.offset}" if error.lineno else name
    detail = error.msg if error.msg else str(error)
    if "LoadDocumentCallback" in detail:  # pyoxigraph's words for a remote @context
        return InputError(
            f"{where}: the JSON-LD names a remote @context (a URL), which load never fetches "
            "(a file must not make this program reach the network); nothing was written. "
            "Put the context's content in the file instead of its URL."
        )
    return InputError(
        f"{where}: {detail}. Fix the RDF syntax there (or name the right --format) and try again."
    )


def read_quads(source: RdfInput) -> Iterator[ox.Quad]:
    """The triples of one file as default-graph quads, streamed (named graphs merged).

    Raises InputError for a file that cannot be read, is refused by
    :func:`check_parsable`, or has a syntax error (with line and column).
    """
    name = str(source.path)
    try:
        check_parsable(source)
        with source.path.open("rb") as handle:
            parsed = ox.parse(handle, format=source.rdf_format, base_iri=source.base_iri)
            default = ox.DefaultGraph()
            quad = ox.Quad
            for found in parsed:
                if found.graph_name == default:
                    yield found
                else:
                    yield quad(found.subject, found.predicate, found.object)
    except SyntaxError as error:
        raise _syntax_error(name, error) from None
    except MemoryError as error:
        # Oxigraph's parsers read one token into a buffer of at most 16 MiB, and say so
        # with a MemoryError: a 50 MB literal is a property of the file, not of this machine
        if "buffer maximal size" not in str(error):
            raise
        raise InputError(
            f"{name}: one term of this file (a literal or IRI) is longer than the RDF "
            f"parser reads ({error}); nothing was written. Shorten it, or keep the text "
            "in a file of its own and link to it."
        ) from None
    except OSError as error:
        raise InputError(f"{name}: cannot read the file: {error.strerror or error}") from None


def parse_rdf(source: IO[bytes], rdf_format: ox.RdfFormat, name: str, into: Graph) -> None:
    """Parse one RDF document into ``into``; named graphs are merged into the default graph.

    Raises InputError naming ``name``, the line and the column of a syntax error.
    """
    try:
        with quiet_rdflib():
            for quad in ox.parse(source, format=rdf_format):
                into.add(from_quad(quad))
    except SyntaxError as error:
        raise _syntax_error(name, error) from None


def read_rdf_files(
    paths: Iterable[Path], syntax: str | None = None, base: str | None = None
) -> Graph:
    """Read every file into one graph (the batch). Nothing is written anywhere.

    Relative IRIs resolve as :func:`rdf_inputs` says. Raises UsageError for an unknown
    format and InputError for a missing, unreadable, refused or malformed file.
    """
    graph = Graph()
    with quiet_rdflib():
        for source in rdf_inputs(paths, syntax, base):
            for quad in read_quads(source):
                graph.add(from_quad(quad))
    return graph


def read_packaged(files: Iterable[Traversable]) -> Graph:
    """Parse packaged Turtle files (the model, the curated evidence) into one graph."""
    graph = Graph()
    for packaged in files:
        with packaged.open("rb") as handle:
            parse_rdf(handle, ox.RdfFormat.TURTLE, packaged.name, graph)
    return graph


# --- staging: the files of a load into a pyoxigraph store ---------------------------


@dataclass
class StagedFiles:
    """What :func:`stage_rdf_files` read: triples (repeats included) and the nodes named."""

    triples: int = 0
    #: every IRI the files state something about or link to
    nodes: set[ox.NamedNode] = field(default_factory=set)
    #: the IRIs the files state something about
    subjects: set[ox.NamedNode] = field(default_factory=set)
    blank_nodes: bool = False


def stage_rdf_files(sources: Iterable[RdfInput], into: ox.Store) -> StagedFiles:
    """Stream every file into ``into`` (a scratch store), checking each literal on the way.

    Raises InputError naming file and line for a literal whose text is not a value of
    its datatype ("12abc"^^xsd:integer) or that holds a NUL character, and for every
    error :func:`read_quads` raises. ``into`` is left holding part of the files then.
    """
    staged = StagedFiles()
    nodes, subjects = staged.nodes, staged.subjects
    named, literal = ox.NamedNode, ox.Literal
    for source in sources:
        pending: list[ox.Quad] = []
        for quad in read_quads(source):
            subject, obj = quad.subject, quad.object
            if type(subject) is named:
                subjects.add(subject)
                nodes.add(subject)
            else:
                staged.blank_nodes = True
            if type(obj) is named:
                nodes.add(obj)
            elif type(obj) is literal:
                problem = literal_problem(obj)
                if problem is not None:
                    raise _literal_error(source.path, quad, problem)
            else:
                staged.blank_nodes = True
            pending.append(quad)
            if len(pending) >= 10_000:
                into.extend(pending)
                staged.triples += len(pending)
                pending.clear()
        into.extend(pending)
        staged.triples += len(pending)
    return staged


def literal_problem(value: ox.Literal) -> str | None:
    """What is wrong with a literal, or None: a NUL character, or text its datatype refuses."""
    text = value.value
    if "\x00" in text:
        return "holds a NUL character (U+0000), which no RDF text should"
    pattern = _LEXICAL.get(value.datatype.value)
    if pattern is None or (pattern.fullmatch(text) and _real_day(value.datatype.value, text)):
        return None
    datatype = value.datatype.value.replace(_XSD, "xsd:")
    return f"{text!r} is not a valid {datatype}"


def _real_day(datatype: str, text: str) -> bool:
    """Whether a date's (or date-time's) day exists: the patterns let 2021-02-30 through."""
    if datatype not in (_XSD + "date", _XSD + "dateTime") or text.startswith("-"):
        return True
    year, month, day = text.split("T")[0].split("-")[:3]
    try:
        datetime.date(int(year), int(month), int(day[:2]))
    except ValueError:
        return int(year) > 9999  # beyond Python's dates, but a valid XSD year
    return True


def _literal_error(path: Path, quad: ox.Quad, problem: str) -> InputError:
    line = _line_of(path, quad.object)  # type: ignore[arg-type]
    where = f"{path}:{line}" if line else str(path)
    return InputError(
        f"{where}: the literal {problem} (subject {quad.subject}, predicate "
        f"{quad.predicate}); nothing was written. Correct the value (or its datatype) "
        "and load the files again."
    )


def _line_of(path: Path, value: ox.Literal) -> int | None:
    """The first line of ``path`` holding the literal's text as one of the syntaxes spells
    it (the parser reports no positions for values it accepts)."""
    text = value.value
    spellings = {str(ox.Literal(text))[1:-1], json.dumps(text)[1:-1], text}
    spellings |= {s.replace("\\u0000", "\\U00000000") for s in spellings}
    first_lines = {s.split("\n")[0].encode("utf-8") for s in spellings if s}
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if any(spelling in line for spelling in first_lines):
                return number
    return None
