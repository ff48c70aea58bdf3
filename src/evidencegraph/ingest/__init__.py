"""Outside records to RDF batches: RDF files, curated evidence, identifier normalisation."""
