"""How an export is written: RDF in six syntaxes, KGX TSV node and edge files, Graphviz DOT.

Every file is written to a temporary file beside its target and renamed into place, so a
failure never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

import networkx as nx
import pyoxigraph as ox
from rdflib import Graph

from evidencegraph.errors import UsageError
from evidencegraph.export.picture import colour, html, legend, render, status_colour
from evidencegraph.export.select import model_descriptions
from evidencegraph.graph.network import project
from evidencegraph.ontology.namespace import EG, EGID, PREFIXES, compact, context_file, expand
from evidencegraph.ontology.naming import NAME_PROPERTIES, predicate_label
from evidencegraph.output import write_files
from evidencegraph.rdf.terms import from_quad
from evidencegraph.store.core import OxigraphStore

#: What to do when the folder of -o does not take a new file.
_ADVICE = "choose a writable place with -o"

_RDF_SYNTAXES = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
#: format -> the file extensions it is guessed from (the first is its own)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "turtle": (".ttl",),
    "nt": (".nt",),
    "nq": (".nq",),
    "trig": (".trig",),
    "jsonld": (".jsonld", ".json"),
    "rdfxml": (".rdf", ".xml", ".owl"),
    "csv": (".tsv", ".csv"),
    "dot": (".dot", ".gv"),
    "graphml": (".graphml",),
    "gexf": (".gexf",),
    "svg": (".svg",),
    "png": (".png",),
    "html": (".html", ".htm"),
}
FORMATS = tuple(EXTENSIONS)
#: formats that never go to stdout
_BINARY = {"png"}
#: The prefixes written (here and by the server); not ``egid:``, whose local names hold slashes
#: that Turtle would escape (``egid:study\\/NCT02649231``): a full IRI reads better.
WRITTEN_PREFIXES = {prefix: iri for prefix, iri in PREFIXES.items() if prefix != "egid"}

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_VERIFICATION_STATUS = str(EG.verificationStatus)
#: the namespace of the graph's own nodes: what a picture draws
_DATA = str(EGID)
#: what names a node, best first (the network projection's order)
_NAME_PREDICATES = {expand(curie): rank for rank, curie in enumerate(NAME_PROPERTIES)}


def guess_format(path: Path) -> str:
    """The format a file name's extension names."""
    suffix = path.suffix.lower()
    for name, suffixes in EXTENSIONS.items():
        if suffix in suffixes:
            return name
    known = ", ".join(s for suffixes in EXTENSIONS.values() for s in suffixes)
    raise UsageError(
        f"cannot tell the format from {path.name!r}: give --format, "
        f"or end the name in one of {known}"
    )


def write(quads: Iterable[ox.Quad], fmt: str, output: Path | None, stdout: IO[bytes]) -> list[Path]:
    """Write the export; returns the files written (none when it went to ``stdout``)."""
    # by graph first (the default graph's first), so that TriG writes each graph as one block
    ordered = sorted(
        quads,
        key=lambda q: (
            not isinstance(q.graph_name, ox.DefaultGraph),
            str(q.graph_name),
            str(q.subject),
            str(q.predicate),
            str(q.object),
        ),
    )
    if fmt == "csv":
        if output is None:
            raise UsageError("--format csv writes two files (nodes and edges): give -o PREFIX")
        return _write_kgx(ordered, output)
    render = _RENDERERS.get(fmt)
    if render is None:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if output is None and fmt in _BINARY:
        raise UsageError(f"--format {fmt} is a picture, not text: give -o FILE.{fmt}")
    data = render(ordered)
    if output is None:
        stdout.write(data)
        return []
    write_files({output: data}, _ADVICE)
    return [output]


def _rdf(fmt: str) -> Callable[[list[ox.Quad]], bytes]:
    def render(quads: list[ox.Quad]) -> bytes:
        if fmt in ("nq", "trig"):
            data = ox.serialize(quads, format=_RDF_SYNTAXES[fmt], prefixes=WRITTEN_PREFIXES)
        else:
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            data = ox.serialize(triples, format=_RDF_SYNTAXES[fmt], prefixes=WRITTEN_PREFIXES)
        assert data is not None
        return data

    return render


def jsonld_bytes(quads: list[ox.Quad]) -> bytes:
    """JSON-LD compacted with the package's own context (``context.jsonld``)."""
    graph = Graph()
    for quad in quads:
        graph.add(from_quad(quad))
    context = json.loads(context_file().read_text(encoding="utf-8"))["@context"]
    text = graph.serialize(format="json-ld", context=context, auto_compact=True, indent=2)
    document = _in_stable_order(json.loads(text))
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _in_stable_order(value: object) -> object:
    """The same document with every array except an ``@list`` in one order.

    rdflib writes nodes and multi-valued properties in the order of Python's set
    iteration, which changes with the hash seed from one run to the next; an array in
    compacted JSON-LD is an unordered set unless it is an ``@list``, so sorting it keeps
    the meaning and makes the export the same bytes every time.
    """
    if isinstance(value, dict):
        return {
            key: (item if key == "@list" else _in_stable_order(item)) for key, item in value.items()
        }
    if isinstance(value, list):
        members = [_in_stable_order(item) for item in value]
        return sorted(
            members, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False)
        )
    return value


def _dot(quads: list[ox.Quad]) -> bytes:
    """A Graphviz graph people can read: one box per node of the graph, named (a study by
    its title) and coloured by its type, a claim by its verification status; one arrow per
    link between two of them, named in words as ``network path`` names it; and a legend.

    Terms of the model (classes, concepts such as ``egv:Phase2``) and IRIs outside the graph
    (the MeSH term a condition matches) are not drawn: they are not nodes of the graph."""
    labels, types = _labels(quads), _types(quads)
    statuses = _statuses(quads)
    links = [q for q in _links(quads) if _drawn(q.subject) and _drawn(q.object)]
    nodes = {_key(q.subject) for q in quads if _drawn(q.subject)}
    nodes |= {_key(q.object) for q in links}
    lines = [
        "digraph evidence {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8, color="#666666"];',
    ]
    shown: set[str] = set()
    for node in sorted(nodes):
        kind = _shown_type(types.get(node, []))
        status = statuses.get(node) if kind == "eg:Claim" else None
        fill = status_colour(status) if status else colour(kind)
        shown.add(status or kind)
        tooltip = f"{kind}, {compact(status)}" if status else kind
        lines.append(
            f"  {_dot_text(node)} [label={_dot_text(_shorten(labels.get(node, compact(node))))}, "
            f"fillcolor={_dot_text(fill)}, tooltip={_dot_text(tooltip)}, "
            f"URL={_dot_text(node)}];"
        )
    for quad in links:
        lines.append(
            f"  {_dot_text(_key(quad.subject))} -> {_dot_text(_key(quad.object))} "
            f"[label={_dot_text(predicate_label(compact(quad.predicate.value)))}];"
        )
    if shown:
        lines.append(f"  legend [shape=plaintext, style=solid, label=<{legend(shown)}>];")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _drawn(term: object) -> bool:
    """Whether a picture draws ``term``: a node of the graph (under the data namespace)."""
    return isinstance(term, ox.NamedNode) and term.value.startswith(_DATA)


def _shown_type(classes: list[str]) -> str:
    """The class a node is drawn as: one with a colour of its own, else the first."""
    coloured = sorted(c for c in classes if colour(c) != colour("other"))
    return (coloured or sorted(classes) or ["other"])[0]


def _statuses(quads: list[ox.Quad]) -> dict[str, str]:
    """Each node's verification status, as an IRI."""
    return {
        _key(q.subject): q.object.value
        for q in quads
        if q.predicate.value == _VERIFICATION_STATUS and isinstance(q.object, ox.NamedNode)
    }


def _key(term: object) -> str:
    """A node's full IRI, or its blank-node form."""
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _dot_text(text: str) -> str:
    """A DOT string: double-quoted, with quotes and backslashes escaped (UTF-8 kept as is)."""
    return json.dumps(text, ensure_ascii=False)


def _labels(quads: list[ox.Quad]) -> dict[str, str]:
    """A readable name per node: its label or title, else a finding's statement or a claim's
    quote (shortened)."""
    best: dict[str, tuple[int, str]] = {}
    for quad in quads:
        subject, obj = quad.subject, quad.object
        if not (isinstance(obj, ox.Literal) and isinstance(subject, ox.NamedNode)):
            continue
        rank = _NAME_PREDICATES.get(quad.predicate.value)
        if rank is not None and (subject.value not in best or rank < best[subject.value][0]):
            best[subject.value] = (rank, obj.value)
    return {node: text for node, (_, text) in best.items()}


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _types(quads: list[ox.Quad]) -> dict[str, list[str]]:
    """Each node's classes, as CURIEs."""
    types: dict[str, list[str]] = {}
    for quad in quads:
        if quad.predicate.value == _RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            types.setdefault(_key(quad.subject), []).append(compact(quad.object.value))
    return types


def _graph(quads: list[ox.Quad]) -> nx.MultiDiGraph:
    """The export as the network commands see a graph: :func:`network.project` of it (nodes
    with type, label and identifiers; links with predicate, label and sources), so that an
    exported GraphML reads like ``network … --format graphml`` and converts back with
    ``network.to_rdf``."""
    held = OxigraphStore(None)
    held.write_quads([], quads)
    return project(held)


def _graphml(quads: list[ox.Quad]) -> bytes:
    buffer = io.BytesIO()
    # networkx's own writer, not the lxml one it picks when lxml is installed: the two lay out
    # the XML differently, and an export must not depend on what else is installed.
    nx.write_graphml_xml(_graph(quads), buffer)
    return buffer.getvalue()


def _gexf(quads: list[ox.Quad]) -> bytes:
    buffer = io.BytesIO()
    nx.write_gexf(_graph(quads), buffer)
    return buffer.getvalue()


def _write_kgx(quads: list[ox.Quad], output: Path) -> list[Path]:
    """KGX TSV: ``PREFIX_nodes.tsv`` (id, category, name, xref) and ``PREFIX_edges.tsv`` (id,
    subject, predicate, object); identifiers as CURIEs where a prefix is known. Every node is
    typed and named: the export's own nodes by their types and names, the model's terms it
    points at (``egv:Phase2``) from the model. An IRI outside the graph (a MeSH or ChEBI term
    a condition or drug is mapped to) is no node of its own but an ``xref`` of the node that
    links to it, as KGX carries cross-references."""
    stem = output.with_suffix("") if output.suffix.lower() in (".tsv", ".csv") else output
    nodes_path = stem.with_name(stem.name + "_nodes.tsv")
    edges_path = stem.with_name(stem.name + "_edges.tsv")
    labels, types = _labels(quads), _types(quads)
    model = model_descriptions()

    def described(node: str) -> bool:
        return node in types or node in model

    edges: list[ox.Quad] = []
    xrefs: dict[str, set[str]] = {}
    for quad in _links(quads):
        target = _key(quad.object)
        if described(target):
            edges.append(quad)
        else:
            xrefs.setdefault(_key(quad.subject), set()).add(compact(target))
    nodes = set(types) | {_key(q.subject) for q in edges} | {_key(q.object) for q in edges}
    node_rows = [["id", "category", "name", "xref"]] + [
        [
            compact(node),
            "|".join(sorted(types.get(node) or model.get(node, ([], ""))[0])),
            labels.get(node) or model.get(node, ([], ""))[1],
            "|".join(sorted(xrefs.get(node, ()))),
        ]
        for node in sorted(nodes)
    ]
    edge_rows = [["id", "subject", "predicate", "object"]] + [
        [
            f"e{number}",
            compact(_key(q.subject)),
            compact(q.predicate.value),
            compact(_key(q.object)),
        ]
        for number, q in enumerate(edges, start=1)
    ]
    write_files({nodes_path: _tsv_bytes(node_rows), edges_path: _tsv_bytes(edge_rows)}, _ADVICE)
    return [nodes_path, edges_path]


def _links(quads: list[ox.Quad]) -> Iterator[ox.Quad]:
    for quad in quads:
        if quad.predicate.value != _RDF_TYPE and isinstance(
            quad.object, (ox.NamedNode, ox.BlankNode)
        ):
            yield quad


def _tsv_bytes(rows: Iterable[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter="\t", lineterminator="\n").writerows(rows)
    return text.getvalue().encode("utf-8")


_RENDERERS: dict[str, Callable[[list[ox.Quad]], bytes]] = {
    **{name: _rdf(name) for name in _RDF_SYNTAXES},
    "jsonld": jsonld_bytes,
    "dot": _dot,
    "graphml": _graphml,
    "gexf": _gexf,
    "svg": lambda quads: render(_dot(quads), "svg"),
    "png": lambda quads: render(_dot(quads), "png"),
    "html": lambda quads: html(quads, render(_dot(quads), "svg")),
}
