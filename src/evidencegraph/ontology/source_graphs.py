"""Source graphs: the named graph each source record's statements live in, how graphs are
named, and the precedence that picks the one value of a single-valued property the default
view shows (decision 0021).

Every graph is under ``https://w3id.org/evidencegraph/graph/``:

- ``graph/model``: the ontology and the concept schemes;
- ``graph/curated/NAME``: one curated evidence file (``evidence/NAME.ttl``);
- ``graph/ctgov/NCT…``, ``graph/pubmed/PMID``: one imported record, named by its id;
- ``graph/file/NAME``: a file given to ``load`` (``--graph`` names another);
- ``graph/catalog``: the description of every other graph (its kind, its source, the
  record's own version, when and by what it was imported, the checksum of its statements);
- ``graph/not-shown``: every value a source graph states of a single-valued property that
  the view does not show (decision 0030). Derived, like the view: not a source.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote

from evidencegraph.ontology.namespace import BASE, EGV

#: Base of every graph name.
GRAPH_BASE = BASE + "graph/"
#: The graph that describes every other graph.
CATALOG = GRAPH_BASE + "catalog"
#: The values the sources state and the view does not show (decision 0030): derived data,
#: written with the view, never a source.
NOT_SHOWN = GRAPH_BASE + "not-shown"
#: The graphs that describe or derive from the source graphs, and are none of them.
NOT_SOURCES = frozenset({CATALOG, NOT_SHOWN})
#: The graph of the model (ontology and concept schemes).
MODEL_GRAPH = GRAPH_BASE + "model"


class SourceKind(Enum):
    """The kinds of source a graph can hold, in the order of precedence for the default view:
    a single-valued property shows the value of the kind listed first."""

    MODEL = "ModelDefinition"
    CURATED = "CuratedEvidence"
    JOURNAL_ARTICLE = "JournalArticleRecord"
    REGISTRY = "RegistryRecord"
    OTHER = "OtherSource"

    @property
    def concept(self) -> str:
        """The concept's IRI in the source-kind scheme (``egv:``)."""
        return str(EGV[self.value])

    @property
    def rank(self) -> int:
        """0 for the kind that wins, then 1, 2 ..."""
        return list(SourceKind).index(self)

    @classmethod
    def of_concept(cls, iri: str) -> SourceKind:
        """The kind a concept IRI names; OTHER for one this version does not know."""
        for kind in cls:
            if kind.concept == iri:
                return kind
        return cls.OTHER


#: The kind of source each importer reads.
IMPORTER_KINDS = {"ctgov": SourceKind.REGISTRY, "pubmed": SourceKind.JOURNAL_ARTICLE}


def record_graph(importer: str, record_id: str) -> str:
    """The graph of one imported record: ``graph/ctgov/NCT02649231``, ``graph/pubmed/123``."""
    return f"{GRAPH_BASE}{quote(importer, safe='')}/{quote(record_id, safe='')}"


def curated_graph(name: str) -> str:
    """The graph of one curated evidence file, by its name without ``.ttl``."""
    return f"{GRAPH_BASE}curated/{quote(name, safe='')}"


def file_graph(name: str) -> str:
    """The graph of a file given to ``load``, by its file name."""
    return f"{GRAPH_BASE}file/{quote(name, safe='')}"


@dataclass(frozen=True)
class Standing:
    """What decides between two graphs stating different values: kind, then the record's
    own version (newer first), then the graph's name (so that the choice never depends on
    the order things were read)."""

    graph: str
    kind: SourceKind
    version: str | None = None

    def key(self) -> tuple[int, int, str, str]:
        # ISO dates (and years, year-months) compare as text; a version inverts to sort newest
        # first under min()
        return (self.kind.rank, 0 if self.version else 1, _inverted(self.version), self.graph)


@functools.lru_cache(maxsize=4096)
def _inverted(version: str | None) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in version) if version else ""


def winner(standings: list[Standing]) -> Standing:
    """The graph whose value the default view shows."""
    return min(standings, key=Standing.key)
