"""An update's dataset from the Protocol's parameters: ``USING`` clauses written into the text.

The SPARQL 1.1 Protocol (2.2.3) lets an update request name its dataset with
``using-graph-uri`` and ``using-named-graph-uri``: they act as ``USING`` and ``USING NAMED``
on every operation of the request that has a ``WHERE`` (SPARQL 1.1 Update 3.1.3), and a
request that gives them while its text has ``USING``, ``USING NAMED`` or ``WITH`` is an
error. pyoxigraph's ``Store.update`` takes no dataset, so :func:`with_using_dataset` writes
the clauses into the text: right before the top-level ``WHERE`` of each ``DELETE``/``INSERT``
operation, and ``DELETE WHERE { P }`` becomes ``DELETE { P } USING … WHERE { P }``, which is
what the shorthand stands for (3.1.3.3). ``INSERT DATA``, ``DELETE DATA``, ``LOAD`` and the
graph management operations have no ``WHERE`` and are left as they are.

The text is read by a tokenizer that knows SPARQL's terminals as Oxigraph reads them (strings
in all four quote forms with their escapes, IRIs with ``\\u`` escapes, comments, prefixed
names with ``\\`` escapes), so a ``WHERE`` inside a string, an IRI, a comment or a name is
never taken for the keyword. What is inserted is only the keywords and IRIs written by
pyoxigraph's N-Triples serialiser after it accepted each one as an absolute IRI: nothing of
a parameter's value can become syntax (decision 0011).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from evidencegraph.errors import ParameterError
from evidencegraph.store.values_binding import Token, tokenize

#: The Protocol's names of the two parameters.
USING_GRAPH = "using-graph-uri"
USING_NAMED_GRAPH = "using-named-graph-uri"

#: The keywords that name an update's own dataset, which the parameters may not be added to.
_OWN_DATASET = frozenset({"USING", "WITH"})
#: The keywords an update operation begins with (after its PREFIX and BASE declarations).
_OPERATIONS = frozenset(
    {"INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY"}
)


class UpdateDatasetError(ParameterError):
    """The dataset parameters of an update request cannot be used (answered with 400)."""


def with_using_dataset(
    update: str, default_graphs: Sequence[str], named_graphs: Sequence[str]
) -> str:
    """The update ``update`` with ``USING <g>`` for each of ``default_graphs`` and ``USING
    NAMED <g>`` for each of ``named_graphs`` on each of its operations that has a ``WHERE``.

    Given no graphs, the text comes back as it is (not even read). Raises UpdateDatasetError
    for a graph that is not an absolute IRI, and for an update that names its own dataset
    (``USING``, ``USING NAMED`` or ``WITH``) while graphs are given. A text that does not
    parse is rewritten as far as it can be read and left to the engine to refuse.
    """
    if not default_graphs and not named_graphs:
        return update
    clauses = " ".join(
        [f"USING {_iri(USING_GRAPH, value)}" for value in default_graphs]
        + [f"USING NAMED {_iri(USING_NAMED_GRAPH, value)}" for value in named_graphs]
    )
    tokens = tokenize(update)
    _refuse_own_dataset(update, tokens, default_graphs, named_graphs)
    insertions: list[tuple[int, str]] = []
    for operation in _operations(tokens):
        insertions.extend(_insertions(update, operation, clauses))
    text = update
    for offset, insert in sorted(insertions, reverse=True):
        text = text[:offset] + insert + text[offset:]
    return text


def _iri(parameter: str, value: str) -> str:
    """``value`` written as an IRI, once pyoxigraph has accepted it as an absolute one."""
    try:
        return str(ox.NamedNode(value))
    except ValueError as error:
        raise UpdateDatasetError(
            f"{parameter}={value!r} is not an absolute IRI ({error}): name each graph by its "
            "full IRI, percent-encoded in the URL or form"
        ) from None


def _refuse_own_dataset(
    update: str, tokens: list[Token], default_graphs: Sequence[str], named_graphs: Sequence[str]
) -> None:
    """Raise UpdateDatasetError when the update has a top-level USING or WITH: the
    Protocol (2.2.3) makes giving both an error, since the two would name the dataset."""
    for token in tokens:
        if token.depth == 0 and token.keyword in _OWN_DATASET:
            line = update.count("\n", 0, token.start) + 1
            given = " and ".join(
                name
                for name, values in (
                    (USING_GRAPH, default_graphs),
                    (USING_NAMED_GRAPH, named_graphs),
                )
                if values
            )
            raise UpdateDatasetError(
                f"the update names its own dataset ({token.text} at line {line}) and the "
                f"request gives {given} too, which the SPARQL 1.1 Protocol (2.2.3) makes an "
                f"error: drop either the parameter or the update's {token.keyword} clauses"
            )


def _operations(tokens: list[Token]) -> list[list[Token]]:
    """The tokens of each operation, split at the top-level ``;`` between them."""
    operations: list[list[Token]] = [[]]
    for token in tokens:
        if token.depth == 0 and token.text == ";":
            operations.append([])
        else:
            operations[-1].append(token)
    return operations


def _insertions(update: str, operation: list[Token], clauses: str) -> list[tuple[int, str]]:
    """Where the ``USING`` clauses go in one operation, and the text that goes there."""
    first = next(
        (
            i
            for i, token in enumerate(operation)
            if token.depth == 0 and token.keyword in _OPERATIONS
        ),
        None,
    )
    if first is None or operation[first].keyword not in ("INSERT", "DELETE"):
        return []  # LOAD, CLEAR, DROP...: no WHERE, no dataset to choose
    following = operation[first + 1].keyword if first + 1 < len(operation) else ""
    if following == "DATA":
        return []
    if operation[first].keyword == "DELETE" and following == "WHERE":
        # DELETE WHERE { P } is DELETE { P } WHERE { P }, which can take USING
        where = operation[first + 1]
        pattern = _group_after(operation, first + 1)
        if pattern is None:
            return []
        return [(where.start, f"{update[pattern[0] : pattern[1]]} {clauses} ")]
    where_token = next(
        (
            token
            for token in operation[first + 1 :]
            if token.depth == 0 and token.keyword == "WHERE"
        ),
        None,
    )
    if where_token is None:
        return []  # not an update the engine will accept; it says why
    return [(where_token.start, f" {clauses} ")]


def _group_after(operation: list[Token], index: int) -> tuple[int, int] | None:
    """The text span of the ``{ … }`` right after token ``index``, braces included (None when
    there is none or it is not closed)."""
    if index + 1 >= len(operation) or operation[index + 1].text != "{":
        return None
    opening = operation[index + 1]
    for token in operation[index + 2 :]:
        if token.text == "}" and token.depth == opening.depth:
            return opening.start, token.end
    return None
