"""Read RDF files in any common syntax into one rdflib Graph; errors name file and line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib import Graph

from evidencegraph._compat import Traversable
from evidencegraph.errors import InputError, UsageError
from evidencegraph.graph.terms import from_quad, quiet_rdflib

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


def parse_rdf(
    source: IO[bytes],
    rdf_format: ox.RdfFormat,
    name: str,
    into: Graph,
    base_iri: str | None = None,
) -> None:
    """Parse one RDF document into ``into``; named graphs are merged into the default graph.
    Relative IRIs resolve against ``base_iri`` (a document's own ``@base`` comes first).

    Raises InputError naming ``name``, the line and the column of a syntax error.
    """
    try:
        with quiet_rdflib():
            for quad in ox.parse(source, format=rdf_format, base_iri=base_iri):
                into.add(from_quad(quad))
    except SyntaxError as error:
        where = f"{name}:{error.lineno}:{error.offset}" if error.lineno else name
        detail = error.msg if error.msg else str(error)
        raise InputError(
            f"{where}: {detail}. "
            "Fix the RDF syntax there (or name the right --format) and try again."
        ) from None


def read_rdf_files(
    paths: Iterable[Path], syntax: str | None = None, base: str | None = None
) -> Graph:
    """Read every file into one graph (the batch). Nothing is written anywhere.

    Relative IRIs resolve against ``base`` if given, else against the file's own location
    (its ``file://`` IRI), as Jena's ``riot`` resolves them.

    Raises UsageError for an unknown format and InputError for a missing,
    unreadable or malformed file.
    """
    graph = Graph()
    for path in paths:
        rdf_format = syntax_for(path, syntax)
        try:
            with path.open("rb") as handle:
                parse_rdf(handle, rdf_format, str(path), graph, base or file_iri(path))
        except OSError as error:
            raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    return graph


def file_iri(path: Path) -> str:
    """The ``file://`` IRI of ``path``: the base a file's relative IRIs resolve against."""
    return path.resolve().as_uri()


def read_packaged(files: Iterable[Traversable]) -> Graph:
    """Parse packaged Turtle files (the model, the curated evidence) into one graph."""
    graph = Graph()
    for packaged in files:
        with packaged.open("rb") as handle:
            parse_rdf(handle, ox.RdfFormat.TURTLE, packaged.name, graph)
    return graph
