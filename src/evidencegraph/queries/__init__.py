"""Named SPARQL queries: one ``.rq`` file each, with a header, and safe parameter binding.

A query file opens with comment lines that declare it::

    # title: Trials that pair a drug with a psychotherapy in the same arm
    # description: Competency question 1. ...
    # param: drug literal ketamine -- the drug's name, matched case-insensitively
    # param: condition literal any -- only trials of this condition; any: every one

``param`` lines read ``NAME KIND [DEFAULT] -- DESCRIPTION``; KIND is one of
``literal``, ``iri``, ``integer``, ``decimal`` or ``term`` (any RDF term in
Turtle syntax). A parameter without a default is required; the default ``""``
is the empty string. A parameter the user may leave out takes a default that
means "no restriction" (the flagship's ``condition`` defaults to ``any``), tested
in a branch of its own: a value reads the same under substitution and under
``VALUES``, where a test of ``BOUND`` does not.
Values are turned into RDF terms and bound to the variable of the same name,
never pasted into the query text: by SPARQL SEP-0007 substitution when the
SELECT projects the variable, and otherwise by ``VALUES`` written into every
group where it is in scope (:meth:`NamedQuery.prepare`), so a parameter need
not be projected. docs/queries.md is the user's guide to the header.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
from rdflib import XSD, Literal, URIRef
from rdflib.term import Node, _is_valid_uri

from evidencegraph.errors import InputError, ParameterError, QuerySyntaxError, UnknownQueryError
from evidencegraph.ontology.name_keys import name_key
from evidencegraph.ontology.namespace import PREFIXES
from evidencegraph.rdf.terms import quiet_rdflib, to_oxigraph
from evidencegraph.store.core import describe_syntax_error
from evidencegraph.store.values_binding import bind_by_values, query_form, tokenize, uses_service

PARAM_KINDS = ("literal", "iri", "integer", "decimal", "term")
#: How a header writes the empty string as a default.
EMPTY_DEFAULT = '""'
_HEADER = re.compile(r"^#\s*(title|description|param|key)\s*:\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<kind>\w+)(?:\s+(?P<default>.*?))?\s*--\s*(?P<doc>.+)$"
)


@dataclass(frozen=True)
class Parameter:
    """A declared query parameter: its variable name, kind, default and description."""

    name: str
    kind: str
    default: str | None
    description: str

    @property
    def required(self) -> bool:
        """A parameter without a default must be given."""
        return self.default is None

    def to_term(self, value: str) -> Node:
        """Turn a command-line value into the RDF term this parameter binds.

        Raises ParameterError when the value is not a valid term of the kind.
        """
        return _TERM_PARSERS[self.kind](self.name, value)


@dataclass(frozen=True)
class NamedQuery:
    """A parsed ``.rq`` file: name, title, description, declared parameters and text."""

    name: str
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = field(default=())
    path: str = ""
    #: literal parameters whose name key (decision 0028) the text uses as ``?NAMEKey``
    keyed: tuple[str, ...] = field(default=())

    def describe(self, *, with_text: bool = False) -> dict[str, object]:
        """Name, title, description and parameters (and the text) as JSON-ready values."""
        described: dict[str, object] = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameters": [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "default": p.default,
                    "description": p.description,
                }
                for p in self.parameters
            ],
        }
        if with_text:
            described["text"] = self.text
        return described

    def bind(self, values: Mapping[str, str]) -> dict[str, Node]:
        """RDF terms for every parameter: the given values, else the defaults.

        Raises ParameterError for an undeclared name, a missing required value
        or a value that is not a valid term.
        """
        declared = {parameter.name: parameter for parameter in self.parameters}
        for name in values:
            if name not in declared:
                listed = ", ".join(declared) or "none"
                raise ParameterError(
                    f"query {self.name!r} declares no parameter {name!r} (it declares: {listed}); "
                    f"see `evidencegraph queries` for each query's parameters"
                )
        bound: dict[str, Node] = {}
        for parameter in self.parameters:
            raw = values.get(parameter.name, parameter.default)
            if raw is None:
                raise ParameterError(
                    f"query {self.name!r} needs --param {parameter.name}=VALUE "
                    f"({parameter.description})"
                )
            bound[parameter.name] = parameter.to_term(raw)
        return bound

    def prepare(self, values: Mapping[str, str]) -> tuple[str, dict[str, Node]]:
        """The text to run and the terms to substitute, whatever the projection.

        Parameters the SELECT projects are left to SEP-0007 substitution (the
        rows then say what was asked); any other parameter, which substitution
        refuses, is bound by ``VALUES`` in every group where it is in scope,
        the same rewrite a ``sparql:`` store makes (store/values_binding.py). The
        ``# key:`` parameters' name keys are written into the text as constants
        (decision 0028).
        Raises ParameterError as :meth:`bind` does, QuerySyntaxError when the
        text does not parse (line and column of the text as written).
        """
        bound = self.bind(values)
        # each `# key:` parameter's key: SPARQL's LCASE of the name (ontology/name_keys.py)
        keys = {name + "Key": Literal(name_key(str(bound[name])).value) for name in self.keyed}
        text = _with_constants(self.text, tuple(sorted(keys.items())))
        projected = _projected_variables(text)
        if projected is None:
            return text, bound
        inline = {name: term for name, term in bound.items() if name not in projected}
        if not inline:
            return text, bound
        text = _bound_inline(text, tuple(sorted(inline.items())))
        return text, {name: term for name, term in bound.items() if name in projected}


# The rewrites below read the text token by token and parse it once on an empty store: 1 to
# 4 ms a query, as much as the flagship itself takes to answer at 100,000 studies (issue 21).
# Each is a function of its arguments alone, so a query run again with the same values (a
# page, a client polling, a benchmark) takes the text made the first time.


@functools.lru_cache(maxsize=256)
def _bound_inline(text: str, inline: tuple[tuple[str, Node], ...]) -> str:
    """The query with each of ``inline`` bound by ``VALUES`` (and added to the GROUP BY keys
    where it is used after the WHERE group: :func:`_grouped_by`)."""
    text = _grouped_by(text, frozenset(name for name, _term in inline))
    return bind_by_values(text, {name: to_oxigraph(term) for name, term in inline})


@functools.lru_cache(maxsize=256)
def _with_constants(text: str, terms: tuple[tuple[str, Node], ...]) -> str:
    """The query with each variable of ``terms`` written as that term, wherever it occurs.

    For the name keys (``# key:``, decision 0028): a key bound by substitution or ``VALUES``
    is joined by Oxigraph after reading every key, a constant is one index lookup. The key
    is a variable local to its lookup's sub-select (never projected, so the text stays valid);
    the term is written by pyoxigraph's N-Triples serialiser (decision 0011), so no caller
    text reaches the query.
    """
    if not terms:
        return text
    written = {name: str(to_oxigraph(term)) for name, term in terms}
    pieces, at = [], 0
    for token in tokenize(text):
        if token.kind == "variable" and token.text[1:] in written:
            pieces += [text[at : token.start], written[token.text[1:]]]
            at = token.end
    return "".join(pieces) + text[at:]


def _grouped_by(text: str, names: frozenset[str]) -> str:
    """The query with each of ``names`` used after its WHERE group (in HAVING, ORDER BY or
    the GROUP BY itself) added to its GROUP BY keys.

    VALUES binds a parameter inside the WHERE group; grouping then drops every variable
    that is not a key, so ``HAVING (COUNT(?a) > ?n)`` saw ?n unbound and kept no group.
    A parameter has one value, so grouping by it too changes no group.
    """
    tokens = tokenize(text)
    form = next((i for i, t in enumerate(tokens) if t.keyword == "SELECT"), None)
    opening = next((i for i in range(form or 0, len(tokens)) if tokens[i].text == "{"), None)
    if form is None or opening is None:
        return text
    depth, close = 0, len(tokens)
    for index in range(opening, len(tokens)):
        depth += {"{": 1, "}": -1}.get(tokens[index].text, 0)
        if depth == 0:
            close = index
            break
    tail = tokens[close + 1 :]
    used = {t.text[1:] for t in tail if t.kind == "variable"} & names
    by = next(
        (
            i
            for i in range(len(tail) - 1)
            if tail[i].keyword == "GROUP" and tail[i + 1].keyword == "BY"
        ),
        None,
    )
    if not used or by is None:
        return text
    after = tail[by + 1].end
    return text[:after] + "".join(f" ?{name}" for name in sorted(used)) + text[after:]


@functools.lru_cache(maxsize=256)
def _projected_variables(text: str) -> frozenset[str] | None:
    """The variables a SELECT query projects (None for ASK, CONSTRUCT and DESCRIBE, which
    substitution binds whatever they mention), as pyoxigraph reads them on an empty store.
    Raises QuerySyntaxError when the text does not parse."""
    if query_form(text) != "SELECT" or uses_service(text):
        return None  # nothing to project; and an empty store must never call a SERVICE
    try:
        answer = ox.Store().query(text)
    except SyntaxError as error:
        raise QuerySyntaxError(describe_syntax_error(str(error))) from None
    except (RuntimeError, OSError, ValueError):
        return None  # evaluation trouble on an empty store: let the real run report it
    if not isinstance(answer, ox.QuerySolutions):
        return None
    return frozenset(variable.value for variable in answer.variables)


def parse_query(text: str, name: str, path: str = "") -> NamedQuery:
    """Parse a query's header. Raises InputError for a malformed header line."""
    fields: dict[str, list[str]] = {"title": [], "description": []}
    parameters: list[Parameter] = []
    keyed: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _HEADER.match(stripped)
        if not match:
            continue
        key, value = match.groups()
        if key == "key":
            keyed.append(value.strip())
            continue
        if key != "param":
            fields[key].append(value.strip())
            continue
        param = _PARAM.match(value.strip())
        if not param or param["kind"] not in PARAM_KINDS:
            raise InputError(
                f"{path or name}:{number}: malformed parameter line {line.strip()!r}; "
                f"write '# param: NAME KIND [DEFAULT] -- DESCRIPTION' with KIND one of "
                f"{', '.join(PARAM_KINDS)}"
            )
        default = param["default"] or None
        if default == EMPTY_DEFAULT:
            default = ""
        parameter = Parameter(param["name"], param["kind"], default, param["doc"].strip())
        if parameter.default:
            try:  # a default that is not a valid term is the file's mistake: say so on its line
                parameter.to_term(parameter.default)
            except ParameterError as error:
                raise InputError(f"{path or name}:{number}: the default of {error}") from None
        parameters.append(parameter)
    literal = {p.name for p in parameters if p.kind == "literal"}
    unknown = [name for name in keyed if name not in literal]
    if unknown:
        raise InputError(
            f"{path or name}: '# key: {unknown[0]}' names no literal parameter; a key line "
            "names a literal parameter whose name key the text uses as ?NAMEKey"
        )
    return NamedQuery(
        name=name,
        title=" ".join(fields["title"]) or name,
        description=" ".join(fields["description"]),
        text=text,
        parameters=tuple(parameters),
        path=path,
        keyed=tuple(keyed),
    )


def read_query_file(path: Path) -> NamedQuery:
    """Parse a ``.rq`` file of the user's. Raises InputError when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the query file: {error}") from None
    return parse_query(text, path.stem, str(path))


@functools.cache
def library() -> dict[str, NamedQuery]:
    """Every packaged named query, by name."""
    folder = resources.files("evidencegraph.queries")
    queries = {}
    for entry in sorted(folder.iterdir(), key=lambda f: f.name):
        if entry.name.endswith(".rq"):
            name = entry.name.removesuffix(".rq")
            queries[name] = parse_query(entry.read_text(encoding="utf-8"), name, entry.name)
    return queries


def get_query(name: str) -> NamedQuery:
    """The named query ``name``. Raises UnknownQueryError suggesting close matches."""
    queries = library()
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownQueryError(
        f"no named query {name!r}.{hint} Run `evidencegraph queries` to list them, "
        "or pass a .rq file path."
    )


# --- parameter values -> RDF terms ----------------------------------------------


def _literal(name: str, value: str) -> Node:
    if value.startswith("<") and value.endswith(">"):
        raise ParameterError(
            f"--param {name}={value!r} looks like an IRI, but {name} takes a literal (a name): "
            f"give the text itself, e.g. --param {name}=ketamine"
        )
    return Literal(value)


def _iri(name: str, value: str) -> Node:
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", text) or not _is_valid_uri(text):
        raise ParameterError(
            f"--param {name}={value!r} is not a valid IRI: give an absolute IRI "
            f"(https://...), <IRI>, or a CURIE with a known prefix ({', '.join(PREFIXES)})"
        )
    return URIRef(text)


def _integer(name: str, value: str) -> Node:
    if not re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        raise ParameterError(f"--param {name}={value!r} is not an integer")
    return Literal(int(value), datatype=XSD.integer)


def _decimal(name: str, value: str) -> Node:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise ParameterError(f"--param {name}={value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ParameterError(f"--param {name}={value!r} is not a finite decimal number")
    return Literal(number, datatype=XSD.decimal)


def _term(name: str, value: str) -> Node:
    from rdflib import Graph

    text = value.strip()
    if not text.startswith(('"', "<", "'")) and not re.fullmatch(
        r"[+-]?[0-9.eE+-]+|true|false", text
    ):
        # a CURIE or a bare IRI
        return _iri(name, text)
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
    try:
        with quiet_rdflib():
            graph = Graph().parse(data=f"{prefixes}<urn:x:s> <urn:x:p> {text} .", format="turtle")
    except Exception:
        raise ParameterError(
            f"--param {name}={value!r} is not a valid RDF term: write an IRI (<...> or a CURIE), "
            'a literal ("text", "text"@en, "5"^^xsd:integer), a number or true/false'
        ) from None
    objects = list(graph.objects())
    if len(objects) != 1:
        raise ParameterError(f"--param {name}={value!r} is not a single RDF term")
    term = objects[0]
    try:  # the store's own term constructors are the judge of a valid IRI, language or datatype
        to_oxigraph(term)
    except ValueError as error:
        raise ParameterError(f"--param {name}={value!r} is not a valid RDF term: {error}") from None
    return term


_TERM_PARSERS = {
    "literal": _literal,
    "iri": _iri,
    "integer": _integer,
    "decimal": _decimal,
    "term": _term,
}
