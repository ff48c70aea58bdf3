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

# Strings, IRIs and comments are blanked out first (one substitution, in C), so that what is
# in them counts for nothing; then only brackets and chaining operators are left to walk.
# UNION, OPTIONAL and MINUS count only as whole words (not ?union, ex:optional or unionX).
_SKIP = re.compile(
    r"""
      \#[^\n\r]*
    | '\'\'(?:(?:'|'')?(?:[^'\\]|\\.))*'\'\'
    | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
    | '(?:[^'\\\n\r]|\\.)*'
    | "(?:[^"\\\n\r]|\\.)*"
    | <[^<>"{}|^`\\\x00-\x20]*>
    """,
    re.VERBOSE,
)
_STRUCTURE = re.compile(
    r"[{(\[]|[})\]]|\|\||&&|!=|<=|>=|[=<>+\-*/|^]"
    r"|(?<![\w?$:])(?:UNION|OPTIONAL|MINUS)(?![\w:-])",
    re.IGNORECASE,
)
_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")


def refuse_deep_nesting(sparql: str, limit: int) -> None:
    """Raise RefusedError when ``sparql`` nests deeper than ``limit`` levels (0: no limit).

    Two regular-expression passes and one walk over the brackets and operators, stopped at
    the first point past the limit; a text shorter than the limit cannot pass it (every
    level takes a character) and is not looked at.
    """
    if not limit or len(sparql) <= limit:
        return
    # blanked with spaces of the same length, so that positions stay those of the text
    blanked = _SKIP.sub(lambda found: " " * len(found.group()), sparql)
    chains = [0]  # operators chained at each open level, outermost first
    chained = 0  # their sum
    for match in _STRUCTURE.finditer(blanked):
        token = match.group()
        if token in _OPEN:
            chains.append(0)
        elif token in _CLOSE:
            if len(chains) > 1:
                chained -= chains.pop()
            continue
        else:
            chains[-1] += 1
            chained += 1
        if len(chains) - 1 + chained > limit:
            _refuse(sparql, match.start(), len(chains) - 1, chained, limit)


def _refuse(sparql: str, position: int, brackets: int, chained: int, limit: int) -> None:
    line = sparql.count("\n", 0, position) + 1
    column = position - (sparql.rfind("\n", 0, position) + 1) + 1
    raise RefusedError(
        f"refused: the query nests too deeply, {brackets + chained:,} levels at line "
        f"{line} column {column} ({brackets:,} open groups or brackets, and "
        f"{chained:,} operators, UNIONs, OPTIONALs or MINUSes chained inside them); "
        f"this server's limit is {limit:,} levels (--max-query-depth), as deeper "
        "queries can crash the query engine. Flatten it: VALUES instead of a chain of "
        "UNIONs, IN (...) instead of a chain of || or =, fewer nested groups."
    )
