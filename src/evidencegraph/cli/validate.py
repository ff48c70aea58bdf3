"""``validate``: check the store, or files, against the SHACL shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import (
    RDF_INPUT_FORMATS,
    RDF_OUTPUT_FORMATS,
    base_option,
    format_option,
)
from evidencegraph.errors import EXIT_NONCONFORMING


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@format_option(
    ["table", *RDF_OUTPUT_FORMATS],
    "table",
    help="table for people, or the SHACL validation report graph in an RDF syntax.",
)
@click.option(
    "--input-format",
    type=click.Choice(RDF_INPUT_FORMATS),
    default=None,
    help="RDF syntax of FILES (default: guessed from each extension).",
)
@base_option(
    "The IRI relative IRIs in FILES resolve against (default: each file's own location, "
    "its file:// IRI)."
)
@click.option(
    "--with-store",
    is_flag=True,
    help="Validate FILES as a batch against what they touch in the store, as `load` would.",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "rudof", "pyshacl"]),
    default="auto",
    show_default=True,
    help="SHACL engine for the whole store: auto is rudof (chunk by chunk, fast) where "
    "pyrudof is installed, else pyshacl; both report the same violations.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Judge every node of the store, also what the gate judged under these shapes "
    "(by default those recorded verdicts stand once the store's integrity is checked).",
)
@pass_app
def validate(
    app: AppContext,
    files: tuple[Path, ...],
    output_format: str,
    input_format: str | None,
    base: str | None,
    with_store: bool,
    engine: str,
    full: bool,
) -> None:
    """Validate the store (or FILES) against the shapes. Exit 0 conforms, 1 does not.

    The store: what the gate judged under these shapes (recorded per source graph in the
    catalog) is not judged again once the store's integrity is checked; everything else
    is, and stderr says how much of each. --full judges everything."""
    from evidencegraph.rdf.files import read_rdf_files
    from evidencegraph.validation.engines import PYSHACL
    from evidencegraph.validation.shacl import ValidationReport, validate_graph

    report: ValidationReport
    marks_wrong = False
    if files and engine != "auto":
        raise click.UsageError(
            "--engine chooses the engine for the whole store; FILES are validated with "
            "pyshacl. Leave out --engine, or the FILES."
        )
    if full and files:
        raise click.UsageError("--full is for the whole store: FILES are judged in full")
    if base is not None and not files:
        raise click.UsageError("--base is for FILES: the store's IRIs are absolute already")
    if files:
        batch = read_rdf_files(files, input_format, base)
        if with_store:
            with app.open_graph(read_only=True) as graph:
                # pyshacl whole, as the gate judges a batch it plans for it: the full
                # SHACL report graph of the FILES as they would stand in the store
                report = PYSHACL.check(graph.store, batch).report
        else:
            report = validate_graph(batch)
    else:
        from evidencegraph.validation.store_check import check_store

        with (
            app.open_graph(read_only=True) as graph,
            app.progress("validating", unit="subjects") as progress,
        ):
            checked = check_store(graph.store, engine, full=full, on_progress=progress.report)
        report = checked.report
        click.echo(checked.account(), err=True, nl=False)
        # graph/not-shown out of step fails too (decision 0030): the account says what to run
        marks_wrong = checked.marks_wrong
    if output_format == "table":
        click.echo(report.table(), nl=False)
    else:
        click.echo(report.graph.serialize(format=RDF_OUTPUT_FORMATS[output_format]), nl=False)
    if not report.conforms or marks_wrong:
        sys.exit(EXIT_NONCONFORMING)
