"""How the model names things: the properties that name a node, the links that make a part of a
whole, the class hierarchy and the predicate labels, read from the packaged ontology.

Shared by the network analysis, the exports and the pages, so it lives with the model.
"""

from __future__ import annotations

import difflib
import re
from functools import cache

import pyoxigraph as ox
from rdflib.namespace import RDF

from evidencegraph.errors import UsageError
from evidencegraph.ontology.namespace import PREFIXES, compact, ontology_file

#: Where a node's name comes from, in order of preference.
NAME_PROPERTIES = ("rdfs:label", "dcterms:title", "eg:statement", "eg:quote")
#: Identifiers a node can be named by on the command line (besides IRI, CURIE and label).
IDENTIFIER_PROPERTIES = ("eg:nctId", "eg:eudractNumber", "eg:doi", "eg:pmid", "eg:registryId")
#: Links from a whole to its parts: a part's statements come from its whole's sources.
PART_OF_LINKS = ("eg:hasArm", "eg:hasOutcome", "eg:receives", "eg:registryLink")
#: Links the curators drew from a claim to the evidence about it: they rest on that evidence.
EVIDENCE_LINKS = ("eg:supportedBy", "eg:disputedBy", "eg:closestEvidence")


# --- the class hierarchy and predicate labels ------------------------------------------


@cache
def _model() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """Superclasses of each class (itself included) and the label of each property, as
    CURIEs, from the packaged ontology: the store need not hold the model."""
    subclass_of = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    parents: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    data = ontology_file().read_bytes()
    for triple in ox.parse(data, format=ox.RdfFormat.TURTLE):
        if not isinstance(triple.subject, ox.NamedNode):
            continue
        subject = compact(triple.subject.value)
        if triple.predicate.value == subclass_of and isinstance(triple.object, ox.NamedNode):
            parents.setdefault(subject, set()).add(compact(triple.object.value))
        elif triple.predicate.value == label and isinstance(triple.object, ox.Literal):
            labels[subject] = triple.object.value
        elif triple.predicate.value == str(RDF.type) and triple.object.value.endswith("#Class"):
            parents.setdefault(subject, set())

    def closure(cls: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        found = {cls}
        for parent in parents.get(cls, ()):
            if parent not in seen:
                found |= closure(parent, seen | {cls})
        return frozenset(found)

    return {cls: closure(cls) for cls in parents}, labels


def ontology_classes() -> list[str]:
    """The classes of the packaged ontology, as CURIEs, sorted."""
    return sorted(_model()[0])


def predicate_label(predicate: str) -> str:
    """A predicate's label for people: its ``rdfs:label`` in the ontology, else its local name
    split into words (``prov:wasDerivedFrom`` -> ``was derived from``)."""
    known = _model()[1].get(predicate)
    if known:
        return known
    local = re.split(r"[:#/]", predicate)[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).lower()


def expand(curie: str) -> str:
    """The IRI a CURIE made by :func:`~evidencegraph.ontology.namespace.compact` stands for."""
    prefix, colon, local = curie.partition(":")
    return PREFIXES[prefix] + local if colon and prefix in PREFIXES else curie


def class_curie(text: str) -> str:
    """A class named on the command line (``Study``, ``eg:Study`` or an IRI) as a CURIE.

    Raises UsageError naming close matches when the ontology has no such class.
    """
    wanted = text.strip().strip("<>")
    curie = compact(wanted) if "://" in wanted else wanted if ":" in wanted else f"eg:{wanted}"
    known = ontology_classes()
    if curie in known:
        return curie
    close = difflib.get_close_matches(curie, known, n=3, cutoff=0.6)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    raise UsageError(f"the ontology has no class {text!r}.{hint} Classes: {', '.join(known)}.")


def class_hierarchy() -> dict[str, frozenset[str]]:
    """Each class of the ontology (a CURIE) with its superclasses, itself included."""
    return _model()[0]
