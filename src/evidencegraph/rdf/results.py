"""Query results, and their serialisation in the SPARQL 1.1 results formats and as a table."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral
from typing import cast

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.query import Result
from rdflib.term import Identifier, Node

from evidencegraph.ontology.namespace import PREFIXES, compact

ResultKind = TypingLiteral["select", "ask", "graph"]
#: Formats for SELECT and ASK results.
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")


@dataclass
class QueryResult:
    """What a query answered: solutions (SELECT), a boolean (ASK) or a graph (CONSTRUCT)."""

    kind: ResultKind
    variables: list[Variable] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None

    @classmethod
    def from_rows(cls, variables: list[Variable], rows: list[dict[str, Node]]) -> QueryResult:
        return cls("select", variables=variables, rows=rows)

    @classmethod
    def from_boolean(cls, value: bool) -> QueryResult:
        return cls("ask", boolean=value)

    @classmethod
    def from_graph(cls, graph: Graph) -> QueryResult:
        return cls("graph", graph=graph)

    def column(self, name: str) -> list[Node | None]:
        """The values of one variable, row by row (None where unbound)."""
        return [row.get(name) for row in self.rows]

    def serialize(self, fmt: str) -> str:
        """Serialise as ``table``, ``csv``, ``tsv``, ``json`` or ``xml`` (SPARQL 1.1 results).

        Graph results are serialised as Turtle whatever ``fmt`` says for rows;
        use :meth:`serialize_graph` to choose an RDF syntax.
        """
        if self.kind == "graph":
            return self.serialize_graph("turtle")
        if fmt == "table":
            return _table(self)
        if fmt == "tsv":
            return _tsv(self)
        if fmt in ("csv", "json", "xml"):
            return _rdflib_result(self).serialize(format=fmt).decode("utf-8")  # type: ignore[union-attr]
        raise ValueError(f"unknown result format {fmt!r}; use one of {', '.join(RESULT_FORMATS)}")

    def serialize_graph(self, rdf_format: str) -> str:
        """Serialise a graph result in an rdflib RDF syntax (turtle, nt, xml, json-ld ...)."""
        assert self.graph is not None, "only CONSTRUCT and DESCRIBE results carry a graph"
        _bind_prefixes(self.graph)
        return self.graph.serialize(format=rdf_format)


def _bind_prefixes(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)


def _rdflib_result(result: QueryResult) -> Result:
    if result.kind == "ask":
        answer = Result("ASK")
        answer.askAnswer = bool(result.boolean)
        return answer
    answer = Result("SELECT")
    answer.vars = list(result.variables)
    answer.bindings = [
        {Variable(name): cast(Identifier, term) for name, term in row.items()}
        for row in result.rows
    ]
    return answer


def _n3(term: Node | None) -> str:
    """A term in the Turtle/N-Triples syntax the SPARQL TSV format prescribes."""
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype is None and not term.language:
        return Literal(str(term)).n3()
    return term.n3()


def _tsv(result: QueryResult) -> str:
    if result.kind == "ask":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    out = io.StringIO()
    out.write("\t".join(f"?{variable}" for variable in result.variables) + "\n")
    for row in result.rows:
        out.write("\t".join(_n3(row.get(str(variable))) for variable in result.variables) + "\n")
    return out.getvalue()


def _display(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return compact(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _table(result: QueryResult) -> str:
    if result.kind == "ask":
        return "yes\n" if result.boolean else "no\n"
    headers = [str(variable) for variable in result.variables]
    cells = [[_display(row.get(name)) for name in headers] for row in result.rows]
    widths = [
        max([len(header)] + [len(line[index]) for line in cells])
        for index, header in enumerate(headers)
    ]
    widths = [min(width, 60) for width in widths]

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = ["  ".join(fit(h, w).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for line in cells:
        lines.append(
            "  ".join(fit(c, w).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        )
    count = len(result.rows)
    lines.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(lines) + "\n"
