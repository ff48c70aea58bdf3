"""Where an IRI of the graph lives on the server: local URL paths for IRIs under our bases."""

from __future__ import annotations

from urllib.parse import quote, unquote

from evidencegraph.ontology.namespace import BASE, EG, EGID, EGV

#: The ontology's IRI without its ``#``: ``https://w3id.org/evidencegraph/ontology``.
ONTOLOGY_IRI = str(EG).rstrip("#")

#: (IRI prefix, local path prefix), longest IRI prefix first; the ontology is handled apart.
_MOUNTS: tuple[tuple[str, str], ...] = (
    (str(EGID), "/id/"),
    (str(EGV), "/vocab/"),
)

#: Characters left as they are in a local path: RFC 3986 pchar minus the ones a router or a
#: browser would read differently (``?``, ``#`` and ``%`` are always escaped).
_SAFE = "/:@!$&'()*+,;=-._~"


def local_path(iri: str) -> str | None:
    """The server path that serves ``iri`` (``/id/…``, ``/vocab/…``, ``/ontology#Term``).

    None for an IRI outside the project's bases (``https://w3id.org/evidencegraph/``), which
    a page should link to as it is. The path is percent-encoded where the IRI's local part
    holds characters a URL path cannot carry.
    """
    if iri == ONTOLOGY_IRI or iri == str(EG):
        return "/ontology"
    if iri.startswith(str(EG)):
        return "/ontology#" + quote(iri[len(str(EG)) :], safe=_SAFE)
    for prefix, mount in _MOUNTS:
        if iri.startswith(prefix) and len(iri) > len(prefix):
            return mount + quote(iri[len(prefix) :], safe=_SAFE)
    return None


def iri_for_path(path: str) -> str | None:
    """The IRI a local path (``/id/study/NCT…``, ``/vocab/Completed``) stands for, or None.

    The inverse of :func:`local_path` for resource paths; ``path`` is the URL path as
    received (percent-encoded), without any format extension.
    """
    for prefix, mount in _MOUNTS:
        if path.startswith(mount) and len(path) > len(mount):
            return prefix + unquote(path[len(mount) :])
    return None


def is_local_iri(iri: str) -> bool:
    """Whether ``iri`` is under the project's base (``https://w3id.org/evidencegraph/``)."""
    return iri.startswith(BASE)
