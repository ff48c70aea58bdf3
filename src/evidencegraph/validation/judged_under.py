"""Which shapes a source graph was judged under: the stamp the gate leaves in the catalog.

Every write of source records goes through the gate, which judges the view where the write
touches it (decision 0021) and refuses a write that breaks the shapes. The catalog's
description of each graph the gate writes says so: ``dcterms:conformsTo`` names the shapes
it was judged under by their checksum (decision 0024). ``validate`` then need not judge that
graph's statements again while the shapes stay the same.

The checksum covers the packaged files every judgement reads (the shapes, the ontology and
the concept schemes), byte for byte: a changed message, a new shape or a new concept is a
new checksum, and every graph judged before it is judged again.
"""

from __future__ import annotations

import functools
import hashlib
import re

import pyoxigraph as ox

from evidencegraph.ontology.namespace import model_files, shapes_file

#: The catalog's property naming the shapes a graph was judged under (a dcterms:Standard).
JUDGED_UNDER = ox.NamedNode("http://purl.org/dc/terms/conformsTo")
#: The shapes of a checksum are named ``<SHAPES_BASE><sha256 in hex>``.
SHAPES_BASE = "https://w3id.org/evidencegraph/shapes/sha256/"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@functools.cache
def shapes_checksum() -> str:
    """SHA-256 (hex) of the packaged shapes, ontology and concept schemes, each file's name
    and bytes in a fixed order: what a judgement under "these shapes" depends on."""
    digest = hashlib.sha256()
    for packaged in [shapes_file(), *sorted(model_files(), key=lambda f: f.name)]:
        data = packaged.read_bytes()
        digest.update(f"{packaged.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def shapes_stamp(checksum: str | None = None) -> ox.NamedNode:
    """The IRI naming the shapes of ``checksum`` (default: the packaged shapes)."""
    return ox.NamedNode(SHAPES_BASE + (checksum or shapes_checksum()))


def checksum_of(stamp: ox.NamedNode | ox.BlankNode | ox.Literal) -> str | None:
    """The shapes checksum a stamp names; None when it names none (a corrupt catalog)."""
    if not isinstance(stamp, ox.NamedNode) or not stamp.value.startswith(SHAPES_BASE):
        return None
    checksum = stamp.value[len(SHAPES_BASE) :]
    return checksum if _HEX64.fullmatch(checksum) else None
