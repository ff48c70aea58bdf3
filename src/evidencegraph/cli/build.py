"""``build`` and ``load``: put evidence into the store, validated, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import RDF_INPUT_FORMATS, base_option


def _summary(verb: str, app_store: str, read: int, added: int, size: int) -> str:
    # "memory:" already ends in a colon: "Loaded into memory: 12 triples read", not "::"
    return (
        f"{verb} {app_store.rstrip(':')}: {read:,} triples read, {added:,} new; "
        f"the store holds {size:,} triples. The batch conforms to the shapes."
    )


@click.command()
@pass_app
def build(app: AppContext) -> None:
    """Load the model and the curated evidence into the store, validating first.

    Running it again adds nothing: every curated node has an IRI.
    """
    with app.open_graph() as graph:
        app.info(f"validating the curated evidence against the shapes ({graph.store.descriptor})")
        summary = graph.build()
        click.echo(
            _summary(
                "Built",
                graph.store.descriptor,
                summary.triples_read,
                summary.triples_added,
                len(graph.store),
            )
        )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "syntax",
    type=click.Choice(RDF_INPUT_FORMATS),
    default=None,
    help="RDF syntax of every FILE (default: guessed from each extension).",
)
@base_option(
    "The IRI relative IRIs in FILES resolve against (default: each file's own location, "
    "its file:// IRI). A file's @base comes first."
)
@click.option(
    "--graph",
    "graph_iri",
    metavar="IRI",
    default=None,
    help="The source graph to load one FILE into (default: "
    "https://w3id.org/evidencegraph/graph/file/NAME, by the file's name). Loading into a "
    "graph again replaces what it held.",
)
@pass_app
def load(
    app: AppContext,
    files: tuple[Path, ...],
    syntax: str | None,
    base: str | None,
    graph_iri: str | None,
) -> None:
    """Load RDF FILES as one batch: validate it with what it touches, then commit it whole.

    A batch that violates the shapes is rejected whole (exit 1) with a report;
    the store is left exactly as it was.
    """
    with app.open_graph() as graph:
        summary = graph.load_files(files, syntax, base, graph_iri)
        click.echo(
            _summary(
                "Loaded into",
                graph.store.descriptor,
                summary.triples_read,
                summary.triples_added,
                len(graph.store),
            )
        )
