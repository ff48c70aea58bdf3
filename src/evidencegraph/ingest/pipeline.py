"""The import pipeline: records -> mapped batches -> the validation gate -> the store.

Records are read and mapped one at a time (memory stays flat however many
there are) and grouped into batches of ``batch_size`` records. Each batch goes
through the gate (SHACL, with only the neighbourhood it touches) and is
committed in one transaction. With ``on_invalid="abort"`` the import stops at
the first bad record or batch and commits nothing past the last good batch;
with ``on_invalid="skip"`` each bad record is reported and left out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal as Choice

from rdflib import Graph
from rdflib.term import Node

from evidencegraph.errors import NonConformingError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.validation import ValidationReport, single_valued_predicates
from evidencegraph.ingest.mapping import Mapped, MappingError
from evidencegraph.ingest.records import Record, RecordError

OnInvalid = Choice["abort", "skip"]
Mapper = Callable[[object, str], Mapped]
#: Records per batch unless told otherwise.
DEFAULT_BATCH_SIZE = 200


@dataclass
class Rejection:
    """A record left out: where it was, which record, why, and the shape report if any."""

    error: RecordError
    report: ValidationReport | None = None

    def __str__(self) -> str:
        return str(self.error)


@dataclass
class ImportSummary:
    """What an import did, for the closing summary and for tests."""

    records_read: int = 0
    imported: int = 0
    triples_added: int = 0
    values_replaced: int = 0
    batches_committed: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed_ids: list[str] = field(default_factory=list)
    stopped: Rejection | None = None
    uncommitted_ids: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(
        default_factory=lambda: {"read and map": 0.0, "validate": 0.0, "commit": 0.0}
    )

    @property
    def skipped(self) -> int:
        return len(self.rejected)

    def lines(self) -> list[str]:
        """The summary as lines of text for people."""
        lines = [
            f"records read: {self.records_read}",
            f"imported:     {self.imported} (in {self.batches_committed} batch(es))",
            f"skipped:      {self.skipped}",
            f"triples added: {self.triples_added}",
        ]
        if self.values_replaced:
            lines.append(f"values replaced (single-valued properties): {self.values_replaced}")
        timing = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.seconds.items())
        lines.append(f"time: {timing}")
        if self.stopped is not None:
            last = self.committed_ids[-1] if self.committed_ids else None
            lines.append(f"stopped at: {self.stopped}")
            lines.append(
                "committed: "
                + (f"{self.imported} record(s), the last {last}." if last else "nothing.")
            )
            if self.uncommitted_ids:
                lines.append(
                    f"not committed: the {len(self.uncommitted_ids)} record(s) of the open batch, "
                    f"{self.uncommitted_ids[0]} .. {self.uncommitted_ids[-1]}."
                )
            lines.append("Fix the record, or run again with --on-invalid skip.")
        return lines


@dataclass
class _Batch:
    mapped: list[Mapped] = field(default_factory=list)

    def graph(self) -> Graph:
        return _graph_of(self.mapped)


def _graph_of(records: Iterable[Mapped]) -> Graph:
    """The records' triples as one batch. For a single-valued property the last value given
    wins, within a record and across the batch, as it would record by record (decision 0008)."""
    single = single_valued_predicates()
    last: dict[tuple[Node, Node], Node] = {}
    graph = Graph()
    for record in records:
        for subject, predicate, obj in record.triples:
            if predicate in single:
                last[(subject, predicate)] = obj
            else:
                graph.add((subject, predicate, obj))
    for (subject, predicate), obj in last.items():
        graph.add((subject, predicate, obj))
    return graph


class Importer:
    """Runs records through mapping, the gate and the store; see the module docstring."""

    def __init__(
        self,
        graph: EvidenceGraph,
        mapper: Mapper,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_invalid: OnInvalid = "abort",
        on_progress: Callable[[int], None] | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be 1 or more")
        self.graph = graph
        self.mapper = mapper
        self.batch_size = batch_size
        self.on_invalid = on_invalid
        self.on_progress = on_progress
        self.summary = ImportSummary()

    def run(self, items: Iterable[Record | RecordError]) -> ImportSummary:
        """Import every record; return the summary (also when the import stopped early)."""
        batch = _Batch()
        for mapped in self._mapped(items):
            if mapped is None:
                self.summary.uncommitted_ids = [record.record_id for record in batch.mapped]
                return self.summary
            batch.mapped.append(mapped)
            if len(batch.mapped) >= self.batch_size:
                if not self._commit(batch):
                    return self.summary
                batch = _Batch()
        if batch.mapped:
            self._commit(batch)
        return self.summary

    def _mapped(self, items: Iterable[Record | RecordError]) -> Iterator[Mapped | None]:
        """Mapped records; None once an abort-mode import must stop."""
        summary = self.summary
        iterator = iter(items)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                summary.seconds["read and map"] += time.perf_counter() - started
                return
            summary.records_read += 1
            result = self._map(item)
            summary.seconds["read and map"] += time.perf_counter() - started
            if self.on_progress is not None:
                self.on_progress(1)
            if isinstance(result, Mapped):
                summary.warnings.extend(result.warnings)
                yield result
            elif not self._reject(Rejection(result)):
                yield None
                return

    def _map(self, item: Record | RecordError) -> Mapped | RecordError:
        if isinstance(item, RecordError):
            return item
        try:
            return self.mapper(item.content, item.origin)
        except MappingError as error:
            return RecordError(item.origin, str(error), _guess_id(item.content))

    def _reject(self, rejection: Rejection) -> bool:
        """Record a rejection; True when the import goes on."""
        if self.on_invalid == "skip":
            self.summary.rejected.append(rejection)
            return True
        self.summary.stopped = rejection
        return False

    def _commit(self, batch: _Batch) -> bool:
        """Validate and write one batch; False when an abort-mode import must stop."""
        try:
            self._load(batch.mapped)
            return True
        except NonConformingError as error:
            if self.on_invalid == "abort":
                self.summary.uncommitted_ids = [record.record_id for record in batch.mapped]
                self.summary.stopped = Rejection(_batch_error(batch, error), error.report)  # type: ignore[arg-type]
                return False
        # skip: find the records that break the shapes, one by one, and keep the rest
        for record in batch.mapped:
            try:
                self._load([record])
            except NonConformingError as error:
                report: ValidationReport = error.report  # type: ignore[assignment]
                self.summary.rejected.append(
                    Rejection(
                        RecordError(
                            record.origin,
                            f"{len(report.results)} shape violation(s): "
                            + "; ".join(
                                f"{r.focus_node} {r.path}: {r.message}" for r in report.results[:3]
                            ),
                            record.record_id,
                        ),
                        report,
                    )
                )
        return True

    def _load(self, records: list[Mapped]) -> None:
        result = self.graph.load(_graph_of(records), replace_single_values=True)
        summary = self.summary
        summary.seconds["validate"] += result.validate_seconds
        summary.seconds["commit"] += result.commit_seconds
        summary.imported += len(records)
        summary.triples_added += result.triples_added
        summary.values_replaced += result.values_replaced
        summary.batches_committed += 1
        summary.committed_ids.extend(record.record_id for record in records)


def _batch_error(batch: _Batch, error: NonConformingError) -> RecordError:
    first, last = batch.mapped[0], batch.mapped[-1]
    report: ValidationReport = error.report  # type: ignore[assignment]
    details = "; ".join(f"{r.focus_node} {r.path}: {r.message}" for r in report.results[:3])
    return RecordError(
        first.origin if first is last else f"{first.origin} .. {last.origin}",
        f"the batch breaks the shapes ({len(report.results)} violation(s)): {details}",
    )


def _guess_id(content: object) -> str:
    """The record's id when one can be seen, for messages about a record that failed."""
    if isinstance(content, dict):
        identification = content.get("protocolSection", {})
        if isinstance(identification, dict):
            nct = identification.get("identificationModule", {})
            if isinstance(nct, dict) and isinstance(nct.get("nctId"), str):
                return str(nct["nctId"])
    return ""
