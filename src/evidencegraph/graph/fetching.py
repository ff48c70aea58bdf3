"""Fetching from an API into the graph: each answer (a page of studies, a request's
articles) goes through the same import pipeline as files, and a state file says where to go
on from when a fetch stops.

The records of every answer go through one pipeline, batched across answers as the files
of one ``import`` are, and the next answer is asked for (on a thread of its own) while the
records before it are judged and written. An answer is *done* once every record of it is
written or left out; the state file then moves past it. A fetch that fails asking for answer
N writes what it read before N and stops with the state at the first answer not done, and
``--resume`` asks for that one again (records of it written before the stop are found
unchanged, decision 0021: nothing is duplicated). Every answer of one fetch is imported with
the same time, so ``withdraw TIME`` takes the whole fetch back out.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evidencegraph.errors import EvidenceGraphError, InputError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer, ImportSummary, Mapper, OnInvalid
from evidencegraph.ingest.records import Record, RecordError

#: The state file's format; a file of another version is refused.
STATE_VERSION = 1


@dataclass
class FetchState:
    """Where a fetch is: what it asks for, where to go on from, what it imported.

    Kept as JSON in ``path``; the ids of the records imported are appended, one a line, to
    ``path`` + ``.imported`` (a fetch of the whole registry imports half a million).
    """

    path: Path
    #: the source fetched from: ``ctgov`` or ``pubmed``
    source: str
    #: what the fetch asks for, as JSON values (the source's own)
    query: dict[str, Any]
    #: where to go on from: a page token (ctgov), a request number (pubmed); None: the start
    resume: str | int | None = None
    #: answers done (every record of them written or left out)
    done: int = 0
    #: records imported
    imported: int = 0
    #: every answer is imported
    finished: bool = False
    #: the time every graph of this fetch is described with (what ``withdraw`` takes)
    imported_at: str = ""

    @property
    def ids_path(self) -> Path:
        return self.path.with_name(self.path.name + ".imported")

    def save(self) -> None:
        """Write the state (atomically: a crash leaves the old state or the new)."""
        data = {
            "version": STATE_VERSION,
            **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "path"},
        }
        scratch = self.path.with_name(self.path.name + ".tmp")
        try:
            scratch.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            os.replace(scratch, self.path)
        except OSError as error:
            raise InputError(
                f"{self.path}: cannot write the fetch's state ({error.strerror}); "
                "give --state a file in a writable directory."
            ) from None

    @property
    def asked_path(self) -> Path:
        return self.path.with_name(self.path.name + ".asked")

    def start(self, asked: Sequence[str] = ()) -> None:
        """Begin afresh: the state written, the list of imported ids emptied, and ``asked``
        (ids the fetch asks for, when it asks by id) kept one a line in ``path`` +
        ``.asked``: written once, not with every save of the state."""
        self.save()
        try:
            self.ids_path.write_text("", encoding="utf-8")
            if asked:
                self.asked_path.write_text("".join(f"{i}\n" for i in asked), encoding="utf-8")
        except OSError as error:
            raise InputError(f"{self.ids_path}: cannot write ({error.strerror}).") from None

    def asked_ids(self) -> list[str]:
        """The ids the fetch asks for (:meth:`start`); InputError when the file is gone."""
        try:
            return self.asked_path.read_text(encoding="utf-8").split()
        except OSError as error:
            raise InputError(
                f"{self.asked_path}: cannot read the ids the fetch asks for ({error.strerror}); "
                "run the fetch again without --resume."
            ) from None

    def record_imported(self, ids: Iterable[str]) -> None:
        try:
            with self.ids_path.open("a", encoding="utf-8") as out:
                out.writelines(f"{record_id}\n" for record_id in ids)
        except OSError as error:
            raise InputError(f"{self.ids_path}: cannot write ({error.strerror}).") from None

    def imported_ids(self) -> list[str]:
        """The ids of the records this fetch imported so far, in order."""
        try:
            return self.ids_path.read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return []

    @classmethod
    def load(cls, path: Path) -> FetchState:
        """The state kept in ``path``; InputError when there is none or it is not one."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(
                f"{path}: no fetch to resume (the state file does not exist). Run the fetch "
                "without --resume, or point --state at the state file of the fetch."
            ) from None
        except (OSError, ValueError) as error:
            raise InputError(f"{path}: not a fetch's state file ({error}).") from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise InputError(
                f"{path}: not a fetch's state file of this version (version {STATE_VERSION})."
            )
        try:
            return cls(
                path=path,
                source=str(data["source"]),
                query=dict(data["query"]),
                resume=data.get("resume"),
                done=int(data.get("done", 0)),
                imported=int(data.get("imported", 0)),
                finished=bool(data.get("finished", False)),
                imported_at=str(data.get("imported_at", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"{path}: a fetch's state file without {error}.") from None


@dataclass
class Answer:
    """One answer of an API as the fetch imports it."""

    #: 1 for the first answer of the fetch
    number: int
    records: list[Record | RecordError]
    #: the answer as the server sent it
    raw: bytes
    #: where the fetch goes on from once this answer is imported (see FetchState.resume)
    resume: str | int | None
    #: no answer comes after this one
    last: bool


@dataclass
class _Pending:
    """An answer read and not yet done: how many records it held, which, how many left out."""

    answer: Answer
    count: int
    origins: set[str]
    left_out: int = 0


@dataclass
class FetchRun:
    """Imports the records of every answer through one import pipeline, keeping the state.

    ``save_to`` (a directory) keeps each answer as it came, named
    ``{save_prefix}-{number:05d}{save_suffix}``, so the fetch can be replayed with
    ``import``.
    """

    graph: EvidenceGraph
    mapper: Mapper
    state: FetchState
    batch_size: int = 100
    on_invalid: OnInvalid = "abort"
    save_to: Path | None = None
    save_prefix: str = "page"
    save_suffix: str = ".json"
    on_progress: Callable[[int], None] | None = None
    #: called with each answer and the records of it written, once it is done
    on_answer: Callable[[Answer, int], None] | None = None
    #: ask for the next answer while one is imported (:func:`one_ahead`); False: one after
    #: the other (what bench/fetch.py compares with)
    ahead: bool = True
    summary: ImportSummary = field(default_factory=ImportSummary)
    #: answers read whose records are not all written or left out yet, oldest first
    _pending: deque[_Pending] = field(default_factory=deque, init=False)
    #: records of this run written for the answers done (a prefix of committed_ids)
    _accounted: int = field(default=0, init=False)
    #: rejections of the summary already put down to their answers
    _rejections_seen: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not self.state.imported_at:
            self.state.imported_at = datetime.now(timezone.utc).isoformat()
        self.summary.imported_at = self.state.imported_at
        self._now = datetime.fromisoformat(self.state.imported_at)

    def run(self, answers: Iterable[Answer]) -> ImportSummary:
        """Import every answer until a record stops the import; the summary of them all.

        The records of every answer go through one import pipeline, as the files of one
        ``import`` do, so batches are judged and written while later answers are read. An
        answer is done once every record of it is written or left out (skip mode), and the
        state then moves past it. A failure to fetch (raised by ``answers``) or of the store
        is raised once what was judged good is written and the state says so.
        """
        importer = Importer(
            self.graph, self.mapper, batch_size=self.batch_size, on_invalid=self.on_invalid
        )
        importer.now = self._now
        importer.on_progress = self.on_progress
        failures: list[EvidenceGraphError] = []
        try:
            importer.run(self._records(answers, importer.summary, failures))
        finally:
            add_summary(self.summary, importer.summary)
            self._note_done(importer.summary)
        if failures:
            raise failures[0]
        return self.summary

    def _records(
        self, answers: Iterable[Answer], summary: ImportSummary, failures: list[EvidenceGraphError]
    ) -> Iterator[Record | RecordError]:
        """The records of every answer, in order; each answer saved (``save_to``) and kept
        as pending (its size and its records' origins, not the records) as it goes on.

        A failure to fetch or save an answer ends the records (put in ``failures``), so that
        the pipeline judges and writes every record read before it.
        """
        try:
            for answer in one_ahead(answers) if self.ahead else answers:
                self._save(answer)
                self._note_done(summary)
                records, answer.records, answer.raw = answer.records, [], b""
                origins = {record.origin for record in records}
                self._pending.append(_Pending(answer, len(records), origins))
                yield from records
        except EvidenceGraphError as error:
            failures.append(error)

    def _note_done(self, summary: ImportSummary) -> None:
        """Move the state past the answers whose every record is written or left out.

        Records are written in the order they are read (those left out aside), and a record
        is left out before any record after it is written: an answer is done once the records
        written reach its last record not left out.
        """
        for rejection in summary.rejected[self._rejections_seen :]:
            for pending in self._pending:
                if rejection.error.origin in pending.origins:
                    pending.left_out += 1
                    break
        self._rejections_seen = len(summary.rejected)
        moved = False
        while self._pending:
            pending = self._pending[0]
            good = pending.count - pending.left_out
            if self._accounted + good > summary.imported:
                break
            self._pending.popleft()
            ids = summary.committed_ids[self._accounted : self._accounted + good]
            self._accounted += good
            self.state.record_imported(ids)
            self.state.imported += good
            self.state.resume = pending.answer.resume
            self.state.done = pending.answer.number
            self.state.finished = pending.answer.last
            moved = True
            if self.on_answer is not None:
                self.on_answer(pending.answer, good)
        if moved:
            self.state.save()

    def _save(self, answer: Answer) -> None:
        if self.save_to is None:
            return
        path = self.save_to / f"{self.save_prefix}-{answer.number:05d}{self.save_suffix}"
        try:
            self.save_to.mkdir(parents=True, exist_ok=True)
            path.write_bytes(answer.raw)
        except OSError as error:
            raise InputError(
                f"{path}: cannot save the answer ({error.strerror}); nothing of it was imported."
            ) from None


def one_ahead(answers: Iterable[Answer]) -> Iterator[Answer]:
    """The answers, each asked for (on a thread of its own) while the one before it is
    imported: the server's time and the gate's overlap. At most one answer waits; a failure
    to fetch it is raised when it is taken, after the one before is imported.

    The threads are daemons: Ctrl-C, or a fetch stopped early, does not wait for a request
    under way, nor for a wait the server asked for (up to five minutes).
    """
    iterator = iter(answers)

    def ask() -> tuple[threading.Thread, list[tuple[Answer | None, BaseException | None]]]:
        box: list[tuple[Answer | None, BaseException | None]] = []

        def fetch() -> None:
            try:
                box.append((next(iterator, None), None))
            except BaseException as error:  # raised where the answer is taken
                box.append((None, error))

        thread = threading.Thread(target=fetch, name="fetch", daemon=True)
        thread.start()
        return thread, box

    thread, box = ask()
    while True:
        thread.join()
        answer, error = box[0]
        if error is not None:
            raise error
        if answer is None:
            return
        thread, box = ask()
        yield answer


def add_summary(total: ImportSummary, part: ImportSummary) -> None:
    """Add what ``part`` (one answer's import) did to ``total``: counts summed, lists
    joined, the stop (if any) taken."""
    for item in fields(ImportSummary):
        name = item.name
        mine, theirs = getattr(total, name), getattr(part, name)
        if name == "imported_at":
            continue
        if name == "stopped":
            total.stopped = theirs if theirs is not None else mine
        elif isinstance(mine, list):
            mine.extend(theirs)
        elif isinstance(mine, dict):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value
        elif isinstance(mine, (int, float)):
            setattr(total, name, mine + theirs)


#: The PMIDs registry records cite (as references, or as articles reporting results) that
#: no PubMed record in the store describes: what ``fetch pubmed --cited-by-store`` asks for.
CITED_NOT_HELD = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
PREFIX egv: <https://w3id.org/evidencegraph/vocab/>
SELECT DISTINCT ?pmid WHERE {
  GRAPH <https://w3id.org/evidencegraph/graph/catalog> {
    ?record eg:sourceKind egv:RegistryRecord
  }
  GRAPH ?record { ?article eg:pmid ?pmid }
  FILTER NOT EXISTS {
    GRAPH <https://w3id.org/evidencegraph/graph/catalog> {
      ?held eg:sourceKind egv:JournalArticleRecord
    }
    GRAPH ?held { ?article eg:pmid ?pmid }
  }
}
"""


def cited_pmids(graph: EvidenceGraph) -> list[str]:
    """The PMIDs the store's registry records cite and no PubMed record in it describes,
    in numeric order."""
    found = {str(row["pmid"]) for row in graph.query(CITED_NOT_HELD).rows if "pmid" in row}
    return sorted((pmid for pmid in found if pmid.isdigit()), key=int)
