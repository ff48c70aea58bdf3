"""What the server refuses: remote fetches named in a query, updates without the right token."""

from __future__ import annotations

import hmac
import os
import re
from pathlib import Path

from evidencegraph.errors import UsageError
from evidencegraph.graph.values_binding import tokenize

#: The environment variable that may hold the bearer token for updates.
TOKEN_ENV = "EVIDENCEGRAPH_SERVER_TOKEN"
#: Shorter tokens are refused: a guessable token is no token.
MIN_TOKEN_LENGTH = 16

#: Keywords whose evaluation makes Oxigraph fetch a URL the query names. Oxigraph fetches for
#: SERVICE (a federated query) and LOAD (an update); FROM and FROM NAMED only select graphs
#: of the store, and no function of its SPARQL reads from the network.
_FETCHING = {
    "SERVICE": "SERVICE asks this server to query another endpoint",
    "LOAD": "LOAD asks this server to fetch and load a document",
}
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# A keyword inside a word token: the tokenizer reads ``?o.SERVICE`` as ``?o`` and ``.SERVICE``,
# ``1.SERVICE`` and ``ex:.SERVICE`` as one word each, where the parser sees a dot and then the
# keyword. So the keyword counts wherever no name character comes before or after it; after a
# colon it is the local part of a prefixed name (``schema:Service``), which is no keyword.
_KEYWORD = re.compile(r"(?<![\w:])(SERVICE|LOAD)(?!\w)", re.IGNORECASE)


class RefusedError(Exception):
    """A request the server will not carry out; the message says why (400)."""


def refuse_remote_fetch(sparql: str) -> None:
    """Raise RefusedError when ``sparql`` would make the server fetch a remote URL.

    The keywords are found by a SPARQL tokenizer, so ``service`` in a string, an IRI, a comment
    or a prefixed name is not one, and the keyword in any case is, even glued to a dot.
    SPARQL allows ``\\uXXXX`` escapes anywhere in a query; a keyword spelt with them is
    decoded before it is compared.
    """
    for token in tokenize(sparql):
        if token.kind != "word":
            continue
        found = _KEYWORD.search(_CODEPOINT.sub(_decode_codepoint, token.text))
        if found:
            raise RefusedError(
                f"refused: {_FETCHING[found.group(1).upper()]} (at character {token.start + 1}). "
                "A server that "
                "fetches whatever URL a query names can be used to reach hosts behind it, so "
                "this one never fetches: query the other endpoint yourself, or load the "
                "document with `evidencegraph load`."
            )


def _decode_codepoint(match: re.Match[str]) -> str:
    try:
        return chr(int(match.group(1) or match.group(2), 16))
    except ValueError:  # past U+10FFFF: not a character, leave the escape as it was
        return match.group(0)


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
