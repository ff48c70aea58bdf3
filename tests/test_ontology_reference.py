"""The generated ontology reference (docs/ontology.md) and the completeness of the model files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from evidencegraph._compat import Traversable
from evidencegraph.ontology.namespace import (
    BASE,
    EG,
    compact,
    ontology_file,
    vocabulary_files,
)
from evidencegraph.ontology.reference import REGENERATE, render_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "ontology.md"

#: Predicates that align the model with published vocabularies.
ALIGNMENT_PREDICATES = (
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    SKOS.closeMatch,
    SKOS.exactMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
    RDFS.seeAlso,
)

#: Namespaces of the vocabularies verified for the project.
VERIFIED_VOCABULARIES = (
    "https://schema.org/",
    "http://purl.obolibrary.org/obo/OBI_",
    "http://purl.obolibrary.org/obo/CTO_",
    "http://purl.obolibrary.org/obo/STATO_",
    "http://purl.obolibrary.org/obo/SEPIO_",
    "http://purl.obolibrary.org/obo/CHEBI_",
    "http://purl.org/spar/fabio/",
    "http://purl.org/spar/cito/",
    "http://www.w3.org/ns/prov#",
    "http://id.nlm.nih.gov/mesh/",
    "http://hl7.org/fhir/certainty-rating",
    "http://terminology.hl7.org/CodeSystem/certainty-",
)

#: Every external IRI the model aligns with, each one checked by a reviewer against the
#: vocabulary that publishes it. A new alignment fails the test until it is added here.
ALLOWED_EXTERNAL_IRIS = frozenset(
    {
        "http://hl7.org/fhir/certainty-rating",
        # issue 19 (grade): FHIR EvidenceCertaintyType / EvidenceCertaintyRating, checked
        # against the FHIR R5 and R4B pages codesystem-certainty-type / valueset-certainty-type
        "http://terminology.hl7.org/CodeSystem/certainty-rating",
        "http://terminology.hl7.org/CodeSystem/certainty-type",
        "http://purl.obolibrary.org/obo/CTO_0000045",
        "http://purl.obolibrary.org/obo/CTO_0000103",
        "http://purl.obolibrary.org/obo/CTO_0000112",
        "http://purl.obolibrary.org/obo/CTO_0000116",
        "http://purl.obolibrary.org/obo/CTO_0000201",
        "http://purl.obolibrary.org/obo/CTO_0000208",
        "http://purl.obolibrary.org/obo/CTO_0000213",
        "http://purl.obolibrary.org/obo/CTO_0000220",
        "http://purl.obolibrary.org/obo/OBI_0000175",
        "http://purl.obolibrary.org/obo/OBI_0003697",
        "http://purl.obolibrary.org/obo/OBI_0003699",
        "http://purl.obolibrary.org/obo/SEPIO_0000001",
        "http://purl.obolibrary.org/obo/SEPIO_0000007",
        "http://purl.obolibrary.org/obo/SEPIO_0000008",
        "http://purl.obolibrary.org/obo/SEPIO_0000173",
        "http://purl.obolibrary.org/obo/SEPIO_0000405",
        "http://purl.obolibrary.org/obo/STATO_0000182",
        "http://purl.obolibrary.org/obo/STATO_0000196",
        "http://purl.obolibrary.org/obo/STATO_0000314",
        "http://purl.obolibrary.org/obo/STATO_0000315",
        "http://purl.obolibrary.org/obo/STATO_0000457",
        "http://purl.org/spar/cito/isDisputedBy",
        "http://purl.org/spar/cito/isSupportedBy",
        "http://purl.org/spar/fabio/JournalArticle",
        "http://purl.org/spar/fabio/PressRelease",
        "http://purl.org/spar/fabio/ReportDocument",
        "http://www.w3.org/ns/prov#Agent",
        "http://www.w3.org/ns/prov#Entity",
        "http://www.w3.org/ns/prov#wasAttributedTo",
        "https://schema.org/Article",
        "https://schema.org/Drug",
        "https://schema.org/Grant",
        "https://schema.org/funding",
        "https://schema.org/inLanguage",
        "https://schema.org/issueNumber",
        "https://schema.org/keywords",
        "https://schema.org/pagination",
        "https://schema.org/volumeNumber",
        "http://id.nlm.nih.gov/mesh/vocab#hasDescriptor",
        "http://id.nlm.nih.gov/mesh/vocab#hasQualifier",
        "http://id.nlm.nih.gov/mesh/vocab#registryNumber",
        "https://schema.org/MedicalCondition",
        "https://schema.org/MedicalStudy",
        "https://schema.org/MedicalTherapy",
        "https://schema.org/MedicalTrial",
        "https://schema.org/Organization",
        "https://schema.org/Person",
        "https://schema.org/PsychologicalTreatment",
        "https://schema.org/ScholarlyArticle",
        # proto (issue 18): checked at schema.org/addressLocality, /addressRegion, /postalCode,
        # /addressCountry (schema:PostalAddress), /latitude, /longitude (schema:GeoCoordinates),
        # /keywords, /jobTitle, /studyLocation (schema:MedicalStudy)
        "https://schema.org/addressLocality",
        "https://schema.org/addressRegion",
        "https://schema.org/postalCode",
        "https://schema.org/addressCountry",
        "https://schema.org/latitude",
        "https://schema.org/longitude",
        "https://schema.org/jobTitle",
        "https://schema.org/studyLocation",
    }
)


def _parse(*files: Traversable) -> Graph:
    graph = Graph()
    for model_file in files:
        with model_file.open("rb") as handle:
            graph.parse(handle, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _parse(ontology_file())


@pytest.fixture(scope="module")
def vocab() -> Graph:
    return _parse(*vocabulary_files())


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _own_terms(ontology: Graph) -> list[Node]:
    """Every eg: class and property declared in evidence.ttl."""
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {
        term
        for kind in kinds
        for term in ontology.subjects(RDF.type, kind)
        if isinstance(term, URIRef) and term.startswith(str(EG))
    }
    return sorted(terms, key=str)


def test_doc_is_generated_from_the_model() -> None:
    assert DOC.read_bytes() == render_reference().encode("utf-8"), (
        f"docs/ontology.md is out of date with the ontology files; regenerate it with "
        f"`{REGENERATE}` (from the repository root) and commit the result."
    )


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_main_writes_the_same_bytes_whatever_the_hash_seed(hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    written = subprocess.run(
        [sys.executable, "-m", "evidencegraph.ontology.reference"],
        capture_output=True,
        check=True,
        env=env,
    ).stdout
    assert written == render_reference().encode("utf-8")


def test_ontology_declares_classes_and_properties(ontology: Graph) -> None:
    terms = _own_terms(ontology)
    assert any((t, RDF.type, OWL.Class) in ontology for t in terms)
    assert any((t, RDF.type, OWL.ObjectProperty) in ontology for t in terms)
    assert any((t, RDF.type, OWL.DatatypeProperty) in ontology for t in terms)


def test_every_class_and_property_has_label_definition_and_example(ontology: Graph) -> None:
    missing = [
        f"{compact(str(term))} has no {compact(str(predicate))}"
        for term in _own_terms(ontology)
        for predicate in (RDFS.label, SKOS.definition, SKOS.example)
        if ontology.value(term, predicate) is None
    ]
    assert not missing, "\n".join(missing)


def test_every_class_and_property_is_documented(ontology: Graph, doc: str) -> None:
    undocumented = [
        compact(str(term))
        for term in _own_terms(ontology)
        if f'<a id="{compact(str(term)).replace(":", "-")}"></a>' not in doc
        or f"`{compact(str(term))}`" not in doc
    ]
    assert not undocumented, f"not in docs/ontology.md: {undocumented}"


def test_every_concept_has_label_definition_and_a_declared_scheme(vocab: Graph) -> None:
    schemes = set(vocab.subjects(RDF.type, SKOS.ConceptScheme))
    concepts = sorted(set(vocab.subjects(RDF.type, SKOS.Concept)), key=str)
    assert concepts and schemes
    problems = []
    for concept in concepts:
        name = compact(str(concept))
        for predicate in (SKOS.prefLabel, SKOS.definition):
            if vocab.value(concept, predicate) is None:
                problems.append(f"{name} has no {compact(str(predicate))}")
        in_schemes = set(vocab.objects(concept, SKOS.inScheme))
        if not in_schemes:
            problems.append(f"{name} has no skos:inScheme")
        for scheme in sorted(in_schemes - schemes, key=str):
            problems.append(f"{name} is in {compact(str(scheme))}, not a skos:ConceptScheme")
    assert not problems, "\n".join(problems)


def test_ontology_has_a_version_iri(ontology: Graph) -> None:
    ontologies = list(ontology.subjects(RDF.type, OWL.Ontology))
    assert len(ontologies) == 1
    version_iri = ontology.value(ontologies[0], OWL.versionIRI)
    assert isinstance(version_iri, URIRef)


def _external_alignments(graph: Graph) -> dict[str, list[str]]:
    """External IRI -> the statements that use it."""
    used: dict[str, list[str]] = {}
    for predicate in ALIGNMENT_PREDICATES:
        for subject, obj in graph.subject_objects(predicate):
            if isinstance(obj, URIRef) and not obj.startswith(BASE):
                statement = f"{compact(str(subject))} {compact(str(predicate))} <{obj}>"
                used.setdefault(str(obj), []).append(statement)
    return used


def test_external_alignments_are_reviewed(ontology: Graph, vocab: Graph) -> None:
    used = _external_alignments(ontology + vocab)
    unreviewed = sorted(
        statement
        for iri, statements in used.items()
        if iri not in ALLOWED_EXTERNAL_IRIS
        for statement in statements
    )
    assert not unreviewed, (
        "external IRIs not in ALLOWED_EXTERNAL_IRIS; check each against the vocabulary that "
        "publishes it, then add it to the list:\n" + "\n".join(unreviewed)
    )


def test_allow_list_has_no_stale_entries(ontology: Graph, vocab: Graph) -> None:
    stale = sorted(ALLOWED_EXTERNAL_IRIS - set(_external_alignments(ontology + vocab)))
    assert not stale, f"no longer used; remove from ALLOWED_EXTERNAL_IRIS: {stale}"


def test_allow_list_is_within_the_verified_vocabularies() -> None:
    outside = sorted(
        iri for iri in ALLOWED_EXTERNAL_IRIS if not iri.startswith(VERIFIED_VOCABULARIES)
    )
    assert not outside, f"not from a vocabulary verified for the project: {outside}"


# --- issue 15 point 16: no alignment lets a reasoner conclude something false ---------

CITO = "http://purl.org/spar/cito/"
PROV = "http://www.w3.org/ns/prov#"
OBO = "http://purl.obolibrary.org/obo/"


def test_no_alignment_makes_the_graph_say_false_things(ontology: Graph) -> None:
    # cito:isSupportedBy/isDisputedBy are sub-properties of cito:isCitedBy: as super-properties
    # they would make the KARE paper cite a blog post; prov:wasAttributedTo has range
    # prov:Agent: it would make every article an agent. Related, not broader.
    for own, external in (
        (EG.supportedBy, URIRef(CITO + "isSupportedBy")),
        (EG.disputedBy, URIRef(CITO + "isDisputedBy")),
        (EG.assertedBy, URIRef(PROV + "wasAttributedTo")),
    ):
        assert (own, RDFS.subPropertyOf, external) not in ontology, own
        assert (own, SKOS.relatedMatch, external) in ontology, own
    # a finding is SEPIO's study finding, not its evidence line
    assert (EG.Finding, SKOS.closeMatch, URIRef(OBO + "SEPIO_0000173")) in ontology
    assert (EG.Finding, SKOS.closeMatch, URIRef(OBO + "SEPIO_0000002")) not in ontology
    # a report is a FaBiO expression, as the other source classes are, not a work
    fabio = "http://purl.org/spar/fabio/"
    assert (EG.Report, RDFS.subClassOf, URIRef(fabio + "ReportDocument")) in ontology
    assert (EG.Report, RDFS.subClassOf, URIRef(fabio + "Report")) not in ontology
    # the bounds hold STATO's lower and upper confidence limits, not the interval
    assert (EG.ciLower, SKOS.closeMatch, URIRef(OBO + "STATO_0000315")) in ontology
    assert (EG.ciUpper, SKOS.closeMatch, URIRef(OBO + "STATO_0000314")) in ontology
    # inconclusive evidence is SEPIO's third evidence direction
    assert (EG.inconclusiveEvidence, SKOS.relatedMatch, URIRef(OBO + "SEPIO_0000405")) in ontology
    # and no own property is a sub-property of anything outside the ontology any more
    outside = {
        (s, o)
        for s, o in ontology.subject_objects(RDFS.subPropertyOf)
        if isinstance(o, URIRef) and not str(o).startswith(str(EG))
    }
    assert outside == set()
