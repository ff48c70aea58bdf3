"""The publications of a claim or a finding, by content negotiation on its IRI.

A checked claim's IRI answers a ClaimReview (``application/ld+json`` with
``profile="https://schema.org/ClaimReview"``), a FHIR R5 Bundle (``application/fhir+json``:
the claim's ArtifactAssessment with the Evidence and Citations it rests on) or its
nanopublication (``application/trig``); a finding's IRI answers its FHIR Evidence resource.
``?format=claimreview|fhir|nanopub`` asks the same. Every other request is left to the RDF
and HTML negotiation of ``protocol.py``: plain ``application/ld+json`` stays JSON-LD.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from rdflib import RDF, URIRef
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request

from evidencegraph.errors import EvidenceGraphError
from evidencegraph.ontology.namespace import EG
from evidencegraph.publish.checked import (
    CheckedEvidence,
    NotCheckedError,
    neighbourhood,
    read_checked,
)
from evidencegraph.publish.claimreview import CLAIMREVIEW_PROFILE, claim_review
from evidencegraph.publish.fhir import fhir_bundle, fhir_json, finding_bundle
from evidencegraph.publish.nanopublication import nanopublications, nanopubs_trig
from evidencegraph.rdf.model import model_graph
from evidencegraph.server.evaluate import Answer, failure
from evidencegraph.store.core import Store

#: What each publication is answered as.
PUBLICATION_MEDIA_TYPES = {
    "claimreview": f'application/ld+json; profile="{CLAIMREVIEW_PROFILE}"',
    "fhir": "application/fhir+json; charset=utf-8",
    "nanopub": "application/trig; charset=utf-8",
}
_FORMAT_NAMES = {"claimreview": "claimreview", "fhir": "fhir", "nanopub": "nanopub"}
_FHIR_TYPES = ("application/fhir+json", "application/json+fhir")


def publication_format(request: Request) -> str | None:
    """``claimreview``, ``fhir`` or ``nanopub`` when the request asks for one (by
    ``?format=``, or by an Accept range no RDF or HTML range outranks), else None."""
    named = request.args.get("format", "").strip().lower()
    if named:
        return _FORMAT_NAMES.get(named)
    header = request.headers.get("Accept", "")
    best: tuple[float, str] | None = None
    others = 0.0
    for item in header.split(","):
        media, options = parse_options_header(item.strip())
        if not media:
            continue
        try:
            quality = float(options.get("q", "1"))
        except ValueError:
            quality = 0.0
        wanted = None
        if (
            media == "application/ld+json"
            and CLAIMREVIEW_PROFILE in options.get("profile", "").split()
        ):
            wanted = "claimreview"
        elif media in _FHIR_TYPES:
            wanted = "fhir"
        elif media == "application/trig":
            wanted = "nanopub"
        if wanted is None:
            others = max(others, quality)
        elif quality > 0 and (best is None or quality > best[0]):
            best = (quality, wanted)
    return best[1] if best is not None and best[0] >= others else None


@dataclass(frozen=True)
class PublicationJob:
    """A worker's job: the publication ``fmt`` of the node ``iri``."""

    iri: str
    fmt: str

    def run(self, store: Store) -> Answer:
        node = URIRef(self.iri)
        try:
            around = neighbourhood(store, [node])
            if not len(around):
                return failure(404, f"the graph says nothing about {self.iri}")
            if self.fmt == "fhir" and EG.Finding in set(around.objects(node, RDF.type)):
                evidence = CheckedEvidence((), around, model_graph())
                body = fhir_json(finding_bundle(evidence, node))
            else:
                checked = read_checked(store, [node])
                if self.fmt == "claimreview":
                    body = json.dumps(claim_review(checked, node), indent=2, ensure_ascii=False)
                elif self.fmt == "fhir":
                    body = fhir_json(fhir_bundle(checked))
                else:
                    created = datetime.now(timezone.utc).replace(microsecond=0)
                    body = nanopubs_trig(nanopublications(checked, created=created))
        except NotCheckedError:
            what = {
                "claimreview": "a ClaimReview",
                "fhir": "FHIR",
                "nanopub": "a nanopublication",
            }[self.fmt]
            return failure(
                406,
                f"{self.iri} has no {what}: only a checked claim (a claim whose verification "
                "status is not egv:Unverified) has one"
                + (", and a finding its FHIR Evidence." if self.fmt == "fhir" else ".")
                + " Ask for Turtle, JSON-LD or HTML instead.",
            )
        except EvidenceGraphError as error:
            return failure(500, str(error))
        return Answer(200, PUBLICATION_MEDIA_TYPES[self.fmt], body.encode("utf-8"), "resource")
