"""The ontology as an HTML page: classes, properties and concept schemes, each term anchored
by its local name (``/ontology#Study``; concepts as ``#egv-Completed``), built from the
packaged model files as ``docs/ontology.md`` is."""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable

from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, URIRef
from rdflib.term import Node

from evidencegraph.ontology.namespace import EG, EGV, PREFIXES, compact
from evidencegraph.ontology.reference import (
    ALIGNMENTS,
    _integer,
    _iris,
    _Reference,
    _text,
    _texts,
)
from evidencegraph.server.pages import LocalPath, html_page


def anchor(iri: str) -> str | None:
    """The id of a term's entry on the page: the local name of an ``eg:`` term, ``egv-`` and
    the local name of a concept or scheme; None for an IRI the page does not document."""
    if iri.startswith(str(EG)):
        return iri[len(str(EG)) :] or None
    if iri.startswith(str(EGV)):
        return "egv-" + iri[len(str(EGV)) :]
    return None


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def ontology_html(local_path: LocalPath) -> str:
    """The HTML documentation of the ontology and its concept schemes.

    ``local_path`` maps a concept's IRI to its resource page (``/vocab/Completed``).
    """
    return _render(local_path)


@functools.cache
def _render(local_path: LocalPath) -> str:
    page = _OntologyPage(_Reference(), local_path)
    return html_page("The evidencegraph ontology", page.body(), page.head())


class _OntologyPage:
    def __init__(self, reference: _Reference, local_path: LocalPath) -> None:
        self.ref = reference
        self.local_path = local_path
        self.documented = reference.documented

    def head(self) -> str:
        return '<link rel="alternate" type="text/turtle" href="/ontology.ttl">\n'

    def body(self) -> str:
        return "\n".join(
            [self.intro(), self.classes(), self.properties(), self.schemes(), self.namespaces()]
        )

    # -- terms

    def label(self, subject: Node) -> str:
        graph = self.ref.vocab if str(subject).startswith(str(EGV)) else self.ref.ontology
        return self.ref._label(graph, subject)

    def term(self, node: Node) -> str:
        """A link to a term: its entry on this page, or the IRI itself."""
        if not isinstance(node, URIRef):
            return "(anonymous node)"
        iri = str(node)
        target = anchor(iri) if iri in self.documented else None
        shown = compact(iri)
        if target is not None:
            return f'<a href="#{_e(target)}" title="{_e(iri)}"><code>{_e(shown)}</code></a>'
        if iri.startswith(("http://", "https://")):
            text = f"<code>{_e(shown)}</code>" if shown != iri else _e(iri)
            return f'<a class="external" href="{_e(iri)}">{text}</a>'
        return f"<code>{_e(shown)}</code>"

    def terms(self, nodes: Iterable[Node]) -> str:
        return ", ".join(self.term(node) for node in nodes) or "—"

    def entry(self, subject: Node, kind: str, facts: list[tuple[str, str]]) -> str:
        """One term's section: heading, definition, example, then ``facts`` (caption, HTML)."""
        graph = self.ref.vocab if str(subject).startswith(str(EGV)) else self.ref.ontology
        definition = _text(graph, subject, SKOS.definition) or "(no definition)"
        lines = [
            f'<section class="term" id="{_e(anchor(str(subject)) or "")}">',
            f"<h3>{_e(self.label(subject))} <code>{_e(compact(str(subject)))}</code> "
            f'<span class="kind">{_e(kind)}</span></h3>',
            f"<p>{_e(definition)}</p>",
        ]
        example = _text(graph, subject, SKOS.example)
        if example:
            lines.append(f"<p><em>Example:</em> {_e(example)}</p>")
        for comment in _texts(graph, subject, RDFS.comment):
            lines.append(f'<p class="note">{_e(comment)}</p>')
        facts = [("IRI", f"<code>{_e(str(subject))}</code>"), *facts]
        for predicate, caption in ALIGNMENTS:
            targets = _iris(graph, subject, predicate)
            if targets:
                facts.append((caption, self.terms(targets)))
        rows = "".join(f"<dt>{_e(caption)}</dt><dd>{value}</dd>" for caption, value in facts)
        lines += [f"<dl>{rows}</dl>", "</section>"]
        return "\n".join(lines)

    # -- sections

    def intro(self) -> str:
        graph = self.ref.ontology
        lines = []
        for ontology in sorted(graph.subjects(RDF.type, OWL.Ontology), key=str):
            title = _text(graph, ontology, DCTERMS.title) or self.label(ontology)
            lines.append(f"<h1>{_e(title)}</h1>")
            description = _text(graph, ontology, DCTERMS.description)
            if description:
                lines.append(f"<p>{_e(description)}</p>")
            facts = [("Ontology IRI", f"<code>{_e(str(ontology))}</code>")]
            facts += [
                ("Version IRI", self.terms([v])) for v in _iris(graph, ontology, OWL.versionIRI)
            ]
            facts += [("Version", _e(v)) for v in _texts(graph, ontology, OWL.versionInfo)]
            facts += [("Licence", self.terms([v])) for v in _iris(graph, ontology, DCTERMS.license)]
            rows = "".join(f"<dt>{caption}</dt><dd>{value}</dd>" for caption, value in facts)
            lines.append(f'<div class="term"><dl>{rows}</dl></div>')
        lines.append(
            '<p class="formats">The ontology as <a href="/ontology.ttl" type="text/turtle">'
            'Turtle</a>. Contents: <a href="#classes">Classes</a> · '
            '<a href="#properties">Properties</a> · <a href="#concept-schemes">Concept '
            'schemes</a> · <a href="#namespaces">Namespaces</a></p>'
        )
        return "\n".join(lines)

    def toc(self, subjects: Iterable[Node]) -> str:
        links = "".join(
            f'<a href="#{_e(anchor(str(s)) or "")}">{_e(self.label(s))}</a>' for s in subjects
        )
        return f'<nav class="toc">{links}</nav>'

    def classes(self) -> str:
        graph = self.ref.ontology
        entries = []
        for cls in self.ref.classes:
            facts = [("Superclasses", self.terms(_iris(graph, cls, RDFS.subClassOf)))]
            subclasses = sorted(
                (s for s in graph.subjects(RDFS.subClassOf, cls) if str(s) in self.documented),
                key=str,
            )
            if subclasses:
                facts.append(("Subclasses", self.terms(subclasses)))
            for predicate, caption in ((RDFS.domain, "Domain of"), (RDFS.range, "Range of")):
                props = sorted(
                    (p for p in graph.subjects(predicate, cls) if str(p) in self.documented),
                    key=str,
                )
                if props:
                    facts.append((caption, self.terms(props)))
            entries.append(self.entry(cls, "class", facts))
        return (
            '<section id="classes">\n<h2>Classes</h2>\n'
            + self.toc(self.ref.classes)
            + "\n"
            + "\n".join(entries)
            + "\n</section>"
        )

    def properties(self) -> str:
        graph = self.ref.ontology
        entries = []
        for prop in self.ref.properties:
            facts = [
                ("Domain", self.terms(_iris(graph, prop, RDFS.domain))),
                ("Range", self.terms(_iris(graph, prop, RDFS.range))),
            ]
            parents = _iris(graph, prop, RDFS.subPropertyOf)
            if parents:
                facts.append(("Subproperty of", self.terms(parents)))
            children = sorted(
                (s for s in graph.subjects(RDFS.subPropertyOf, prop) if str(s) in self.documented),
                key=str,
            )
            if children:
                facts.append(("Subproperties", self.terms(children)))
            entries.append(self.entry(prop, self.ref.property_kind[prop], facts))
        return (
            '<section id="properties">\n<h2>Properties</h2>\n'
            + self.toc(self.ref.properties)
            + "\n"
            + "\n".join(entries)
            + "\n</section>"
        )

    def schemes(self) -> str:
        allowed = self.ref._allowed_by()
        parts = [
            '<section id="concept-schemes">\n<h2>Concept schemes</h2>',
            "<p>The values of the coded properties. Narrower concepts follow their broader "
            "concept; each concept links to its own page.</p>",
            self.toc(self.ref.schemes),
        ]
        for scheme in self.ref.schemes:
            order = self.ref._concept_order(scheme)
            paths = sorted(
                {p for concept, _ in order for p in allowed.get(concept, set())}, key=str
            )
            facts = [("Values of", self.terms(p for p in paths if isinstance(p, URIRef)))]
            parts.append(self.entry(scheme, "concept scheme", facts))
            rows = [self.concept_row(concept, depth) for concept, depth in order]
            parts.append(
                '<table class="concepts"><tr><th>Concept</th><th>Label</th><th>Definition</th>'
                "<th>Broader</th><th>Matches, notation, rank</th></tr>\n"
                + "\n".join(rows)
                + "\n</table>"
            )
        parts.append("</section>")
        return "\n".join(parts)

    def concept_row(self, concept: Node, depth: int) -> str:
        vocab = self.ref.vocab
        iri = str(concept)
        label = _e(self.label(concept))
        alternatives = _texts(vocab, concept, SKOS.altLabel)
        if alternatives:
            label += " (also: " + _e(", ".join(alternatives)) + ")"
        notes = [
            f"{caption.lower()} {self.terms(_iris(vocab, concept, predicate))}"
            for predicate, caption in ALIGNMENTS
            if _iris(vocab, concept, predicate)
        ]
        notes += [f"notation <code>{_e(n)}</code>" for n in _texts(vocab, concept, SKOS.notation)]
        rank = _integer(vocab, concept, EG.rank)
        if rank is not None:
            notes.append(f"rank {rank}")
        page = self.local_path(iri)
        name = f"<code>{_e(compact(iri))}</code>"
        if page is not None:
            name = f'<a href="{_e(page)}" title="{_e(iri)}">{name}</a>'
        indent = f' style="padding-left: {0.6 + 1.2 * depth:.1f}em"' if depth else ""
        definition = _text(vocab, concept, SKOS.definition) or "(no definition)"
        return (
            f'<tr id="{_e(anchor(iri) or "")}"><td{indent}>{name}</td><td>{label}</td>'
            f"<td>{_e(definition)}</td>"
            f"<td>{self.terms(_iris(vocab, concept, SKOS.broader))}</td>"
            f"<td>{'; '.join(notes) or '—'}</td></tr>"
        )

    def namespaces(self) -> str:
        rows = "".join(
            f"<tr><td><code>{_e(prefix)}:</code></td><td><code>{_e(PREFIXES[prefix])}</code></td></tr>"
            for prefix in sorted(PREFIXES)
        )
        return (
            '<section id="namespaces">\n<h2>Namespaces</h2>\n'
            "<p>The prefixes the pages and the named queries use.</p>\n"
            f"<table><tr><th>Prefix</th><th>Namespace</th></tr>{rows}</table>\n</section>"
        )
