"""``export``: part of the graph, with the provenance of every node in it, in a chosen format."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import (
    DEFAULT_MAX_TRIPLES,
    EXPORT_FORMATS,
    param_option,
    parse_params,
)
from evidencegraph.errors import QuerySyntaxError, UsageError

#: The formats that hold named graphs: what --graphs writes.
GRAPH_FORMATS = ("trig", "nq")

if TYPE_CHECKING:  # the exporters import networkx and rdflib: only when an export runs
    import pyoxigraph as ox

    from evidencegraph.graph.evidence_graph import EvidenceGraph


@click.command()
@click.option(
    "--focus",
    "focus_ids",
    multiple=True,
    metavar="ID",
    help="A node to export around: IRI, CURIE, NCT number or other identifier, a study's "
    "acronym, a label, or the last part of an IRI (repeatable).",
)
@click.option(
    "--hops",
    type=int,
    default=1,
    show_default=True,
    help="Links followed from the focus nodes, in both directions.",
)
@click.option(
    "--query", "query_name", metavar="NAME|FILE.rq", help="A CONSTRUCT or DESCRIBE query."
)
@param_option(
    "A parameter of the --query, or a filter of --type (drug, condition), as the named "
    "queries take them (repeatable)."
)
@click.option(
    "--type", "class_id", metavar="CLASS", help="Every instance of a class (eg:Trial, or Trial)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(EXPORT_FORMATS),
    help="Guessed from -o by default.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="The file to write (stdout if none)."
)
@click.option(
    "--graphs",
    "keep_graphs",
    is_flag=True,
    help="Write each statement in the source graphs that state it (every source's value, "
    "and the catalog's description of each graph) instead of the view; --format trig or nq.",
)
@click.option(
    "--max-triples",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_TRIPLES,
    show_default=True,
    help="Stop, saying so and writing nothing, when the export (provenance and names "
    "included) would hold more triples than this.",
)
@pass_app
def export(
    app: AppContext,
    focus_ids: tuple[str, ...],
    hops: int,
    query_name: str | None,
    params: tuple[str, ...],
    class_id: str | None,
    output_format: str | None,
    output: Path | None,
    keep_graphs: bool,
    max_triples: int,
) -> None:
    """Export part of the graph: around --focus nodes, what --query builds, or a --type.

    The claims and sources about every node the export describes in full come along, and the
    type, name and verification status of every other node in it. More --hops never hold
    less. --max-triples caps what is written, all of it counted. An export that matches
    nothing writes no file and exits 1.

    Formats: RDF (turtle, nt, nq, trig, jsonld compacted with the package's context,
    rdfxml), csv (KGX TSV nodes and edges files), graphml, gexf, dot, and pictures drawn by
    Graphviz (svg, png, html). With --graphs (trig or nq), each statement is written in the
    named graphs of the sources that state it. The output is written to a temporary file
    and renamed, so a failure never leaves half a file.

    \b
    Examples:
      evidencegraph export --focus NCT02649231 --hops 2 -o kare.ttl
      evidencegraph export --type eg:Trial --format nt
      evidencegraph export --query my-construct.rq -o part.jsonld
    """
    from evidencegraph.export import select
    from evidencegraph.export.formats import guess_format, write

    chosen = [bool(focus_ids), query_name is not None, class_id is not None]
    if sum(chosen) != 1:
        raise UsageError("choose what to export: --focus ID (repeatable), --query or --type")
    if hops < 0:
        raise UsageError(f"--hops must be 0 or more, not {hops}")
    fmt = output_format or (guess_format(output) if output is not None else "turtle")
    if keep_graphs and fmt not in GRAPH_FORMATS:
        raise UsageError(
            f"--graphs writes each statement in its source's named graph, which --format {fmt} "
            f"cannot hold: use --format {' or '.join(GRAPH_FORMATS)} (or -o FILE.trig, "
            "FILE.nq), or leave out --graphs"
        )
    # four steps of unequal length: progress says which one runs, and for how long
    with app.progress("exporting", 4, unit="steps") as progress:
        progress.stage = "selecting what it holds"
        with app.open_graph(read_only=True) as graph:
            store = graph.store
            if focus_ids:
                focus = [select.resolve(store, text) for text in focus_ids]
                chosen_part = select.neighbourhood(store, focus, hops, max_triples)
                how, asked = "focus", " ".join(f"--focus {text}" for text in focus_ids)
            elif class_id is not None:
                cls = select.resolve_class(class_id)
                filters = parse_params(params)
                chosen_part = select.instances(store, cls, max_triples, filters)
                how = "type"
                asked = " ".join([f"--type {class_id}", *(f"--param {p}" for p in params)])
            else:
                assert query_name is not None
                chosen_part = select.built_by_query(_query_quads(graph, query_name, params))
                how, asked = "query", f"--query {query_name}"
            quads = select.gather(store, chosen_part, max_triples, how, asked, progress.step)
            if keep_graphs:
                quads = select.in_source_graphs(store, quads, max_triples, how)
        progress.step(f"writing {len(quads):,} triples as {fmt}")
        written = write(quads, fmt, output, sys.stdout.buffer)
        # the export is on stdout before the summary is on stderr, whatever the buffers
        sys.stdout.buffer.flush()
        progress.advance()
    for path in written:
        app.info(f"wrote {path}")
    if keep_graphs:
        graphs = len(select.named_graphs(quads))
        click.echo(f"{len(quads):,} statements exported in {graphs:,} named graphs", err=True)
    else:
        click.echo(f"{len(quads):,} triples exported", err=True)


def _query_quads(graph: EvidenceGraph, name: str, params: tuple[str, ...]) -> set[ox.Quad]:
    from evidencegraph.cli.query import explain_syntax_error
    from evidencegraph.queries import NamedQuery, get_query, read_query_file
    from evidencegraph.rdf.terms import to_quads

    named: NamedQuery = read_query_file(Path(name)) if name.endswith(".rq") else get_query(name)
    try:
        text, bindings = named.prepare(parse_params(params))
        result = graph.query(text, bindings)
    except QuerySyntaxError as error:
        where = named.path or named.name
        raise QuerySyntaxError(explain_syntax_error(str(error), named.text, where)) from None
    if result.graph is None:
        raise UsageError(
            f"{named.path or named.name} is not a CONSTRUCT or DESCRIBE query: "
            "an export is triples, not a table"
        )
    return set(to_quads(result.graph))
