"""RDF terms, files and query results: reading, parsing and converting, with no store."""
