"""``query`` and ``queries``: run named queries, query files or SPARQL text."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from evidencegraph.store.core import Store


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
      evidencegraph query drug-with-psychotherapy --param condition=alcoholism
      evidencegraph query my-question.rq --param drug=naltrexone
      evidencegraph query --sparql 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'

    \b
    A query file may declare parameters in comment lines at its top:
      # title: Trials of a drug
      # description: What the query answers, in a sentence or two.
      # param: drug literal ketamine -- the drug's name, any case
      # param: condition literal any -- a condition; any (the default): every one
    Each param line reads NAME KIND [DEFAULT] -- DESCRIPTION. KIND is literal,
    iri (an IRI, <IRI> or a CURIE such as egid:study/NCT02649231), integer,
    decimal or term (any RDF term in Turtle syntax). Without a DEFAULT the
    parameter is required. --param NAME=VALUE binds ?NAME to the value as an
    RDF term, never as text pasted into the query, whether or not the SELECT
    projects ?NAME. `evidencegraph queries` lists the packaged queries and
    their parameters; docs/queries.md says more.
    """
    from evidencegraph.queries import NamedQuery, get_query, parse_query, read_query_file
    from evidencegraph.queries.name_keys import run_checked

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
    where = named.path or named.name
    given = parse_params(params)
    try:
        text, bindings = named.prepare(given)
        with app.open_store(read_only=True) as store:
            # a store written before the marks or the name keys says so (decisions 0030, 0028)
            result = run_checked(store, text, bindings, named.keyed)
            empty = result.kind == "select" and not result.rows
            notes = unknown_names(store, given) if empty else []
    except QuerySyntaxError as error:
        raise QuerySyntaxError(explain_syntax_error(str(error), named.text, where)) from None
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
    for note in notes:
        click.echo(note, err=True)


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
            shown = '""' if p.default == "" else p.default
            default = f" (default: {shown})" if p.default is not None else " (required)"
            click.echo(f"  --param {p.name}=<{p.kind}>{default}: {p.description}")
        click.echo()


#: The message graph.store.describe_syntax_error writes.
_AT = re.compile(
    r"SPARQL syntax error at line (\d+) column (\d+): (.*?)\.? Fix the query and run it again\.?$",
    re.DOTALL,
)

#: Plain hints for what the parser says, first match wins; the last one always matches.
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "prefix the query does not declare",
        "declare every prefix before SELECT, e.g. "
        "PREFIX eg: <https://w3id.org/evidencegraph/ontology#> (docs/queries.md lists them)",
    ),
    (
        "CONSTRUCT",
        "a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE (after any PREFIX lines): "
        "check the spelling of the first keyword",
    ),
    (
        "DESCRIBE",
        "a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE (after any PREFIX lines): "
        "check the spelling of the first keyword",
    ),
    (
        "LATERAL, SERVICE",
        "a triple pattern is incomplete, or two are not separated by '.': each needs a "
        "subject, a predicate and an object",
    ),
    (
        "expected",
        "the parser stopped at the caret; the mistake is there or just before it: a misspelt "
        "keyword, a missing '.', '}' or ')', or text that needs quotes",
    ),
    ("", "the mistake is at the caret or just before it"),
)


#: What may hold brackets without opening one: strings, IRIs, comments; and a lone quote.
_NOT_BRACKETS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'(?:[^\\]|\\.)*?\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*|(["\'])|([{}()])'
)


def _left_open(text: str) -> bool:
    """Whether a string, a '{' or a '(' is still open at the end of ``text``."""
    depth = 0
    for match in _NOT_BRACKETS.finditer(text):
        quote, bracket = match.group(1), match.group(2)
        if quote:
            return True
        if bracket:
            depth += 1 if bracket in "{(" else -1
    return depth > 0


#: Parameters that name a node of a class (the named queries' drug and condition): when a
#: query answers nothing, a value that names no such node is the likely reason, and is said.
NAMED_PARAMETERS = {"drug": "Drug", "condition": "Condition"}
_NAMES_OF_A_CLASS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?class ?name WHERE { ?node a ?class ; rdfs:label|skos:altLabel ?name }
"""


def unknown_names(store: Store, given: Mapping[str, str]) -> list[str]:
    """Notes for the ``drug`` or ``condition`` values that name no drug or condition in the
    store (by name or synonym, in any case), with close matches: an empty answer is then
    the name's doing, not the graph's."""
    from rdflib import URIRef

    from evidencegraph.ontology.namespace import EG

    notes = []
    for parameter, class_name in NAMED_PARAMETERS.items():
        value = given.get(parameter, "").strip()
        if not value or value.casefold() == "any":
            continue
        answer = store.query(_NAMES_OF_A_CLASS, {"class": URIRef(EG[class_name])})
        names = {str(row["name"]).casefold(): str(row["name"]) for row in answer.rows}
        if value.casefold() in names:
            continue
        close = difflib.get_close_matches(value.casefold(), sorted(names), n=3, cutoff=0.6)
        hint = f" Close matches: {', '.join(names[c] for c in close)}." if close else ""
        notes.append(
            f"Note: no {class_name.lower()} in the store is named {value!r} (by name or "
            f"synonym, in any case), so --param {parameter} matched nothing.{hint}"
        )
    return notes


def explain_syntax_error(message: str, text: str, where: str) -> str:
    """A syntax error shown on the query text: the line, a caret under the column the parser
    stopped at, and a plain hint. Falls back to ``where: message`` when the message names no
    line and column, or the line is not in ``text``."""
    match = _AT.match(message)
    lines = text.replace("\r\n", "\n").split("\n")
    if not match or not 1 <= int(match.group(1)) <= len(lines):
        return f"{where}: {message}"
    number, column, what = int(match.group(1)), int(match.group(2)), match.group(3).strip()
    line = lines[number - 1]
    at_end = not "".join(lines[number - 1 :])[max(column - 1, 0) :].strip()
    # the caret keeps the line's tabs so that it stands under the same character
    pad = "".join(ch if ch == "\t" else " " for ch in line[: max(column - 1, 0)])
    gutter = f"{number:>4} | "
    # the line before, for context: the parser often stops just after the mistake
    before = f"{number - 1:>4} | {lines[number - 2]}\n" if number > 1 else ""
    hint = next(h for key, h in _HINTS if key in what)
    if at_end and "prefix" not in what:
        hint = (
            "the query ends too early: a '}' or ')' is missing, or the last triple pattern "
            "is incomplete"
            if _left_open(text)
            # every bracket closed: Oxigraph reports a misspelt keyword near the end at the end
            else "the parser read to the end of the query without finding what it expected: "
            "a misspelt keyword, or a clause out of place or not allowed there"
        )
    return (
        f"{where}: SPARQL syntax error at line {number} column {column}: {what}\n"
        f"{before}{gutter}{line}\n"
        f"{' ' * (len(gutter) - 2)}| {pad}^\n"
        f"Hint: {hint}. Fix the query and run it again."
    )
