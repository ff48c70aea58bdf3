"""Option values shared by several commands (kept free of heavy imports for fast --help)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

import click

from evidencegraph.errors import ParameterError

FC = TypeVar("FC", bound=Callable[..., object])

#: RDF syntaxes accepted on input (see evidencegraph.rdf.files.RDF_SYNTAXES).
RDF_INPUT_FORMATS = ("turtle", "nt", "nq", "trig", "n3", "rdfxml", "jsonld")
#: SPARQL results formats, plus a table for people.
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")
#: RDF syntaxes for graph output, mapped to rdflib serializer names.
RDF_OUTPUT_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
#: ``export --format`` choices (evidencegraph.export.formats.FORMATS, which imports networkx).
EXPORT_FORMATS = (
    "turtle",
    "nt",
    "nq",
    "trig",
    "jsonld",
    "rdfxml",
    "csv",
    "dot",
    "graphml",
    "gexf",
    "svg",
    "png",
    "html",
)
#: ``export --max-triples`` default (evidencegraph.export.select.DEFAULT_MAX_TRIPLES).
DEFAULT_MAX_TRIPLES = 200_000


def format_option(
    choices: Sequence[str], default: str, help: str | None = None
) -> Callable[[FC], FC]:
    """The ``--format`` option every command shares, stored as ``output_format``."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help=help,
    )


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def absolute_iri(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: ``value`` if it is an absolute IRI (with a scheme), else a usage
    error saying so."""
    if value is None:
        return None
    import pyoxigraph as ox

    try:
        if not _SCHEME.match(value):
            raise ValueError("no scheme")
        ox.NamedNode(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an absolute URL (an IRI with a scheme, for example "
            "https://example.org/data/)"
        ) from None
    return value


def base_option(help: str) -> Callable[[FC], FC]:
    """The ``--base IRI`` option of the commands that read RDF files, stored as ``base``."""
    return click.option("--base", "base", metavar="IRI", callback=absolute_iri, help=help)


def param_option(help: str) -> Callable[[FC], FC]:
    """The repeatable ``--param NAME=VALUE`` option, stored as ``params`` (see
    :func:`parse_params`)."""
    return click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=help)


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--param NAME=VALUE`` pairs as a dict; ParameterError for a pair that is not one."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise ParameterError(
                f"--param {pair!r} is not NAME=VALUE (for example --param drug=ketamine)"
            )
        params[name.strip()] = value
    return params
