"""Which store a command uses when none is named: kept free of imports for a fast --help."""

from __future__ import annotations

import os

#: The embedded store's directory when neither --store nor EVIDENCEGRAPH_STORE names one.
DEFAULT_PATH = "./evidencegraph.db"
#: The store used when neither --store nor EVIDENCEGRAPH_STORE says otherwise.
DEFAULT_DESCRIPTOR = f"oxigraph:{DEFAULT_PATH}"
#: The environment variable that names the store.
STORE_ENV = "EVIDENCEGRAPH_STORE"


def resolve_descriptor(descriptor: str | None) -> str:
    """The descriptor in force: the argument, else $EVIDENCEGRAPH_STORE, else the default."""
    return descriptor or os.environ.get(STORE_ENV) or DEFAULT_DESCRIPTOR
