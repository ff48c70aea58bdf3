"""``publish``: what the graph has checked, as ClaimReview, a FHIR R5 Bundle, nanopublications."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidencegraph.cli.context import AppContext, pass_app

if TYPE_CHECKING:  # the publishers import the model and the FHIR and nanopub code: on use
    from evidencegraph.publish.checked import CheckedEvidence

_OUT = click.argument("out", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
_CLAIMS = click.option(
    "--claim",
    "claims",
    multiple=True,
    metavar="IRI",
    help="Publish only this checked claim (its IRI or egid:CURIE; repeatable). Default: "
    "every checked claim.",
)


@click.group()
def publish() -> None:
    """Publish what the graph has checked: every claim whose verification status is not
    egv:Unverified, with the evidence its verdict rests on (docs/publishing.md).

    \b
      claimreview OUT   schema.org ClaimReview, JSON-LD, one per claim
      fhir OUT          a FHIR R5 Bundle: Citation, Evidence, ArtifactAssessment
      nanopub OUT       nanopublications (TriG) with trusty URIs, optionally signed

    OUT is a file (written aside and renamed into place) or - for standard output.
    """


@publish.command()
@_OUT
@_CLAIMS
@pass_app
def claimreview(app: AppContext, out: Path, claims: tuple[str, ...]) -> None:
    """Write one schema.org ClaimReview per checked claim to OUT, as a JSON array."""
    from evidencegraph.publish.claimreview import claim_reviews, claim_reviews_json

    evidence = _read(app, claims)
    reviews = claim_reviews(evidence)
    _write(app, out, claim_reviews_json(reviews), f"{len(reviews)} ClaimReviews")


@publish.command()
@_OUT
@_CLAIMS
@pass_app
def fhir(app: AppContext, out: Path, claims: tuple[str, ...]) -> None:
    """Write a FHIR R5 Bundle (type collection) to OUT: an Organization per curator, a
    Citation per source, an Evidence per finding and an ArtifactAssessment per checked claim."""
    from evidencegraph.publish.fhir import fhir_bundle, fhir_json

    # the whole store's Bundle has an Evidence for every finding; with --claim, those it rests on
    bundle = fhir_bundle(_read(app, claims, every_finding=True))
    counts: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    what = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    _write(app, out, fhir_json(bundle), f"a Bundle of {what} resources")


@publish.command()
@_OUT
@_CLAIMS
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Sign each nanopublication with this RSA private key (PEM); nothing is sent anywhere.",
)
@click.option(
    "--created",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    help="The creation time stated in each nanopublication's pubinfo, UTC "
    "(default: now). The same graph and time give the same trusty URIs.",
)
@click.option(
    "--creator",
    metavar="IRI",
    help="The creator stated in the pubinfo (default: the claim's curator, eg:verifiedBy).",
)
@pass_app
def nanopub(
    app: AppContext,
    out: Path,
    claims: tuple[str, ...],
    sign_key: Path | None,
    created: datetime | None,
    creator: str | None,
) -> None:
    """Write one nanopublication per checked claim to OUT, as TriG, each with its trusty URI."""
    from rdflib import URIRef

    from evidencegraph.publish.nanopublication import (
        nanopublications,
        nanopubs_trig,
        read_signing_key,
    )

    key = read_signing_key(sign_key) if sign_key is not None else None
    moment = (created or datetime.now(timezone.utc)).replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    published = nanopublications(
        _read(app, claims),
        created=moment,
        creator=URIRef(_iri(creator)) if creator else None,
        signing_key=key,
    )
    signed = ", signed" if key else ""
    _write(app, out, nanopubs_trig(published), f"{len(published)} nanopublications{signed}")


def _iri(text: str) -> str:
    from evidencegraph.ontology.namespace import expand

    return expand(text.strip().strip("<>"))


def _read(
    app: AppContext, claims: tuple[str, ...], *, every_finding: bool = False
) -> CheckedEvidence:
    from rdflib import URIRef

    from evidencegraph.publish.checked import read_checked

    with app.open_graph(read_only=True) as graph:
        only = [URIRef(_iri(claim)) for claim in claims] if claims else None
        return read_checked(graph.store, only, every_finding=every_finding and only is None)


def _write(app: AppContext, out: Path, text: str, what: str) -> None:
    from evidencegraph.output import write_text

    if str(out) == "-":
        click.echo(text, nl=False)
        return
    size = write_text(out, text)
    click.echo(f"Wrote {what} to {out} ({size:,} bytes).")
