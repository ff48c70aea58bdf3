"""What the server refuses: remote fetches named in a query, updates without the right token."""

from __future__ import annotations

import hmac
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from evidencegraph.errors import UsageError

#: The environment variable that may hold the bearer token for updates.
TOKEN_ENV = "EVIDENCEGRAPH_SERVER_TOKEN"
#: Shorter tokens are refused: a guessable token is no token.
MIN_TOKEN_LENGTH = 16

#: What Oxigraph fetches a URL for: SERVICE (a federated query) and LOAD (an update), by
#: the names of their nodes in a parsed query or update. FROM and FROM NAMED only select
#: graphs of the store, and no function of its SPARQL reads from the network.
_FETCHING = {
    "ServiceGraphPattern": "SERVICE asks this server to query another endpoint",
    "Load": "LOAD asks this server to fetch and load a document",
}
# SPARQL 1.1 (19.2) has \\uXXXX and \\UXXXXXXXX replaced everywhere before parsing; Oxigraph
# replaces them only inside strings and IRIs, as part of their content (a \\u0022 in a string
# does not end it), and nowhere else (\\u0053ELECT is a syntax error there). So the structure
# the engine sees is the text's with each escape taken as a plain letter: that is the text
# parsed here, with the backslash of each escape made an underscore.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ESCAPE = re.compile(r"\\([uU])(?=[0-9A-Fa-f]{4})")
# A keyword is its letters, in any case: a text without these letters in a row, read as it
# is or with its escapes replaced, cannot hold SERVICE or LOAD, and needs no parse.
_CANDIDATE = re.compile(r"service|load", re.IGNORECASE)
#: Python frames the recursive descent parser may take for a query within the depth limit
#: (about 20 a level of nesting); past it the check fails closed.
_PARSER_FRAMES = 50_000


class RefusedError(Exception):
    """A request the server will not carry out; the message says why (400)."""


def decode_codepoints(sparql: str) -> str:
    """``sparql`` with its ``\\u``/``\\U`` escapes replaced, as the SPARQL parser sees it."""
    return _CODEPOINT.sub(_decode_codepoint, sparql)


def _decode_codepoint(match: re.Match[str]) -> str:
    try:
        return chr(int(match.group(1) or match.group(2), 16))
    except ValueError:  # past U+10FFFF: not a character, leave the escape as it was
        return match.group(0)


def refuse_remote_fetch(sparql: str, *, update: bool = False) -> None:
    """Raise RefusedError when the query (or, with ``update``, the update) ``sparql`` would
    make the server fetch a remote URL: when its parse holds a SERVICE pattern or a LOAD.

    The decision is taken on the parsed form (rdflib's SPARQL 1.1 grammar) of the text as the
    engine reads its structure (codepoint escapes are content of the string or IRI they are
    in), so no spelling, comment or string can hide the keyword, and the word in a string, an
    IRI, a comment or a prefixed name is not one. A text that holds the letters of either
    keyword but cannot be parsed here (a syntax error, an Oxigraph extension, nesting too
    deep for the parser) is refused too: it cannot be shown harmless. The worker processes
    have no network either (``confine.py``).
    """
    if not _CANDIDATE.search(sparql) and not _CANDIDATE.search(decode_codepoints(sparql)):
        return
    text = _ESCAPE.sub(r"_\1", sparql)
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, _PARSER_FRAMES))
    try:
        tree = parseUpdate(text) if update else parseQuery(text)
    except (ParseException, RecursionError, ValueError, TypeError, AttributeError) as error:
        raise RefusedError(
            "refused: this text names SERVICE or LOAD (which make a server fetch a URL) and "
            f"could not be parsed to show that it does not use them ({type(error).__name__}: "
            f"{str(error)[:200]}). Fix the syntax, or spell the words differently outside "
            "strings and IRIs."
        ) from None
    finally:
        sys.setrecursionlimit(previous)
    for name in _node_names(tree):
        if name in _FETCHING:
            raise RefusedError(
                f"refused: {_FETCHING[name]}. A server that fetches whatever URL a query names "
                "can be used to reach hosts behind it, so this one never fetches: query the "
                "other endpoint yourself, or load the document with `evidencegraph load`."
            )


def _node_names(tree: Any) -> Iterator[str]:
    """The names of every node of a parse tree, walked with a stack (no recursion)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node.name
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            stack.extend(node)


def read_token(token_file: Path | None) -> str | None:
    """The bearer token for updates: ``token_file``'s content, else $EVIDENCEGRAPH_SERVER_TOKEN.

    Raises UsageError for an unreadable file or a token shorter than 16 characters.
    """
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read the token file {token_file}: {error}") from None
        source = str(token_file)
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        source = TOKEN_ENV
        if not token:
            return None
    if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
        raise UsageError(
            f"the token in {source} must be at least {MIN_TOKEN_LENGTH} characters, without "
            "spaces; make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token


def check_bearer(authorization: str | None, token: str) -> int | None:
    """None when the ``Authorization`` header carries ``token``; else 401 (no bearer
    credentials) or 403 (the wrong ones). The comparison takes the same time wherever the
    two differ."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return 401
    if hmac.compare_digest(credentials.strip().encode("utf-8"), token.encode("utf-8")):
        return None
    return 403
