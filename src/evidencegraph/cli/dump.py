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
    """Write the whole graph into DIRECTORY as sorted Turtle (evidencegraph.ttl), sorted
    N-Triples (evidencegraph.nt.gz) and a VoID/DCAT description (void.ttl).

    The same triples give the same bytes, whatever order they were loaded in. Each file is
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
    click.echo(f"Dumped {summary.triples:,} triples into {directory}:")
    for written in summary.files:
        click.echo(f"  {written.name}  {written.byte_size:,} bytes  sha256 {written.sha256}")


@click.command()
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--summary", is_flag=True, help="Count added and removed triples per class of their subject."
)
@click.option(
    "--format",
    "syntax",
    type=click.Choice(RDF_INPUT_FORMATS),
    default=None,
    help="RDF syntax of both files (default: guessed from each extension; .gz is unpacked).",
)
def diff(old: Path, new: Path, summary: bool, syntax: str | None) -> None:
    """Print the triples added to and removed from dump OLD in dump NEW.

    \b
    Lines are N-Triples prefixed "+ " (only in NEW) or "- " (only in OLD), sorted.
    With --summary, a table: per class of the subject (as either dump types it), the
    triples added and removed. Both files are read whole before anything is printed.
    """
    import tempfile

    from evidencegraph.ontology.namespace import compact
    from evidencegraph.publish.diff import diff_lines, read_dump, summarise

    with tempfile.TemporaryDirectory(prefix="evidencegraph-diff-") as scratch:
        before = read_dump(old, Path(scratch), syntax)
        after = read_dump(new, Path(scratch), syntax)
        if summary:
            changes = summarise(before, after)
            width = max((len(compact(c.class_iri)) for c in changes), default=5)
            click.echo(f"{'class'.ljust(width)}  {'added':>9}  {'removed':>9}")
            for change in changes:
                click.echo(
                    f"{compact(change.class_iri).ljust(width)}  "
                    f"{change.added:>9,}  {change.removed:>9,}"
                )
            return
        held: list[bytes] = []
        for sign, line in diff_lines(before, after):
            held.append(b"+ " + line if sign == "+" else b"- " + line)
            if len(held) == 10_000:
                click.echo(b"".join(held), nl=False)
                held = []
        if held:
            click.echo(b"".join(held), nl=False)
