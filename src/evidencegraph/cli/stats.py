"""``stats``: how many triples, and how many instances of each class."""

from __future__ import annotations

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import format_option


@click.command()
@format_option(["table", "json"], "table")
@pass_app
def stats(app: AppContext, output_format: str) -> None:
    """Count the triples in the store's view, its source graphs by kind, and the instances
    of each class."""
    import json

    from evidencegraph.ontology.namespace import compact

    with app.open_graph(read_only=True) as graph:
        summary = graph.stats()
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "triples": summary.triples,
                    "sourceGraphs": {kind: count for kind, count in summary.graphs},
                    "classes": {name: count for name, count in summary.classes},
                },
                indent=2,
            )
        )
        return
    click.echo(f"{summary.triples:,} triples in {app.store or 'the default store'}")
    if summary.graphs:
        kinds = ", ".join(f"{count:,} {kind}" for kind, count in summary.graphs)
        click.echo(f"source graphs: {kinds}")
    width = max((len(compact(name)) for name, _ in summary.classes), default=5)
    click.echo(f"{'class'.ljust(width)}  instances")
    for name, count in summary.classes:
        click.echo(f"{compact(name).ljust(width)}  {count:>9,}")
