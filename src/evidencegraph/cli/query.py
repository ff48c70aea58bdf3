"""``query`` and ``queries``: run named queries, query files or SPARQL text."""

from __future__ import annotations

from pathlib import Path

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.cli.options import (
    RDF_OUTPUT_FORMATS,
    RESULT_FORMATS,
    format_option,
    param_option,
    parse_params,
)
from evidencegraph.errors import QuerySyntaxError, UsageError


@click.command()
@click.argument("name", required=False)
@click.option(
    "--sparql", "sparql_text", metavar="TEXT", help="Run this SPARQL text instead of a named query."
)
@param_option("Bind a declared parameter to a value (repeatable).")
@format_option(
    [*RESULT_FORMATS, *RDF_OUTPUT_FORMATS],
    "table",
    help="table, or a SPARQL 1.1 results format (csv, tsv, json, xml); "
    "CONSTRUCT/DESCRIBE results take an RDF syntax (turtle, nt, jsonld, rdfxml).",
)
@pass_app
def query(
    app: AppContext,
    name: str | None,
    sparql_text: str | None,
    params: tuple[str, ...],
    output_format: str,
) -> None:
    """Run the named query NAME, a query file NAME.rq, or --sparql TEXT.

    \b
    Examples:
      evidencegraph query drug-with-psychotherapy
      evidencegraph query drug-with-psychotherapy --param drug=ketamine --format csv
      evidencegraph query my-question.rq
      evidencegraph query --sparql 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
    """
    from evidencegraph.queries import NamedQuery, get_query, parse_query, read_query_file

    if (name is None) == (sparql_text is None):
        raise UsageError(
            "give either a query NAME (or FILE.rq) or --sparql TEXT, not both or neither"
        )
    named: NamedQuery
    if sparql_text is not None:
        named = parse_query(sparql_text, "--sparql")
    elif name is not None and name.endswith(".rq"):
        named = read_query_file(Path(name))
    else:
        assert name is not None
        named = get_query(name)
    bindings = named.bind(parse_params(params))
    with app.open_store(read_only=True) as store:
        try:
            result = store.query(named.text, bindings)
        except QuerySyntaxError as error:
            raise QuerySyntaxError(f"{named.path or named.name}: {error}") from None
    if result.kind == "graph":
        rdf_format = RDF_OUTPUT_FORMATS.get(output_format, "turtle")
        click.echo(result.serialize_graph(rdf_format), nl=False)
    elif output_format in RDF_OUTPUT_FORMATS:
        raise UsageError(
            f"--format {output_format} is for CONSTRUCT or DESCRIBE results; "
            f"use one of {', '.join(RESULT_FORMATS)}"
        )
    else:
        click.echo(result.serialize(output_format), nl=False)


@click.command()
@format_option(["text", "json"], "text")
def queries(output_format: str) -> None:
    """List the named queries: name, title, description and parameters."""
    import json

    from evidencegraph.queries import library

    named = library()
    if output_format == "json":
        payload = [q.describe() for q in named.values()]
        click.echo(json.dumps(payload, indent=2))
        return
    for q in named.values():
        click.echo(f"{q.name}\n  {q.title}")
        if q.description:
            click.echo(
                click.wrap_text(
                    q.description, initial_indent="  ", subsequent_indent="  ", width=100
                )
            )
        for p in q.parameters:
            default = f" (default: {p.default})" if p.default is not None else " (required)"
            click.echo(f"  --param {p.name}=<{p.kind}>{default}: {p.description}")
        click.echo()
