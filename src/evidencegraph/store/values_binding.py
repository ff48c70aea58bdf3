"""Pre-bound variables for a server without substitution: ``VALUES`` in every group.

The named queries bind parameters by SEP-0007 substitution (decision 0004),
which a remote SPARQL 1.1 server does not offer. A trailing ``VALUES`` is not
the same thing: the queries use their parameters inside sub-SELECTs, which
are evaluated on their own before the outer join sees the value. What pyoxigraph
does is bind the variable in every scope where it is visible: every group of
the query's WHERE part, and every sub-SELECT that projects it.
:func:`bind_by_values` rewrites the text to do exactly that: a small tokenizer
(strings of all four quote kinds, IRIs, comments, escapes in prefixed names)
finds the braces, and ``VALUES ?var { term }`` goes in at the start of each
group graph pattern where the variable is in scope, never into a CONSTRUCT
template or a VALUES data block. Terms are written by pyoxigraph's N-Triples
serialiser, so no caller text reaches the query (decision 0011).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from evidencegraph.errors import UsageError
from evidencegraph.rdf.terms import OxTerm

#: One token of SPARQL text: what the rewrites here and the server's update rewrite read, so
#: that a keyword inside a string, an IRI (with its \u escapes, as Oxigraph reads them) or a
#: comment is never taken for one.
SPARQL_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
                | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
                | '(?:[^'\\\n\r]|\\.)*'
                | "(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<variable>[?$]\w+)
    | (?P<word>(?:[\w\-.:%]|\\.)+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}


@dataclass(frozen=True)
class Token:
    """One significant token of SPARQL text, where it starts, and how many braces are open
    around it."""

    kind: str
    text: str
    start: int
    depth: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(sparql: str) -> list[Token]:
    """The significant tokens of a query or update (whitespace and comments left out), each
    with the number of braces open around it."""
    return list(iter_tokens(sparql))


def iter_tokens(sparql: str) -> Iterator[Token]:
    """:func:`tokenize`, one token at a time: for a caller that needs only the first few
    (a query's form comes before its pattern)."""
    depth = 0
    for match in SPARQL_TOKEN.finditer(sparql):
        kind = match.lastgroup or "other"
        if kind in ("space", "comment"):
            continue
        text = match.group()
        if text == "}":
            depth = max(depth - 1, 0)
        yield Token(kind, text, match.start(), depth)
        if text == "{":
            depth += 1


def query_form(sparql: str) -> str:
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``: the form of a query's text."""
    return first_form(sparql) or "SELECT"


def first_form(sparql: str) -> str | None:
    """The first form keyword of ``sparql`` (``SELECT``, ``CONSTRUCT``, ``DESCRIBE``, ``ASK``),
    read up to it; None when the text names none."""
    return next((t.keyword for t in iter_tokens(sparql) if t.keyword in _FORMS), None)


def uses_service(sparql: str) -> bool:
    """Whether the query calls out to another endpoint (``SERVICE``)."""
    return any(token.keyword == "SERVICE" for token in tokenize(sparql))


def bind_by_values(sparql: str, bindings: Mapping[str, OxTerm]) -> str:
    """The query with each variable of ``bindings`` bound by ``VALUES`` wherever it is in scope.

    The query must already parse (check it with pyoxigraph first). Raises
    UsageError for what VALUES cannot express: a blank node as the value, a
    variable the query assigns itself (``… AS ?var``), a DESCRIBE without WHERE.
    """
    if not bindings:
        return sparql
    for name, term in bindings.items():
        if not isinstance(term, (ox.NamedNode, ox.Literal)):
            raise UsageError(
                f"cannot bind ?{name} to {term} on a SPARQL server: only IRIs and literals "
                "can be sent as values (a blank node names nothing outside one request)"
            )
    rewriter = _Rewriter(sparql, tokenize(sparql), bindings)
    return rewriter.rewrite()


class _Rewriter:
    """One pass over the tokens, collecting insertions; see :func:`bind_by_values`."""

    def __init__(self, sparql: str, tokens: list[Token], bindings: Mapping[str, OxTerm]):
        self.sparql = sparql
        self.tokens = tokens
        self.bindings = bindings
        self.matching = _match_braces(tokens)
        self.insertions: list[tuple[int, str]] = []
        self.prologue_end = 0

    def rewrite(self) -> str:
        tokens = self.tokens
        form = next((i for i, t in enumerate(tokens) if t.keyword in _FORMS), None)
        if form is None:
            return self.sparql
        self.prologue_end = tokens[form].start
        live = frozenset(self.bindings)
        index = form + 1
        if tokens[form].keyword == "CONSTRUCT":
            index = self._construct_template(form)
        if not any(t.text == "{" for t in tokens[index:]):
            raise UsageError(
                "cannot bind parameters of a query without a WHERE clause on a SPARQL "
                "server: give the query a WHERE { … } that binds them"
            )
        self._walk(index, len(tokens), live)
        text = self.sparql
        for offset, insert in sorted(self.insertions, reverse=True):
            text = text[:offset] + insert + text[offset:]
        return text

    def _construct_template(self, form: int) -> int:
        """Skip a CONSTRUCT template; give the short form ``CONSTRUCT WHERE { T }`` its
        template ``{ T }`` so that the WHERE group can take VALUES. The index after it."""
        tokens = self.tokens
        after = form + 1
        if after < len(tokens) and tokens[after].text == "{":
            return self.matching[after] + 1
        where = next((i for i in range(after, len(tokens)) if tokens[i].text == "{"), None)
        if where is None:
            raise UsageError("cannot bind parameters of a CONSTRUCT query without WHERE { … }")
        body = self.sparql[tokens[where].start : tokens[self.matching[where]].end]
        self.insertions.append((tokens[after].start, body + " "))
        return after

    def _walk(self, start: int, end: int, live: frozenset[str], nested: bool = False) -> None:
        """Visit tokens ``start``..``end`` in a scope where the ``live`` variables are bound;
        ``nested``: inside a group of the same SELECT (whose WHERE group binds them all)."""
        tokens = self.tokens
        index = start
        while index < end:
            token = tokens[index]
            if token.keyword == "VALUES":
                index = self._skip_data_block(index)
                continue
            if token.keyword == "AS" and index + 1 < end:
                self._refuse_assignment(tokens[index + 1], live)
            if token.text == "{":
                close = self.matching[index]
                first = tokens[index + 1] if index + 1 < close else None
                if first is not None and first.keyword == "SELECT":
                    self._walk(index + 1, close, self._projected(index + 1, close, live))
                else:
                    bound = live
                    if nested and not self._after_minus(index):
                        bound = self._used(index, close, live)
                    if bound:
                        self.insertions.append((token.end, self._values(bound)))
                    self._walk(index + 1, close, live, nested=True)
                index = close + 1
                continue
            index += 1

    def _used(self, start: int, close: int, live: frozenset[str]) -> frozenset[str]:
        """The live variables the group ``start``..``close`` names anywhere inside it.

        A group nested in another that never names a variable has nothing to bind: its
        solutions join the enclosing group's, which binds it (a SELECT's WHERE group keeps
        them all: its GROUP BY, HAVING or projection may name them). Leaving its VALUES
        out keeps a group of one pattern (a UNION branch, an OPTIONAL) one pattern, which
        Oxigraph evaluates row by row; with a VALUES beside it, it is a join Oxigraph
        evaluates over the whole store (decision 0031)."""
        named = {
            token.text[1:] for token in self.tokens[start + 1 : close] if token.kind == "variable"
        }
        return frozenset(name for name in live if name in named)

    def _after_minus(self, index: int) -> bool:
        """Whether the group opening at ``index`` is MINUS's: its variables decide which
        solutions it takes out, so it keeps every live VALUES as substitution would."""
        return index > 0 and self.tokens[index - 1].keyword == "MINUS"

    def _projected(self, select: int, close: int, live: frozenset[str]) -> frozenset[str]:
        """The live variables a sub-SELECT projects: its scope sees only those."""
        tokens = self.tokens
        depth = 0
        names: set[str] = set()
        for index in range(select + 1, close):
            token = tokens[index]
            if token.text == "{" or (depth == 0 and token.keyword == "WHERE"):
                break
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
            elif depth == 0 and token.text == "*":
                names = self._star_variables(token, tokens[close])
            elif depth == 0 and token.kind == "variable":
                names.add(token.text[1:])
        return frozenset(name for name in live if name in names)

    def _star_variables(self, star: Token, close: Token) -> set[str]:
        """What ``SELECT *`` projects: the variables in scope of the sub-SELECT's pattern,
        as pyoxigraph works them out (a variable only in a FILTER is not one of them)."""
        text = self.sparql[: self.prologue_end] + "SELECT * " + self.sparql[star.end : close.start]
        solutions = ox.Store().query(text)
        assert isinstance(solutions, ox.QuerySolutions)
        return {variable.value for variable in solutions.variables}

    def _skip_data_block(self, values: int) -> int:
        """The index after a ``VALUES`` clause's data block (its braces hold terms, not groups)."""
        index = values + 1
        while self.tokens[index].text != "{":
            index += 1
        return self.matching[index] + 1

    def _refuse_assignment(self, target: Token, live: frozenset[str]) -> None:
        if target.kind == "variable" and target.text[1:] in live:
            raise UsageError(
                f"cannot bind {target.text} on a SPARQL server: the query assigns it itself "
                f"(… AS {target.text}); rename the parameter or the assigned variable"
            )

    def _values(self, live: frozenset[str]) -> str:
        return "".join(f" VALUES ?{name} {{ {self.bindings[name]} }}" for name in sorted(live))


def _match_braces(tokens: Sequence[Token]) -> dict[int, int]:
    """The index of the closing brace for each opening one."""
    matching: dict[int, int] = {}
    opened: list[int] = []
    for index, token in enumerate(tokens):
        if token.text == "{":
            opened.append(index)
        elif token.text == "}" and opened:
            matching[opened.pop()] = index
    for index in opened:  # unbalanced: the query did not parse; let the server say so
        matching[index] = len(tokens) - 1
    return matching
