"""The trials of a drug, a condition or a MeSH class, paged, with facets (issue 20 point 2).

A drug's trials are those whose arms receive it or that list an intervention of it; a
condition's, those that study it; and "and narrower" comes from the registry's MeSH tree
(docs/importing.md, "The MeSH tree"): a drug or condition that is a MeSH term
(``skos:exactMatch``) also has every study the registry indexes under that term or under a
term below it (``eg:interventionMesh``/``eg:interventionMeshAncestor``, and the condition
ones), and a MeSH term's page lists every study indexed under it or below it. One query reads
each such study's title, phase, status, start, enrolment and whether it has results, one more
its designs; the facets are counted, the filters applied and the page cut here.
"""

from __future__ import annotations

import functools
import heapq
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

import pyoxigraph as ox

from evidencegraph.ontology.namespace import expand
from evidencegraph.server.per_store import PerStore
from evidencegraph.store.core import Store, sparql_service

#: Trials a page lists.
PAGE_SIZE = 25
#: The facets, in the order the page shows them: the request parameter and its caption.
FACETS = (
    ("phase", "Phase"),
    ("status", "Status"),
    ("design", "Design"),
    ("results", "Has results"),
    ("year", "Start year"),
)
FACET_NAMES = frozenset(name for name, _ in FACETS)
_FACET_INDEX = {name: index for index, (name, _) in enumerate(FACETS)}

_PREFIXES = (
    "PREFIX eg: <https://w3id.org/evidencegraph/ontology#>\n"
    "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
)
#: Which studies a node's page lists, by the kind of node (``?node`` is bound to it).
_MEMBERS = {
    "drug": """
        { ?study eg:hasArm/eg:receives/eg:drug ?node }
        UNION { ?intervention eg:drug ?node . ?study eg:studiesIntervention ?intervention }
        UNION { ?node skos:exactMatch ?mesh .
                ?study eg:interventionMesh|eg:interventionMeshAncestor ?mesh }""",
    "condition": """
        { ?study eg:studiesCondition ?node }
        UNION { ?node skos:exactMatch ?mesh .
                ?study eg:conditionMesh|eg:conditionMeshAncestor ?mesh }""",
    "class": """
        { ?study eg:interventionMesh|eg:interventionMeshAncestor ?node }
        UNION { ?study eg:conditionMesh|eg:conditionMeshAncestor ?node }""",
}
#: The study properties a listing shows, in :class:`Trial`'s order after its IRI.
_COLUMNS = (
    "dcterms:title",
    "eg:nctId",
    "eg:phase",
    "eg:overallStatus",
    "eg:startDate",
    "eg:enrolment",
)
#: The links from a study (or its parts) to the node that the listing shows: the page does not
#: list them again among the links into the node.
LISTED_LINKS = frozenset(
    expand(curie)
    for curie in (
        "eg:drug",
        "eg:studiesCondition",
        "eg:interventionMesh",
        "eg:interventionMeshAncestor",
        "eg:conditionMesh",
        "eg:conditionMeshAncestor",
    )
)


@dataclass(frozen=True)
class Trial:
    """One study of the listing, with what its row and the facets show."""

    iri: str
    title: str
    nct: str
    phase: str
    status: str
    start: str
    enrolment: str
    results: bool
    designs: tuple[str, ...] = ()

    @property
    def year(self) -> str:
        return self.start[:4]

    def facet_values(self, facet: str) -> tuple[str, ...]:
        """This trial's values of one facet (a trial has several designs)."""
        return self.by_facet[_FACET_INDEX[facet]]

    @functools.cached_property
    def by_facet(self) -> tuple[tuple[str, ...], ...]:
        """This trial's values of each facet, in :data:`FACETS`' order (worked out once: a
        listing counts them for tens of thousands of trials)."""
        single = {"phase": self.phase, "status": self.status, "year": self.year}
        found = []
        for facet, _ in FACETS:
            if facet == "design":
                found.append(self.designs)
            elif facet == "results":
                found.append(("yes" if self.results else "no",))
            else:
                found.append((single[facet],) if single[facet] else ())
        return tuple(found)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: the value, how many trials of the listing (with the other
    facets' filters applied) have it, and whether it is chosen."""

    value: str
    count: int
    chosen: bool


@dataclass
class Listing:
    """A page of a node's trials: the trials shown, how many match, the page, the facets."""

    total: int = 0
    matching: int = 0
    page: int = 1
    pages: int = 1
    trials: list[Trial] = field(default_factory=list)
    facets: list[tuple[str, str, list[FacetValue]]] = field(default_factory=list)
    chosen: dict[str, str] = field(default_factory=dict)


def listing(
    store: Store, node: ox.NamedNode, kind: str, chosen: Mapping[str, str], page: int = 1
) -> Listing:
    """The trials of ``node`` (a ``drug``, ``condition`` or ``class``) that have the
    ``chosen`` facet values, page ``page`` of them (the last page when past it), newest start
    first; each facet counted over the trials the other facets' choices leave."""
    trials = _trials(store, node, kind)
    chosen = {name: value for name, value in chosen.items() if name in FACET_NAMES and value}
    # which trials each choice keeps, worked out once: a facet is counted over the trials
    # every other choice keeps (a MeSH class holds 60,000 trials)
    kept = {
        name: [value in trial.by_facet[_FACET_INDEX[name]] for trial in trials]
        for name, value in chosen.items()
    }

    def others(but: str | None) -> list[Trial]:
        masks = [mask for name, mask in kept.items() if name != but]
        if not masks:
            return trials
        return [trial for trial, *keep in zip(trials, *masks, strict=True) if all(keep)]

    facets = []
    for name, caption in FACETS:
        index = _FACET_INDEX[name]
        counts = Counter(chain.from_iterable(trial.by_facet[index] for trial in others(name)))
        # years newest first, "yes" before "no"; the others by how many trials have them
        if name in ("year", "results"):
            order = sorted(counts, reverse=True)
        else:
            order = sorted(counts, key=lambda v: (-counts[v], v))
        values = [FacetValue(value, counts[value], chosen.get(name) == value) for value in order]
        facets.append((name, caption, values))
    matching = others(None)
    # newest start first: only the page's trials need the full order
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    ordered = heapq.nlargest(page * PAGE_SIZE, matching, key=_newest_first)
    shown = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return Listing(len(trials), len(matching), page, pages, shown, facets, dict(chosen))


def _newest_first(trial: Trial) -> tuple[str, str]:
    return trial.start or "0000", trial.iri


def _trials(store: Store, node: ox.NamedNode, kind: str) -> list[Trial]:
    """The trials of ``node`` (a drug, condition or MeSH class), from the worker's table."""
    return table_of(store).members(node.value, kind)


#: The links a study table keeps, by name: what a listing of each kind unites (:data:`_KINDS`).
_LINKS = {
    "condition": "?s eg:studiesCondition ?o",
    "drug": "{ ?s eg:hasArm/eg:receives/eg:drug ?o } UNION "
    "{ ?s eg:studiesIntervention/eg:drug ?o }",
    "condition-mesh": "?s eg:conditionMesh|eg:conditionMeshAncestor ?o",
    "intervention-mesh": "?s eg:interventionMesh|eg:interventionMeshAncestor ?o",
}
#: For each kind of listing: the links from the node itself, and the links from the MeSH terms
#: it matches (``skos:exactMatch``: its narrower terms' studies too).
_KINDS = {
    "drug": (("drug",), ("intervention-mesh",)),
    "condition": (("condition",), ("condition-mesh",)),
    "class": (("condition-mesh", "intervention-mesh"), ()),
}


class StudyTable:
    """What a listing shows of every study (title, NCT number, phase, status, start,
    enrolment, results, designs) and which studies each drug, condition and MeSH term has,
    read from the store the first time a worker lists trials: a listing then costs lookups in
    memory, not queries (a MeSH class of 60,000 studies took seconds)."""

    def __init__(
        self,
        trials: list[Trial],
        links: dict[str, dict[str, array[int]]],
        matches: dict[str, list[str]],
    ) -> None:
        self._trials = trials
        self._links = links
        self._matches = matches

    def __len__(self) -> int:
        return len(self._trials)

    def members(self, node: str, kind: str) -> list[Trial]:
        """The trials of ``node`` as a listing of ``kind`` has them (see the module's
        docstring), in no order."""
        own, by_mesh = _KINDS[kind]
        found: set[int] = set()
        for link in own:
            found.update(self._links[link].get(node, ()))
        for mesh in self._matches.get(node, ()) if by_mesh else ():
            for link in by_mesh:
                found.update(self._links[link].get(mesh, ()))
        return [self._trials[number] for number in found]

    @classmethod
    def build(cls, store: Store) -> StudyTable:
        """Every study's facts, property by property (one scan each: faster than one query
        joining them), and the links listings follow."""
        service = sparql_service(store, "list trials")

        def rows(query: str) -> ox.QuerySolutions:
            found = service.run_query(_PREFIXES + query)
            assert isinstance(found, ox.QuerySolutions)
            return found

        studies = {
            _text(row[0]): ["", "", "", "", "", ""]
            for row in rows("SELECT ?s WHERE { VALUES ?t { eg:Study eg:Trial } ?s a ?t }")
        }
        for column, curie in enumerate(_COLUMNS):
            for subject, value in rows(f"SELECT ?s ?o WHERE {{ ?s {curie} ?o }}"):
                facts = studies.get(_text(subject))
                if facts is not None and not facts[column]:  # a second value: the first
                    facts[column] = _text(value)
        with_results = {
            _text(row[0]) for row in rows("SELECT DISTINCT ?s WHERE { ?f eg:ofStudy ?s }")
        }
        designs: dict[str, set[str]] = {}
        for subject, design in rows("SELECT ?s ?d WHERE { ?s eg:studyDesign ?d }"):
            designs.setdefault(_text(subject), set()).add(_text(design))
        trials = []
        for iri, (title, nct, phase, status, start, enrolment) in studies.items():
            trials.append(
                Trial(
                    iri,
                    title,
                    nct,
                    phase,
                    status,
                    start,
                    enrolment,
                    iri in with_results,
                    tuple(sorted(designs.get(iri, ()))),
                )
            )
        number = {trial.iri: index for index, trial in enumerate(trials)}
        for trial in trials:  # worked out now, not on the first listing of each
            trial.by_facet  # noqa: B018
        links: dict[str, dict[str, array[int]]] = {}
        for name, pattern in _LINKS.items():
            held: dict[str, array[int]] = {}
            for subject, node in rows(f"SELECT DISTINCT ?s ?o WHERE {{ {pattern} }}"):
                index = number.get(_text(subject))
                if index is not None:
                    held.setdefault(_text(node), array("i")).append(index)
            links[name] = held
        matches: dict[str, list[str]] = {}
        for node, mesh in rows(
            "SELECT ?n ?m WHERE { ?n skos:exactMatch ?m "
            "FILTER(STRSTARTS(STR(?m), 'http://id.nlm.nih.gov/mesh/')) }"
        ):
            matches.setdefault(_text(node), []).append(_text(mesh))
        return cls(trials, links, matches)


#: This worker's table of the store it holds, built on the first listing.
_TABLES: PerStore[StudyTable] = PerStore(StudyTable.build)


def table_of(store: Store) -> StudyTable:
    """This worker's StudyTable of ``store``, built now if it has none."""
    return _TABLES.of(store)


def forget(store: Store) -> None:
    """Drop the table of ``store`` (it changed); the next listing builds it again."""
    _TABLES.forget(store)


def _text(term: object) -> str:
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else ""


def chosen_facets(arguments: Sequence[tuple[str, str]]) -> tuple[dict[str, str], int]:
    """The facet choices and the page number a request's parameters give (others ignored;
    a page that is not a number is the first)."""
    chosen: dict[str, str] = {}
    page = 1
    for name, value in arguments:
        if name in FACET_NAMES:
            chosen[name] = value
        elif name == "page":
            page = int(value) if value.isdigit() and len(value) < 7 else 1
    return chosen, page
