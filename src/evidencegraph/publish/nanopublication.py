"""Nanopublications of the checked claims: one per claim, with a trusty URI, optionally signed.

Each nanopublication (the nanopub guidelines, http://nanopub.org/guidelines/working_draft/)
has four graphs: the head (np:Nanopublication, np:hasAssertion, np:hasProvenance,
np:hasPublicationInfo), the assertion (the claim: its quote, source, verification status,
note and the evidence links: the verdict), the provenance (the assertion's
prov:wasAttributedTo the curator, dcterms:date the day of the check, prov:wasDerivedFrom
the evidence; and the claim's eg:verifiedBy and eg:verifiedOn) and the publication info
(dcterms:created, dcterms:creator, dcterms:license, npx:introduces the claim).

The nanopub library (PyPI ``nanopub``, the FAIR Workflows client) builds, hashes and signs
them: its trusty URI module computes the RA artefact code (SHA-256 over the normalised
quads, as the Trusty URI specification says) and its signing adds the npx:hasSignature
triples (RSA with SHA-256, PKCS#1 v1.5) before the hash is taken. Nothing is sent anywhere:
the library's publish step is never called.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from evidencegraph.errors import InputError
from evidencegraph.ontology.namespace import EG, PREFIXES
from evidencegraph.publish.checked import DCTERMS, PROV, CheckedEvidence
from evidencegraph.rdf.terms import to_oxigraph

NP = "http://www.nanopub.org/nschema#"
NPX = "http://purl.org/nanopub/x/"
#: The prefixes the TriG is written with (egid: is left out: its local names hold slashes).
_PREFIXES = {name: PREFIXES[name] for name in ("eg", "egv", "prov", "dcterms", "rdfs", "xsd")}
#: The licence the project's data is published under (README, void.ttl).
LICENCE = URIRef("https://opensource.org/licenses/MIT")


@dataclass(frozen=True)
class PublishedNanopub:
    """One nanopublication: the claim it states, its trusty URI, and its quads."""

    claim: URIRef
    uri: str
    #: head, assertion, provenance and pubinfo, in that order, each sorted
    quads: tuple[ox.Quad, ...]


def read_signing_key(path: Path) -> str:
    """The RSA private key in ``path`` (PEM, PKCS#1 or PKCS#8, or the nanopub tools' bare
    base64) as the base64 DER text the nanopub library signs with.

    Raises InputError when the file cannot be read or holds no RSA private key.
    """
    from Crypto.PublicKey import RSA

    try:
        text = path.read_bytes().decode("ascii").strip()
        key = RSA.import_key(text if text.startswith("-----") else base64.b64decode(text))
    except OSError as error:
        raise InputError(f"cannot read the signing key {path}: {error.strerror}") from None
    except (ValueError, IndexError, TypeError) as error:  # UnicodeDecodeError is a ValueError
        raise InputError(
            f"{path} holds no RSA private key ({error}). Give a PEM file such as "
            "`openssl genrsa -out key.pem 2048` writes."
        ) from None
    if not key.has_private():
        raise InputError(f"{path} holds an RSA public key; signing needs the private key")
    return base64.b64encode(key.export_key(format="DER")).decode("ascii")


def nanopublications(
    evidence: CheckedEvidence,
    *,
    created: datetime,
    creator: URIRef | None = None,
    signing_key: str | None = None,
) -> list[PublishedNanopub]:
    """One nanopublication per checked claim, in the claims' order. ``created`` is stated as
    dcterms:created; ``creator`` (default: the claim's curator) as dcterms:creator;
    ``signing_key`` (from :func:`read_signing_key`) signs each one."""
    return [
        nanopublication(evidence, claim, created, creator, signing_key) for claim in evidence.claims
    ]


def nanopublication(
    evidence: CheckedEvidence,
    claim: URIRef,
    created: datetime,
    creator: URIRef | None = None,
    signing_key: str | None = None,
) -> PublishedNanopub:
    """The nanopublication of one checked claim (see :func:`nanopublications`)."""
    with warnings.catch_warnings():
        # the library builds on rdflib's ConjunctiveGraph, which rdflib 7 deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        from nanopub.definitions import DUMMY_NAMESPACE, DUMMY_URI
        from nanopub.nanopub import Nanopub
        from nanopub.nanopub_conf import NanopubConf
        from nanopub.profile import Profile
        from nanopub.sign_utils import replace_trusty_in_graph
        from nanopub.trustyuri.rdf import RdfHasher, RdfUtils

        assertion_graph = DUMMY_NAMESPACE["assertion"]
        by, on = evidence.verified(claim)
        creator = creator or by
        assertion = _assertion(evidence, claim)
        provenance = Graph()
        if by is not None:
            provenance.add((assertion_graph, PROV.wasAttributedTo, by))
        if on is not None:
            provenance.add((assertion_graph, DCTERMS.date, on))
            provenance.add((claim, EG.verifiedOn, on))
        if by is not None:
            provenance.add((claim, EG.verifiedBy, by))
            provenance.add((by, RDFS.label, Literal(evidence.name(by))))
        for node, _, _ in evidence.evidence(claim):
            provenance.add((assertion_graph, PROV.wasDerivedFrom, node))
            for source in evidence.primary_sources(node):
                if source != node:
                    provenance.add((node, PROV.wasDerivedFrom, source))
        if not any(provenance.triples((assertion_graph, None, None))):
            provenance.add((assertion_graph, PROV.wasDerivedFrom, claim))
        pubinfo = Graph()
        pubinfo.add(
            (DUMMY_URI, DCTERMS.created, Literal(created.isoformat(), datatype=XSD.dateTime))
        )
        if creator is not None:
            pubinfo.add((DUMMY_URI, DCTERMS.creator, creator))
        pubinfo.add((DUMMY_URI, DCTERMS.license, LICENCE))
        pubinfo.add((DUMMY_URI, URIRef(NPX + "introduces"), claim))
        profile = (
            Profile(orcid_id=str(creator or claim), name="", private_key=signing_key)
            if signing_key
            else None
        )
        nanopub = Nanopub(
            assertion=assertion,
            provenance=provenance,
            pubinfo=pubinfo,
            conf=NanopubConf(profile=profile),
        )
        if profile is not None:
            nanopub.sign()
            rdf = nanopub.rdf
        else:
            quads = RdfUtils.get_quads(nanopub.rdf)  # type: ignore[no-untyped-call]
            artefact = RdfHasher.make_hash(quads, baseuri=str(DUMMY_NAMESPACE), hashstr=" ")
            rdf = replace_trusty_in_graph(artefact, str(DUMMY_NAMESPACE), nanopub.rdf)
        uri = next(str(s) for s in rdf.subjects(RDF.type, URIRef(NP + "Nanopublication")))
        quads = [
            _quad(s, p, o, g.identifier if isinstance(g, Graph) else g)
            for s, p, o, g in rdf.quads((None, None, None, None))
        ]
    order = {name: rank for rank, name in enumerate(("Head", "assertion", "provenance", "pubinfo"))}
    quads.sort(key=lambda q: (order.get(str(q.graph_name).strip("<>").rsplit("#")[-1], 9), str(q)))
    return PublishedNanopub(claim, uri, tuple(quads))


def _assertion(evidence: CheckedEvidence, claim: URIRef) -> Graph:
    """The claim as checked: every statement the graph holds of it but who checked it and
    when (the provenance graph holds those)."""
    graph = Graph()
    for predicate, value in evidence.graph.predicate_objects(claim):
        if predicate in (EG.verifiedBy, EG.verifiedOn):
            continue
        graph.add((claim, predicate, value))
    return graph


def nanopubs_trig(published: Sequence[PublishedNanopub]) -> str:
    """The nanopublications as one TriG document: each one's four graphs (head, assertion,
    provenance, publication info) after the other's, with ``this:`` and ``sub:`` declared
    again for each (TriG lets a prefix be redeclared)."""
    parts = []
    for item in published:
        prefixes = {"this": item.uri, "sub": item.uri + "#", "np": NP, "npx": NPX, **_PREFIXES}
        written = ox.serialize(item.quads, format=ox.RdfFormat.TRIG, prefixes=prefixes) or b""
        parts.append(f"# the nanopublication of {item.claim}\n" + written.decode("utf-8"))
    return "\n".join(parts)


def _quad(subject: Node, predicate: Node, obj: Node, graph: Node | None) -> ox.Quad:
    """An rdflib statement in a named graph as a pyoxigraph quad."""
    if graph is None:
        raise ValueError("a nanopublication's statements are all in named graphs")
    return ox.Quad(
        to_oxigraph(subject),  # type: ignore[arg-type]
        to_oxigraph(predicate),  # type: ignore[arg-type]
        to_oxigraph(obj),
        to_oxigraph(graph),  # type: ignore[arg-type]
    )
