"""``network``: paths and centrality over a networkx projection of the graph."""

from __future__ import annotations

import json

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import format_option


@click.group()
def network() -> None:
    """Graph analysis with networkx: how nodes connect, and which matter most."""


@network.command()
@click.argument("start")
@click.argument("end")
@click.option(
    "--limit",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Show at most this many shortest paths.",
)
@click.option(
    "--with-claims",
    is_flag=True,
    help="Also walk through claims (by default paths follow studies, arms and findings only).",
)
@format_option(["table", "json"], "table")
@pass_app
def path(
    app: AppContext, start: str, end: str, limit: int, with_claims: bool, output_format: str
) -> None:
    """Shortest paths from START to END (IRI, CURIE, NCT number or label), shown with predicates.

    Exit 1 when the two are not connected.
    """
    from evidencegraph.graph.network import resolve, shortest_paths, without_claims
    from evidencegraph.ontology.namespace import compact

    with app.open_graph(read_only=True) as graph:
        projection = graph.to_networkx()
    if not with_claims:
        projection = without_claims(projection)
    first, last = resolve(projection, start), resolve(projection, end)
    paths = shortest_paths(projection, first, last, limit + 1)
    truncated = len(paths) > limit
    paths = paths[:limit]

    def label(node: str) -> str:
        return str(projection.nodes[node]["label"])

    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    [
                        {
                            "from": s.source,
                            "predicate": s.predicate,
                            "forward": s.forward,
                            "to": s.target,
                        }
                        for s in steps
                    ]
                    for steps in paths
                ],
                indent=2,
            )
        )
    else:
        for number, steps in enumerate(paths, start=1):
            click.echo(f"path {number} ({len(steps)} links):")
            click.echo(f"  {label(first)}  [{compact(first)}]")
            for step in steps:
                arrow = f"--{step.predicate}-->" if step.forward else f"<--{step.predicate}--"
                click.echo(f"    {arrow} {label(step.target)}  [{compact(step.target)}]")
        if truncated:
            click.echo(f"(more shortest paths exist; showing {limit}: raise --limit to see more)")
    if not paths:
        raise click.ClickException(f"{label(first)!r} and {label(last)!r} are not connected")


@network.command()
@click.option(
    "--measure",
    type=click.Choice(["degree", "betweenness", "pagerank"]),
    default="degree",
    show_default=True,
)
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--type",
    "node_type",
    metavar="CLASS",
    help="Only nodes of this class (e.g. Study, eg:Finding).",
)
@format_option(["table", "json"], "table")
@pass_app
def central(
    app: AppContext, measure: str, top: int, node_type: str | None, output_format: str
) -> None:
    """The most central nodes by degree, betweenness or PageRank."""
    from evidencegraph.graph.network import centrality
    from evidencegraph.ontology.namespace import compact

    with app.open_graph(read_only=True) as graph:
        projection = graph.to_networkx()
    ranked = centrality(projection, measure, top, node_type)
    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "node": n,
                        "label": projection.nodes[n]["label"],
                        "type": projection.nodes[n]["type"],
                        measure: s,
                    }
                    for n, s in ranked
                ],
                indent=2,
            )
        )
        return
    for node, score in ranked:
        data = projection.nodes[node]
        click.echo(f"{score:8.4f}  {data['type']:<22} {data['label'][:60]}  [{compact(node)}]")
