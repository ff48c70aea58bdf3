"""The error hierarchy: every error says what was wrong, where, and what to do.

Exit codes follow pySHACL's convention and are documented in the README:
0 success, 1 the data does not conform to the shapes, 2 usage error,
3 input or store error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


class EvidenceGraphError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = EXIT_ERROR


class UsageError(EvidenceGraphError):
    """The caller asked for something that does not exist or is malformed (exit 2)."""

    exit_code = EXIT_USAGE


class InputError(EvidenceGraphError):
    """An input file or record cannot be read (exit 3)."""


class StoreError(EvidenceGraphError):
    """The store cannot be opened, read or written (exit 3)."""


class OutputError(EvidenceGraphError):
    """An output file or directory cannot be written (exit 3); nothing half-written is left."""


class QuerySyntaxError(UsageError):
    """A SPARQL query does not parse; the message carries line and column."""


class UnknownQueryError(UsageError):
    """No named query has that name; the message suggests close matches."""


class ParameterError(UsageError):
    """A query parameter is undeclared, missing, or not a valid RDF term."""


class NonConformingError(EvidenceGraphError):
    """A batch violates the shapes; it was rejected whole and nothing was written (exit 1)."""

    exit_code = EXIT_NONCONFORMING

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        #: The :class:`~evidencegraph.graph.validation.ValidationReport` of the rejected batch.
        self.report = report
