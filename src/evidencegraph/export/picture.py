"""Pictures of an export: Graphviz draws the DOT graph as SVG or PNG, and an HTML page wraps
the SVG with pan, zoom and search, with nothing fetched from elsewhere."""

from __future__ import annotations

import functools
import html as html_text
import shutil
import subprocess
from collections.abc import Sequence

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from evidencegraph.errors import InputError
from evidencegraph.ontology.namespace import EGV
from evidencegraph.ontology.naming import predicate_label

#: fill colour per class (CURIE); anything else is grey
_COLOURS = {
    "eg:Trial": "#8dd3c7",
    "eg:Study": "#8dd3c7",
    "eg:ObservationalStudy": "#8dd3c7",
    "eg:Arm": "#ffffb3",
    "eg:DrugIntervention": "#bebada",
    "eg:Psychotherapy": "#bebada",
    "eg:BehavioralIntervention": "#bebada",
    "eg:Placebo": "#bebada",
    "eg:Intervention": "#bebada",
    "eg:Drug": "#d9d9f3",
    "eg:Condition": "#fb8072",
    "eg:Outcome": "#80b1d3",
    "eg:Finding": "#fdb462",
    "eg:Claim": "#fccde5",
    "eg:JournalArticle": "#b3de69",
    "eg:RegistryRecord": "#b3de69",
    "eg:WebArticle": "#ccebc5",
    "eg:PressRelease": "#ccebc5",
    "eg:Report": "#ccebc5",
    "eg:Risk": "#ffed6f",
    "eg:Person": "#d9d9d9",
    "eg:Organization": "#d9d9d9",
}
_OTHER = "#f0f0f0"
#: fill colour of a claim per verification status (a claim with none keeps the claim colour):
#: green holds, red does not, amber half, grey nobody knows
_STATUS_COLOURS = {
    str(EGV.Confirmed): "#5aae61",
    str(EGV.Contested): "#fdae61",
    str(EGV.AmbiguousReferent): "#fee08b",
    str(EGV.Misreported): "#f46d43",
    str(EGV.Unsupported): "#d73027",
    str(EGV.Unverified): "#bdbdbd",
}
_TIMEOUT_SECONDS = 120


def colour(kind: str) -> str:
    """The fill colour of a node of class ``kind`` (a CURIE)."""
    return _COLOURS.get(kind, _OTHER)


def status_colour(status: str) -> str:
    """The fill colour of a claim with verification status ``status`` (an IRI)."""
    return _STATUS_COLOURS.get(status, colour("eg:Claim"))


def legend(shown: set[str]) -> str:
    """A Graphviz HTML-like table: a swatch and a name for each class (CURIE) and each
    claim verification status (IRI) in ``shown``, classes first."""
    statuses = sorted((s for s in shown if s in _STATUS_COLOURS), key=list(_STATUS_COLOURS).index)
    rows = [
        (colour(kind), predicate_label(kind))
        for kind in sorted(shown - set(statuses), key=lambda k: (colour(k) == _OTHER, k))
    ]
    rows += [(status_colour(status), f"claim: {predicate_label(status)}") for status in statuses]
    cells = "".join(
        f'<tr><td bgcolor="{fill}" width="16"> </td>'
        f'<td align="left">{html_text.escape(name, quote=False)}</td></tr>'
        for fill, name in rows
    )
    title = '<tr><td colspan="2"><b>legend</b></td></tr>'
    return f'<table border="0" cellspacing="2">{title}{cells}</table>'


def render(dot: bytes, fmt: str) -> bytes:
    """Graphviz's drawing of a DOT graph, as ``svg`` or ``png``."""
    program = shutil.which("dot")
    if program is None:
        raise InputError(
            f"--format {fmt} needs Graphviz's `dot` program, which is not installed: install "
            "Graphviz (Debian: apt-get install graphviz), or export --format dot and draw it "
            "elsewhere"
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"], input=dot, capture_output=True, timeout=_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"Graphviz took more than {_TIMEOUT_SECONDS} s to draw the export: export fewer "
            "nodes (fewer --hops), or --format dot"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise InputError(f"Graphviz could not draw the export: {message}")
    return done.stdout


def html(quads: Sequence[ox.Quad], svg: bytes) -> bytes:
    """A page holding the picture (drag to pan, wheel to zoom, search by name) and the triples,
    rendered from ``export/templates/export.html`` with autoescaping: every name and term is
    escaped, and only Graphviz's SVG is put in as it is."""
    picture = svg.decode("utf-8")
    picture = picture[picture.index("<svg") :]  # no XML prologue inside HTML
    rows = [tuple(str(term) for term in (q.subject, q.predicate, q.object)) for q in quads]
    page = _templates().get_template("export.html")
    return page.render(svg=Markup(picture), rows=rows, count=f"{len(quads):,}").encode("utf-8")


@functools.cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("evidencegraph.export", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
