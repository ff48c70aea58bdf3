"""Outside records to RDF batches: the importers (sources), their mapping, identifiers."""
