"""The Store seam and its backends: embedded Oxigraph, a remote SPARQL endpoint, the registry."""
