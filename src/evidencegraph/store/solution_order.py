"""A query's final ``ORDER BY`` done in this process for the embedded store (decision 0032).

Oxigraph sorts a query's solutions by comparing their terms as it reads them from the store:
every comparison decodes both terms again, a long string from RocksDB each time. For a large
answer that is most of the query (source-graphs at 100,000 studies: about 10 of its 17.6 s).
The rows are read and decoded once anyway to be answered, so sorting them here costs a
fraction of that.

Only the order SPARQL 1.1 defines (section 15.1) is done here, and only where it is plain:
the query ends with ``ORDER BY`` of variables (each alone, or in ``ASC()`` / ``DESC()``), with no
``LIMIT`` or ``OFFSET``, nothing but a ``GROUP BY`` of variables between the pattern and it, and
every variable is one the query answers. Each key column then holds only unbound values, IRIs,
and literals of one kind: strings (``xsd:string``), or ``xsd:integer`` numbers in Oxigraph's
64-bit range. Unbound sorts first, then IRIs by their text, then literals, strings by code
point (what Oxigraph does, comparing UTF-8 bytes) and integers by value. Anything else (blank
nodes, language strings, decimals, dates, a column mixing strings and numbers, an ill-typed
integer) has an order the engine defines, and the caller asks the engine: :func:`order_rows`
answers ``None``.

Rows whose keys are equal keep the order the engine gave them without ``ORDER BY``; the
engine's own sort is not stable either, and SPARQL leaves their order open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from evidencegraph.rdf.terms import OxTerm

_XSD = "http://www.w3.org/2001/XMLSchema#"
_STRING = ox.NamedNode(_XSD + "string")
_INTEGER = ox.NamedNode(_XSD + "integer")
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_I64 = 2**63

# A closing brace, then only white space and comments, a GROUP BY of variables or none, then
# ORDER BY and its keys to the end. The brace closes the query's WHERE pattern: nothing but
# solution modifiers can follow it, and they hold no quote or brace here, so neither a string
# nor an IRI can end inside the match. A key the grouping leaves out is not answered, and
# the engine then sorts (:func:`order_rows`).
_GAP = r"(?:\s|#[^\n]*(?:\n|$))*"
# A name or keyword ends where its word does ((?!\w)): "?aORDER" is one variable to the
# engine, and "?sDESC(?x)" a variable and an expression; where words run together the text is
# left to the engine.
_VARIABLE = r"[?$]\w+(?!\w)"
_FINAL_ORDER = re.compile(
    r"\}" + _GAP + r"(?:GROUP\s+BY(?!\w)(?:\s*" + _VARIABLE + ")+" + _GAP + r")?"
    r"(?P<order>ORDER\s+BY(?!\w))"
    r"(?P<keys>(?:\s*(?:"
    + _VARIABLE
    + r"|(?:ASC|DESC)\s*\(\s*"
    + _VARIABLE
    + r"\s*\)))+)"
    + _GAP
    + "$",
    re.IGNORECASE,
)
_KEY = re.compile(r"(?:(?P<way>ASC|DESC)\s*\(\s*)?[?$](?P<name>\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class OrderKey:
    """One key of an ``ORDER BY``: a variable, ascending or descending."""

    variable: str
    descending: bool


@dataclass(frozen=True)
class FinalOrder:
    """A query split into its text without the final ``ORDER BY``, and that clause's keys."""

    unordered: str
    keys: tuple[OrderKey, ...]


def split_final_order(sparql: str) -> FinalOrder | None:
    """The query without its final ``ORDER BY`` of plain variables, or ``None`` if it has none
    (or one of expressions, or a ``LIMIT`` / ``OFFSET``): then only the engine can order it."""
    # The last brace, read from there on (a brace in a comment after it means no match). A
    # '#' before it on its line may open a comment holding it: not read (an IRI's '#' too).
    last_brace = sparql.rfind("}")
    line_start = sparql.rfind("\n", 0, last_brace) + 1
    if last_brace < 0 or "#" in sparql[line_start:last_brace]:
        return None
    found = _FINAL_ORDER.match(sparql, last_brace)
    if found is None:
        return None
    keys = tuple(
        OrderKey(key["name"], (key["way"] or "").upper() == "DESC")
        for key in _KEY.finditer(found["keys"])
    )
    return FinalOrder(sparql[: found.start("order")], keys)


def order_rows(
    names: Sequence[str], rows: list[list[OxTerm | None]], keys: Sequence[OrderKey]
) -> list[list[OxTerm | None]] | None:
    """``rows`` (each the values of ``names``) sorted by ``keys``, or ``None`` where a key is not
    among the names or holds a value whose order the engine defines (see the module)."""
    order = sorted_positions(names, rows, keys)
    return None if order is None else [rows[index] for index in order]


def sorted_positions(
    names: Sequence[str], rows: Sequence[Sequence[OxTerm | None]], keys: Sequence[OrderKey]
) -> list[int] | None:
    """The positions of ``rows`` in the order of ``keys`` (see :func:`order_rows`)."""
    columns = []
    for key in keys:
        if key.variable not in names:
            return None
        columns.append(names.index(key.variable))
    sort_values = []
    for column in columns:
        values = _sort_values([row[column] for row in rows])
        if values is None:
            return None
        sort_values.append(values)
    order = list(range(len(rows)))
    # Least significant key first: Python's sort is stable, in either direction.
    for key, values in zip(reversed(keys), reversed(sort_values), strict=True):
        order.sort(key=values.__getitem__, reverse=key.descending)
    return order


def order_tsv(body: bytes, keys: Sequence[OrderKey]) -> bytes | None:
    """SPARQL results in TSV as pyoxigraph writes them (a header line, then a line a solution:
    its writer escapes tabs and line breaks inside a value), with the lines sorted by ``keys``;
    ``None`` where the engine must sort (see :func:`order_rows`).

    Only the key columns are read back into terms; every line goes out as the engine wrote it,
    so the answer is byte for byte what the engine's unsorted run gave, in the order SPARQL
    defines."""
    header, _, solutions = body.partition(b"\n")
    names = [name.lstrip("?$") for name in header.decode("utf-8").split("\t") if name]
    if any(key.variable not in names for key in keys):
        return None
    lines = solutions.split(b"\n")
    if lines[-1] != b"":  # every line ends with its break: anything else is not ours to sort
        return None
    lines.pop()
    wanted = [key.variable for key in keys]
    parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
    if not isinstance(parsed, ox.QuerySolutions):
        return None
    rows = [[solution[name] for name in wanted] for solution in parsed]
    if len(rows) != len(lines):
        return None
    order = sorted_positions(wanted, rows, keys)
    if order is None:
        return None
    return b"".join([header, b"\n", *(lines[index] + b"\n" for index in order)])


#: Texts the engine sorted: their ORDER BY names a variable they do not answer, or sorts values
#: whose order only the engine knows. From the second run on the engine sorts them at once.
_ENGINE_ORDERS: set[str] = set()
_ENGINE_ORDERS_KEPT = 256


def final_order(sparql: str) -> FinalOrder | None:
    """:func:`split_final_order`, except for a text the engine had to sort before (this
    process remembers the last few hundred): that one goes to the engine at once."""
    return None if sparql in _ENGINE_ORDERS else split_final_order(sparql)


def remember_engine_order(sparql: str) -> None:
    """The engine had to sort ``sparql``: :func:`final_order` leaves it to it from now on."""
    if len(_ENGINE_ORDERS) >= _ENGINE_ORDERS_KEPT:
        _ENGINE_ORDERS.clear()
    _ENGINE_ORDERS.add(sparql)


def _sort_values(column: Sequence[OxTerm | None]) -> list[tuple[int, str | int]] | None:
    """Each value's place in SPARQL's order, comparable with every other in the column; ``None``
    if the column holds a value, or a mix of literals, whose order only the engine knows."""
    strings = integers = False
    out: list[tuple[int, str | int]] = []
    for term in column:
        if term is None:
            out.append((0, 0))
        elif isinstance(term, ox.NamedNode):
            out.append((1, term.value))
        elif isinstance(term, ox.Literal) and term.language is None:
            if term.datatype == _STRING:
                strings = True
                out.append((2, term.value))
            elif term.datatype == _INTEGER and _INTEGER_TEXT.fullmatch(term.value):
                number = int(term.value)
                if not -_I64 <= number < _I64:
                    return None
                integers = True
                out.append((2, number))
            else:
                return None
        else:
            return None
    if strings and integers:
        return None
    # An unbound value and an IRI never meet a literal at the second place: the first differs.
    # Unbound values compare equal to each other (0 with 0); IRIs by text, never with a number.
    return out
