"""The JSON-LD context covers the ontology, and data compacted with it round-trips."""

from __future__ import annotations

import json

from rdflib import OWL, RDF, Graph
from rdflib.compare import isomorphic

from evidencegraph.evidence import evidence_files
from evidencegraph.ontology.namespace import EG, context_file, ontology_file


def test_context_names_every_class_and_property() -> None:
    context = json.loads(context_file().read_text(encoding="utf-8"))["@context"]
    expanded = {
        (value["@id"] if isinstance(value, dict) else value).replace("eg:", str(EG))
        for value in context.values()
        if isinstance(value, (str, dict))
        and str(value if isinstance(value, str) else value["@id"]).startswith("eg:")
    }
    ontology = Graph().parse(data=ontology_file().read_text(encoding="utf-8"), format="turtle")
    terms = {
        str(term)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for term in ontology.subjects(RDF.type, kind)
        if str(term).startswith(str(EG))
    }
    assert terms - expanded == set()


def test_evidence_round_trips_through_compacted_json_ld() -> None:
    graph = Graph()
    for packaged in evidence_files():
        graph.parse(data=packaged.read_text(encoding="utf-8"), format="turtle")
    context = json.loads(context_file().read_text(encoding="utf-8"))
    compacted = graph.serialize(format="json-ld", context=context, auto_compact=True)
    assert '"Trial"' in compacted and '"hasArm"' in compacted
    reread = Graph().parse(data=compacted, format="json-ld")
    assert isomorphic(graph, reread)
