"""Markdown reference of the evidencegraph ontology, generated from the packaged model files.

Regenerate it with ``python -m evidencegraph.ontology.reference > docs/ontology.md``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from evidencegraph._compat import Traversable
from evidencegraph.ontology.namespace import (
    BASE,
    EG,
    PREFIXES,
    compact,
    ontology_file,
    shapes_file,
    vocabulary_files,
)

#: The command that regenerates ``docs/ontology.md``.
REGENERATE = "python -m evidencegraph.ontology.reference > docs/ontology.md"

#: Alignment predicates, in the order they are listed, with their captions.
ALIGNMENTS: tuple[tuple[URIRef, str], ...] = (
    (OWL.equivalentClass, "Equivalent class"),
    (OWL.equivalentProperty, "Equivalent property"),
    (SKOS.exactMatch, "Exact match"),
    (SKOS.closeMatch, "Close match"),
    (SKOS.broadMatch, "Broad match"),
    (SKOS.narrowMatch, "Narrow match"),
    (SKOS.relatedMatch, "Related match"),
    (RDFS.seeAlso, "See also"),
)

#: Property kinds documented in the "Properties" section.
PROPERTY_KINDS: tuple[tuple[URIRef, str], ...] = (
    (OWL.ObjectProperty, "object property"),
    (OWL.DatatypeProperty, "datatype property"),
    (OWL.AnnotationProperty, "annotation property"),
)

#: Range constraints of a shape, as the symbol put before the bound.
_BOUNDS: tuple[tuple[URIRef, str], ...] = (
    (SH.minInclusive, "≥"),
    (SH.minExclusive, ">"),
    (SH.maxInclusive, "≤"),
    (SH.maxExclusive, "<"),
)

#: Shape predicates that are no value constraint (path, cardinality, annotations, targets).
_NOT_VALUE = frozenset(
    {
        SH.path,
        SH.message,
        SH.name,
        SH.description,
        SH.order,
        SH.group,
        SH.severity,
        SH.minCount,
        SH.maxCount,
        SH.targetClass,
        SH.property,
        SH.deactivated,
    }
)

#: Shape predicates :meth:`_Reference.value_parts` renders, or that are no value constraint;
#: any other SHACL predicate is listed as it stands, so that no constraint goes unmentioned.
_RENDERED = _NOT_VALUE | {
    SH.datatype,
    SH["class"],
    SH.nodeKind,
    SH["in"],
    SH.hasValue,
    SH.pattern,
    SH.minLength,
    SH.maxLength,
    SH.lessThan,
    SH.lessThanOrEquals,
    SH.equals,
    SH.disjoint,
    SH["or"],
    SH.xone,
    SH["and"],
    SH["not"],
    *(predicate for predicate, _ in _BOUNDS),
}

_MARKDOWN_SPECIAL = "\\`*_[]<>$"


def _load(files: Iterable[Traversable]) -> Graph:
    graph = Graph()
    for model_file in files:
        with model_file.open("rb") as handle:
            graph.parse(handle, format="turtle")
    return graph


def _text(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    """One literal value, English first, whitespace normalised; None when there is none."""
    values = [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]
    if not values:
        return None

    def preference(literal: Literal) -> tuple[int, str]:
        language = literal.language
        return (0 if language == "en" else 1 if language is None else 2, str(literal))

    return " ".join(str(min(values, key=preference)).split())


def _texts(graph: Graph, subject: Node, predicate: URIRef) -> list[str]:
    return sorted(
        {
            " ".join(str(o).split())
            for o in graph.objects(subject, predicate)
            if isinstance(o, Literal)
        }
    )


def _iris(graph: Graph, subject: Node, predicate: URIRef) -> list[URIRef]:
    """The IRI values, the project's own first, each group sorted."""
    values = (o for o in graph.objects(subject, predicate) if isinstance(o, URIRef))
    return sorted(values, key=lambda iri: (not _own(iri), str(iri)))


def _integer(graph: Graph, subject: Node, predicate: URIRef) -> int | None:
    value = graph.value(subject, predicate)
    return int(str(value)) if isinstance(value, Literal) else None


def _list(graph: Graph, head: Node) -> list[Node]:
    return list(Collection(graph, head))


def _md(text: str) -> str:
    """``text`` with the characters Markdown (and GitHub's inline maths) would interpret escaped."""
    return "".join("\\" + char if char in _MARKDOWN_SPECIAL else char for char in text)


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _cell(text: str) -> str:
    """``text`` made safe for a table cell: pipes escaped (also inside code spans)."""
    return text.replace("|", "\\|")


def _plain(markdown: str) -> str:
    """Rendered terms without link targets and markup, to sort by."""
    return re.sub(r"\]\(#[^)]*\)|[`\[^]", "", markdown)


def _anchor(iri: str) -> str:
    return compact(iri).replace(":", "-")


def _heading(level: int, label: str, iri: str) -> str:
    return f'{"#" * level} <a id="{_anchor(iri)}"></a>{_md(label)} ({_code(compact(iri))})'


def _own(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(BASE)


def _sort_key(label: str, iri: str) -> tuple[str, str]:
    return (label.casefold(), iri)


class _Reference:
    """The model files, parsed, and the Markdown rendered from them."""

    def __init__(self) -> None:
        self.ontology = _load([ontology_file()])
        self.vocab = _load(vocabulary_files())
        self.shapes = _load([shapes_file()])
        self.classes = sorted(
            (c for c in self.ontology.subjects(RDF.type, OWL.Class) if _own(c)),
            key=lambda c: _sort_key(self._label(self.ontology, c), str(c)),
        )
        self.property_kind: dict[Node, str] = {}
        for kind, caption in PROPERTY_KINDS:
            for prop in self.ontology.subjects(RDF.type, kind):
                if _own(prop) and prop not in self.property_kind:
                    self.property_kind[prop] = caption
        self.properties = sorted(
            self.property_kind,
            key=lambda p: _sort_key(self._label(self.ontology, p), str(p)),
        )
        self.schemes = sorted(
            set(self.vocab.subjects(RDF.type, SKOS.ConceptScheme)),
            key=lambda s: _sort_key(self._label(self.vocab, s), str(s)),
        )
        concepts = set(self.vocab.subjects(RDF.type, SKOS.Concept))
        self.documented: set[str] = {
            str(term) for term in [*self.classes, *self.properties, *self.schemes, *concepts]
        }

    # ----- terms ------------------------------------------------------------

    @staticmethod
    def _label(graph: Graph, subject: Node) -> str:
        return (
            _text(graph, subject, RDFS.label)
            or _text(graph, subject, SKOS.prefLabel)
            or compact(str(subject))
        )

    def term(self, node: Node) -> str:
        """A Markdown reference to ``node``: a link to its entry, a CURIE or the full IRI."""
        if isinstance(node, URIRef):
            iri = str(node)
            curie = compact(iri)
            if iri in self.documented:
                return f"[{_code(curie)}](#{_anchor(iri)})"
            if curie != iri:
                return _code(curie)
            return f"<{iri}>"
        if isinstance(node, Literal):
            return _code(str(node))
        return "(anonymous node)"

    def terms(self, nodes: Iterable[Node]) -> str:
        return ", ".join(self.term(node) for node in nodes)

    def _alignments(self, graph: Graph, subject: Node) -> list[str]:
        lines = []
        for predicate, caption in ALIGNMENTS:
            targets = _iris(graph, subject, predicate)
            if targets:
                lines.append(f"- **{caption}:** {self.terms(targets)}")
        return lines

    # ----- shapes -----------------------------------------------------------

    def path(self, node: Node) -> str:
        """A SHACL property path as text: CURIEs, ``^`` for inverse, ``/`` for sequence."""
        shapes = self.shapes
        if isinstance(node, URIRef):
            return self.term(node)
        if (shapes.value(node, RDF.first)) is not None:
            return " / ".join(self.path(step) for step in _list(shapes, node))
        inverse = shapes.value(node, SH.inversePath)
        if inverse is not None:
            return "^" + self.path(inverse)
        alternatives = shapes.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + " | ".join(self.path(p) for p in _list(shapes, alternatives)) + ")"
        for predicate, suffix in (
            (SH.zeroOrMorePath, "*"),
            (SH.oneOrMorePath, "+"),
            (SH.zeroOrOnePath, "?"),
        ):
            inner = shapes.value(node, predicate)
            if inner is not None:
                return f"({self.path(inner)}){suffix}"
        return "(unknown path)"

    def value(self, node: Node) -> str:
        """The value constraints of a shape (not its path or cardinality), as text."""
        return ", ".join(self.value_parts(node))

    def value_parts(self, node: Node) -> list[str]:
        """Each value constraint of a shape, in words."""
        shapes = self.shapes
        parts: list[str] = []
        parts += [self.term(t) for t in _iris(shapes, node, SH.datatype)]
        parts += [self.term(t) for t in _iris(shapes, node, SH["class"])]
        for kind in _iris(shapes, node, SH.nodeKind):
            parts.append("IRI" if kind == SH.IRI else self.term(kind))
        for members in sorted(shapes.objects(node, SH["in"]), key=str):
            parts.append("one of " + self.terms(_list(shapes, members)))
        parts += [
            "has value " + self.term(v) for v in sorted(shapes.objects(node, SH.hasValue), key=str)
        ]
        parts += [
            "pattern " + _code(str(p)) for p in sorted(shapes.objects(node, SH.pattern), key=str)
        ]
        for predicate, symbol in _BOUNDS:
            parts += [f"{symbol} {b}" for b in sorted(shapes.objects(node, predicate), key=str)]
        for predicate, caption in ((SH.minLength, "length ≥"), (SH.maxLength, "length ≤")):
            parts += [f"{caption} {b}" for b in sorted(shapes.objects(node, predicate), key=str)]
        for predicate, caption in (
            (SH.lessThan, "<"),
            (SH.lessThanOrEquals, "≤"),
            (SH.equals, "="),
            (SH.disjoint, "disjoint from"),
        ):
            parts += [f"{caption} {self.term(o)}" for o in _iris(shapes, node, predicate)]
        for members in sorted(shapes.objects(node, SH["or"]), key=str):
            parts.append("either " + " or ".join(self.describe(m) for m in _list(shapes, members)))
        for members in sorted(shapes.objects(node, SH.xone), key=str):
            parts.append(
                "exactly one of " + "; ".join(self.describe(m) for m in _list(shapes, members))
            )
        for members in sorted(shapes.objects(node, SH["and"]), key=str):
            parts.append("both " + " and ".join(self.describe(m) for m in _list(shapes, members)))
        parts += [
            f"not ({self.describe(n)})" for n in sorted(shapes.objects(node, SH["not"]), key=str)
        ]
        for other, obj in sorted(
            shapes.predicate_objects(node), key=lambda pair: (str(pair[0]), str(pair[1]))
        ):
            if str(other).startswith(str(SH)) and other not in _RENDERED:
                parts.append(f"{_code(compact(str(other)))} {self.term(obj)}")
        return parts

    def cardinality(self, node: Node) -> str:
        low = _integer(self.shapes, node, SH.minCount)
        high = _integer(self.shapes, node, SH.maxCount)
        return f"{low or 0}..{'*' if high is None else high}"

    def describe(self, node: Node) -> str:
        """A shape used inside ``sh:or``/``sh:and``/``sh:not``, in words."""
        shapes = self.shapes
        parts: list[str] = []
        path = shapes.value(node, SH.path)
        if path is not None:
            parts.append(self.path(path))
        if (shapes.value(node, SH.minCount), shapes.value(node, SH.maxCount)) != (None, None):
            absent = _integer(shapes, node, SH.maxCount) == 0
            parts.append("absent" if absent else f"[{self.cardinality(node)}]")
        value = self.value(node)
        if value:
            parts.append(value)
        return " ".join(parts) or "anything"

    def shape_lines(self, target: Node) -> list[str]:
        shapes = self.shapes
        lines: list[str] = []
        for shape in sorted(shapes.subjects(SH.targetClass, target), key=str):
            name = str(shape).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            lines += ["", f"#### Shape {_code(name)}", ""]
            message = _text(shapes, shape, SH.message)
            if message:
                lines += [_md(message), ""]
            node_level = self.value_parts(shape)
            if node_level:
                lines += ["Constraints on the node as a whole:", ""]
                lines += [f"- {part}" for part in node_level]
                lines.append("")
            rows = []
            for prop in shapes.objects(shape, SH.property):
                path = shapes.value(prop, SH.path)
                rows.append(
                    (
                        self.path(path) if path is not None else "(no path)",
                        self.cardinality(prop),
                        self.value(prop) or "—",
                        _md(_text(shapes, prop, SH.message) or ""),
                    )
                )
            if rows:
                lines += ["| Path | Cardinality | Value | Message |", "|---|---|---|---|"]
                lines += [
                    "| " + " | ".join(_cell(cell) for cell in row) + " |"
                    for row in sorted(rows, key=lambda r: (_plain(r[0]), r))
                ]
            while lines and lines[-1] == "":
                lines.pop()
        return lines

    # ----- sections ---------------------------------------------------------

    def intro(self) -> list[str]:
        graph = self.ontology
        ontologies = sorted(graph.subjects(RDF.type, OWL.Ontology), key=str)
        lines = [
            "# The evidencegraph ontology",
            "",
            "_This file is generated from `src/evidencegraph/ontology/` (`evidence.ttl`, "
            "`shapes.ttl`, `vocab/*.ttl`); do not edit it by hand. Regenerate it with "
            f"`{REGENERATE}`._",
        ]
        for ontology in ontologies:
            title = _text(graph, ontology, DCTERMS.title) or self._label(graph, ontology)
            lines += ["", f"**{_md(title)}**"]
            description = _text(graph, ontology, DCTERMS.description)
            if description:
                lines += ["", _md(description)]
            lines += ["", f"- **Ontology IRI:** {self.term(ontology)}"]
            for version_iri in _iris(graph, ontology, OWL.versionIRI):
                lines.append(f"- **Version IRI:** {self.term(version_iri)}")
            for version in _texts(graph, ontology, OWL.versionInfo):
                lines.append(f"- **Version:** {_md(version)}")
            for licence in _iris(graph, ontology, DCTERMS.license):
                lines.append(f"- **Licence:** {self.term(licence)}")
        lines += [
            "",
            "Contents: [Namespaces](#namespaces) · [Classes](#classes) · "
            "[Properties](#properties) · [Concept schemes](#concept-schemes)",
            "",
            "## Namespaces",
            "",
            "IRIs outside these namespaces (the published vocabularies the model aligns with) "
            "are written in full.",
            "",
            "| Prefix | Namespace |",
            "|---|---|",
        ]
        lines += [f"| `{prefix}:` | <{PREFIXES[prefix]}> |" for prefix in sorted(PREFIXES)]
        return lines

    def class_lines(self) -> list[str]:
        graph = self.ontology
        lines = [
            "",
            "## Classes",
            "",
            "Each class lists the SHACL shapes that target it: every constraint with its path, "
            "cardinality (min..max, `*` for no maximum), allowed values and message.",
            "",
            "| Class | CURIE | Superclasses |",
            "|---|---|---|",
        ]
        for cls in self.classes:
            lines.append(
                f"| [{_md(self._label(graph, cls))}](#{_anchor(str(cls))}) "
                f"| {_code(compact(str(cls)))} "
                f"| {_cell(self.terms(_iris(graph, cls, RDFS.subClassOf)) or '—')} |"
            )
        for cls in self.classes:
            lines += ["", _heading(3, self._label(graph, cls), str(cls)), ""]
            lines += self._definition_lines(graph, cls)
            facts = []
            superclasses = _iris(graph, cls, RDFS.subClassOf)
            if superclasses:
                facts.append(f"- **Superclasses:** {self.terms(superclasses)}")
            subclasses = sorted(
                (s for s in graph.subjects(RDFS.subClassOf, cls) if _own(s)), key=str
            )
            if subclasses:
                facts.append(f"- **Subclasses:** {self.terms(subclasses)}")
            facts += self._alignments(graph, cls)
            for predicate, caption in ((RDFS.domain, "Domain of"), (RDFS.range, "Range of")):
                props = sorted((p for p in graph.subjects(predicate, cls) if _own(p)), key=str)
                if props:
                    facts.append(f"- **{caption}:** {self.terms(props)}")
            if facts:
                lines += ["", *facts]
            lines += self.shape_lines(cls)
        return lines

    def _definition_lines(self, graph: Graph, subject: Node) -> list[str]:
        definition = _text(graph, subject, SKOS.definition) or "(no definition)"
        lines = [_md(definition)]
        example = _text(graph, subject, SKOS.example)
        if example:
            lines += ["", f"*Example:* {_md(example)}"]
        return lines

    def property_lines(self) -> list[str]:
        graph = self.ontology
        lines = [
            "",
            "## Properties",
            "",
            "| Property | CURIE | Kind | Domain | Range |",
            "|---|---|---|---|---|",
        ]
        for prop in self.properties:
            domain = self.terms(_iris(graph, prop, RDFS.domain)) or "—"
            range_ = self.terms(_iris(graph, prop, RDFS.range)) or "—"
            lines.append(
                f"| [{_md(self._label(graph, prop))}](#{_anchor(str(prop))}) "
                f"| {_code(compact(str(prop)))} | {self.property_kind[prop]} "
                f"| {_cell(domain)} | {_cell(range_)} |"
            )
        for prop in self.properties:
            lines += ["", _heading(3, self._label(graph, prop), str(prop)), ""]
            lines += self._definition_lines(graph, prop)
            lines += [
                "",
                f"- **Kind:** {self.property_kind[prop]}",
                f"- **Domain:** {self.terms(_iris(graph, prop, RDFS.domain)) or '—'}",
                f"- **Range:** {self.terms(_iris(graph, prop, RDFS.range)) or '—'}",
            ]
            parents = _iris(graph, prop, RDFS.subPropertyOf)
            if parents:
                lines.append(f"- **Subproperty of:** {self.terms(parents)}")
            children = sorted(
                (s for s in graph.subjects(RDFS.subPropertyOf, prop) if _own(s)), key=str
            )
            if children:
                lines.append(f"- **Subproperties:** {self.terms(children)}")
            lines += self._alignments(graph, prop)
        return lines

    def _concept_order(self, scheme: Node) -> list[tuple[Node, int]]:
        """The scheme's concepts depth first (broader before narrower), with their depth."""
        vocab = self.vocab
        members = set(vocab.subjects(SKOS.inScheme, scheme)) | set(
            vocab.subjects(SKOS.topConceptOf, scheme)
        )

        def key(concept: Node) -> tuple[bool, int, str, str]:
            rank = _integer(vocab, concept, EG.rank)
            label = self._label(vocab, concept)
            return (rank is None, -(rank or 0), label.casefold(), str(concept))

        def parents(concept: Node) -> set[Node]:
            broader = set(vocab.objects(concept, SKOS.broader))
            broader |= set(vocab.subjects(SKOS.narrower, concept))
            return broader & members

        order: list[tuple[Node, int]] = []
        seen: set[Node] = set()

        def visit(concept: Node, depth: int) -> None:
            if concept in seen:
                return
            seen.add(concept)
            order.append((concept, depth))
            for child in sorted((m for m in members if concept in parents(m)), key=key):
                visit(child, depth + 1)

        for top in sorted((m for m in members if not parents(m)), key=key):
            visit(top, 0)
        for rest in sorted(members - seen, key=key):
            visit(rest, 0)
        return order

    def _allowed_by(self) -> dict[Node, set[Node]]:
        """For each concept, the shape paths whose ``sh:in`` lists it."""
        allowed: dict[Node, set[Node]] = {}
        for shape, members in self.shapes.subject_objects(SH["in"]):
            path = self.shapes.value(shape, SH.path)
            if path is None:
                continue
            for concept in _list(self.shapes, members):
                allowed.setdefault(concept, set()).add(path)
        return allowed

    def scheme_lines(self) -> list[str]:
        vocab = self.vocab
        lines = [
            "",
            "## Concept schemes",
            "",
            "The values of the coded properties. Within a scheme, narrower concepts follow "
            "their broader concept; ranked concepts come in descending `eg:rank`.",
        ]
        lines += self.shape_lines(SKOS.Concept)
        allowed = self._allowed_by()
        for scheme in self.schemes:
            lines += ["", _heading(3, self._label(vocab, scheme), str(scheme)), ""]
            lines.append(_md(_text(vocab, scheme, SKOS.definition) or "(no definition)"))
            facts = self._alignments(vocab, scheme)
            order = self._concept_order(scheme)
            paths = sorted(
                {path for concept, _ in order for path in allowed.get(concept, set())},
                key=lambda p: _plain(self.path(p)),
            )
            if paths:
                facts.append("- **Allowed values of:** " + ", ".join(self.path(p) for p in paths))
            if facts:
                lines += ["", *facts]
            lines += [
                "",
                "| Concept | Label | Definition | Broader | Matches, notation, rank |",
                "|---|---|---|---|---|",
            ]
            for concept, depth in order:
                label = _md(self._label(vocab, concept))
                alternatives = _texts(vocab, concept, SKOS.altLabel)
                if alternatives:
                    label += " (also: " + ", ".join(_md(a) for a in alternatives) + ")"
                notes = [
                    f"{caption.lower()} {self.terms(_iris(vocab, concept, predicate))}"
                    for predicate, caption in ALIGNMENTS
                    if _iris(vocab, concept, predicate)
                ]
                notes += [f"notation {_code(n)}" for n in _texts(vocab, concept, SKOS.notation)]
                rank = _integer(vocab, concept, EG.rank)
                if rank is not None:
                    notes.append(f"rank {rank}")
                cells = [
                    "&nbsp;&nbsp;" * depth
                    + f'<a id="{_anchor(str(concept))}"></a>{_code(compact(str(concept)))}',
                    label,
                    _md(_text(vocab, concept, SKOS.definition) or "(no definition)"),
                    self.terms(_iris(vocab, concept, SKOS.broader)) or "—",
                    "; ".join(notes) or "—",
                ]
                lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        return lines

    def other_shape_lines(self) -> list[str]:
        """Shapes whose target class is documented nowhere else."""
        covered = {*self.classes, SKOS.Concept}
        targets = sorted(set(self.shapes.objects(None, SH.targetClass)) - covered, key=str)
        lines: list[str] = []
        if targets:
            lines += ["", "## Other shapes"]
            for target in targets:
                lines += ["", f"### Shapes targeting {self.term(target)}"]
                lines += self.shape_lines(target)
        return lines

    def render(self) -> str:
        lines = [
            *self.intro(),
            *self.class_lines(),
            *self.property_lines(),
            *self.scheme_lines(),
            *self.other_shape_lines(),
        ]
        return "\n".join(line.rstrip() for line in lines).rstrip("\n") + "\n"


def render_reference() -> str:
    """The ontology reference as Markdown: namespaces, classes with their shapes, properties
    and concept schemes, every list sorted so that the output is the same on every run."""
    return _Reference().render()


def main() -> None:
    """Write the reference to standard output as UTF-8, byte for byte what
    :func:`render_reference` returns."""
    sys.stdout.buffer.write(render_reference().encode("utf-8"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
