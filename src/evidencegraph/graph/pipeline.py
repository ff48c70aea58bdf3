"""The import pipeline: records -> mapped batches -> the validation gate -> the store.

Records are read and mapped one at a time (memory stays flat however many
there are) and grouped into batches of ``batch_size`` records. Each batch goes
through the gate (SHACL, with only the neighbourhood it touches); good batches
are written in groups, each group in one atomic write (decision 0010). With
``on_invalid="abort"`` the import stops at the first bad record or batch and
writes nothing past the last good batch; with ``on_invalid="skip"`` each bad
record is reported and left out.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal as Choice

import pyoxigraph as ox

from evidencegraph.errors import EvidenceGraphError, StoreError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.mapping import Mapped, MappingError
from evidencegraph.ingest.records import Record, RecordError
from evidencegraph.ontology.source_graphs import Standing, record_graph
from evidencegraph.validation.batch_gate import (
    Overlay,
    PreparedBatch,
    batch_statements,
    commit,
    judge,
    prepare,
)
from evidencegraph.validation.shacl import ValidationReport
from evidencegraph.validation.source_view import (
    MODIFIED,
    Layered,
    Plan,
    SourceRecord,
    canonical,
    plan,
)

OnInvalid = Choice["abort", "skip"]
Mapper = Callable[[object, str], Mapped]
#: Where a failure of the store or the engine, not of a record, is said to be.
_THE_IMPORT = "the import"
#: Records per batch unless told otherwise.
DEFAULT_BATCH_SIZE = 100
#: Triples of judged batches written together (decision 0010): about 2,000 registry studies,
#: a quarter of what Oxigraph's bulk loader takes in one atomic ingestion.
GROUP_TRIPLES = 250_000
#: Records read between two cyclic garbage collections while an import runs (about one group);
#: see :func:`_collect_less`.
_COLLECT_EVERY_RECORDS = 2_000


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
    #: what the readers could not read as a record at all: a file or part of one (a truncated
    #: PubMed file, a ZIP member past the limit, JSON that does not parse)
    unreadable: int = 0
    imported: int = 0
    triples_added: int = 0
    values_replaced: int = 0
    #: source graphs (decision 0021): new, replaced by a newer version, left alone because
    #: they held the same statements, or because the store holds a newer version
    graphs_new: int = 0
    graphs_replaced: int = 0
    unchanged: int = 0
    older: list[str] = field(default_factory=list)
    #: values records gave that the view does not show (a source of higher precedence
    #: states another): each is kept in its record's graph
    values_outranked: int = 0
    #: the source graphs written, in order: what withdraw takes to roll the import back
    graphs: list[str] = field(default_factory=list)
    #: the time every graph this import wrote is described with (withdraw takes it)
    imported_at: str = ""
    batches_committed: int = 0
    #: batches (or parts of one) handed to the validation gate: one per batch read, more for
    #: a batch prepared again after a bad one, and a few per bad record in skip mode
    gate_runs: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed_ids: list[str] = field(default_factory=list)
    #: each committed batch, in order: its first and last record and where they came from
    committed_batches: list[str] = field(default_factory=list)
    stopped: Rejection | None = None
    uncommitted_ids: list[str] = field(default_factory=list)
    #: when the store or the engine stopped the import: each batch read and not written
    uncommitted_batches: list[str] = field(default_factory=list)
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
        lines = [f"records read: {self.records_read}"]
        if self.unreadable:
            lines.append(
                f"unreadable:   {self.unreadable} (a file, or part of one, that held no record "
                "that could be read)"
            )
        lines += [
            f"imported:     {self.imported} (in {self.batches_committed} batch(es))",
            f"skipped:      {self.skipped}",
            f"triples added: {self.triples_added}",
        ]
        if self.graphs_new or self.graphs_replaced or self.unchanged or self.older:
            lines.append(
                f"source graphs: {self.graphs_new} new, {self.graphs_replaced} replaced by a "
                f"newer version, {self.unchanged} unchanged (the same statements)"
                + (
                    f", {len(self.older)} older than the version held (left alone)"
                    if self.older
                    else ""
                )
            )
        if self.graphs and self.imported_at:
            lines.append(
                f"to take this import back out: evidencegraph withdraw {self.imported_at}"
                + (
                    " (graphs it replaced are not restored: import their older version again)"
                    if self.graphs_replaced
                    else ""
                )
            )
        if self.values_replaced:
            lines.append(
                f"values replaced in the view (single-valued properties): {self.values_replaced}"
            )
        if self.values_outranked:
            lines.append(
                f"values not shown in the view (a source of higher precedence states another; "
                f"kept in the record's graph): {self.values_outranked}"
            )
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
            failed = self.stopped.error.origin == _THE_IMPORT
            if failed:
                lines.extend(_listed("committed", self.committed_batches, 1, last=True))
            if self.uncommitted_ids:
                lines.append(
                    f"not committed: {len(self.uncommitted_ids)} record(s) read and not written, "
                    f"{self.uncommitted_ids[0]} .. {self.uncommitted_ids[-1]}."
                )
            if failed:
                after = len(self.committed_batches) + 1
                lines.extend(_listed("not committed", self.uncommitted_batches, after))
                lines.append("Run the import again once that is fixed: it adds no duplicates.")
            else:
                lines.append("Fix the record, or run again with --on-invalid skip.")
        return lines

    def written_note(self) -> str:
        """What was and was not written when the store or the engine stopped the import."""
        last = self.committed_ids[-1] if self.committed_ids else None
        done = (
            f"{self.imported} record(s) committed, the last {last}" if last else "nothing committed"
        )
        left = (
            f"{len(self.uncommitted_ids)} record(s) not committed, "
            f"{self.uncommitted_ids[0]} .. {self.uncommitted_ids[-1]}"
            if self.uncommitted_ids
            else "nothing read is left unwritten"
        )
        return f"({done}; {left}. Running the import again adds no duplicates.)"


#: Batches listed one by one in the summary of an import the store stopped.
_SHOWN_BATCHES = 10


def _listed(label: str, batches: list[str], first_number: int, *, last: bool = False) -> list[str]:
    """Lines naming ``batches`` (numbered from ``first_number``): the last ten of them
    with ``last``, else the first ten."""
    shown = batches[-_SHOWN_BATCHES:] if last else batches[:_SHOWN_BATCHES]
    start = first_number + (len(batches) - len(shown) if last else 0)
    lines = [f"  batch {start + i} {label}: {text}" for i, text in enumerate(shown)]
    hidden = len(batches) - len(shown)
    if hidden:
        note = f"  ({hidden} more batch(es) {label}, {'before' if last else 'after'} these)"
        lines.insert(0 if last else len(lines), note)
    return lines


def _describe(records: list[Mapped]) -> str:
    """A batch for people: its first and last record id, and where they were read."""
    first, last = records[0], records[-1]
    if first is last:
        return f"{first.record_id} ({first.origin})"
    origins = first.origin if first.origin == last.origin else f"{first.origin} .. {last.origin}"
    return f"{first.record_id} .. {last.record_id} ({len(records)} records, {origins})"


@dataclass(eq=False)
class _Batch:
    """Mapped records, then their prepared quads and verdict as the batch moves on."""

    mapped: list[Mapped] = field(default_factory=list)
    prepared: PreparedBatch | None = None
    #: what the batch does to the source graphs (its lists dropped once it is judged)
    plan: Plan | None = None
    verdict: Future[tuple[ValidationReport, float]] | None = None
    good: bool = False

    def records(self) -> list[SourceRecord]:
        """The batch's records as source records, their literals in canonical form."""
        records = [source_record(mapped) for mapped in self.mapped]
        canonical(records)
        return records

    @property
    def ids(self) -> list[str]:
        return [record.record_id for record in self.mapped]


@dataclass(eq=False)
class _Group:
    """Consecutive batches written together once every one of them is judged good."""

    overlay: Overlay = field(default_factory=Overlay)
    batches: list[_Batch] = field(default_factory=list)
    #: no batch joins a closed group
    closed: bool = False
    #: the write on the writer thread
    written: Future[float] | None = None

    def restage(self) -> None:
        """Build the overlay again from the batches the group still holds."""
        self.overlay = Overlay()
        for batch in self.batches:
            assert batch.prepared is not None
            self.overlay.stage(batch.prepared)


class Importer:
    """Runs records through mapping, the gate and the store; see the module docstring.

    Three threads share the work, and batches move through them in order.
    While the main thread reads and maps batch k+1, a judge thread validates
    batch k (rudof) and a writer thread writes earlier batches. Batch k+1 is
    prepared as if every batch before it were written, before their verdicts
    are in; a batch found bad voids those prepared after it, which are
    prepared again. Judged batches are written in groups of about
    ``group_triples`` triples, each group in one atomic write (decision 0010),
    in order; none is written after a write has failed. Both rudof and
    pyoxigraph's writes release the GIL.
    """

    def __init__(
        self,
        graph: EvidenceGraph,
        mapper: Mapper,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_invalid: OnInvalid = "abort",
        on_progress: Callable[[int], None] | None = None,
        group_triples: int | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be 1 or more")
        self.store = graph.store
        self.mapper = mapper
        self.batch_size = batch_size
        self.on_invalid = on_invalid
        self.on_progress = on_progress
        self.group_triples = GROUP_TRIPLES if group_triples is None else group_triples
        self.summary = ImportSummary()
        #: when this import ran: every graph it writes is described with this time
        self.now = datetime.now(timezone.utc)  # to the microsecond: it names this import
        self.summary.imported_at = self.now.isoformat()
        #: graphs' kinds and versions the plans read, kept from batch to batch (emptied
        #: when batches are voided: what they planned is not written)
        self._standings: dict[ox.NamedNode, Standing] = {}
        #: batches handed to the judge whose verdict has not been taken, oldest first
        self._unjudged: deque[_Batch] = deque()
        #: groups not yet written, oldest first; the last may still be open
        self._groups: deque[_Group] = deque()
        self._write_failed = threading.Event()
        #: batches read and not yet written (or left out), oldest first
        self._in_flight: list[_Batch] = []

    def run(self, items: Iterable[Record | RecordError]) -> ImportSummary:
        """Import every record; return the summary (also when the import stopped early)."""
        started = time.perf_counter()
        try:
            with (
                _collect_less(),
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate") as judges,
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer") as writers,
            ):
                self._judges, self._writers = judges, writers
                try:
                    self._run(items)
                finally:
                    # whatever happened, write what was judged good and count what was written
                    self._void(list(self._unjudged))
                    self._close_groups()
                    self._settle(wait=True)
        except EvidenceGraphError as error:  # a store or engine failure: say what was written
            summary = self.summary
            summary.uncommitted_ids = [i for batch in self._in_flight for i in batch.ids]
            summary.uncommitted_batches = [_describe(b.mapped) for b in self._in_flight if b.mapped]
            summary.stopped = Rejection(RecordError(_THE_IMPORT, str(error)))
            if isinstance(error, StoreError):
                raise StoreError(f"{error} {summary.written_note()}") from error
            raise
        finally:
            self.summary.seconds["wall"] = time.perf_counter() - started
        return self.summary

    def _run(self, items: Iterable[Record | RecordError]) -> None:
        batch = self._new_batch()
        for mapped in self._mapped(items):
            if mapped is None:  # an abort-mode import stops at a bad record
                self._resolve(keep=0)  # good batches before it are still written
                self.summary.uncommitted_ids += batch.ids
                return
            batch.mapped.append(mapped)
            if len(batch.mapped) >= self.batch_size:
                if not self._advance(batch):
                    return
                batch = self._new_batch()
        if batch.mapped and not self._advance(batch):
            return
        self._resolve(keep=0)

    def _new_batch(self) -> _Batch:
        batch = _Batch()
        self._in_flight.append(batch)
        return batch

    def _advance(self, batch: _Batch) -> bool:
        """Hand a full batch to the judge, then take the verdict of the one before it.

        False when the import must stop.
        """
        self._settle(wait=False)
        self._submit(batch)
        return self._resolve(keep=1)

    def _submit(self, batch: _Batch) -> None:
        """Prepare a batch as if every unwritten batch were written; hand it to the judge."""
        started = time.perf_counter()
        pending = [group.overlay for group in self._groups]
        batch.plan = plan(
            Layered(self.store, pending),
            batch.records(),
            now=self.now,
            standings=self._standings,
        )
        batch.prepared = prepare(
            self.store,
            (),
            replace_single_values=False,
            pending=pending,
            view_plan=batch.plan,
        )
        group = self._open_group()
        group.overlay.stage(batch.prepared)
        group.batches.append(batch)
        self.summary.seconds["validate"] += time.perf_counter() - started
        self.summary.gate_runs += 1
        batch.verdict = self._judges.submit(_timed_judge, batch.prepared)
        self._unjudged.append(batch)

    def _open_group(self) -> _Group:
        """The group a new batch joins: the open one, or a new one once it is full."""
        if self._groups and not self._groups[-1].closed:
            last = self._groups[-1]
            if last.overlay.size < self.group_triples:
                return last
            last.closed = True
            self._write_if_judged(last)
            if sum(1 for group in self._groups if group.written is not None) > 1:
                self._settle(wait=True)  # at most two groups held: wait for the writer
        group = _Group()
        self._groups.append(group)
        return group

    def _write_if_judged(self, group: _Group) -> None:
        """Hand a closed group to the writer once every batch in it has been judged good."""
        if group.closed and group.written is None and all(b.good for b in group.batches):
            group.written = self._writers.submit(self._timed_write, group.overlay)
            for batch in group.batches:  # no longer needed to build the group again
                assert batch.prepared is not None
                batch.prepared.nquads = b""
                batch.prepared.nodes = frozenset()

    def _close_groups(self) -> None:
        for group in self._groups:
            group.closed = True
            self._write_if_judged(group)

    def _resolve(self, *, keep: int) -> bool:
        """Take verdicts, oldest first, until ``keep`` batches are left unjudged. False: stop."""
        while len(self._unjudged) > keep:
            batch = self._unjudged[0]
            report = self._verdict(batch)  # an engine failure leaves it unjudged, to be voided
            self._unjudged.popleft()
            if not report.conforms:
                return self._reject_batch(batch, report)
            batch.good = True
            self._settled(len(batch.mapped))
            # held until its group is written: keep only what that needs
            assert batch.prepared is not None
            batch.prepared.data = ""
            batch.prepared.quads = []  # judged: its N-Quads are what is staged and written
            if batch.plan is not None:  # only its counts are wanted now
                batch.plan.forget_statements()
            for record in batch.mapped:
                record.triples.clear()  # the prepared N-Triples are what is written
            for group in self._groups:
                if batch in group.batches:
                    self._write_if_judged(group)
        return True

    def _reject_batch(self, bad: _Batch, report: ValidationReport) -> bool:
        """Abort: stop, writing nothing of the batch. Skip: keep the records that conform.

        The batches prepared after a bad one assumed it good: they are void, and
        prepared again (skip) or left uncommitted (abort). The groups are built
        again without them, and everything judged good before is written.
        """
        later = list(self._unjudged)
        void = [bad, *later]
        self._void(void)
        self._close_groups()
        if self.on_invalid == "abort":
            self.summary.uncommitted_ids = [i for batch in void for i in batch.ids]
            self.summary.stopped = Rejection(_batch_error(bad.mapped, report), report)
            return False
        self._settle(wait=True)  # the store holds everything before the bad batch
        self._skip_bad_records(bad.mapped, report)
        self._in_flight.remove(bad)  # its good records are written, the bad ones reported
        for batch in later:
            batch.prepared = batch.verdict = None
            self._submit(batch)
        # the caller's loop takes the verdicts of these too: at most one is left unjudged
        return True

    def _void(self, void: list[_Batch]) -> None:
        """Take batches out of the pipeline unwritten: their verdicts are not wanted, and
        their groups are built again without them."""
        self._standings.clear()
        for batch in void:
            if batch in self._unjudged:
                self._unjudged.remove(batch)
            if batch.verdict is not None:
                batch.verdict.cancel()
        for group in list(self._groups):
            kept = [batch for batch in group.batches if not any(batch is v for v in void)]
            if len(kept) < len(group.batches):
                group.batches = kept
                group.restage()
            if not group.batches:
                self._groups.remove(group)

    def _skip_bad_records(self, records: list[Mapped], report: ValidationReport) -> None:
        """Of ``records``, judged bad together with ``report``, write the good ones and
        report the bad.

        A bad record costs a few gate runs, not one per record of its batch: the records are
        split in two, those the report's focus nodes name (the suspects) and the rest, or in
        halves where the report names none or all of them, and each part is judged; a part
        that conforms is written as one batch, a part that does not is split again, down to
        the single records that break the shapes, each reported with its own report.
        """
        if len(records) == 1:
            self.summary.rejected.append(Rejection(_record_error(records[0], report), report))
            self._settled(1)
            return
        named = _suspects(records, report)
        if 0 < len(named) < len(records):
            parts = [[r for r in records if not any(r is s for s in named)], named]
        else:
            half = len(records) // 2
            parts = [records[:half], records[half:]]
        for part in parts:
            one = _Batch(part)
            one.plan = plan(Layered(self.store), one.records(), now=self.now)
            prepared = prepare(self.store, (), replace_single_values=False, view_plan=one.plan)
            self.summary.gate_runs += 1
            verdict = judge(prepared)
            if not verdict.conforms:
                self._skip_bad_records(part, verdict)
                continue
            started = time.perf_counter()
            commit(self.store, prepared)
            self.summary.seconds["commit"] += time.perf_counter() - started
            self._count(part, prepared, one.plan)
            self._settled(len(part))

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
            if isinstance(item, RecordError):
                summary.unreadable += 1
            else:
                summary.records_read += 1
            if (summary.records_read + summary.unreadable) % _COLLECT_EVERY_RECORDS == 0:
                gc.collect()  # automatic collection is off while the import runs
            result = self._map(item)
            summary.seconds["read and map"] += time.perf_counter() - started
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
            return RecordError(item.origin, str(error), error.record_id)
        except Exception as error:
            # The readers and the mappings refuse every malformed record with a MappingError
            # or a RecordError (tests/test_fuzz_import.py); this is the net under them, so
            # that one unforeseen record is reported, and skipped in skip mode.
            return RecordError(
                item.origin,
                f"the importer failed on this record ({type(error).__name__}: {error}). "
                "This is a bug in evidencegraph: please report it with the record.",
            )

    def _reject(self, rejection: Rejection) -> bool:
        """Record a rejection; True when the import goes on."""
        if self.on_invalid == "skip":
            self.summary.rejected.append(rejection)
            self._settled(1)
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

    def _timed_write(self, overlay: Overlay) -> float:
        """Write a group (on the writer thread); nothing after a failed write."""
        if self._write_failed.is_set():
            raise _NotWrittenError("a group of batches before it could not be written")
        started = time.perf_counter()
        try:
            # size counts repeats: never fewer than the triples written
            self.store.write_nquads(list(overlay.replaced), overlay.nquads())
        except BaseException:
            self._write_failed.set()
            raise
        return time.perf_counter() - started

    def _settle(self, *, wait: bool) -> None:
        """Count the groups written, oldest first; with ``wait``, wait for those under way."""
        while self._groups and self._groups[0].written is not None:
            group = self._groups[0]
            assert group.written is not None
            if not (wait or group.written.done()):
                return
            waited = time.perf_counter()
            try:
                seconds = group.written.result()  # a store failure is raised here
            except _NotWrittenError:
                continue  # the failure before it has been raised already
            finally:
                self.summary.seconds["waiting for commit"] += time.perf_counter() - waited
                self._groups.popleft()
                self._release(group)
            self.summary.seconds["commit"] += seconds
            for batch in group.batches:
                assert batch.prepared is not None
                self._count(batch.mapped, batch.prepared, batch.plan)
                self._in_flight.remove(batch)

    def _release(self, group: _Group) -> None:
        """Free a settled group's staging store on the writer's thread: freeing one of half a
        million quads costs about 0.16 s of CPU, and the main thread's CPU bounds the import."""
        held = [group.overlay]  # the writer empties the list: the last reference goes there
        group.overlay = Overlay()
        self._writers.submit(held.clear)

    def _count(self, records: list[Mapped], prepared: PreparedBatch, done: Plan | None) -> None:
        """Count a written batch in the summary."""
        summary = self.summary
        summary.imported += len(records)
        summary.triples_added += prepared.new_count
        if done is not None:
            summary.values_replaced += done.replaced
            summary.values_outranked += len(done.outranked)
            summary.graphs_replaced += len(done.replaced_graphs)
            summary.graphs_new += len(done.graphs) - len(done.replaced_graphs)
            summary.unchanged += len(done.unchanged)
            summary.older += [
                f"{record.label}: the store holds the version of {held}; this record is "
                f"of {record.version.value if record.version else 'no date'}"
                for record, held in done.older
            ]
            summary.graphs += [graph.value for graph in done.graphs]
        summary.batches_committed += 1
        summary.committed_ids.extend(record.record_id for record in records)
        summary.committed_batches.append(_describe(records))

    def _settled(self, records: int) -> None:
        # Progress counts records judged good or left out, not records read: reading runs
        # ahead of the gate (the slow part), and a rejected batch is judged again record by
        # record. Not records written: a group of about 2,000 studies is written at once.
        if self.on_progress is not None:
            self.on_progress(records)


@contextmanager
def _collect_less() -> Iterator[None]:
    """No automatic cyclic garbage collection while records stream through.

    Each record is parsed into thousands of dicts and lists that its mapping drops again, all
    freed by reference counting. CPython's collector still counts them, and with its default
    thresholds it set off a collection every 700 allocations, and every so often a full one:
    about a fifth of the main thread's CPU on 20,000 studies, a share that grew as the import
    went on. So what is alive before the import is set aside (``gc.freeze``), automatic
    collection is off, and :meth:`Importer._mapped` collects once every
    ``_COLLECT_EVERY_RECORDS`` records, which bounds what cycles can hold. Both are restored
    afterwards.
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


class _NotWrittenError(StoreError):
    """A group left unwritten because a write before it failed."""


_XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


def source_record(mapped: Mapped) -> SourceRecord:
    """A mapped record as a source record: its graph, kind and source, and its version (the
    last-update date the record gives its own source node)."""
    graph = mapped.graph or record_graph("record", mapped.record_id)
    # a record that gives two values of a single-valued property (two spellings of one
    # condition's name) keeps the last it gives, as a batch always has
    triples = batch_statements(mapped.triples)
    source = ox.NamedNode(mapped.source) if mapped.source else None
    version = next(
        (
            o
            for s, p, o in triples
            if source is not None and s == source and p == MODIFIED and isinstance(o, ox.Literal)
        ),
        None,
    )
    if version is None and mapped.version:
        version = ox.Literal(mapped.version, datatype=_XSD_DATE)
    return SourceRecord(
        ox.NamedNode(graph), mapped.kind, triples, version, source, label=mapped.record_id
    )


def _timed_judge(prepared: PreparedBatch) -> tuple[ValidationReport, float]:
    started = time.perf_counter()
    report = judge(prepared)
    return report, time.perf_counter() - started


def _violations(report: ValidationReport) -> str:
    """The first violations of a report, on one line: node, path and message."""
    shown = "; ".join(f"{r.focus_node} {r.path}: {r.message}" for r in report.results[:3])
    return f"{len(report.results)} violation(s): {shown}"


def _suspects(records: list[Mapped], report: ValidationReport) -> list[Mapped]:
    """The records that state something of, or link to, a focus node of the report."""
    focus = {str(result.focus) for result in report.results if result.focus is not None}
    return [
        record
        for record in records
        if any(
            (isinstance(s, ox.NamedNode) and s.value in focus)
            or (isinstance(o, ox.NamedNode) and o.value in focus)
            for s, _, o in record.triples
        )
    ]


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
