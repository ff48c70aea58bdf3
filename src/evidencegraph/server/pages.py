"""Linked-data resources: the triples a dereferenced IRI returns, and its HTML page.

A resource's description is its own triples, the links into it, and the types and names of
every node those triples name. A study brings its record (arms and what they receive,
outcomes, findings, registry links, sources) and the provenance an export brings (the claims
about it and about its findings, with the sources that assert them); a claim brings the source
that asserts it; a source the claims it makes. The page shows the same triples for people,
with each claim set against the evidence: where it comes from, and where it disagrees.
"""

from __future__ import annotations

import functools
import html
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import RDFS, SKOS, URIRef

from evidencegraph.export.select import Selection, model_terms, with_provenance
from evidencegraph.graph.network import NAME_PROPERTIES
from evidencegraph.graph.store import Store
from evidencegraph.graph.terms import RDF_TYPE, to_oxigraph
from evidencegraph.graph.validation import model_graph
from evidencegraph.ontology.namespace import compact, expand

#: The most links into one resource a description holds (a vocabulary concept such as
#: egv:Phase2 is the object of one triple per study of that phase).
MAX_INCOMING = 1000

#: The local path of an IRI under the project's base, or None (``server.urls.local_path``).
LocalPath = Callable[[str], "str | None"]

#: The alternate formats a resource page links to: extension, media type, name.
ALTERNATES = (
    (".ttl", "text/turtle", "Turtle"),
    (".jsonld", "application/ld+json", "JSON-LD"),
    (".nt", "application/n-triples", "N-Triples"),
    (".rdf", "application/rdf+xml", "RDF/XML"),
)

_Subject = ox.NamedNode | ox.BlankNode
_Term = ox.NamedNode | ox.BlankNode | ox.Literal

_NAME_IRIS = tuple(expand(curie) for curie in NAME_PROPERTIES)
_NAMING = [RDF_TYPE, *(ox.NamedNode(iri) for iri in _NAME_IRIS)]
_LABELS = [ox.NamedNode(str(RDFS.label)), ox.NamedNode(str(SKOS.prefLabel))]
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Links from a study to its parts, whose triples its description holds in full.
_PARTS = ("eg:hasArm", "eg:hasOutcome", "eg:registryLink")
#: How a claim can be about a study directly, as the page says it.
_CLAIM_TIES = (
    ("eg:about", "about this study"),
    ("eg:candidateReferent", "may be about this study (a candidate referent)"),
    ("eg:closestEvidence", "this study is the closest evidence found"),
)
#: Verification statuses in the order the page lists claims: disagreements first.
_STATUS_ORDER = ("Misreported", "Contested", "Unsupported", "AmbiguousReferent", "Unverified")


def _p(curie: str) -> str:
    """The IRI of a CURIE (``eg:hasArm``)."""
    return expand(curie)


@functools.cache
def _subclasses(curie: str) -> frozenset[str]:
    """The IRIs of a class of the model and of every class under it."""
    graph, root = model_graph(), URIRef(_p(curie))
    return frozenset(str(c) for c in graph.transitive_subjects(RDFS.subClassOf, root))


@functools.cache
def _model_labels() -> dict[str, str]:
    """The label of every term of the model (``skos:prefLabel`` or ``rdfs:label``)."""
    labels: dict[str, str] = {}
    graph = model_graph()
    for predicate in (RDFS.label, SKOS.prefLabel):  # a concept's preferred label wins
        for subject, label in sorted(graph.subject_objects(predicate)):
            if isinstance(subject, URIRef) and getattr(label, "language", None) in (None, "en"):
                labels[str(subject)] = str(label)
    return labels


# --- what a dereference returns ------------------------------------------------------------


@dataclass
class _Description:
    """The triples of one resource's description, and whether its incoming links were cut."""

    quads: set[ox.Quad] = field(default_factory=set)
    truncated: bool = False


def describe(store: Store, iri: str) -> list[ox.Quad]:
    """The triples a dereference of ``iri`` returns, sorted; an empty list when the store
    knows nothing of it (the server answers 404).

    They are the resource's own triples, the links into it (at most :data:`MAX_INCOMING`) and
    the types and names of the nodes they name; for a study also its arms and what they
    receive, its outcomes, findings, registry links and sources, with the claims about them
    and the sources that assert those; for a claim its source; for a source its claims.
    """
    quads = _gather(store, iri).quads
    return sorted(quads, key=lambda q: (str(q.subject), q.predicate.value, str(q.object)))


def _gather(store: Store, iri: str) -> _Description:
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return _Description()
    own = store.links([node], [])
    if not own and node in model_terms():
        own = _model_quads(node)
    incoming, truncated = _incoming(store, node)
    if not own and not incoming:
        return _Description()
    quads = own | incoming
    full: set[_Subject] = {node}
    kinds = {
        o.value for q in own if q.predicate == RDF_TYPE and isinstance(o := q.object, ox.NamedNode)
    }
    if kinds & _subclasses("eg:Study"):
        record = _study_record(store, node, quads)
        quads = with_provenance(store, record)
        full |= record.described
        full |= _subjects(quads, "eg:assertedBy")
    elif _p("eg:Claim") in kinds:
        sources = _objects(own, "eg:assertedBy")
        quads |= store.links(sources, [])
        full |= set(sources)
    elif kinds & _subclasses("eg:Source"):
        claims = _subjects(incoming, "eg:assertedBy")
        quads |= store.links(sorted(claims, key=str), [])
        full |= claims
    return _Description(_with_names(store, quads, full), truncated)


def _incoming(store: Store, node: ox.NamedNode) -> tuple[set[ox.Quad], bool]:
    """The links into ``node``, at most :data:`MAX_INCOMING`, and whether there were more."""
    rows = store.query(
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {MAX_INCOMING + 1}", {"o": URIRef(node.value)}
    ).rows
    quads = sorted(
        {ox.Quad(to_oxigraph(row["s"]), to_oxigraph(row["p"]), node) for row in rows},  # type: ignore[arg-type]
        key=str,
    )
    return set(quads[:MAX_INCOMING]), len(quads) > MAX_INCOMING


def _model_quads(node: ox.NamedNode) -> set[ox.Quad]:
    """A model term's triples from the packaged model, for a store that does not hold them."""
    pairs = model_graph().predicate_objects(URIRef(node.value))
    return {ox.Quad(node, ox.NamedNode(str(p)), to_oxigraph(o)) for p, o in pairs}


def _is_node(term: object) -> bool:
    return isinstance(term, (ox.NamedNode, ox.BlankNode))


def _subjects(quads: Iterable[ox.Quad], curie: str) -> set[_Subject]:
    """The subjects of the quads along one predicate (RDF-star triples left out)."""
    predicate = _p(curie)
    found = (q.subject for q in quads if q.predicate.value == predicate)
    return {s for s in found if isinstance(s, (ox.NamedNode, ox.BlankNode))}


def _objects(quads: Iterable[ox.Quad], *curies: str) -> list[ox.NamedNode]:
    """The IRIs the quads link to along the given predicates, sorted."""
    wanted = {_p(curie) for curie in curies}
    found = {q.object for q in quads if q.predicate.value in wanted}
    return sorted((n for n in found if isinstance(n, ox.NamedNode)), key=lambda n: n.value)


def _study_record(store: Store, study: ox.NamedNode, quads: set[ox.Quad]) -> Selection:
    """A study's triples with those of its parts: arms and what they receive, outcomes,
    registry links, findings, and the sources it or its findings derive from or that report
    it; all of them described, so that their provenance comes along."""
    own = [q for q in quads if q.subject == study]
    parts = _objects(own, *_PARTS)
    findings = sorted(_subjects(quads, "eg:ofStudy"), key=str)
    found = quads | store.links([*parts, *findings], [])
    interventions = _objects(found, "eg:receives")
    found |= store.links(interventions, [])
    sources: set[_Subject] = _subjects(quads, "eg:reports")
    sources.update(_objects(own, "prov:wasDerivedFrom"))
    sources.update(_objects((q for q in found if q.subject in findings), "prov:wasDerivedFrom"))
    ordered = sorted(sources, key=str)
    found |= store.links(ordered, [])
    return Selection(found, {study, *parts, *findings, *interventions, *ordered})


def _with_names(store: Store, quads: set[ox.Quad], full: set[_Subject]) -> set[ox.Quad]:
    """``quads`` with the types and names of the nodes they name without describing them in
    full, and the labels of the model's terms (vocabulary concepts, classes) among their
    objects."""
    terms = model_terms()
    named: set[_Subject] = set()
    concepts: set[ox.NamedNode] = set()
    for q in quads:
        if _is_node(q.subject):
            named.add(q.subject)  # type: ignore[arg-type]
        if isinstance(q.object, ox.NamedNode) and q.object in terms:
            concepts.add(q.object)
        elif isinstance(q.object, (ox.NamedNode, ox.BlankNode)) and q.predicate != RDF_TYPE:
            named.add(q.object)
    nodes = sorted(named - full - terms, key=str)
    found = quads | store.about(nodes, _NAMING)
    return found | store.about(sorted(concepts, key=lambda n: n.value), _LABELS)


# --- the page ------------------------------------------------------------------------------


def html_page(title: str, body: str, head: str = "") -> str:
    """A whole page of the server's: ``title`` is escaped here; ``body`` and ``head`` are
    HTML the caller has escaped."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · evidencegraph</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="data:,">
{head}</head>
<body>
<header class="site">
<a class="brand" href="/">evidencegraph</a>
<nav><a href="/">Query</a> <a href="/ontology">Ontology</a> \
<a href="/.well-known/void">Dataset (VoID)</a></nav>
</header>
<main>
{body}
</main>
</body>
</html>
"""


def resource_html(store: Store, iri: str, local_path: LocalPath) -> str | None:
    """The HTML page of ``iri``, or None when the store knows nothing of it (404).

    ``local_path`` maps an IRI under the project's base to the path that serves it; links to
    other IRIs go to the IRI itself (http and https only). Every text is escaped.
    """
    description = _gather(store, iri)
    if not description.quads:
        return None
    page = _ResourcePage(_Facts(description.quads), ox.NamedNode(iri), local_path)
    return page.render(description.truncated)


class _Facts:
    """The triples of a description, looked up by subject and by object."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self._out: dict[_Term, dict[str, list[_Term]]] = defaultdict(lambda: defaultdict(list))
        self._in: dict[_Term, list[tuple[_Term, str]]] = defaultdict(list)
        for q in quads:
            self._out[q.subject][q.predicate.value].append(q.object)  # type: ignore[index,arg-type]
            self._in[q.object].append((q.subject, q.predicate.value))  # type: ignore[index,arg-type]

    def properties(self, subject: _Term) -> dict[str, list[_Term]]:
        """Every predicate of ``subject`` with its objects, by the predicates' labels."""
        held = self._out.get(subject, {})
        ordered = sorted(held, key=lambda p: ((_model_labels().get(p) or compact(p)).casefold(), p))
        return {p: self._sorted(held[p]) for p in ordered}

    def objects(self, subject: _Term, curie: str) -> list[_Term]:
        return self._sorted(self._out.get(subject, {}).get(_p(curie), []))

    def first(self, subject: _Term, curie: str) -> _Term | None:
        found = self.objects(subject, curie)
        return found[0] if found else None

    def subjects(self, curie: str, obj: _Term) -> list[_Term]:
        predicate = _p(curie)
        return self._sorted(s for s, p in self._in.get(obj, []) if p == predicate)

    def incoming(self, obj: _Term) -> list[tuple[_Term, str]]:
        return sorted(self._in.get(obj, []), key=lambda pair: (pair[1], self.name(pair[0])))

    def types(self, subject: _Term) -> set[str]:
        return {t.value for t in self._out.get(subject, {}).get(RDF_TYPE.value, [])}

    def name(self, term: _Term) -> str:
        """What a person calls ``term``: its label, title, statement or quote, the model's
        label of a term of the model, or its CURIE."""
        if isinstance(term, ox.Literal):
            return term.value
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        held = self._out.get(term, {})
        for predicate in _NAME_IRIS:
            names = [n for n in held.get(predicate, []) if isinstance(n, ox.Literal)]
            english = [n for n in names if n.language in (None, "en")]
            if names:
                return min(n.value for n in english or names)
        return _model_labels().get(term.value) or compact(term.value)

    def _sorted(self, terms: Iterable[_Term]) -> list[_Term]:
        return sorted(set(terms), key=lambda t: (self.name(t), str(t)))


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _ontology_anchor(iri: str) -> str | None:
    """The anchor of a term of the model on the ontology page, or None."""
    from evidencegraph.server.ontology_page import anchor  # that module builds on this one

    return anchor(iri) if ox.NamedNode(iri) in model_terms() else None


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _percent(level: _Term | None) -> str:
    """A confidence level (0.95) as a percentage and a space ("95% "), or nothing."""
    try:
        return f"{float(level.value) * 100:g}% " if isinstance(level, ox.Literal) else ""
    except ValueError:
        return ""


def _status_rank(status: _Term | None) -> int:
    """Where a claim with this verification status is listed: disagreements first."""
    name = _local_name(status.value) if isinstance(status, ox.NamedNode) else ""
    return _STATUS_ORDER.index(name) if name in _STATUS_ORDER else len(_STATUS_ORDER)


def _status_class(status: _Term | None) -> str:
    """The CSS class of a verification status (``status-misreported``)."""
    if not isinstance(status, ox.NamedNode):
        return "status-none"
    return "status-" + "".join(c for c in _local_name(status.value).lower() if c.isalnum())


class _Html:
    """Terms written as HTML: IRIs as links, literals as escaped text."""

    def __init__(self, facts: _Facts, local_path: LocalPath) -> None:
        self.facts = facts
        self.local_path = local_path

    def href(self, iri: str) -> str | None:
        local = self.local_path(iri)
        if local is not None:
            return local
        return iri if iri.startswith(("http://", "https://")) else None

    def link(self, term: _Term, text: str | None = None) -> str:
        """``term`` as a link to its page (a literal as text)."""
        if not isinstance(term, ox.NamedNode):
            return self.value(term)
        shown = _e(text if text is not None else self.facts.name(term))
        href = self.href(term.value)
        if href is None:
            return f'<span class="iri" title="{_e(term.value)}">{shown}</span>'
        external = "" if self.local_path(term.value) else ' class="external"'
        return f'<a href="{_e(href)}"{external} title="{_e(term.value)}">{shown}</a>'

    def value(self, term: _Term) -> str:
        """An object as the page shows it: a link, a blank node, or a literal with its
        language or (other than string) datatype."""
        if isinstance(term, ox.NamedNode):
            return self.link(term)
        if isinstance(term, ox.BlankNode):
            return f'<span class="bnode">_:{_e(term.value)}</span>'
        text = _e(term.value)
        if term.language:
            return f'{text} <span class="lang">@{_e(term.language)}</span>'
        datatype = term.datatype.value
        if datatype == _XSD + "anyURI" and term.value.startswith(("http://", "https://")):
            return f'<a class="external" href="{text}">{text}</a>'
        if datatype == _XSD + "string":
            return text
        return f'<span title="{_e(compact(datatype))}">{text}</span>'

    def values(self, terms: Sequence[_Term], separator: str = "<br>") -> str:
        return separator.join(self.value(t) for t in terms) if terms else "—"

    def links(self, terms: Sequence[_Term], separator: str = ", ") -> str:
        return separator.join(self.link(t) for t in terms) if terms else "—"

    def plain(self, term: _Term | None) -> str:
        """A term's name as escaped text, or a dash."""
        return "—" if term is None else _e(self.facts.name(term))


class _ResourcePage(_Html):
    """The page of one resource: what it is, its kind's sections, its triples."""

    def __init__(self, facts: _Facts, node: ox.NamedNode, local_path: LocalPath) -> None:
        super().__init__(facts, local_path)
        self.node = node

    def render(self, truncated: bool) -> str:
        facts, node = self.facts, self.node
        kinds = facts.types(node)
        sections: list[str] = []
        if kinds & _subclasses("eg:Study"):
            sections = self.study_sections()
        elif _p("eg:Claim") in kinds:
            sections = [self.claim_section()]
        elif kinds & _subclasses("eg:Source"):
            sections = [self.source_claims_section()]
        body = "\n".join(
            [self.heading(), *sections, self.properties_section(), self.incoming_section(truncated)]
        )
        return html_page(facts.name(node), body, self.alternate_links())

    # -- what every page has

    def formats(self) -> list[tuple[str, str, str]]:
        """(path, media type, name) of each alternate format of the page's resource."""
        path = self.local_path(self.node.value)
        if path is None or "#" in path:
            return []
        return [(path + extension, media, name) for extension, media, name in ALTERNATES]

    def alternate_links(self) -> str:
        return "".join(
            f'<link rel="alternate" type="{media}" href="{_e(path)}">\n'
            for path, media, _ in self.formats()
        )

    def heading(self) -> str:
        facts, node = self.facts, self.node
        types = facts.objects(node, "rdf:type")
        kinds = ", ".join(self.link(t) for t in types) or "a resource with no type"
        formats = " · ".join(
            f'<a href="{_e(path)}" type="{media}">{name}</a>'
            for path, media, name in self.formats()
        )
        also = f'<p class="formats">This description as {formats}</p>' if formats else ""
        documented = _ontology_anchor(node.value)
        if documented is not None:
            also += (
                f'<p class="formats">Documented in <a href="/ontology#{_e(documented)}">the '
                "ontology</a></p>"
            )
        return (
            f'<h1>{_e(facts.name(node))}</h1>\n<p class="iri"><code>{_e(node.value)}</code></p>\n'
            f'<p class="types">{kinds}</p>\n{also}'
        )

    def properties_section(self) -> str:
        rows = []
        for predicate, objects in self.facts.properties(self.node).items():
            if predicate == RDF_TYPE.value:
                continue
            rows.append(
                f"<tr><th>{self.predicate(predicate)}</th><td>{self.values(objects)}</td></tr>"
            )
        table = f'<table class="properties">{"".join(rows)}</table>' if rows else "<p>None.</p>"
        return f'<section id="properties">\n<h2>Properties</h2>\n{table}\n</section>'

    def incoming_section(self, truncated: bool) -> str:
        links = self.facts.incoming(self.node)
        if not links:
            return '<section id="incoming">\n<h2>Links here</h2>\n<p>None.</p>\n</section>'
        rows = "".join(
            f"<tr><td>{self.link(subject)}</td><td>{self.predicate(predicate)}</td></tr>"
            for subject, predicate in links
        )
        note = (
            f'<p class="note">The first {MAX_INCOMING:,} links are shown; query the SPARQL '
            "endpoint for all of them.</p>"
            if truncated
            else ""
        )
        return (
            f'<section id="incoming">\n<h2>Links here ({len(links):,})</h2>\n{note}'
            f'<table class="incoming"><tr><th>From</th><th>by</th></tr>{rows}</table>\n</section>'
        )

    def predicate(self, iri: str) -> str:
        label = _model_labels().get(iri) or compact(iri)
        curie = compact(iri)
        shown = self.link(ox.NamedNode(iri), label)
        return shown + (f' <span class="curie">{_e(curie)}</span>' if curie != label else "")

    # -- a study

    def study_sections(self) -> list[str]:
        return [
            self.conditions_section(),
            self.arms_section(),
            self.outcomes_section(),
            self.findings_section(),
            self.study_claims_section(),
            self.sources_section(),
        ]

    def conditions_section(self) -> str:
        conditions = self.facts.objects(self.node, "eg:studiesCondition")
        links = self.facts.objects(self.node, "eg:registryLink")
        lines = [f"<p>Conditions: {self.links(conditions)}</p>"]
        for link in links:  # a registry identifier that is not a fact: say how it stands
            basis = self.plain(self.facts.first(link, "eg:linkBasis"))
            status = self.facts.first(link, "eg:verificationStatus")
            registry_id = self.facts.first(link, "eg:registryId")
            shown = self.facts.name(registry_id if registry_id is not None else link)
            lines.append(
                f"<p>Registry link: {self.link(link, shown)} ({basis}) "
                f"{self.status_badge(status)}</p>"
            )
        return '<section id="conditions">\n' + "\n".join(lines) + "\n</section>"

    def arms_section(self) -> str:
        facts = self.facts
        rows = []
        for arm in facts.objects(self.node, "eg:hasArm"):
            received = "".join(
                f"<li>{self.intervention(i)}</li>" for i in facts.objects(arm, "eg:receives")
            )
            rows.append(
                f"<tr><td>{self.link(arm)}</td>"
                f"<td>{self.links(facts.objects(arm, 'eg:armRole'))}</td>"
                f"<td>{self.plain(facts.first(arm, 'eg:participants'))}</td>"
                f"<td><ul>{received}</ul></td></tr>"
            )
        return self.table_section(
            "arms", "Arms", ["Arm", "Role", "Participants", "Receives"], rows, "No arms recorded."
        )

    def intervention(self, intervention: _Term) -> str:
        facts = self.facts
        kind = self.links(facts.objects(intervention, "eg:interventionType"))
        drugs = facts.objects(intervention, "eg:drug")
        drug = f"; drug: {self.links(drugs)}" if drugs else ""
        return f'{self.link(intervention)} <span class="kind">({kind}{drug})</span>'

    def outcomes_section(self) -> str:
        facts = self.facts
        rows = [
            f"<tr><td>{self.link(outcome)}</td>"
            f"<td>{self.values(facts.objects(outcome, 'eg:timeFrame'))}</td>"
            f"<td>{self.primary(facts.first(outcome, 'eg:isPrimaryOutcome'))}</td></tr>"
            for outcome in facts.objects(self.node, "eg:hasOutcome")
        ]
        return self.table_section(
            "outcomes", "Outcomes", ["Outcome", "Time frame", "Primary"], rows, "None recorded."
        )

    @staticmethod
    def primary(value: _Term | None) -> str:
        if not isinstance(value, ox.Literal):
            return "—"
        return "primary" if value.value in ("true", "1") else "secondary"

    def findings_section(self) -> str:
        facts = self.facts
        rows = []
        for finding in facts.subjects("eg:ofStudy", self.node):
            comparators = facts.objects(finding, "eg:comparatorGroup")
            against = self.links(comparators) if comparators else ""
            described = facts.objects(finding, "eg:comparatorDescription")
            if described:
                against += f' <span class="kind">({self.values(described, "; ")})</span>'
            groups = self.links(facts.objects(finding, "eg:experimentalGroup"))
            if against:
                groups += f"<br>vs {against}"
            rows.append(
                f"<tr><td>{self.link(finding)}</td>"
                f"<td>{self.links(facts.objects(finding, 'eg:outcome'))}</td>"
                f"<td>{groups}</td><td>{self.result(finding)}</td>"
                f"<td>{self.links(facts.objects(finding, 'prov:wasDerivedFrom'))}</td></tr>"
            )
        headers = ["Finding", "Outcome", "Groups", "Result", "Source"]
        return self.table_section("findings", "Findings", headers, rows, "No findings recorded.")

    def result(self, finding: _Term) -> str:
        """A finding's numbers (measure, value and unit, confidence interval, p-value,
        spread), then its direction and level of evidence."""
        facts = self.facts
        parts = []
        measure = facts.first(finding, "eg:effectMeasure")
        value = facts.first(finding, "eg:value")
        unit = facts.first(finding, "eg:unitLabel") or facts.first(finding, "eg:unit")
        if value is not None:
            shown = _e(facts.name(value)) + (f" {self.plain(unit)}" if unit is not None else "")
            parts.append(f"{self.plain(measure)}: {shown}" if measure is not None else shown)
        elif measure is not None:
            parts.append(self.plain(measure))
        lower, upper = facts.first(finding, "eg:ciLower"), facts.first(finding, "eg:ciUpper")
        if lower is not None and upper is not None:
            percent = _percent(facts.first(finding, "eg:confidenceLevel"))
            parts.append(f"{percent}CI {self.plain(lower)} to {self.plain(upper)}")
        for curie, caption in (("eg:pValue", "p = "), ("eg:denominator", "of ")):
            found = facts.first(finding, curie)
            if found is not None:
                parts.append(caption + self.plain(found))
        spread = facts.first(finding, "eg:spread")
        if spread is not None:
            spread_type = facts.first(finding, "eg:spreadType")
            parts.append(
                f"{self.plain(spread_type) if spread_type else 'spread'} {self.plain(spread)}"
            )
        lines = ["; ".join(parts)] if parts else []
        for curie in ("eg:direction", "eg:evidenceLevel"):
            values = facts.objects(finding, curie)
            if values:
                lines.append(f"{self.predicate_label(curie)}: {self.links(values)}")
        return "<br>".join(lines) or "—"

    @staticmethod
    def predicate_label(curie: str) -> str:
        return _e(_model_labels().get(_p(curie)) or curie)

    def study_claims_section(self) -> str:
        facts = self.facts
        direct: dict[_Term, list[str]] = {}
        for curie, words in _CLAIM_TIES:
            for claim in facts.subjects(curie, self.node):
                if _p("eg:Claim") in facts.types(claim):
                    direct.setdefault(claim, []).append(words)
        evidence = {
            *facts.subjects("eg:ofStudy", self.node),
            *facts.subjects("eg:reports", self.node),
            *facts.objects(self.node, "prov:wasDerivedFrom"),
        }
        bearing = {
            claim
            for item in evidence
            for curie in ("eg:supportedBy", "eg:disputedBy")
            for claim in facts.subjects(curie, item)
            if claim not in direct
        }
        about = self.claim_list(sorted(direct, key=self.claim_order), direct)
        others = self.claim_list(sorted(bearing, key=self.claim_order), {})
        body = [
            '<section id="claims">\n<h2>Claims about this study</h2>',
            self.claim_summary(list(direct)) + about if direct else "<p>None recorded.</p>",
        ]
        if bearing:
            body += [
                "<h3>Other claims its findings or sources bear on</h3>",
                self.claim_summary(list(bearing)) + others,
            ]
        return "\n".join(body) + "\n</section>"

    def claim_order(self, claim: _Term) -> tuple[int, str]:
        return _status_rank(self.facts.first(claim, "eg:verificationStatus")), self.facts.name(
            claim
        )

    def claim_summary(self, claims: Sequence[_Term]) -> str:
        """How many claims, from how many sources, and how they stand."""
        facts = self.facts
        sources = {s for claim in claims for s in facts.objects(claim, "eg:assertedBy")}
        statuses = Counter(facts.first(claim, "eg:verificationStatus") for claim in claims)
        counts = ", ".join(
            f'<span class="status {_status_class(status)}">{n} {self.plain(status)}</span>'
            for status, n in sorted(statuses.items(), key=lambda item: _status_rank(item[0]))
        )
        return (
            f'<p class="summary">{_count(len(claims), "claim")} from '
            f"{_count(len(sources), 'source')}: {counts}</p>"
        )

    def status_badge(self, status: _Term | None) -> str:
        """A verification status as a coloured badge linking to the concept's page."""
        href = self.href(status.value) if isinstance(status, ox.NamedNode) else None
        target = f' href="{_e(href)}"' if href else ""
        return f'<a class="status {_status_class(status)}"{target}>{self.plain(status)}</a>'

    def claim_list(self, claims: Sequence[_Term], ties: dict[_Term, list[str]]) -> str:
        items = "\n".join(
            f"<li>{self.claim_card(claim, ties.get(claim, []))}</li>" for claim in claims
        )
        return f'<ol class="claims">\n{items}\n</ol>'

    def claim_card(self, claim: _Term, ties: Sequence[str] = ()) -> str:
        """One claim: its words, who says it, how it stands, and the evidence for and
        against it."""
        facts = self.facts
        status = facts.first(claim, "eg:verificationStatus")
        quote = facts.first(claim, "eg:quote")
        words = _e(facts.name(quote if quote is not None else claim))
        sources = facts.objects(claim, "eg:assertedBy")
        said_by = "; ".join(self.source_line(source) for source in sources) or "no source recorded"
        # on the source's own page, who says it goes without saying
        said = [] if sources == [self.node] else [f'<p class="by">said by {said_by}</p>']
        verdict = [self.status_badge(status)]
        kind = facts.objects(claim, "eg:claimKind")
        if kind:
            verdict.append(self.links(kind))
        stated = facts.first(claim, "eg:statedValue")
        if stated is not None:
            unit = facts.first(claim, "eg:statedUnit")
            verdict.append(
                f"states {self.plain(stated)}" + (f" {self.plain(unit)}" if unit else "")
            )
        href = self.href(claim.value) if isinstance(claim, ox.NamedNode) else None
        lines = [
            f'<blockquote><a href="{_e(href)}">{words}</a></blockquote>'
            if href
            else f"<blockquote>{words}</blockquote>",
            *said,
            f'<p class="verdict">{" · ".join(verdict)}</p>',
        ]
        for curie, caption in (
            ("eg:disputedBy", "Disputed by"),
            ("eg:supportedBy", "Supported by"),
            ("eg:candidateReferent", "Candidate referents"),
            ("eg:closestEvidence", "Closest evidence"),
        ):
            found = facts.objects(claim, curie)
            if found:
                css = "against" if curie == "eg:disputedBy" else "evidence"
                lines.append(f'<p class="{css}">{caption}: {self.links(found, "; ")}</p>')
        for note in facts.objects(claim, "eg:verificationNote"):
            lines.append(f'<p class="note">{_e(facts.name(note))}</p>')
        if ties:
            lines.append(f'<p class="tie">{_e("; ".join(ties))}</p>')
        return f'<div class="claim {_status_class(status)}">\n' + "\n".join(lines) + "\n</div>"

    def source_line(self, source: _Term) -> str:
        """A source with what a reader weighs it by: its kind, peer review, commercial
        interests."""
        facts = self.facts
        notes = [self.links(facts.objects(source, "rdf:type"))]
        reviewed = facts.first(source, "eg:peerReviewed")
        if isinstance(reviewed, ox.Literal):
            notes.append(
                "peer reviewed" if reviewed.value in ("true", "1") else "not peer reviewed"
            )
        interests = facts.objects(source, "eg:commercialInterest")
        if interests:
            notes.append(
                f'<span class="against">commercial interest: {self.links(interests)}</span>'
            )
        return f"{self.link(source)} ({', '.join(notes)})"

    def sources_section(self) -> str:
        facts = self.facts
        roles: dict[_Term, list[str]] = defaultdict(list)
        for source in facts.subjects("eg:reports", self.node):
            roles[source].append("reports this study")
        for source in facts.objects(self.node, "prov:wasDerivedFrom"):
            roles[source].append("the study record draws on it")
        for finding in facts.subjects("eg:ofStudy", self.node):
            for source in facts.objects(finding, "prov:wasDerivedFrom"):
                if "findings derive from it" not in roles[source]:
                    roles[source].append("findings derive from it")
        rows = []
        for source in sorted(roles, key=lambda s: facts.name(s)):
            identifiers = [
                *(f"DOI {self.plain(v)}" for v in facts.objects(source, "eg:doi")),
                *(f"PMID {self.plain(v)}" for v in facts.objects(source, "eg:pmid")),
                *(self.value(v) for v in facts.objects(source, "eg:url")),
            ]
            rows.append(
                f"<tr><td>{self.source_line(source)}</td>"
                f"<td>{self.values(facts.objects(source, 'dcterms:issued'))}</td>"
                f"<td>{'<br>'.join(identifiers) or '—'}</td>"
                f"<td>{_e('; '.join(roles[source]))}</td></tr>"
            )
        headers = ["Source", "Issued", "Identifiers", "Role"]
        return self.table_section("sources", "Sources", headers, rows, "No sources recorded.")

    # -- a claim, a source

    def claim_section(self) -> str:
        return (
            '<section id="claim">\n<h2>Where this claim comes from</h2>\n'
            f"{self.claim_card(self.node)}\n</section>"
        )

    def source_claims_section(self) -> str:
        claims = self.facts.subjects("eg:assertedBy", self.node)
        if not claims:
            return ""
        ordered = sorted(claims, key=self.claim_order)
        return (
            '<section id="claims">\n<h2>Claims this source makes</h2>\n'
            f"{self.claim_summary(claims)}{self.claim_list(ordered, {})}\n</section>"
        )

    def table_section(
        self, anchor: str, title: str, headers: Sequence[str], rows: Sequence[str], empty: str
    ) -> str:
        if not rows:
            return f'<section id="{anchor}">\n<h2>{title}</h2>\n<p>{empty}</p>\n</section>'
        head = "".join(f"<th>{_e(h)}</th>" for h in headers)
        return (
            f'<section id="{anchor}">\n<h2>{title}</h2>\n'
            f'<table class="{anchor}"><tr>{head}</tr>\n'
            + "\n".join(rows)
            + "\n</table>\n</section>"
        )
