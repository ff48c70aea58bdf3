"""How deeply a query may nest: measured on the text, in one pass, before any worker sees it.

Oxigraph parses and evaluates a query by recursion, one level of its stack for each level of
nesting: each group ``{ }``, bracket ``( )`` or ``[ ]``, and each operator of a chain
(``a + b + c``, ``{ } UNION { } UNION { }``, ``?s ?p ?o OPTIONAL { } OPTIONAL { }`` are
trees as deep as the chain is long). Past some thousands of levels (5,000 nested groups,
a 10,000-term sum) the worker's stack overflows and the process dies. The measure here is
that depth, counted without recursion: the open brackets plus the operators chained inside
each of them, so a query is refused, cheaply, well before it could crash anything.
"""

from __future__ import annotations

import re

from evidencegraph.server.security import RefusedError

#: The default of ``--max-query-depth``: a fifth of the shallowest depth seen to crash a worker
#: (between 2,000 and 5,000 nested groups), and far past any query written by hand.
DEFAULT_MAX_DEPTH = 1000

# Strings, IRIs, comments, prefixed names and decimals are blanked out first (one
# substitution, in C), so that what is in them counts for nothing; then only brackets,
# chaining operators and the separators of a group's elements are left to walk. An escape
# outside a string (``ex:a\#b``, a prefixed name's) is blanked too, so that it starts no
# comment or string; an IRI may hold ``\u`` escapes, as Oxigraph reads them.
# The keywords count only as whole words (not ?union, ex:optional or unionX).
_SKIP = re.compile(
    r"""
      \\.
    | \#[^\n\r]*
    | '\'\'(?:(?:'|'')?(?:[^'\\]|\\.))*'\'\'
    | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
    | '(?:[^'\\\n\r]|\\.)*'
    | "(?:[^"\\\n\r]|\\.)*"
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?<![\w?$])(?:[^\W\d][\w.-]*)?:(?:[\w:%-]|\\.|\.(?=[\w:%-]|\\.))*
    | (?<![\w?$])\d*\.\d+(?:[eE][+-]?\d+)?
    """,
    re.VERBOSE,
)
_STRUCTURE = re.compile(
    r"(?<![\w?$:])(?:CONSTRUCT|INSERT|DELETE|DATA)\s*\{"
    r"|[{(\[]|[})\]]|\|\||&&|!=|<=|>=|[=<>+\-*/|^.;,]"
    r"|(?<![\w?$:])(?:UNION|OPTIONAL|MINUS|BIND|FILTER|VALUES)(?![\w:-])",
    re.IGNORECASE,
)
_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")
#: What only separates the elements of a group (triple patterns, objects, predicates):
#: Oxigraph joins them one by one, a tree as deep as the group is long (8,000 triple
#: patterns overflowed a worker's stack), but a list of data (INSERT DATA, a template) and
#: the arguments of a function (inside brackets) are not chained.
_SEPARATORS = frozenset(".;,")


def refuse_deep_nesting(sparql: str, limit: int) -> None:
    """Raise RefusedError when ``sparql`` nests deeper than ``limit`` levels (0: no limit).

    Two regular-expression passes and one walk over the brackets and operators, stopped at
    the first point past the limit. A text shorter than the limit cannot pass it (every
    level takes a character), nor can one with fewer characters and words that start a level
    than the limit (:func:`most_levels`, counted in C): neither is walked, and a query
    written by hand is almost always one of them. A group's elements (triple patterns,
    BINDs, groups within it) count as a chain; the triples of a template or of INSERT DATA
    do not. What looks like an IRI may be two comparisons to Oxigraph
    (``?a<((((?b))))&&?c>?d``): its own brackets and operators must fit within the limit too.
    """
    if not limit or len(sparql) <= limit or most_levels(sparql) <= limit:
        return
    walk_levels(sparql, limit)


def walk_levels(sparql: str, limit: int) -> None:
    """The measure of :func:`refuse_deep_nesting` itself, taken however long the text and
    however few the characters that can start a level."""
    blanked_parts: list[str] = []
    position = 0
    for found in _SKIP.finditer(sparql):
        blanked_parts.append(sparql[position : found.start()])
        blanked_parts.append(" " * (found.end() - found.start()))
        position = found.end()
        if found.group("iri") is not None:
            # read as an expression: its dots and commas separate nothing
            _walk(found.group("iri")[1:-1], limit, sparql, found.start() + 1, top="(")
    blanked_parts.append(sparql[position:])
    _walk("".join(blanked_parts), limit, sparql, 0, top="{")


#: Every level the walks below count starts at one of these characters or words, found in the
#: text as it came (blanking only turns characters into spaces, and an IRI's inside is walked
#: on its own, so no level is counted twice). No word ends with a letter another begins with,
#: so their occurrences never overlap.
_LEVEL_CHARACTERS = "{([|&!=<>+-*/^.;,"
_NOT_LEVEL_CHARACTERS = str.maketrans("", "", _LEVEL_CHARACTERS)
_WORDS = ("union", "optional", "minus", "bind", "filter", "values")
_LEVEL_WORDS = re.compile("|".join(_WORDS), re.IGNORECASE)


def most_levels(sparql: str) -> int:
    """An upper bound of the depth :func:`walk_levels` measures, counted in C: the
    characters that can start a level and the words that can chain one (as the walk finds
    them, in any case). A query of a few kilobytes is well under the limit by this count, and
    is not walked: for the 3.5 kB of a named query, 30 µs against the walk's 900."""
    characters = len(sparql) - len(sparql.translate(_NOT_LEVEL_CHARACTERS))
    if sparql.isascii():
        lowered = sparql.lower()
        return characters + sum(lowered.count(word) for word in _WORDS)
    # the walk's case-blind matching pairs some other letters with these (ſ with s, İ with i)
    return characters + len(_LEVEL_WORDS.findall(sparql))


def _walk(blanked: str, limit: int, sparql: str, offset: int, top: str) -> None:
    """Refuse when the brackets and chains of ``blanked`` (a part of ``sparql`` from
    ``offset``, strings and the like blanked, read as if inside the bracket ``top``) reach
    past ``limit``."""
    # per open level: its bracket and whether it holds data (a template); its chain length
    levels: list[tuple[str, bool]] = [(top, False)]
    chains = [0]
    chained = 0  # the sum of chains
    for match in _STRUCTURE.finditer(blanked):
        token = match.group()
        if token[-1] == "{" and len(token) > 1:  # CONSTRUCT {, INSERT DATA { ...: data
            levels.append(("{", True))
            chains.append(0)
        elif token in _OPEN:
            levels.append((token, levels[-1][1]))
            chains.append(0)
        elif token in _CLOSE:
            if len(chains) > 1:
                bracket, data = levels.pop()
                chained -= chains.pop()
                if bracket == "{" and levels[-1][0] == "{" and not data:
                    chains[-1] += 1  # a group within a group is one more element of it
                    chained += 1
                else:
                    continue
            else:
                continue
        elif token in _SEPARATORS:
            bracket, data = levels[-1]
            if data or bracket == "(":
                continue
            chains[-1] += 1
            chained += 1
        else:
            chains[-1] += 1
            chained += 1
        if len(chains) - 1 + chained > limit:
            _refuse(sparql, offset + match.start(), len(chains) - 1, chained, limit)


def _refuse(sparql: str, position: int, brackets: int, chained: int, limit: int) -> None:
    line = sparql.count("\n", 0, position) + 1
    column = position - (sparql.rfind("\n", 0, position) + 1) + 1
    raise RefusedError(
        f"refused: the query nests too deeply, {brackets + chained:,} levels at line "
        f"{line} column {column} ({brackets:,} open groups or brackets, and "
        f"{chained:,} operators, UNIONs, OPTIONALs, triple patterns, BINDs or FILTERs "
        "chained inside them); "
        f"this server's limit is {limit:,} levels (--max-query-depth), as deeper "
        "queries can crash the query engine. Flatten it: VALUES instead of a chain of "
        "UNIONs, IN (...) instead of a chain of || or =, fewer nested groups, or split "
        "a long group of triple patterns into several queries or updates."
    )
