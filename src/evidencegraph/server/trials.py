"""The trials of a drug, a condition or a MeSH class, paged, with facets (issue 20 point 2).

A drug's trials are those whose arms receive it or that list an intervention of it; a
condition's, those that study it; and "and narrower" comes from the registry's MeSH tree
(docs/importing.md, "The MeSH tree"): a drug or condition that is a MeSH term
(``skos:exactMatch``) also has every study the registry indexes under that term or under a
term below it (``eg:interventionMesh``/``eg:interventionMeshAncestor``, and the condition
ones), and a MeSH term's page lists every study indexed under it or below it. The worker's
:class:`StudyTable` holds every study's title, phase, status, start, enrolment, designs and
whether it has results, and which studies each node has; the facets are counted, the filters
applied and the page cut here (decision 0027).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter

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
        return _FACET_VALUES[facet](self)


def _one(value: str) -> tuple[str, ...]:
    return (value,) if value else ()


#: Each facet's values of a trial (a table works them out for every study it holds).
_FACET_VALUES: dict[str, Callable[[Trial], tuple[str, ...]]] = {
    "phase": lambda trial: _one(trial.phase),
    "status": lambda trial: _one(trial.status),
    "design": lambda trial: trial.designs,
    "results": lambda trial: ("yes",) if trial.results else ("no",),
    "year": lambda trial: _one(trial.start[:4]),
}


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
    first; each facet counted over the trials the other facets' choices leave.

    From the worker's table when it has one; while the worker is still building it in the
    background (``per_store.warm_up``), from a table of this node's trials alone, read by SPARQL
    now: the same listing, at the cost of reading its studies' facts."""
    table = TABLES.ready(store)
    if table is None:
        table = StudyTable.build(store, only=(node, kind))
    return table.listing(table.numbers(node.value, kind), chosen, page)


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
#: The studies a table holds: ``?s`` bound to each.
_STUDIES = "VALUES ?t { eg:Study eg:Trial } ?s a ?t ."


class StudyTable:
    """What a listing shows of every study (title, NCT number, phase, status, start,
    enrolment, results, designs) and which studies each drug, condition and MeSH term has,
    read from the store once per worker: a listing then costs lookups in memory, not queries
    (a MeSH class of 60,000 studies took seconds).

    The studies are numbered newest start first, so that a listing's order is its numbers'
    order; each facet's values are held as one small number a study (a code naming the
    study's values of that facet), so that a facet of 60,000 trials is counted by
    :class:`collections.Counter` over numbers, in C, rather than study by study in Python.
    """

    def __init__(
        self,
        trials: list[Trial],
        links: dict[str, dict[str, array[int]]],
        matches: dict[str, list[str]],
    ) -> None:
        """``trials`` newest start first (:func:`_newest_first`); ``links`` and ``matches``
        as :meth:`build` reads them, the studies by their place in ``trials``."""
        self._trials = trials
        self._links = links
        self._matches = matches
        #: per facet: each study's code, and the values each code stands for
        self._codes: dict[str, array[int]] = {}
        self._values: dict[str, list[tuple[str, ...]]] = {}
        for name, _ in FACETS:
            code_of: dict[tuple[str, ...], int] = {}
            codes = array(
                "I", (code_of.setdefault(t.facet_values(name), len(code_of)) for t in trials)
            )
            self._codes[name] = codes
            self._values[name] = list(code_of)

    def __len__(self) -> int:
        return len(self._trials)

    def busiest(self, least: int) -> list[str]:
        """The drugs, conditions and MeSH terms more than ``least`` studies link to (their
        pages are the costliest: pages.py counts what graphs state of them once)."""
        return sorted(
            {
                node
                for held in self._links.values()
                for node, numbers in held.items()
                if len(numbers) > least
            }
        )

    def numbers(self, node: str, kind: str) -> list[int]:
        """The numbers of the trials of ``node`` as a listing of ``kind`` has them (see the
        module's docstring), in no order."""
        own, by_mesh = _KINDS[kind]
        found: set[int] = set()
        for link in own:
            found.update(self._links[link].get(node, ()))
        for mesh in self._matches.get(node, ()) if by_mesh else ():
            for link in by_mesh:
                found.update(self._links[link].get(mesh, ()))
        return list(found)

    def every_trial(self) -> list[Trial]:
        """Every study of the table, newest start first."""
        return list(self._trials)

    def members(self, node: str, kind: str) -> list[Trial]:
        """The trials of ``node`` as a listing of ``kind`` has them, in no order."""
        return [self._trials[number] for number in self.numbers(node, kind)]

    def listing(self, numbers: list[int], chosen: Mapping[str, str], page: int = 1) -> Listing:
        """The listing of the trials ``numbers`` (see :func:`listing`)."""
        chosen = {name: value for name, value in chosen.items() if name in FACET_NAMES and value}
        # the codes each choice keeps: a facet is counted over the trials every other
        # choice keeps
        keeps = {
            name: {code for code, values in enumerate(self._values[name]) if value in values}
            for name, value in chosen.items()
        }

        def others(but: str | None) -> list[int]:
            kept = numbers
            for name, codes in keeps.items():
                if name != but:
                    of_study = _picked(self._codes[name], kept)
                    kept = list(compress(kept, map(codes.__contains__, of_study)))
            return kept

        facets = []
        for name, caption in FACETS:
            by_code = Counter(_picked(self._codes[name], others(name)))
            counts: Counter[str] = Counter()
            for code, count in by_code.items():
                for value in self._values[name][code]:
                    counts[value] += count
            # years newest first, "yes" before "no"; the others by how many trials have them
            if name in ("year", "results"):
                order = sorted(counts, reverse=True)
            else:
                order = sorted(counts, key=lambda v: (-counts[v], v))
            values = [FacetValue(v, counts[v], chosen.get(name) == v) for v in order]
            facets.append((name, caption, values))
        matching = others(None)
        pages = max(1, -(-len(matching) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        # newest start first is the numbers' order (and a set of numbers comes out almost
        # sorted: sorting them costs less than picking the page's with a heap)
        first = sorted(matching)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        shown = [self._trials[number] for number in first]
        return Listing(len(numbers), len(matching), page, pages, shown, facets, dict(chosen))

    @classmethod
    def build(cls, store: Store, only: tuple[ox.NamedNode, str] | None = None) -> StudyTable:
        """Every study's facts, property by property (one scan each: faster than one query
        joining them), and the links listings follow. ``only`` (a node and its kind of
        listing): the table of that node's trials alone, read by one query (what a listing
        reads while the worker's own table is not built yet)."""
        service = sparql_service(store, "list trials")

        def rows(query: str) -> ox.QuerySolutions:
            found = service.run_query(_PREFIXES + query)
            assert isinstance(found, ox.QuerySolutions)
            return found

        if only is not None:  # the node's own trials are all the table holds
            node, kind = only
            trials = _trials_of(_node_studies_facts(rows, node, kind))
            links: dict[str, dict[str, array[int]]] = {name: {} for name in _LINKS}
            links[_KINDS[kind][0][0]] = {node.value: array("i", range(len(trials)))}
            return cls(trials, links, {})
        trials = _trials_of(_every_studys_facts(rows))
        number = {trial.iri: index for index, trial in enumerate(trials)}
        links = {}
        for name, pattern in _LINKS.items():
            held: dict[str, array[int]] = {}
            for subject, linked in rows(f"SELECT DISTINCT ?s ?o WHERE {{ {pattern} }}"):
                index = number.get(_text(subject))
                if index is not None:
                    held.setdefault(_text(linked), array("i")).append(index)
            links[name] = held
        matches: dict[str, list[str]] = {}
        for linked, mesh in rows(
            "SELECT ?n ?m WHERE { ?n skos:exactMatch ?m "
            "FILTER(STRSTARTS(STR(?m), 'http://id.nlm.nih.gov/mesh/')) }"
        ):
            matches.setdefault(_text(linked), []).append(_text(mesh))
        return cls(trials, links, matches)


_Rows = Callable[[str], ox.QuerySolutions]


@dataclass
class _Facts:
    """What a table reads of its studies: each one's :data:`_COLUMNS`, designs, and which
    have results (findings)."""

    columns: dict[str, list[str]]
    designs: dict[str, set[str]] = field(default_factory=dict)
    with_results: set[str] = field(default_factory=set)

    def add(self, column: int, subject: object, value: object) -> None:
        """``subject``'s ``value`` of column ``column`` (past the columns: a design)."""
        text = _text(value)
        if column == len(_COLUMNS):
            self.designs.setdefault(_text(subject), set()).add(text)
            return
        facts = self.columns.get(_text(subject))
        # a second value (the view holds one): the least, whatever order the store answers in
        if facts is not None and (not facts[column] or text < facts[column]):
            facts[column] = text


def _every_studys_facts(rows: _Rows) -> _Facts:
    """Every study's facts, a scan of each property."""
    found = _Facts(
        {
            _text(row["s"]): [""] * len(_COLUMNS)
            for row in rows(f"SELECT DISTINCT ?s WHERE {{ {_STUDIES} }}")
        }
    )
    for column, curie in enumerate([*_COLUMNS, "eg:studyDesign"]):
        for subject, value in rows(f"SELECT ?s ?o WHERE {{ ?s {curie} ?o }}"):
            found.add(column, subject, value)
    found.with_results = {
        _text(row[0]) for row in rows("SELECT DISTINCT ?s WHERE { ?f eg:ofStudy ?s }")
    }
    return found


def _node_studies_facts(rows: _Rows, node: ox.NamedNode, kind: str) -> _Facts:
    """The facts of the studies of ``node``'s listing of ``kind``: one query for the facts (a
    join per property, or a lookup per study and property, took several times as long), one
    for the designs."""
    # the node as pyoxigraph writes an IRI it accepted: no text of a caller's becomes syntax
    # (a substitution does not reach into a subquery); each member's type looked up, where
    # VALUES ?t read every study's
    members = _MEMBERS[kind].replace("?study", "?s")
    studies_of = (
        f"{{ SELECT DISTINCT ?s WHERE {{ VALUES ?node {{ {node} }} {members} "
        "?s a ?t FILTER(?t IN (eg:Study, eg:Trial)) } }"
    )
    optional = " ".join(
        f"OPTIONAL {{ ?s {curie} ?o{column} }}" for column, curie in enumerate(_COLUMNS)
    )
    listed = list(
        rows(
            f"SELECT * WHERE {{ {studies_of} {optional} "
            "BIND(EXISTS { ?f eg:ofStudy ?s } AS ?results) }"
        )
    )
    found = _Facts({_text(row["s"]): [""] * len(_COLUMNS) for row in listed})
    for row in listed:
        for column in range(len(_COLUMNS)):
            if row[f"o{column}"] is not None:
                found.add(column, row["s"], row[f"o{column}"])
        if isinstance(result := row["results"], ox.Literal) and result.value == "true":
            found.with_results.add(_text(row["s"]))
    for subject, design in rows(f"SELECT ?s ?d WHERE {{ {studies_of} ?s eg:studyDesign ?d }}"):
        found.add(len(_COLUMNS), subject, design)
    return found


def _trials_of(facts: _Facts) -> list[Trial]:
    """The studies of ``facts`` as trials, newest start first (a table's order)."""
    trials = [
        Trial(
            iri,
            title,
            nct,
            phase,
            status,
            start,
            enrolment,
            iri in facts.with_results,
            tuple(sorted(facts.designs.get(iri, ()))),
        )
        for iri, (title, nct, phase, status, start, enrolment) in facts.columns.items()
    ]
    trials.sort(key=_newest_first, reverse=True)
    return trials


def _picked(codes: array[int], numbers: Sequence[int]) -> Sequence[int]:
    """``codes`` at each of ``numbers``, picked in C (an itemgetter of them all)."""
    if len(numbers) < 2:  # an itemgetter of one answers the item, of none is an error
        return [codes[number] for number in numbers]
    picked: tuple[int, ...] = itemgetter(*numbers)(codes)
    return picked


def _newest_first(trial: Trial) -> tuple[str, str]:
    return trial.start or "0000", trial.iri


#: This worker's table of the store it holds: built at its start, in the background
#: (``per_store.warm_up``), or on the first listing.
TABLES: PerStore[StudyTable] = PerStore(StudyTable.build)


def table_of(store: Store) -> StudyTable:
    """This worker's StudyTable of ``store``, built now if it has none."""
    return TABLES.of(store)


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
