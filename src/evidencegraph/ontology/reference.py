"""Markdown reference of the evidencegraph ontology, generated from the packaged model files.

Regenerate it with ``python -m evidencegraph.ontology.reference > docs/ontology.md``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SH, SKOS
from rdflib.term import Node

from evidencegraph.ontology.description import (
    ModelDescription,
    Term,
    describe_model,
    integer_of,
    iris_of,
    list_of,
    text_of,
)
from evidencegraph.ontology.namespace import PREFIXES, compact

#: The command that regenerates ``docs/ontology.md``.
REGENERATE = "python -m evidencegraph.ontology.reference > docs/ontology.md"

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
    SH.sparql,
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


class _Reference:
    """The Markdown rendered from the model's description (and its shapes)."""

    def __init__(self, model: ModelDescription) -> None:
        self.model = model
        self.shapes = model.shapes
        self.documented = model.documented

    # ----- terms ------------------------------------------------------------

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

    def _alignments(self, term: Term) -> list[str]:
        return [
            f"- **{alignment.caption}:** {self.terms(alignment.targets)}"
            for alignment in term.alignments
        ]

    # ----- shapes -----------------------------------------------------------

    def path(self, node: Node) -> str:
        """A SHACL property path as text: CURIEs, ``^`` for inverse, ``/`` for sequence."""
        shapes = self.shapes
        if isinstance(node, URIRef):
            return self.term(node)
        if (shapes.value(node, RDF.first)) is not None:
            return " / ".join(self.path(step) for step in list_of(shapes, node))
        inverse = shapes.value(node, SH.inversePath)
        if inverse is not None:
            return "^" + self.path(inverse)
        alternatives = shapes.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + " | ".join(self.path(p) for p in list_of(shapes, alternatives)) + ")"
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
        parts += [self.term(t) for t in iris_of(shapes, node, SH.datatype)]
        parts += [self.term(t) for t in iris_of(shapes, node, SH["class"])]
        for kind in iris_of(shapes, node, SH.nodeKind):
            parts.append("IRI" if kind == SH.IRI else self.term(kind))
        for members in sorted(shapes.objects(node, SH["in"]), key=str):
            parts.append("one of " + self.terms(list_of(shapes, members)))
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
            parts += [f"{caption} {self.term(o)}" for o in iris_of(shapes, node, predicate)]
        for members in sorted(shapes.objects(node, SH["or"]), key=str):
            parts.append(
                "either " + " or ".join(self.describe(m) for m in list_of(shapes, members))
            )
        for members in sorted(shapes.objects(node, SH.xone), key=str):
            parts.append(
                "exactly one of " + "; ".join(self.describe(m) for m in list_of(shapes, members))
            )
        for members in sorted(shapes.objects(node, SH["and"]), key=str):
            parts.append("both " + " and ".join(self.describe(m) for m in list_of(shapes, members)))
        parts += [
            f"not ({self.describe(n)})" for n in sorted(shapes.objects(node, SH["not"]), key=str)
        ]
        # a SPARQL constraint (issue 19) is told by its message: the query is in shapes.ttl
        parts += sorted(
            "SPARQL rule: " + _md(text_of(shapes, rule, SH.message) or "(no message)")
            for rule in shapes.objects(node, SH.sparql)
        )
        for other, obj in sorted(
            shapes.predicate_objects(node), key=lambda pair: (str(pair[0]), str(pair[1]))
        ):
            if str(other).startswith(str(SH)) and other not in _RENDERED:
                parts.append(f"{_code(compact(str(other)))} {self.term(obj)}")
        return parts

    def cardinality(self, node: Node) -> str:
        low = integer_of(self.shapes, node, SH.minCount)
        high = integer_of(self.shapes, node, SH.maxCount)
        return f"{low or 0}..{'*' if high is None else high}"

    def describe(self, node: Node) -> str:
        """A shape used inside ``sh:or``/``sh:and``/``sh:not``, in words."""
        shapes = self.shapes
        parts: list[str] = []
        path = shapes.value(node, SH.path)
        if path is not None:
            parts.append(self.path(path))
        if (shapes.value(node, SH.minCount), shapes.value(node, SH.maxCount)) != (None, None):
            absent = integer_of(shapes, node, SH.maxCount) == 0
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
            message = text_of(shapes, shape, SH.message)
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
                        _md(text_of(shapes, prop, SH.message) or ""),
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
        lines = [
            "# The evidencegraph ontology",
            "",
            "_This file is generated from `src/evidencegraph/ontology/` (`evidence.ttl`, "
            "`shapes.ttl`, `vocab/*.ttl`); do not edit it by hand. Regenerate it with "
            f"`{REGENERATE}`._",
        ]
        for ontology in self.model.ontologies:
            lines += ["", f"**{_md(ontology.title)}**"]
            if ontology.description:
                lines += ["", _md(ontology.description)]
            lines += ["", f"- **Ontology IRI:** {self.term(ontology.iri)}"]
            for version_iri in ontology.version_iris:
                lines.append(f"- **Version IRI:** {self.term(version_iri)}")
            for version in ontology.versions:
                lines.append(f"- **Version:** {_md(version)}")
            for licence in ontology.licences:
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
        for cls in self.model.classes:
            lines.append(
                f"| [{_md(cls.label)}](#{_anchor(str(cls.iri))}) "
                f"| {_code(cls.curie)} "
                f"| {_cell(self.terms(cls.superclasses) or '—')} |"
            )
        for cls in self.model.classes:
            lines += ["", _heading(3, cls.label, str(cls.iri)), ""]
            lines += self._definition_lines(cls)
            facts = []
            if cls.superclasses:
                facts.append(f"- **Superclasses:** {self.terms(cls.superclasses)}")
            if cls.subclasses:
                facts.append(f"- **Subclasses:** {self.terms(cls.subclasses)}")
            facts += self._alignments(cls)
            for props, caption in ((cls.domain_of, "Domain of"), (cls.range_of, "Range of")):
                if props:
                    facts.append(f"- **{caption}:** {self.terms(props)}")
            if facts:
                lines += ["", *facts]
            lines += self.shape_lines(cls.iri)
        return lines

    @staticmethod
    def _definition_lines(term: Term) -> list[str]:
        lines = [_md(term.definition or "(no definition)")]
        if term.example:
            lines += ["", f"*Example:* {_md(term.example)}"]
        return lines

    def property_lines(self) -> list[str]:
        lines = [
            "",
            "## Properties",
            "",
            "| Property | CURIE | Kind | Domain | Range |",
            "|---|---|---|---|---|",
        ]
        for prop in self.model.properties:
            domain = self.terms(prop.domain) or "—"
            range_ = self.terms(prop.range) or "—"
            lines.append(
                f"| [{_md(prop.label)}](#{_anchor(str(prop.iri))}) "
                f"| {_code(prop.curie)} | {prop.kind} "
                f"| {_cell(domain)} | {_cell(range_)} |"
            )
        for prop in self.model.properties:
            lines += ["", _heading(3, prop.label, str(prop.iri)), ""]
            lines += self._definition_lines(prop)
            lines += [
                "",
                f"- **Kind:** {prop.kind}",
                f"- **Domain:** {self.terms(prop.domain) or '—'}",
                f"- **Range:** {self.terms(prop.range) or '—'}",
            ]
            if prop.parents:
                lines.append(f"- **Subproperty of:** {self.terms(prop.parents)}")
            if prop.children:
                lines.append(f"- **Subproperties:** {self.terms(prop.children)}")
            lines += self._alignments(prop)
        return lines

    def scheme_lines(self) -> list[str]:
        lines = [
            "",
            "## Concept schemes",
            "",
            "The values of the coded properties. Within a scheme, narrower concepts follow "
            "their broader concept; ranked concepts come in descending `eg:rank`.",
        ]
        lines += self.shape_lines(SKOS.Concept)
        for scheme in self.model.schemes:
            lines += ["", _heading(3, scheme.label, str(scheme.iri)), ""]
            lines.append(_md(scheme.definition or "(no definition)"))
            facts = self._alignments(scheme)
            paths = sorted(scheme.allowed_paths, key=lambda p: _plain(self.path(p)))
            if paths:
                facts.append("- **Allowed values of:** " + ", ".join(self.path(p) for p in paths))
            if facts:
                lines += ["", *facts]
            lines += [
                "",
                "| Concept | Label | Definition | Broader | Matches, notation, rank |",
                "|---|---|---|---|---|",
            ]
            for concept in scheme.concepts:
                label = _md(concept.label)
                if concept.alternative_labels:
                    label += (
                        " (also: " + ", ".join(_md(a) for a in concept.alternative_labels) + ")"
                    )
                notes = [
                    f"{alignment.caption.lower()} {self.terms(alignment.targets)}"
                    for alignment in concept.alignments
                ]
                notes += [f"notation {_code(n)}" for n in concept.notations]
                if concept.rank is not None:
                    notes.append(f"rank {concept.rank}")
                cells = [
                    "&nbsp;&nbsp;" * concept.depth
                    + f'<a id="{_anchor(str(concept.iri))}"></a>{_code(concept.curie)}',
                    label,
                    _md(concept.definition or "(no definition)"),
                    self.terms(concept.broader) or "—",
                    "; ".join(notes) or "—",
                ]
                lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        return lines

    def other_shape_lines(self) -> list[str]:
        """Shapes whose target class is documented nowhere else."""
        covered = {*(c.iri for c in self.model.classes), SKOS.Concept}
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
    return render_markdown(describe_model())


def render_markdown(model: ModelDescription) -> str:
    """A model's description as the Markdown of ``docs/ontology.md``."""
    return _Reference(model).render()


def main() -> None:
    """Write the reference to standard output as UTF-8, byte for byte what
    :func:`render_reference` returns."""
    sys.stdout.buffer.write(render_reference().encode("utf-8"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
