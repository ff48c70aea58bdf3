"""Whether an answer comes from a store written before what the query relies on: the name
keys (decision 0028) or the marks of the values the view does not show (decision 0030).

The named queries find a drug or condition by its key (``eg:nameKey``). In a store written
before the keys, a name without one finds nothing, and the answer would be empty without
saying why: :func:`check_name_keys` says so instead, and names the command that adds them.
It runs only on an empty answer, since it reads every name of the class, as the lookups did
before the keys.

A query that reads ``graph/not-shown`` (``source-disagreements``) would answer from a store
written before the marks with nothing, or with only what later writes marked:
:func:`check_marks_kept` refuses it instead, whatever the answer, by two lookups. One command
upgrades both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rdflib import Literal, URIRef
from rdflib.term import Node

from evidencegraph.errors import UPGRADE_COMMAND, StoreNeedsUpgradeError
from evidencegraph.ontology.name_keys import name_key
from evidencegraph.ontology.namespace import EG
from evidencegraph.ontology.source_graphs import NOT_SHOWN
from evidencegraph.rdf.results import QueryResult
from evidencegraph.store.core import Store
from evidencegraph.validation.source_view import marks_kept

#: The parameters the named queries look up by key, and the class each names.
KEYED_PARAMETERS = {"drug": EG.Drug, "condition": EG.Condition}

_UNKEYED_NAME = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?name ?class ?key WHERE {
  ?node a ?class ; rdfs:label|skos:altLabel ?name .
  FILTER(LCASE(STR(?name)) = STR(?key))
  FILTER NOT EXISTS { ?node eg:nameKey ?key }
} LIMIT 1
"""


def check_name_keys(store: Store, keyed: Sequence[str], bindings: Mapping[str, Node]) -> None:
    """Raise StoreNeedsUpgradeError when a query that found nothing looked up by key
    (``keyed``: its ``# key:`` parameters) a name that a drug or condition of the store has,
    but without its key.

    Call it on an empty answer only.
    """
    for parameter, class_iri in KEYED_PARAMETERS.items():
        value = bindings.get(parameter)
        if not isinstance(value, Literal) or parameter not in keyed:
            continue
        key = Literal(name_key(str(value)).value)
        rows = store.query(_UNKEYED_NAME, {"class": URIRef(class_iri), "key": key}).rows
        if rows:
            kind = str(class_iri).rsplit("#", 1)[-1].lower()
            raise StoreNeedsUpgradeError(
                f"the store names a {kind} {str(rows[0]['name'])!r} without its name key "
                "(eg:nameKey): it was written before the name keys, and a query by name "
                f"cannot find it. Run `{UPGRADE_COMMAND}` on this store (it adds the keys "
                "to each name's own source graph), then ask again."
            )


def reads_marks(text: str) -> bool:
    """Whether a query's text names the graph of the values the view does not show."""
    return NOT_SHOWN in text


def check_marks_kept(store: Store, text: str) -> None:
    """Raise StoreNeedsUpgradeError when a query that reads graph/not-shown runs on a store
    that does not keep it complete (written before the marks, decision 0030)."""
    if reads_marks(text) and not marks_kept(store):
        raise StoreNeedsUpgradeError(
            f"the store keeps no marks of the values the view does not show ({NOT_SHOWN}): "
            "it was written before them, and this query would miss every disagreement they "
            f"should hold. Run `{UPGRADE_COMMAND}` on this store (it writes them, and the "
            "name keys), then ask again."
        )


def run_checked(
    store: Store, text: str, bindings: Mapping[str, Node], keyed: Sequence[str]
) -> QueryResult:
    """The answer of a prepared named query (``NamedQuery.prepare``: its text and bindings;
    ``keyed``: its ``# key:`` parameters), refused with StoreNeedsUpgradeError when the store
    was written before what the query relies on: the marks, before it runs; the name keys,
    when it found nothing."""
    check_marks_kept(store, text)
    result = store.query(text, bindings)
    if result.kind == "select" and not result.rows:
        check_name_keys(store, keyed, bindings)
    return result
