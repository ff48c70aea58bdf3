"""The packaged model as rdflib graphs: the ontology with its concept schemes, and the shapes.

Read here, the lowest layer that parses RDF, so that pages, exports and validation all
take the model from one place.
"""

from __future__ import annotations

import functools

from rdflib import Graph

from evidencegraph.ontology.namespace import model_files, shapes_file
from evidencegraph.rdf.files import read_packaged


@functools.cache
def shapes_graph() -> Graph:
    """The packaged SHACL shapes, parsed once."""
    return read_packaged([shapes_file()])


@functools.cache
def model_graph() -> Graph:
    """The packaged ontology and concept schemes, parsed once."""
    return read_packaged(model_files())
