"""Where an IRI of the graph lives on the server: local URL paths for IRIs under our bases,
and the anchors of the model's terms on the ontology page."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.ontology.source_graphs import GRAPH_BASE

#: The local path of an IRI under the project's base, or None (:func:`local_path`).
LocalPath = Callable[[str], "str | None"]

#: The ontology's IRI without its ``#``: ``https://w3id.org/evidencegraph/ontology``.
ONTOLOGY_IRI = str(EG).rstrip("#")

#: (IRI prefix, local path prefix), longest IRI prefix first; the ontology is handled apart.
_MOUNTS: tuple[tuple[str, str], ...] = (
    (str(EGID), "/id/"),
    (str(EGV), "/vocab/"),
    (GRAPH_BASE, "/graph/"),
)

#: NLM's MeSH terms, whose pages list the studies under them (issue 20): served at /mesh/UI.
MESH = "http://id.nlm.nih.gov/mesh/"
_MESH_UI = re.compile(r"[CD][0-9]{6,9}")

#: Characters left as they are in a local path: RFC 3986 pchar minus the ones a router or a
#: browser would read differently (``?``, ``#`` and ``%`` are always escaped).
_SAFE = "/:@!$&'()*+,;=-._~"


def local_path(iri: str) -> str | None:
    """The server path that serves ``iri`` (``/id/…``, ``/vocab/…``, ``/graph/…``,
    ``/ontology#Term``, ``/mesh/D000437`` for a MeSH descriptor or supplementary concept).

    None for an IRI outside the project's bases (``https://w3id.org/evidencegraph/``), which
    a page should link to as it is. The path is percent-encoded where the IRI's local part
    holds characters a URL path cannot carry.
    """
    if iri == ONTOLOGY_IRI or iri == str(EG):
        return "/ontology"
    if iri.startswith(str(EG)):
        return "/ontology#" + quote(iri[len(str(EG)) :], safe=_SAFE)
    if iri.startswith(MESH) and _MESH_UI.fullmatch(iri[len(MESH) :]):
        return "/mesh/" + iri[len(MESH) :]
    for prefix, mount in _MOUNTS:
        if iri.startswith(prefix) and len(iri) > len(prefix):
            return mount + quote(iri[len(prefix) :], safe=_SAFE)
    return None


def ontology_anchor(iri: str) -> str | None:
    """The id of a term's entry on the ontology page: the local name of an ``eg:`` term,
    ``egv-`` and the local name of a concept or scheme; None for an IRI outside the two."""
    if iri.startswith(str(EG)):
        return iri[len(str(EG)) :] or None
    if iri.startswith(str(EGV)):
        return "egv-" + iri[len(str(EGV)) :]
    return None
