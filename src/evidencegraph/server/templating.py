"""The Jinja2 environment every HTML page of the server is rendered in.

The templates are package data (``server/templates/*.html``). Autoescaping is on for all of
them: every value a template prints is escaped unless it is :class:`markupsafe.Markup` (what a
macro or another template rendered). Values are escaped as :func:`html.escape` does
(``&#x27;`` and ``&quot;`` in attributes), as the pages always were.
"""

from __future__ import annotations

import functools
import html
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


def _escaped(value: Any) -> Markup:
    """What a template prints for ``value``: markup as it is, anything else escaped."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


@functools.cache
def environment() -> Environment:
    """The templates' environment, made once per process."""
    return Environment(
        loader=PackageLoader("evidencegraph.server", "templates"),
        autoescape=True,
        finalize=_escaped,
        undefined=StrictUndefined,  # a misspelt name fails the page, not shows nothing
        auto_reload=False,  # package data: it does not change under a running server
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **values: Any) -> str:
    """The template ``name`` rendered with ``values``."""
    return environment().get_template(name).render(**values)
