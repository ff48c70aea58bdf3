"""The model: OWL ontology, SHACL shapes, SKOS concept schemes and the JSON-LD context."""
