"""A parsed JSON value checked against a JSON Schema subset, compiled once into closures.

The importers check each record's shape before mapping it (ctgov_shape.json). The subset is
what such a shape needs: ``type`` (a name or a list of names), ``properties``, ``required``,
``items`` and ``$ref`` to ``#/definitions/NAME``; other keywords (``$schema``, ``$comment``)
are ignored. Only the listed properties are looked at, so a check costs about what reading
those fields costs. (fastjsonschema, which compiles full JSON Schema, spent 1 ms on a
synthetic study here, more than mapping it: it builds the set of every object's keys.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: JSON Schema type names -> the Python types json.loads gives them
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
    "boolean": (bool,),
}
#: JSON Schema type names as people read them
KINDS = {
    "string": "text",
    "number": "a number",
    "integer": "an integer",
    "object": "an object",
    "array": "a list",
    "null": "null",
    "boolean": "true or false",
}
_MISSING = object()

Check = Callable[[object], None]


class ShapeError(Exception):
    """A value of a JSON type its place does not take; where it is, what it is, what is."""

    def __init__(self, value: object, expected: tuple[str, ...]):
        super().__init__()
        self.value = value
        self.expected = expected
        #: keys and list indexes from the top, filled in as the error leaves each level
        self.path: list[str | int] = []

    def where(self) -> str:
        """The path as ``protocolSection.armGroups[2].label``."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text or "(the record)"

    def found(self) -> str:
        """What the value is, for people."""
        value = self.value
        if value is _MISSING:
            return "nothing"
        if isinstance(value, bool):
            return f"{str(value).lower()} (a boolean)"
        for name in ("null", "string", "number", "array", "object"):
            if isinstance(value, _TYPES[name]):
                return KINDS[name]
        return type(value).__name__

    def __str__(self) -> str:
        expected = " or ".join(KINDS.get(name, name) for name in self.expected)
        return f"{self.where()} holds {self.found()} where {expected} is expected"


def compile_shape(schema: Mapping[str, Any]) -> Check:
    """A function that returns None for a value of the schema's shape and raises ShapeError
    for the first value that is not (depth first, in the order the schema lists them)."""
    definitions: Mapping[str, Any] = schema.get("definitions", {})
    built: dict[str, Check] = {}

    def build(node: Mapping[str, Any]) -> Check:
        reference = node.get("$ref")
        if reference is not None:
            name = str(reference).removeprefix("#/definitions/")
            if name not in built:
                built[name] = build(definitions[name])
            return built[name]
        return _compile_node(node, build)

    return build(schema)


def _compile_node(node: Mapping[str, Any], build: Callable[[Mapping[str, Any]], Check]) -> Check:
    names = node.get("type", ())
    names = (names,) if isinstance(names, str) else tuple(names)
    allowed = tuple(kind for name in names for kind in _TYPES[name])
    # bool is an int to Python, not a number to JSON
    refuse_bool = bool(allowed) and "boolean" not in names
    properties = tuple((key, build(sub)) for key, sub in node.get("properties", {}).items())
    required = tuple(node.get("required", ()))
    items = build(node["items"]) if "items" in node else None

    def check(value: object) -> None:
        if allowed and (
            not isinstance(value, allowed) or (refuse_bool and isinstance(value, bool))
        ):
            raise ShapeError(value, names)
        if isinstance(value, dict):
            for key in required:
                if key not in value:
                    error = ShapeError(_MISSING, ("object",))
                    error.path.append(key)
                    raise error
            for key, sub in properties:
                child = value.get(key, _MISSING)
                if child is _MISSING:
                    continue
                try:
                    sub(child)
                except ShapeError as error:
                    error.path.insert(0, key)
                    raise
        elif items is not None and isinstance(value, list):
            for index, child in enumerate(value):
                try:
                    items(child)
                except ShapeError as error:
                    error.path.insert(0, index)
                    raise

    return check
