"""The import pipeline: records -> mapped batches -> the validation gate -> the store.

Records are read and mapped one at a time (memory stays flat however many
there are) and grouped into batches of ``batch_size`` records. Each batch goes
through the gate (SHACL, with only the neighbourhood it touches) and is
committed in one transaction. With ``on_invalid="abort"`` the import stops at
the first bad record or batch and commits nothing past the last good batch;
with ``on_invalid="skip"`` each bad record is reported and left out.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal as Choice

import pyoxigraph as ox

from evidencegraph.errors import EvidenceGraphError, StoreError
from evidencegraph.graph.batch_gate import PreparedBatch, batch_quads, commit, judge, prepare
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.validation import ValidationReport
from evidencegraph.ingest.mapping import Mapped, MappingError
from evidencegraph.ingest.records import Record, RecordError

OnInvalid = Choice["abort", "skip"]
Mapper = Callable[[object, str], Mapped]
#: Where a failure of the store or the engine, not of a record, is said to be.
_THE_IMPORT = "the import"
#: Records per batch unless told otherwise.
DEFAULT_BATCH_SIZE = 100


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
        default_factory=lambda: {
            "read and map": 0.0,
            "validate": 0.0,
            "waiting for validation": 0.0,
            "commit": 0.0,
            "waiting for commit": 0.0,
            "wall": 0.0,
        }
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
        seconds = self.seconds
        lines.append(
            f"time: {seconds['wall']:.2f} s; read and map {seconds['read and map']:.2f} s, "
            f"validate {seconds['validate']:.2f} s (on a second thread while reading goes on; "
            f"waited {seconds['waiting for validation']:.2f} s), commit {seconds['commit']:.2f} s "
            f"(on a writer thread; waited {seconds['waiting for commit']:.2f} s)"
        )
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
            if self.stopped.error.origin == _THE_IMPORT:
                lines.append("Run the import again once that is fixed: it adds no duplicates.")
            else:
                lines.append("Fix the record, or run again with --on-invalid skip.")
        return lines


@dataclass
class _Batch:
    """Mapped records, then their prepared quads, verdict and write as the batch moves on."""

    mapped: list[Mapped] = field(default_factory=list)
    prepared: PreparedBatch | None = None
    verdict: Future[tuple[ValidationReport, float]] | None = None
    #: the write on the writer thread, once the batch has been judged good
    written: Future[float] | None = None

    def quads(self) -> list[ox.Quad]:
        return batch_quads(triple for record in self.mapped for triple in record.triples)

    @property
    def ids(self) -> list[str]:
        return [record.record_id for record in self.mapped]


class Importer:
    """Runs records through mapping, the gate and the store; see the module docstring.

    Three threads share the work, and the batches move through them in order:
    while the main thread reads and maps batch k+1, a judge thread validates
    batch k (rudof) and a writer thread writes batch k-1. Batch k+1 is
    prepared as if every batch before it were written, before their verdicts
    are in; a batch found bad voids those prepared after it, which are
    prepared again. Both rudof and pyoxigraph's transactional write release
    the GIL. Writes go in order, one at a time, and stop at the first failure.
    """

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
        self.store = graph.store
        self.mapper = mapper
        self.batch_size = batch_size
        self.on_invalid = on_invalid
        self.on_progress = on_progress
        self.summary = ImportSummary()
        #: batches prepared but not yet written, oldest first
        self._unwritten: deque[_Batch] = deque()
        self._write_failed = threading.Event()

    def run(self, items: Iterable[Record | RecordError]) -> ImportSummary:
        """Import every record; return the summary (also when the import stopped early)."""
        started = time.perf_counter()
        try:
            with (
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate") as judges,
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer") as writers,
            ):
                self._judges, self._writers = judges, writers
                try:
                    self._run(items)
                finally:
                    self._settle(all_writes=True)  # whatever happened, count what was written
        except EvidenceGraphError as error:  # a store or engine failure: say what was written
            self.summary.stopped = Rejection(RecordError(_THE_IMPORT, str(error)))
            raise
        finally:
            self.summary.seconds["wall"] = time.perf_counter() - started
        return self.summary

    def _run(self, items: Iterable[Record | RecordError]) -> None:
        batch = _Batch()
        for mapped in self._mapped(items):
            if mapped is None:  # an abort-mode import stops at a bad record
                if self._resolve(keep=0):  # good batches before it are still written
                    self.summary.uncommitted_ids += batch.ids
                return
            batch.mapped.append(mapped)
            if len(batch.mapped) >= self.batch_size:
                if not self._advance(batch):
                    return
                batch = _Batch()
        if batch.mapped and not self._advance(batch):
            return
        self._resolve(keep=0)

    def _advance(self, batch: _Batch) -> bool:
        """Hand a full batch to the judge, then take the verdict of the one before it.

        False when the import must stop.
        """
        self._settle(all_writes=False)
        self._submit(batch)
        return self._resolve(keep=1)

    def _submit(self, batch: _Batch) -> None:
        """Prepare a batch as if every unwritten batch were written; hand it to the judge."""
        started = time.perf_counter()
        pending = [earlier.prepared for earlier in self._unwritten if earlier.prepared is not None]
        batch.prepared = prepare(
            self.store, batch.quads(), replace_single_values=True, pending=pending
        )
        self.summary.seconds["validate"] += time.perf_counter() - started
        batch.verdict = self._judges.submit(_timed_judge, batch.prepared)
        self._unwritten.append(batch)

    def _resolve(self, *, keep: int) -> bool:
        """Take verdicts, oldest first, until ``keep`` batches are left unjudged.

        A good batch goes to the writer. A bad one stops the import (abort), or
        has its good records written one by one (skip); the batches prepared
        after it assumed it good, so they are prepared again. False: stop.
        """
        while True:
            unjudged = [batch for batch in self._unwritten if batch.written is None]
            if len(unjudged) <= keep:
                return True
            oldest, later = unjudged[0], unjudged[1:]
            report = self._verdict(oldest)
            if report.conforms:
                assert oldest.prepared is not None
                oldest.written = self._writers.submit(self._timed_commit, oldest.prepared)
                continue
            for batch in (oldest, *later):
                self._unwritten.remove(batch)
                if batch.verdict is not None:
                    batch.verdict.cancel()  # a verdict on a void preparation is not wanted
            if self.on_invalid == "abort":
                self.summary.uncommitted_ids = [i for batch in (oldest, *later) for i in batch.ids]
                self.summary.stopped = Rejection(_batch_error(oldest.mapped, report), report)
                return False
            self._settle(all_writes=True)
            self._skip_bad_records(oldest)
            for batch in later:
                batch.prepared = batch.verdict = None
                self._submit(batch)

    def _skip_bad_records(self, batch: _Batch) -> None:
        """Judge a rejected batch's records one by one; write the good, report the bad."""
        for record in batch.mapped:
            single = _Batch([record])
            prepared = prepare(self.store, single.quads(), replace_single_values=True)
            verdict = judge(prepared)
            if verdict.conforms:
                single.prepared = prepared
                single.written = self._writers.submit(self._timed_commit, prepared)
                self._unwritten.append(single)
                self._settle(all_writes=True)
            else:
                self.summary.rejected.append(Rejection(_record_error(record, verdict), verdict))

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
            return RecordError(item.origin, str(error))

    def _reject(self, rejection: Rejection) -> bool:
        """Record a rejection; True when the import goes on."""
        if self.on_invalid == "skip":
            self.summary.rejected.append(rejection)
            return True
        self.summary.stopped = rejection
        return False

    def _verdict(self, batch: _Batch) -> ValidationReport:
        assert batch.verdict is not None
        waited = time.perf_counter()
        try:
            report, judged = batch.verdict.result()
        except Exception as error:  # the engine's own errors are not ours to name
            first = batch.mapped[0].record_id if batch.mapped else ""
            raise StoreError(
                f"the SHACL engine failed on the batch starting at {first}: {error}. "
                "Nothing of that batch was written; run the import again (it adds no "
                "duplicates) or import them with --on-invalid skip to find the record."
            ) from error
        self.summary.seconds["validate"] += judged
        self.summary.seconds["waiting for validation"] += time.perf_counter() - waited
        return report

    def _timed_commit(self, prepared: PreparedBatch) -> float:
        """Write a judged batch (on the writer thread); nothing after a failed write."""
        if self._write_failed.is_set():
            raise StoreError("not written: a batch before it could not be written")
        started = time.perf_counter()
        try:
            commit(self.store, prepared)
        except BaseException:
            self._write_failed.set()
            raise
        return time.perf_counter() - started

    def _settle(self, *, all_writes: bool) -> None:
        """Count the writes that are done, oldest first; with ``all_writes``, wait for all."""
        summary = self.summary
        while self._unwritten and self._unwritten[0].written is not None:
            batch = self._unwritten[0]
            assert batch.written is not None and batch.prepared is not None
            if not (all_writes or batch.written.done()):
                return
            waited = time.perf_counter()
            try:
                seconds = batch.written.result()  # a store failure is raised here
            finally:
                summary.seconds["waiting for commit"] += time.perf_counter() - waited
                self._unwritten.popleft()
            summary.seconds["commit"] += seconds
            summary.imported += len(batch.mapped)
            summary.triples_added += batch.prepared.new_count
            summary.values_replaced += len(batch.prepared.replaced)
            summary.batches_committed += 1
            summary.committed_ids.extend(batch.ids)


def _timed_judge(prepared: PreparedBatch) -> tuple[ValidationReport, float]:
    started = time.perf_counter()
    report = judge(prepared)
    return report, time.perf_counter() - started


def _violations(report: ValidationReport) -> str:
    """The first violations of a report, on one line: node, path and message."""
    shown = "; ".join(f"{r.focus_node} {r.path}: {r.message}" for r in report.results[:3])
    return f"{len(report.results)} violation(s): {shown}"


def _record_error(record: Mapped, report: ValidationReport) -> RecordError:
    return RecordError(
        record.origin, f"the record breaks the shapes, {_violations(report)}", record.record_id
    )


def _batch_error(records: list[Mapped], report: ValidationReport) -> RecordError:
    first, last = records[0], records[-1]
    return RecordError(
        first.origin if first is last else f"{first.origin} .. {last.origin}",
        f"the batch breaks the shapes, {_violations(report)}",
    )
