"""Whether an empty answer comes from a store written before the name keys (decision 0028).

The named queries find a drug or condition by its key (``eg:nameKey``). In a store written
before the keys, a name without one finds nothing, and the answer would be empty without
saying why: :func:`check_name_keys` says so instead, and names the command that adds them.
It runs only on an empty answer, since it reads every name of the class, as the lookups did
before the keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rdflib import Literal, URIRef
from rdflib.term import Node

from evidencegraph.errors import StoreNeedsUpgradeError
from evidencegraph.ontology.name_keys import name_key
from evidencegraph.ontology.namespace import EG
from evidencegraph.store.core import Store

#: The parameters the named queries look up by key, and the class each names.
KEYED_PARAMETERS = {"drug": EG.Drug, "condition": EG.Condition}
#: What runs in a store written before the keys: ``evidencegraph upgrade-keys``.
UPGRADE_COMMAND = "evidencegraph upgrade-keys"

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
