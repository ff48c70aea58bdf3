"""evidencegraph: a clinical-evidence knowledge graph in RDF, with SHACL shapes and SPARQL."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
