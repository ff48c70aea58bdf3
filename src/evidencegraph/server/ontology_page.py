"""The ontology as an HTML page: classes, properties and concept schemes, each term anchored
by its local name (``/ontology#Study``; concepts as ``#egv-Completed``).

The page renders the model's description (``ontology/description.py``), the same one
``docs/ontology.md`` is rendered from, through the template ``ontology.html``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from rdflib import URIRef
from rdflib.term import Node

from evidencegraph.ontology.description import (
    ClassTerm,
    ModelDescription,
    PropertyTerm,
    Scheme,
    Term,
    describe_model,
)
from evidencegraph.ontology.namespace import PREFIXES, compact
from evidencegraph.server.templating import render
from evidencegraph.server.urls import LocalPath, ontology_anchor

#: A fact of an entry: its caption and the terms it lists.
Fact = tuple[str, tuple[Node, ...]]


def ontology_html(local_path: LocalPath) -> str:
    """The HTML documentation of the ontology and its concept schemes.

    ``local_path`` maps a concept's IRI to its resource page (``/vocab/Completed``).
    """
    return _render(local_path)


@functools.cache
def _render(local_path: LocalPath) -> str:
    return render_model(describe_model(), local_path)


def render_model(model: ModelDescription, local_path: LocalPath) -> str:
    """A model's description as the HTML of the ontology page."""
    return render("ontology.html", page=_OntologyPage(model, local_path))


class _OntologyPage:
    """What ``ontology.html`` asks for: the model's description, and for each term where a
    link to it goes and which facts its entry lists."""

    def __init__(self, model: ModelDescription, local_path: LocalPath) -> None:
        self.model = model
        self.local_path = local_path
        self.prefixes = sorted(PREFIXES.items())

    # -- terms

    @staticmethod
    def anchor(iri: Node) -> str:
        """The id of a term's entry (empty for a term the page cannot anchor)."""
        return ontology_anchor(str(iri)) or ""

    def target(self, node: Node) -> str | None:
        """The anchor a link to ``node`` goes to, for a term documented on the page."""
        iri = str(node)
        return ontology_anchor(iri) if iri in self.model.documented else None

    @staticmethod
    def is_iri(node: Node) -> bool:
        return isinstance(node, URIRef)

    @staticmethod
    def is_web(iri: Node) -> bool:
        return str(iri).startswith(("http://", "https://"))

    @staticmethod
    def is_curie(iri: Node) -> bool:
        """Whether ``iri`` is written shorter as a CURIE."""
        return compact(str(iri)) != str(iri)

    @staticmethod
    def curie(iri: Node) -> str:
        return compact(str(iri))

    # -- the facts of each entry, in the order they are listed after its IRI

    def _documented(self, nodes: Iterable[URIRef]) -> tuple[URIRef, ...]:
        return tuple(n for n in nodes if str(n) in self.model.documented)

    @staticmethod
    def _aligned(term: Term) -> list[Fact]:
        return [(a.caption, a.targets) for a in term.alignments]

    def class_facts(self, cls: ClassTerm) -> list[Fact]:
        facts: list[Fact] = [("Superclasses", cls.superclasses)]
        for caption, nodes in (
            ("Subclasses", cls.subclasses),
            ("Domain of", cls.domain_of),
            ("Range of", cls.range_of),
        ):
            shown = self._documented(nodes)
            if shown:
                facts.append((caption, shown))
        return facts + self._aligned(cls)

    def property_facts(self, prop: PropertyTerm) -> list[Fact]:
        facts: list[Fact] = [("Domain", prop.domain), ("Range", prop.range)]
        if prop.parents:
            facts.append(("Subproperty of", prop.parents))
        children = self._documented(prop.children)
        if children:
            facts.append(("Subproperties", children))
        return facts + self._aligned(prop)

    def scheme_facts(self, scheme: Scheme) -> list[Fact]:
        paths = tuple(p for p in scheme.allowed_paths if isinstance(p, URIRef))
        return [("Values of", paths), *self._aligned(scheme)]

    @staticmethod
    def indent(depth: int) -> str | None:
        """The left padding of a concept ``depth`` levels under its scheme's top, or None."""
        return f"padding-left: {0.6 + 1.2 * depth:.1f}em" if depth else None
