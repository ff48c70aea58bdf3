"""Differences between the Python versions the package supports (3.10 and later)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - exercised only on Python 3.10
    from importlib.abc import Traversable

__all__ = ["Traversable"]
