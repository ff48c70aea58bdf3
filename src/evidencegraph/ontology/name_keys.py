"""Name keys: the lower-cased names of drugs and conditions, kept so that a query finds a node
by a name in any case with one index lookup (decision 0028).

SPARQL has no case-insensitive index: ``FILTER(LCASE(STR(?name)) = LCASE(STR(?drug)))`` reads
every name in the store. A record that names a drug or a condition therefore also states
``?node eg:nameKey "its name, lower-cased"``, in the same source graph as the name, so that a
withdrawn or re-imported record takes its keys with it (decisions 0021 and 0008).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

_EG = "https://w3id.org/evidencegraph/ontology#"
_EGID = "https://w3id.org/evidencegraph/id/"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
#: The property a name key is stated with.
NAME_KEY = ox.NamedNode(_EG + "nameKey")
#: The properties whose values are keyed: what the named queries look a name up by.
KEYED_NAMES = frozenset(
    {
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
        ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"),
    }
)
#: The classes whose names are keyed: those the named queries take by name.
KEYED_CLASSES = frozenset({ox.NamedNode(_EG + "Drug"), ox.NamedNode(_EG + "Condition")})

Subject = ox.NamedNode | ox.BlankNode


def _own(node: Subject) -> bool:
    """Whether a node is one the project mints (drugs and conditions are)."""
    return isinstance(node, ox.NamedNode) and node.value.startswith(_EGID)


def name_key(name: str) -> ox.Literal:
    """The key of a name: SPARQL's ``LCASE(STR(name))`` as Oxigraph computes it (Unicode
    lower-casing, the same as Python's ``str.lower``), a plain string."""
    return ox.Literal(name.lower())


def name_key_statements(
    statements: Iterable[tuple[Subject, ox.NamedNode, object]],
) -> Iterator[tuple[Subject, ox.NamedNode, ox.Literal]]:
    """The key statements that one record's statements call for, each once.

    A name is keyed when the record types its node as a drug or a condition, or when the
    node is one of the project's own (``egid:``) and the record does not type it: a file
    that adds a synonym to a drug another source describes still keys it (a key on a node
    that turns out to be neither costs one triple and harms nothing). Names of nodes the
    record types as something else (arms, sources), or of others' nodes it does not type
    (the MeSH descriptors a PubMed article is indexed with), are not.
    """
    statements = list(statements)
    typed: dict[Subject, bool] = {}
    for subject, predicate, value in statements:
        if predicate == _RDF_TYPE:
            typed[subject] = typed.get(subject, False) or value in KEYED_CLASSES
    seen: set[tuple[Subject, str]] = set()
    for subject, predicate, value in statements:
        if predicate not in KEYED_NAMES or not isinstance(value, ox.Literal):
            continue
        if not typed.get(subject, _own(subject)):
            continue
        key = name_key(value.value)
        if (subject, key.value) not in seen:
            seen.add((subject, key.value))
            yield subject, NAME_KEY, key
