"""The error hierarchy: every error says what was wrong, where, and what to do.

Exit codes follow pySHACL's convention and are documented in the README:
0 success, 1 the data does not conform to the shapes, 2 usage error,
3 input or store error.
"""

from __future__ import annotations

from typing import Protocol

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


class StoreNeedsUpgradeError(StoreError):
    """The store was written by an earlier version and lacks what a query relies on (exit 3);
    the message names the command that upgrades it (:data:`UPGRADE_COMMAND`)."""


#: What upgrades a store written before the name keys (decision 0028) or before the marks
#: of the values the view does not show (decision 0030).
UPGRADE_COMMAND = "evidencegraph upgrade-keys"


class OutputError(EvidenceGraphError):
    """An output file or directory cannot be written (exit 3); nothing half-written is left."""


class QuerySyntaxError(UsageError):
    """A SPARQL query does not parse; the message carries line and column."""


class UnknownQueryError(UsageError):
    """No named query has that name; the message suggests close matches."""


class ParameterError(UsageError):
    """A query parameter is undeclared, missing, or not a valid RDF term."""


class MappingError(InputError):
    """A record an importer cannot map (not a study, no identifier, a field of the wrong
    type); says why, and which record when its id is known (exit 3)."""

    def __init__(self, message: str, record_id: str = "") -> None:
        super().__init__(message)
        self.record_id = record_id


class RecordError(InputError):
    """A record that cannot be imported: where it is, which record, and why (exit 3).

    Readers yield these among the records they read (they are values as much as errors: an
    import in skip mode reports each and goes on); two are equal when they say the same.
    """

    def __init__(self, origin: str, reason: str, record_id: str = "") -> None:
        super().__init__(origin, reason, record_id)  # the arguments, so that it pickles
        self.origin = origin
        self.reason = reason
        self.record_id = record_id

    def __str__(self) -> str:
        where = f"{self.origin} ({self.record_id})" if self.record_id else self.origin
        return f"{where}: {self.reason}"

    def __repr__(self) -> str:
        return f"RecordError({self.origin!r}, {self.reason!r}, {self.record_id!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordError):
            return NotImplemented
        return (self.origin, self.reason, self.record_id) == (
            other.origin,
            other.reason,
            other.record_id,
        )

    def __hash__(self) -> int:
        return hash((self.origin, self.reason, self.record_id))


class Report(Protocol):
    """What an error needs of a validation report (the class itself,
    :class:`~evidencegraph.validation.shacl.ValidationReport`, sits in a layer above this
    module, which every layer imports)."""

    @property
    def conforms(self) -> bool: ...

    def table(self) -> str:
        """The results as a table for people."""
        ...


class NonConformingError(EvidenceGraphError):
    """A batch violates the shapes; it was rejected whole and nothing was written (exit 1)."""

    exit_code = EXIT_NONCONFORMING

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        #: The :class:`~evidencegraph.validation.shacl.ValidationReport` of the rejected batch.
        self.report = report
