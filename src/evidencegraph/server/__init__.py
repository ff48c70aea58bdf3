"""``evidencegraph serve``: the graph over HTTP (SPARQL 1.1 Protocol, linked data, queries)."""
