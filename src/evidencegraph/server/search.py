"""Search by name, synonym and identifier (issue 20 point 3, decision 0026).

Oxigraph has no full-text index, and a SPARQL ``CONTAINS`` over every name reads every name
(seconds at 100,000 studies). A worker builds a word index from the store when it starts, in
the background and in memory (decision 0027), and answers every search from it: each word of
a name, a synonym or an identifier points to the nodes it names; a search's words are
prefixes ("ket" finds ketamine, as one types), and every one of them must match a word of the
node. Until the index is built, a search reads the nodes that may match by SPARQL
(:meth:`SearchIndex.build_for`). The store does not change under a read-only server; a
writable one forgets the index after each update (:func:`forget`) and builds it again.

What is indexed: studies (title, official title, acronym, NCT, EudraCT, ISRCTN and the
sponsor's own ids), drugs (also by the names and other names of the interventions that
give them: a brand name), conditions, MeSH terms (the intervention classes and condition
branches), the vocabulary's concepts, and sources (title, PMID, DOI; not registry records,
whose study answers for them), with their labels and synonyms (``skos:altLabel``).
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import pyoxigraph as ox

from evidencegraph.ontology.namespace import expand
from evidencegraph.ontology.naming import class_hierarchy
from evidencegraph.server.evaluate import Answer
from evidencegraph.server.per_store import PerStore
from evidencegraph.server.protocol import HTML_MEDIA_TYPE
from evidencegraph.server.templating import render
from evidencegraph.server.urls import local_path
from evidencegraph.store.core import SparqlService, Store, sparql_service

JSON_MEDIA_TYPE = "application/json; charset=utf-8"

#: Results a search answers at most.
MAX_RESULTS = 10
#: Candidates a search ranks at most: a one-letter prefix names half the store, and the first
#: matches of the best-matching words are the ones worth ranking.
MAX_CANDIDATES = 5000

#: Names up to this long rank before longer ones that match alike (a drug before a title).
SHORT_NAME = 40

#: The most nodes a search reads by SPARQL each way while the worker has no index yet
#: (:meth:`SearchIndex.build_for`).
MAX_SCANNED = 300

#: The most nodes a search word's matches are gathered into a set to narrow the others by.
MAX_SET = 200_000

#: What is indexed, by kind, in the order results are listed when they match alike.
KINDS = (
    ("study", "eg:Study"),
    ("drug", "eg:Drug"),
    ("condition", "eg:Condition"),
    ("class", "eg:MeshTerm"),
    ("concept", "skos:Concept"),
    ("source", "eg:Source"),
)
_KIND_RANK = {kind: rank for rank, (kind, _) in enumerate(KINDS)}
#: Properties that name a node (the first found is its name) and then its synonyms.
_NAMES = ("dcterms:title", "rdfs:label", "skos:prefLabel", "eg:acronym", "skos:altLabel")
_OTHER_NAMES = ("eg:officialTitle",)
#: Identifiers: a search for one whole ranks its node first.
_IDENTIFIERS = ("eg:nctId", "eg:pmid", "eg:doi", "eg:eudractNumber", "eg:isrctn", "eg:orgStudyId")
_RDF_TYPE = expand("rdf:type")
_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    """``text`` as the index compares it: case folded, accents dropped (Sjögren: sjogren)."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The words of ``text``, normalised (an identifier's parts are words too)."""
    return _WORD.findall(normalise(text))


@dataclass(frozen=True)
class Hit:
    """One search result: the node, what it is called, its kind, and the synonym or
    identifier that matched when that is not its name."""

    iri: str
    name: str
    kind: str
    matched: str = ""


@dataclass(slots=True)
class _Node:
    iri: str
    kind: str
    name: str = ""
    #: every name and identifier, normalised, one per line: what later words are checked in
    text: str = ""
    shown: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)


class SearchIndex:
    """Words to the nodes they name, built from a store by :meth:`build`."""

    def __init__(self, nodes: list[_Node]) -> None:
        self._nodes = nodes
        postings: dict[str, list[int]] = defaultdict(list)
        for number, node in enumerate(nodes):
            for word in sorted(set(_WORD.findall(node.text))):
                postings[word].append(number)
        self._words = sorted(postings)
        self._postings = [array("i", postings[word]) for word in self._words]

    def __len__(self) -> int:
        return len(self._nodes)

    @classmethod
    def build(cls, store: Store, among: Sequence[ox.NamedNode] | None = None) -> SearchIndex:
        """The index of what ``store`` names (see the module's docstring); ``among``: of
        those nodes alone, looked up one by one (:meth:`build_for`)."""
        names = [*_NAMES, *_OTHER_NAMES, *_IDENTIFIERS]
        rank = {expand(curie): index for index, curie in enumerate(names)}
        identifier = {expand(curie) for curie in _IDENTIFIERS}
        cited = {expand("eg:pmid"), expand("eg:doi")}
        service = sparql_service(store, "be searched")
        if among is None:
            kinds, named, given = _read_all(service, rank)
        else:
            kinds, named, given = _look_up(store, service, among, rank)
        found: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
        for node, predicate, text in named:
            if not isinstance(node, ox.NamedNode) or not isinstance(text, ox.Literal):
                continue
            if node.value not in kinds:
                if predicate.value not in cited:
                    continue  # an arm's, a site's name: found through its study
                kinds[node.value] = "source"  # a registry reference: a PMID or DOI only
            found[node.value].append(
                (rank[predicate.value], text.value, predicate.value in identifier)
            )
        # a drug is also called what the interventions that give it are called: their names
        # and other names (brand names: Ketalar is ketamine)
        for drug, text in given:
            if (
                isinstance(drug, ox.NamedNode)
                and isinstance(text, ox.Literal)
                and kinds.get(drug.value) == "drug"
            ):
                found[drug.value].append((len(names), text.value, False))
        nodes = []
        for iri, held in found.items():
            held = sorted(set(held))
            node = _Node(iri, kinds[iri])
            node.name = next((text for _, text, is_id in held if not is_id), held[0][1])
            node.shown = list(dict.fromkeys(text for _, text, _ in held))
            node.identifiers = [normalise(text) for _, text, is_id in held if is_id]
            node.text = "\n".join(normalise(text) for text in node.shown)
            nodes.append(node)
        return cls(sorted(nodes, key=lambda n: n.iri))

    @classmethod
    def build_for(cls, store: Store, query: str) -> SearchIndex:
        """An index of the nodes that may match ``query`` alone, read by SPARQL now: what a
        search answers from while the worker's own index is not built yet (at most
        :data:`MAX_SCANNED` nodes each way; seconds on a registry-sized store, where the index
        answers in milliseconds). The nodes are those a name, synonym or identifier of
        which has a word starting with the query's longest word, or, for a drug, that its
        interventions are called so; ranked then as the whole index ranks them."""
        wanted = words(query)
        if not wanted:
            return cls([])
        longest = max(wanted, key=len)
        # letters and digits only (words()), written as literals by pyoxigraph: no text of a
        # caller's becomes syntax. CONTAINS first: a regular expression on every name costs
        # twice as much, and a substituted one is compiled again for every name
        word = ox.Literal(longest)
        starts = ox.Literal(rf"(^|[^\p{{L}}\p{{N}}]){longest}")
        label = expand("rdfs:label")
        named = " ".join(
            f"<{expand(curie)}>"
            for curie in (*_NAMES, *_OTHER_NAMES, *_IDENTIFIERS)
            if expand(curie) != label
        )
        # rdfs:label names everything (arms, outcomes, sites): the indexed kinds' alone
        kinds = " ".join(f"<{expand(c)}>" for _, curie in KINDS for c in _classes_under(curie))
        given = f"<{expand('skos:altLabel')}>|<{label}>"
        # the short names first (a drug's, a condition's, a class's), each way with its own
        # limit: study titles that have the word must not crowd out the condition named by it
        ways = (
            f"VALUES ?type {{ {kinds} }} ?node a ?type . ?node <{label}> ?text",
            f"?intervention <{expand('eg:drug')}> ?node . ?intervention {given} ?text",
            f"VALUES ?p {{ {named} }} ?node ?p ?text",
        )
        service = sparql_service(store, "be searched")
        among: dict[ox.NamedNode, None] = {}
        for way in ways:
            found = service.run_query(
                f"SELECT DISTINCT ?node WHERE {{ {way} FILTER(CONTAINS(LCASE(STR(?text)), "
                f'{word}) && REGEX(STR(?text), {starts}, "i")) }} LIMIT {MAX_SCANNED}'
            )
            assert isinstance(found, ox.QuerySolutions)
            among.update((node, None) for (node,) in found if isinstance(node, ox.NamedNode))
        return cls.build(store, list(among)) if among else cls([])

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Hit]:
        """The nodes every word of ``query`` names (the last word, and every other, as a
        prefix of a word of theirs), best first: a whole identifier or name, then a name that
        starts as the query does, then by kind (studies first) and shorter names."""
        wanted = words(query)
        if not wanted:
            return []
        # the word naming the fewest nodes leads; the others narrow it, by their nodes where
        # those are few enough to hold as a set, else by the candidates' text
        spans = {word: self._span(word) for word in set(wanted)}
        sizes = {word: sum(len(self._postings[i]) for i in span) for word, span in spans.items()}
        ordered = sorted(spans, key=lambda word: (sizes[word], word))
        within: set[int] | None = None
        rest = []
        for word in ordered[1:]:
            if sizes[word] <= MAX_SET:
                named = self._union(spans[word])
                within = named if within is None else within & named
            else:
                rest.append(word)
        candidates = self._prefixed(spans[ordered[0]], within)
        whole = normalise(query).strip()
        ranked = []
        for number in candidates:
            node = self._nodes[number]
            if rest and not all(_has_prefix(node.text, word) for word in rest):
                continue
            ranked.append((self._score(node, whole, wanted), number))
        ranked.sort()
        return [self._hit(self._nodes[number], wanted) for _, number in ranked[:limit]]

    def _span(self, prefix: str) -> range:
        """The indexes of the words that start with ``prefix``: the word itself first."""
        start = bisect.bisect_left(self._words, prefix)
        end = bisect.bisect_left(self._words, prefix + "\U0010ffff", lo=start)
        return range(start, end)

    def _union(self, span: range) -> set[int]:
        found: set[int] = set()
        for index in span:
            found.update(self._postings[index])
        return found

    def _prefixed(self, span: range, within: set[int] | None) -> list[int]:
        """The nodes of the words in ``span`` (and in ``within``, if given): the first word's
        first, then the others in order, at most :data:`MAX_CANDIDATES`."""
        seen: set[int] = set()
        found: list[int] = []
        for index in span:
            if len(found) >= MAX_CANDIDATES:
                break
            for number in self._postings[index]:
                if number not in seen and (within is None or number in within):
                    seen.add(number)
                    found.append(number)
        return found[:MAX_CANDIDATES]

    @staticmethod
    def _score(node: _Node, whole: str, wanted: list[str]) -> tuple[int, bool, int, int, str]:
        lines = node.text.split("\n")
        starting = [line for line in lines if line.startswith(whole)]
        if whole in node.identifiers or whole in lines:
            match = 0
        elif starting:
            match = 1
        elif all(re.search(rf"\b{re.escape(word)}\b", node.text) for word in wanted):
            match = 2
        else:
            match = 3
        # a short name that starts as typed ("keta": the drug ketamine) before a long title
        # that does ("Ketamine for depression with ..."): it names what is typed more nearly
        long = min((len(line) for line in starting), default=len(node.name)) > SHORT_NAME
        return match, long, _KIND_RANK.get(node.kind, len(KINDS)), len(node.name), node.iri

    @staticmethod
    def _hit(node: _Node, wanted: list[str]) -> Hit:
        name_text = normalise(node.name)
        matched = ""
        if not all(_has_prefix(name_text, word) for word in wanted):
            # say which synonym or identifier it was found by
            for shown in node.shown:
                if all(_has_prefix(normalise(shown), word) for word in wanted):
                    matched = shown
                    break
        return Hit(node.iri, node.name, node.kind, matched)


def _has_prefix(text: str, prefix: str) -> bool:
    """Whether a word of the normalised ``text`` starts with ``prefix``."""
    return re.search(rf"(?<![^\W_]){re.escape(prefix)}", text) is not None


#: rows of terms: (node, property, name) or (drug, name)
_Rows = Iterable[Sequence[Any]]


def _read_all(service: SparqlService, rank: dict[str, int]) -> tuple[dict[str, str], _Rows, _Rows]:
    """Every indexed node's kind; every (node, property, name) of them; every (drug, name of
    an intervention giving it): read kind by kind and property by property."""
    label = expand("rdfs:label")
    kinds: dict[str, str] = {}
    for kind, curie in KINDS:  # a study that is also a concept is a study
        for (node,) in _rows(service, f"SELECT ?node WHERE {{ {_typed(curie)} }}"):
            if isinstance(node, ox.NamedNode):
                kinds.setdefault(node.value, kind)
    # every name but rdfs:label in one scan (a study's title, acronym, ids; the labels of
    # concepts, drugs, conditions): those properties name little else; rdfs:label names
    # everything (arms, outcomes, sites), so it is read kind by kind
    scanned = " ".join(f"<{iri}>" for iri in rank if iri != label)
    rows = _rows(
        service, f"SELECT ?node ?p ?text WHERE {{ VALUES ?p {{ {scanned} }} ?node ?p ?text }}"
    )
    labelled = (
        row
        for _, curie in KINDS
        for row in _rows(
            service,
            f"SELECT ?node ?p ?text WHERE {{ {_typed(curie)} ?node <{label}> ?text "
            f"BIND(<{label}> AS ?p) }}",
        )
    )
    given = _rows(
        service,
        f"SELECT ?drug ?text WHERE {{ ?intervention <{expand('eg:drug')}> ?drug . "
        f"?intervention <{expand('skos:altLabel')}>|<{label}> ?text }}",
    )
    return kinds, chain(rows, labelled), given


def _look_up(
    store: Store, service: SparqlService, among: Sequence[ox.NamedNode], rank: dict[str, int]
) -> tuple[dict[str, str], _Rows, _Rows]:
    """As :func:`_read_all`, of the nodes ``among`` alone: their types and names looked up
    node by node (a query joining them to a list of nodes read every name of the store)."""
    label = expand("rdfs:label")
    properties = [ox.NamedNode(_RDF_TYPE), *(ox.NamedNode(iri) for iri in rank)]
    held = store.view_values([(node, p) for node in among for p in properties])
    types: dict[str, set[str]] = defaultdict(set)
    for quad in held:
        subject, value = quad.subject, quad.object
        if quad.predicate.value == _RDF_TYPE and isinstance(subject, ox.NamedNode):
            types[subject.value].add(str(getattr(value, "value", "")))
    kinds: dict[str, str] = {}
    for kind, curie in KINDS:
        classes = {expand(c) for c in _classes_under(curie)}
        for iri, of_node in types.items():
            if of_node & classes:
                kinds.setdefault(iri, kind)
    named = [
        (quad.subject, quad.predicate, quad.object)
        for quad in held
        if quad.predicate.value != _RDF_TYPE
        and (quad.predicate.value != label or getattr(quad.subject, "value", "") in kinds)
    ]
    given: list[Sequence[Any]] = []
    bound = ox.Variable("drug")
    for candidate in among:
        if kinds.get(candidate.value) == "drug":
            given += _rows(
                service,
                f"SELECT ?drug ?text WHERE {{ ?intervention <{expand('eg:drug')}> ?drug . "
                f"?intervention <{expand('skos:altLabel')}>|<{label}> ?text }}",
                {bound: candidate},
            )
    return kinds, named, given


def _rows(
    service: SparqlService,
    query: str,
    substitutions: dict[ox.Variable, ox.NamedNode] | None = None,
) -> ox.QuerySolutions:
    rows = service.run_query(query, substitutions=substitutions)
    assert isinstance(rows, ox.QuerySolutions)
    return rows


def _typed(curie: str) -> str:
    """A pattern binding ``?node`` to the nodes of ``curie``'s kind (:func:`_classes_under`)."""
    classes = " ".join(f"<{expand(c)}>" for c in _classes_under(curie))
    return f"VALUES ?type {{ {classes} }} ?node a ?type ."


def _classes_under(curie: str) -> list[str]:
    """``curie`` and the classes under it in the model (eg:Study: eg:Trial too), but a
    registry record: its study answers for it."""
    under = sorted(c for c, above in class_hierarchy().items() if curie in above) or [curie]
    return [c for c in under if c != "eg:RegistryRecord"]


#: This worker's index of the store it holds: built at its start, in the background
#: (``per_store.warm_up``), or on the first search.
INDEXES: PerStore[SearchIndex] = PerStore(SearchIndex.build)


def index_of(store: Store) -> SearchIndex:
    """This worker's SearchIndex of ``store``, built now if it has none."""
    return INDEXES.of(store)


@dataclass(frozen=True)
class SearchJob:
    """A search (``/search?q=``): the hits as JSON (``fmt`` json, for the search box) or as a
    page (``fmt`` html, when the box is sent without the script)."""

    query: str
    fmt: str
    limit: int = MAX_RESULTS

    def run(self, store: Store) -> Answer:
        index = INDEXES.ready(store)
        # while the worker builds its index, the nodes that may match are read by SPARQL:
        # the answer is right but may rank fewer nodes, so it is not cached
        cacheable = index is not None
        if index is None:
            index = SearchIndex.build_for(store, self.query)
        hits = index.search(self.query, self.limit)
        shown = [
            {
                "iri": hit.iri,
                "href": local_path(hit.iri) or hit.iri,
                "name": hit.name,
                "kind": hit.kind,
                "matched": hit.matched,
            }
            for hit in hits
        ]
        if self.fmt == "json":
            body = json.dumps({"query": self.query, "results": shown}, ensure_ascii=False)
            return Answer(200, JSON_MEDIA_TYPE, body.encode("utf-8"), "search", cacheable)
        page = render("search.html", title="Search", query=self.query, results=shown)
        return Answer(200, HTML_MEDIA_TYPE, page.encode("utf-8"), "search", cacheable)
