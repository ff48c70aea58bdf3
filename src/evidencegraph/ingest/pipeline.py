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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal as Choice

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Node

from evidencegraph.errors import EvidenceGraphError, StoreError
from evidencegraph.graph.batch_gate import PreparedBatch, batch_quads, commit, judge, prepare
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.terms import OxTerm, to_oxigraph
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
            f"waited {seconds['waiting for validation']:.2f} s), commit {seconds['commit']:.2f} s"
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
    """Mapped records and their quads, once prepared and submitted for judgement."""

    mapped: list[Mapped] = field(default_factory=list)
    prepared: PreparedBatch | None = None
    verdict: Future[tuple[ValidationReport, float]] | None = None

    def quads(self) -> list[ox.Quad]:
        return batch_quads(_oxigraph_triples(self.mapped))


def _oxigraph_triples(
    records: Iterable[Mapped],
) -> Iterator[tuple[ox.NamedNode, ox.NamedNode, OxTerm]]:
    """The records' triples as pyoxigraph terms; IRIs, which repeat, are converted once."""
    iris: dict[Node, ox.NamedNode] = {}

    def iri(node: Node) -> ox.NamedNode:
        if node not in iris:
            iris[node] = to_oxigraph(node)  # type: ignore[assignment]
        return iris[node]

    for record in records:
        for subject, predicate, obj in record.triples:
            yield (
                iri(subject),
                iri(predicate),
                iri(obj) if isinstance(obj, URIRef) else to_oxigraph(obj),
            )


class Importer:
    """Runs records through mapping, the gate and the store; see the module docstring.

    While one batch is validated (rudof, on a worker thread) the next is read
    and mapped. A good batch is written only after the next one has been
    prepared as if it were written, so that writing it overlaps judging the
    next; each batch is judged against everything before it.
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

    def run(self, items: Iterable[Record | RecordError]) -> ImportSummary:
        """Import every record; return the summary (also when the import stopped early)."""
        started = time.perf_counter()
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate") as judges:
                self._judges = judges
                self._run(items)
        except EvidenceGraphError as error:  # a store or engine failure: say what was written
            self.summary.stopped = Rejection(RecordError(_THE_IMPORT, str(error)))
            raise
        finally:
            self.summary.seconds["wall"] = time.perf_counter() - started
        return self.summary

    def _run(self, items: Iterable[Record | RecordError]) -> None:
        waiting: _Batch | None = None  # judged (or being judged), not yet written
        batch = _Batch()
        for mapped in self._mapped(items):
            if mapped is None:  # an abort-mode import stops at a bad record
                if waiting is not None:
                    self._finish(waiting)  # a good judged batch is still written
                self.summary.uncommitted_ids += [record.record_id for record in batch.mapped]
                return
            batch.mapped.append(mapped)
            if len(batch.mapped) >= self.batch_size:
                waiting = self._next(waiting, batch)
                if waiting is None:
                    return
                batch = _Batch()
        if batch.mapped:
            waiting = self._next(waiting, batch)
        if waiting is not None:
            self._finish(waiting)

    def _next(self, waiting: _Batch | None, batch: _Batch) -> _Batch | None:
        """Hand ``batch`` to the judge and write ``waiting``; None when the import must stop.

        When ``waiting`` was judged good, ``batch`` is prepared as if ``waiting``
        were written, then judged on the second thread while ``waiting`` is written
        on this one.
        """
        if waiting is None:
            return self._submit(batch)
        report = self._verdict(waiting)
        if not report.conforms:
            if not self._reject_batch(waiting, report):
                self.summary.uncommitted_ids += [record.record_id for record in batch.mapped]
                return None
            return self._submit(batch)
        assert waiting.prepared is not None
        submitted = self._submit(batch, pending=waiting.prepared)
        self._commit(waiting.mapped, waiting.prepared)
        return submitted

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

    def _submit(self, batch: _Batch, pending: PreparedBatch | None = None) -> _Batch:
        """Prepare a batch (as if ``pending`` were written) and hand it to the judge."""
        started = time.perf_counter()
        batch.prepared = prepare(
            self.store, batch.quads(), replace_single_values=True, pending=pending
        )
        self.summary.seconds["validate"] += time.perf_counter() - started
        batch.verdict = self._judges.submit(_timed_judge, batch.prepared)
        return batch

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

    def _finish(self, batch: _Batch) -> bool:
        """Wait for a batch's verdict, then write it; False when the import must stop."""
        report = self._verdict(batch)
        if report.conforms:
            assert batch.prepared is not None
            self._commit(batch.mapped, batch.prepared)
            return True
        return self._reject_batch(batch, report)

    def _reject_batch(self, batch: _Batch, report: ValidationReport) -> bool:
        """Abort: stop, writing nothing of the batch. Skip: keep the records that conform."""
        if self.on_invalid == "abort":
            self.summary.uncommitted_ids = [record.record_id for record in batch.mapped]
            self.summary.stopped = Rejection(_batch_error(batch.mapped, report), report)
            return False
        for record in batch.mapped:
            single = _Batch([record])
            prepared = prepare(self.store, single.quads(), replace_single_values=True)
            verdict = judge(prepared)
            if verdict.conforms:
                self._commit([record], prepared)
            else:
                self.summary.rejected.append(Rejection(_record_error(record, verdict), verdict))
        return True

    def _commit(self, records: list[Mapped], prepared: PreparedBatch) -> None:
        started = time.perf_counter()
        added = commit(self.store, prepared)
        summary = self.summary
        summary.seconds["commit"] += time.perf_counter() - started
        summary.imported += len(records)
        summary.triples_added += added
        summary.values_replaced += len(prepared.replaced)
        summary.batches_committed += 1
        summary.committed_ids.extend(record.record_id for record in records)


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
