"""``network``: paths, centrality, components and neighbourhoods over a networkx projection."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import format_option

if TYPE_CHECKING:
    import networkx as nx

#: Output formats of every network command: graphml writes the subgraph the answer is about.
NETWORK_FORMATS = ("table", "csv", "json", "graphml")
_FORMAT_HELP = "table for people; csv or json for tools; graphml: the subgraph behind the answer."
_LABEL_WIDTH = 60


def _projection(app: AppContext) -> nx.MultiDiGraph:
    with app.open_graph(read_only=True) as graph:
        return graph.to_networkx()


def _shown(text: str) -> str:
    """A label cut to fit one table line."""
    return text if len(text) <= _LABEL_WIDTH else text[: _LABEL_WIDTH - 1] + "…"


def _node_line(projection: nx.MultiDiGraph, node: str) -> str:
    from evidencegraph.ontology.namespace import compact

    data = projection.nodes[node]
    return f"{data['type']:<22} {_shown(data['label'])}  [{compact(node)}]"


def _echo_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    click.echo(buffer.getvalue(), nl=False)


def _echo_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _echo_graphml(subgraph: nx.MultiDiGraph) -> None:
    from evidencegraph.graph.network import graphml_lines

    for line in graphml_lines(subgraph):
        click.echo(line)


@click.group()
def network() -> None:
    """Graph analysis with networkx: how nodes connect, and which matter most.

    \b
    The projection holds the instance graph's nodes (with types and a label) and the links
    between them (with the predicate and the sources of the statement); literals other than
    labels, and links to concepts and ontology terms, are left out (docs/network.md).
    Nodes are named by IRI, CURIE (egid:drug/ketamine), registry id (NCT02649231) or label.
    """


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
@format_option(NETWORK_FORMATS, "table", _FORMAT_HELP)
@pass_app
def path(
    app: AppContext, start: str, end: str, limit: int, with_claims: bool, output_format: str
) -> None:
    """Shortest paths from START to END, shown with predicate labels.

    Links are followed in either direction (an arrow shows which way each points).
    Exit 1 when the two are not connected, 2 when START or END names no node.
    """
    from evidencegraph.graph.network import path_subgraph, resolve, shortest_paths, without_claims
    from evidencegraph.ontology.namespace import compact

    projection = _projection(app)
    if not with_claims:
        projection = without_claims(projection)
    first, last = resolve(projection, start), resolve(projection, end)
    paths = shortest_paths(projection, first, last, limit + 1)
    truncated = len(paths) > limit
    paths = paths[:limit]

    def label(node: str) -> str:
        return str(projection.nodes[node]["label"])

    def edge(step: Any) -> dict[str, Any]:
        ends = (step.source, step.target) if step.forward else (step.target, step.source)
        return dict(projection.edges[(*ends, step.predicate)])

    rows = [
        {
            "path": number,
            "step": index,
            "from": step.source,
            "from_label": label(step.source),
            "predicate": step.predicate,
            "predicate_label": edge(step)["label"],
            "forward": step.forward,
            "to": step.target,
            "to_label": label(step.target),
            "sources": edge(step)["sources"],
        }
        for number, steps in enumerate(paths, start=1)
        for index, step in enumerate(steps, start=1)
    ]
    if output_format == "json":
        _echo_json(
            [
                [{k: v for k, v in r.items() if k != "path"} for r in rows if r["path"] == n]
                for n in range(1, len(paths) + 1)
            ]
        )
    elif output_format == "csv":
        _echo_csv(list(rows[0]) if rows else ["path", "step"], rows)
    elif output_format == "graphml":
        if paths:
            _echo_graphml(path_subgraph(projection, paths))
    else:
        for number, steps in enumerate(paths, start=1):
            click.echo(f"path {number} ({len(steps)} links):")
            click.echo(f"  {_shown(label(first))}  [{compact(first)}]")
            for row in (r for r in rows if r["path"] == number):
                name = row["predicate_label"]
                arrow = f"--{name}-->" if row["forward"] else f"<--{name}--"
                click.echo(f"    {arrow} {_shown(row['to_label'])}  [{compact(row['to'])}]")
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
    help="Only instances of this class or its subclasses (e.g. Study, eg:Finding).",
)
@format_option(NETWORK_FORMATS, "table", _FORMAT_HELP)
@pass_app
def central(
    app: AppContext, measure: str, top: int, node_type: str | None, output_format: str
) -> None:
    """The most central nodes by degree, betweenness or PageRank, one per line.

    Scores are taken over the whole projection (links in either direction), then filtered
    by --type.
    """
    from evidencegraph.graph.network import centrality
    from evidencegraph.graph.network import subgraph as part_of

    projection = _projection(app)
    ranked = centrality(projection, measure, top, node_type)
    rows = [
        {
            "rank": rank,
            "node": node,
            "label": projection.nodes[node]["label"],
            "type": projection.nodes[node]["type"],
            measure: score,
        }
        for rank, (node, score) in enumerate(ranked, start=1)
    ]
    if output_format == "json":
        _echo_json(rows)
    elif output_format == "csv":
        _echo_csv(["rank", "node", "label", "type", measure], rows)
    elif output_format == "graphml":
        subgraph = part_of(projection, [row["node"] for row in rows])
        for row in rows:
            subgraph.nodes[row["node"]].update(rank=row["rank"], score=row[measure])
        _echo_graphml(subgraph)
    else:
        for node, score in ranked:
            click.echo(f"{score:8.4f}  {_node_line(projection, node)}")


@network.command()
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="List at most this many components, largest first.",
)
@click.option(
    "--members",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="List every member of a component this small or smaller; of a larger one, this "
    "many of its most linked members as a sample.",
)
@format_option(NETWORK_FORMATS, "table", _FORMAT_HELP)
@pass_app
def components(app: AppContext, top: int, members: int, output_format: str) -> None:
    """Connected components (links in either direction): their sizes, and who is in them."""
    from evidencegraph.graph.network import components as find_components
    from evidencegraph.graph.network import subgraph as part_of

    projection = _projection(app)
    found = find_components(projection)
    sizes = Counter(len(c) for c in found)
    listed = []
    for number, component in enumerate(found[:top], start=1):
        sampled = len(component) > members
        shown = component
        if sampled:
            by_links = sorted(component, key=lambda n: (-projection.degree(n), n))
            shown = sorted(by_links[:members])
        listed.append((number, component, sampled, shown))

    def member(node: str) -> dict[str, str]:
        data = projection.nodes[node]
        return {"node": node, "label": data["label"], "type": data["type"]}

    if output_format == "json":
        _echo_json(
            {
                "components": len(found),
                "nodes": projection.number_of_nodes(),
                "sizes": [
                    {"size": s, "components": n} for s, n in sorted(sizes.items(), reverse=True)
                ],
                "listed": [
                    {
                        "component": number,
                        "size": len(component),
                        "sampled": sampled,
                        "members": [member(n) for n in shown],
                    }
                    for number, component, sampled, shown in listed
                ],
            }
        )
    elif output_format == "csv":
        rows = [
            {"component": number, "size": len(component), "sampled": sampled, **member(n)}
            for number, component, sampled, shown in listed
            for n in shown
        ]
        _echo_csv(["component", "size", "sampled", "node", "label", "type"], rows)
    elif output_format == "graphml":
        subgraph = part_of(projection, [n for _, c, _, _ in listed for n in c])
        for number, component, _, _ in listed:
            for node in component:
                subgraph.nodes[node]["component"] = number
        _echo_graphml(subgraph)
    else:
        histogram = ", ".join(
            f"{n} of {s} node{'s' if s != 1 else ''}"
            for s, n in sorted(sizes.items(), reverse=True)
        )
        click.echo(f"{len(found)} components, {projection.number_of_nodes()} nodes: {histogram}")
        for number, component, sampled, shown in listed:
            what = f"its {len(shown)} most linked" if sampled else "all"
            nodes = "1 node" if len(component) == 1 else f"{len(component)} nodes"
            click.echo(f"component {number}: {nodes} ({what}):")
            for node in shown:
                click.echo(f"  {_node_line(projection, node)}")
        if len(found) > top:
            click.echo(f"({len(found) - top} more components: raise --top to list them)")


@network.command()
@click.argument("node_id", metavar="ID")
@click.option(
    "--hops",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Follow this many links, in either direction.",
)
@format_option(NETWORK_FORMATS, "table", _FORMAT_HELP)
@pass_app
def neighbours(app: AppContext, node_id: str, hops: int, output_format: str) -> None:
    """The nodes within --hops links of ID, nearest first, each with the link that reaches it.

    ID is an IRI, a CURIE, a registry id (NCT02649231) or a label; exit 2 when it names no
    node.
    """
    from evidencegraph.graph.network import neighbourhood, resolve
    from evidencegraph.graph.network import subgraph as part_of
    from evidencegraph.ontology.namespace import compact

    projection = _projection(app)
    centre = resolve(projection, node_id)
    distance = neighbourhood(projection, centre, hops)

    def via(node: str) -> dict[str, Any]:
        """The link that reaches ``node`` from a node one hop nearer (the least by IRI and
        predicate), and which way it points."""
        if not distance[node]:
            return {"via_node": "", "via_predicate": "", "via_label": "", "via_forward": True}
        nearer = distance[node] - 1
        links = [(m, k, True) for m, _, k in projection.in_edges(node, keys=True)]
        links += [(m, k, False) for _, m, k in projection.out_edges(node, keys=True)]
        start, predicate, forward = min(link for link in links if distance.get(link[0]) == nearer)
        ends = (start, node) if forward else (node, start)
        label = projection.edges[(*ends, predicate)]["label"]
        return {
            "via_node": start,
            "via_predicate": predicate,
            "via_label": label,
            "via_forward": forward,
        }

    order = sorted(distance, key=lambda n: (distance[n], projection.nodes[n]["type"], n))
    rows = [
        {
            "distance": distance[node],
            "node": node,
            "label": projection.nodes[node]["label"],
            "type": projection.nodes[node]["type"],
            **via(node),
        }
        for node in order
    ]
    if output_format == "json":
        _echo_json({"centre": centre, "hops": hops, "nodes": rows})
    elif output_format == "csv":
        _echo_csv(list(rows[0]), rows)
    elif output_format == "graphml":
        subgraph = part_of(projection, distance)
        for node, hop in distance.items():
            subgraph.nodes[node]["distance"] = hop
        _echo_graphml(subgraph)
    else:
        click.echo(
            f"{projection.nodes[centre]['label']}  [{compact(centre)}]: "
            f"{len(distance) - 1} nodes within {hops} hop{'s' if hops != 1 else ''}"
        )
        for row in rows[1:]:
            name = row["via_label"]
            arrow = f"--{name}-->" if row["via_forward"] else f"<--{name}--"
            click.echo(f"  {row['distance']}  {arrow:<26} {_node_line(projection, row['node'])}")
