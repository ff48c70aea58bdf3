"""schema.org ClaimReview (JSON-LD) for every checked claim: the quote, where it appeared, the
verdict as a rating, who checked it and when, and the evidence the verdict rests on.

Terms, as schema.org defines them (https://schema.org/ClaimReview, /Claim, /Rating,
/CreativeWork, /Organization, /Person): ClaimReview's claimReviewed, itemReviewed,
reviewRating, reviewBody, author, datePublished, url, isBasedOn, citation; Claim's
appearance, author; Rating's ratingValue, bestRating, worstRating, alternateName,
ratingExplanation. Google's fact-check documentation requires claimReviewed, reviewRating
(with alternateName) and url, and recommends author, datePublished and itemReviewed (a Claim
with appearance or firstAppearance, and author); docs/publishing.md says what each is here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from rdflib import URIRef

from evidencegraph.ontology.namespace import EG, EGV
from evidencegraph.publish.checked import DCTERMS, CheckedEvidence

SCHEMA_CONTEXT = "https://schema.org"
#: The profile a client names to ask the server for a claim's ClaimReview.
CLAIMREVIEW_PROFILE = "https://schema.org/ClaimReview"

#: The rating scale: each verification status -> (ratingValue, alternateName). The scale
#: runs from 1 (what the claim says is not what the primary source says) to 4 (a primary
#: source states it); "ambiguous referent" shares 3 with "contested": both are mixed, and
#: their alternateName tells them apart. docs/publishing.md shows this table.
RATINGS: dict[URIRef, tuple[int, str]] = {
    EGV.Misreported: (1, "Misreported"),
    EGV.Unsupported: (2, "Unsupported"),
    EGV.Contested: (3, "Contested"),
    EGV.AmbiguousReferent: (3, "Ambiguous referent"),
    EGV.Confirmed: (4, "Confirmed"),
}
WORST_RATING = 1
BEST_RATING = 4


def claim_reviews(evidence: CheckedEvidence) -> list[dict[str, Any]]:
    """One ClaimReview (a JSON-LD object with its own ``@context``) per checked claim."""
    return [claim_review(evidence, claim) for claim in evidence.claims]


def claim_review(evidence: CheckedEvidence, claim: URIRef) -> dict[str, Any]:
    """The ClaimReview of one checked claim."""
    status = evidence.status(claim)
    value, alternate = RATINGS[status]
    review: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "@id": f"{claim}#review",
        # the claim's own page, which shows the verdict and its evidence
        "url": str(claim),
        "claimReviewed": evidence.text(claim, EG.quote) or "",
        "itemReviewed": _item_reviewed(evidence, claim),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": alternate,
            "name": alternate,
        },
    }
    note = evidence.text(claim, EG.verificationNote)
    if note:
        review["reviewBody"] = note
        review["reviewRating"]["ratingExplanation"] = note
    by, on = evidence.verified(claim)
    if by is not None:
        review["author"] = _agent(evidence, by)
    if on is not None:
        review["datePublished"] = str(on)
    based_on = list(_based_on(evidence, claim))
    if based_on:
        review["isBasedOn"] = based_on
    citations = _citations(evidence, claim)
    if citations:
        review["citation"] = citations
    return review


def _item_reviewed(evidence: CheckedEvidence, claim: URIRef) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": "Claim", "@id": str(claim)}
    sources = [s for s in evidence.values(claim, EG.assertedBy) if isinstance(s, URIRef)]
    if sources:
        item["appearance"] = [_creative_work(evidence, source) for source in sources]
        authors = [
            _agent(evidence, agent)
            for source in sources
            for agent in evidence.values(source, DCTERMS.creator)
            + evidence.values(source, DCTERMS.publisher)
            if isinstance(agent, URIRef)
        ]
        if authors:
            item["author"] = authors[0] if len(authors) == 1 else authors
    return item


def _creative_work(evidence: CheckedEvidence, source: URIRef) -> dict[str, Any]:
    """A source as a CreativeWork: its own address where one is known (eg:url, the DOI),
    else the source's page in the graph (the seed articles carry no URL)."""
    work: dict[str, Any] = {"@type": "CreativeWork", "@id": str(source)}
    doi = evidence.text(source, EG.doi)
    url = evidence.text(source, EG.url) or (f"https://doi.org/{doi}" if doi else str(source))
    work["url"] = url
    work["headline"] = evidence.name(source)
    issued = evidence.text(source, DCTERMS.issued)
    if issued:
        work["datePublished"] = issued
    if doi:
        work["identifier"] = f"doi:{doi}"
    return work


def _agent(evidence: CheckedEvidence, agent: URIRef) -> dict[str, Any]:
    kind = "Person" if EG.Person in evidence.types(agent) else "Organization"
    return {"@type": kind, "@id": str(agent), "name": evidence.name(agent)}


def _based_on(evidence: CheckedEvidence, claim: URIRef) -> Iterator[dict[str, Any]]:
    """Findings and studies the verdict cites, each with what it says of the claim."""
    for node, role, _ in evidence.evidence(claim):
        if evidence.is_finding(node):
            yield {
                "@type": "CreativeWork",
                "@id": str(node),
                "url": str(node),
                "text": evidence.text(node, EG.statement) or "",
                "description": f"This finding {role} the claim.",
                "citation": [_creative_work(evidence, s) for s in evidence.primary_sources(node)],
            }
        elif evidence.is_study(node):
            yield {
                "@type": "CreativeWork",
                "url": str(node),
                "name": evidence.name(node),
                "description": f"This study {role} the claim.",
            }


def _citations(evidence: CheckedEvidence, claim: URIRef) -> list[dict[str, Any]]:
    """The primary sources of the evidence: named directly, or those of its findings and
    studies; each once, in the order met."""
    seen: dict[URIRef, dict[str, Any]] = {}
    for node, _, _ in evidence.evidence(claim):
        for source in evidence.primary_sources(node):
            if source not in seen:
                seen[source] = _creative_work(evidence, source)
    return list(seen.values())


def claim_reviews_json(reviews: list[dict[str, Any]]) -> str:
    """The reviews as one JSON array (each with its own @context), indented, keys in the
    order written, ending in a newline."""
    return json.dumps(reviews, indent=2, ensure_ascii=False) + "\n"
