"""Namespace constants and the packaged model files, read with importlib.resources."""

from __future__ import annotations

from importlib import resources

from rdflib import Namespace

from evidencegraph._compat import Traversable

#: Base of every IRI this project mints or defines.
BASE = "https://w3id.org/evidencegraph/"
#: Classes and properties of the evidence ontology.
EG = Namespace(BASE + "ontology#")
#: Concepts of the SKOS concept schemes (study design, arm role, ...).
EGV = Namespace(BASE + "vocab/")
#: Instance data: studies, arms, sources, claims, findings ...
EGID = Namespace(BASE + "id/")

#: The prefixes every serialisation and query of the project uses.
PREFIXES: dict[str, str] = {
    "eg": str(EG),
    "egv": str(EGV),
    "egid": str(EGID),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def _package_dir() -> Traversable:
    return resources.files("evidencegraph.ontology")


def ontology_file() -> Traversable:
    """The OWL ontology (``evidence.ttl``)."""
    return _package_dir() / "evidence.ttl"


def shapes_file() -> Traversable:
    """The SHACL shapes (``shapes.ttl``)."""
    return _package_dir() / "shapes.ttl"


def context_file() -> Traversable:
    """The JSON-LD context (``context.jsonld``)."""
    return _package_dir() / "context.jsonld"


def vocabulary_files() -> list[Traversable]:
    """The SKOS concept schemes (``vocab/*.ttl``), sorted by name."""
    vocab = _package_dir() / "vocab"
    return sorted((f for f in vocab.iterdir() if f.name.endswith(".ttl")), key=lambda f: f.name)


def model_files() -> list[Traversable]:
    """Ontology and concept schemes: the model loaded into every built store."""
    return [ontology_file(), *vocabulary_files()]


def compact(iri: str) -> str:
    """``iri`` as a CURIE with the longest matching project prefix, or unchanged."""
    best_prefix, best_namespace = "", ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best_namespace):
            best_prefix, best_namespace = prefix, namespace
    return f"{best_prefix}:{iri[len(best_namespace) :]}" if best_namespace else iri


def expand(curie: str) -> str:
    """The IRI a CURIE made by :func:`compact` stands for; anything else unchanged."""
    prefix, colon, local = curie.partition(":")
    return PREFIXES[prefix] + local if colon and prefix in PREFIXES else curie
