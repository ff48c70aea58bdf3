"""Values read from parsed JSON records: nested lookups, numbers, registry codes.

What the ClinicalTrials.gov mappings (ingest/ctgov.py, ingest/ctgov_results.py) share to
read a study's JSON; a value of the wrong kind reads as missing, never raises.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

#: Numbers of more digits before or after the point are left out: no clinical value has them,
#: and ``int(Decimal("1e999999999"))`` alone would take gigabytes.
_MAX_EXPONENT = 40


def get(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...``, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def get_list(data: Any, *keys: str) -> list[Any]:
    """The list at ``keys``, or an empty list where there is none."""
    value = get(data, *keys)
    return value if isinstance(value, list) else []


def decimal(text: object) -> Decimal | None:
    """A number given as JSON number or text (thousands separators allowed), or None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        text = str(text)
    if not isinstance(text, str):
        return None
    text = text.strip()
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")  # thousands separators; a decimal comma is not a number
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or (value and abs(value.adjusted()) > _MAX_EXPONENT):
        return None
    return value


def integer(text: object) -> int | None:
    """A whole number given as JSON number or text, or None."""
    value = decimal(text)
    return int(value) if value is not None and value == value.to_integral_value() else None


def code(text: object) -> str:
    """Registry enumerations in either spelling: ``Full Range`` and ``FULL_RANGE`` agree."""
    return re.sub(r"[^A-Z0-9]+", "_", str(text).upper()).strip("_")
