"""What people call a source on the command line, and the source graphs it stands for.

``withdraw`` takes a graph's IRI, a source's IRI or CURIE (the node the catalog says a graph
is derived from), an NCT number, a PMID, a curated file's or a loaded file's name, or the
time an import ran (every graph it wrote carries it): :func:`resolve` turns each into graphs
the store holds, or says which it cannot.
"""

from __future__ import annotations

import re

from evidencegraph.errors import UsageError
from evidencegraph.ontology.namespace import expand
from evidencegraph.ontology.source_graphs import (
    CATALOG,
    GRAPH_BASE,
    curated_graph,
    file_graph,
    record_graph,
)
from evidencegraph.store.core import Store
from evidencegraph.validation.source_view import DERIVED_FROM, GENERATED_AT, SOURCE_GRAPH

_NCT = re.compile(r"^NCT\d{8}$", re.IGNORECASE)
_PMID = re.compile(r"^(?:PMID[: ]?)?(\d{1,9})$", re.IGNORECASE)


def resolve(store: Store, names: list[str]) -> list[str]:
    """The source graphs ``names`` stand for, each once, in the order given.

    Raises UsageError naming every name that stands for no graph the store holds.
    """
    held = _catalog(store)
    found: dict[str, None] = {}
    unknown: list[str] = []
    for name in names:
        graphs = _graphs_for(name.strip(), held)
        if graphs:
            found.update(dict.fromkeys(graphs))
        else:
            unknown.append(name)
    if unknown:
        shown = ", ".join(repr(name) for name in unknown)
        raise UsageError(
            f"no source graph in the store for {shown}. Give a graph's IRI "
            f"({GRAPH_BASE}...), a source's IRI or CURIE, an NCT number, a PMID, a curated "
            "or loaded file's name, or the time an import ran (its summary prints it); "
            "list the graphs with: evidencegraph query source-graphs. Nothing was withdrawn."
        )
    return list(found)


class _Catalog:
    """What the catalog says of every graph: its source and when it was written."""

    def __init__(self) -> None:
        self.graphs: set[str] = set()
        self.by_source: dict[str, list[str]] = {}
        self.by_time: dict[str, list[str]] = {}


def _catalog(store: Store) -> _Catalog:
    catalog = _Catalog()
    result = store.query(
        "SELECT ?g ?source ?at WHERE { GRAPH <"
        + CATALOG
        + "> { ?g a "
        + str(SOURCE_GRAPH)
        + " OPTIONAL { ?g "
        + str(DERIVED_FROM)
        + " ?source } OPTIONAL { ?g "
        + str(GENERATED_AT)
        + " ?at } } }"
    )
    for row in result.rows:
        graph = str(row["g"])
        catalog.graphs.add(graph)
        if row.get("source") is not None:
            catalog.by_source.setdefault(str(row["source"]), []).append(graph)
        if row.get("at") is not None:
            catalog.by_time.setdefault(str(row["at"]), []).append(graph)
    return catalog


def _graphs_for(name: str, held: _Catalog) -> list[str]:
    candidates: list[str] = []
    iri = expand(name)
    if iri.startswith(("http://", "https://")):
        candidates += [iri, *held.by_source.get(iri, [])]
    if _NCT.match(name):
        candidates.append(record_graph("ctgov", name.upper()))
    pmid = _PMID.match(name)
    if pmid:
        candidates.append(record_graph("pubmed", pmid.group(1)))
    candidates += [curated_graph(name.removesuffix(".ttl")), file_graph(name)]
    candidates += held.by_time.get(name, [])
    graphs = [graph for graph in dict.fromkeys(candidates) if graph in held.graphs]
    return graphs
