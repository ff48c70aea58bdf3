"""``dump`` and ``diff``: the whole graph as sorted, byte-stable files, and what changed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import RDF_INPUT_FORMATS, absolute_iri


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--sparql-endpoint",
    metavar="URL",
    callback=absolute_iri,
    help="The SPARQL endpoint serving this graph, stated in void.ttl (void:sparqlEndpoint).",
)
@click.option(
    "--base-url",
    metavar="URL",
    callback=absolute_iri,
    help="The folder URL the files will be published at; void.ttl names them under it and "
    "declares it as its @base (default: https://w3id.org/evidencegraph/dump/).",
)
@click.option(
    "--issued",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The issued date stated in void.ttl, YYYY-MM-DD (default: today, UTC).",
)
@pass_app
def dump(
    app: AppContext,
    directory: Path,
    sparql_endpoint: str | None,
    base_url: str | None,
    issued: datetime | None,
) -> None:
    """Write the whole graph into DIRECTORY: the view (the default graph) as sorted Turtle
    (evidencegraph.ttl) and sorted N-Triples (evidencegraph.nt.gz), every named graph (the
    source graphs and the catalog) as sorted N-Quads (evidencegraph-graphs.nq.gz), and a
    VoID/DCAT description (void.ttl).

    The same statements give the same bytes, whatever order they were loaded in. Each file is
    written aside and renamed into place, so a failure leaves no half-written file.
    """
    from evidencegraph.publish.dump import dump_store

    with app.open_graph(read_only=True) as graph:
        app.info(f"dumping {graph.store.descriptor} into {directory}")
        with app.progress("dumping", unit="triples") as progress:
            summary = dump_store(
                graph.store,
                directory,
                sparql_endpoint=sparql_endpoint,
                base_url=base_url,
                issued=issued.date() if issued is not None else None,
                on_progress=progress.report,
            )
    click.echo(
        f"Dumped {summary.triples:,} triples, and {summary.quads:,} statements in "
        f"{summary.graphs:,} named graphs, into {directory}:"
    )
    for written in summary.files:
        click.echo(f"  {written.name}  {written.byte_size:,} bytes  sha256 {written.sha256}")


@click.command()
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--summary",
    is_flag=True,
    help="Count added and removed statements per class of their subject (and per named "
    "graph, when a named graph changed).",
)
@click.option(
    "--format",
    "syntax",
    type=click.Choice(RDF_INPUT_FORMATS),
    default=None,
    help="RDF syntax of both files (default: guessed from each extension; .gz is unpacked).",
)
def diff(old: Path, new: Path, summary: bool, syntax: str | None) -> None:
    """Print the statements added to and removed from dump OLD in dump NEW.

    \b
    Lines are N-Quads prefixed "+ " (only in NEW) or "- " (only in OLD), sorted; a
    statement of the default graph (the view's files hold nothing else) is an N-Triples
    line, one of a named graph (the graphs file, evidencegraph-graphs.nq.gz) ends in its
    graph's name. With --summary, a table: per class of the subject (as either dump types
    it), the statements added and removed; and, when a named graph changed, a second
    table per graph. Both files are read whole before anything is printed.
    """
    import tempfile

    from evidencegraph.ontology.namespace import compact
    from evidencegraph.publish.diff import diff_lines, read_dump, summarise_changes

    with tempfile.TemporaryDirectory(prefix="evidencegraph-diff-") as scratch:
        before = read_dump(old, Path(scratch), syntax)
        after = read_dump(new, Path(scratch), syntax)
        if summary:
            by_class, by_graph = summarise_changes(before, after)
            _table("class", [(compact(c.class_iri), c.added, c.removed) for c in by_class])
            if by_graph:
                click.echo("")
                _table("graph", [(c.graph, c.added, c.removed) for c in by_graph])
            return
        held: list[bytes] = []
        for sign, line in diff_lines(before, after):
            held.append(b"+ " + line if sign == "+" else b"- " + line)
            if len(held) == 10_000:
                click.echo(b"".join(held), nl=False)
                held = []
        if held:
            click.echo(b"".join(held), nl=False)


def _table(heading: str, rows: list[tuple[str, int, int]]) -> None:
    """A summary table: a name, then the statements added and removed."""
    width = max((len(name) for name, _, _ in rows), default=5)
    width = max(width, len(heading))
    click.echo(f"{heading.ljust(width)}  {'added':>9}  {'removed':>9}")
    for name, added, removed in rows:
        click.echo(f"{name.ljust(width)}  {added:>9,}  {removed:>9,}")
