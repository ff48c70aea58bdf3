"""``dump``: the view as sorted Turtle and sorted gzipped N-Triples, the source graphs as
sorted gzipped N-Quads, and ``void.ttl``.

Every file is written to a scratch folder inside the target directory and renamed into place
once all are complete, so a failure never leaves half a file behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from evidencegraph import __version__
from evidencegraph.errors import OutputError
from evidencegraph.ontology.namespace import BASE, EGID, PREFIXES
from evidencegraph.publish.sorted_turtle import (
    TurtleWriter,
    canonical_blank_nodes,
    canonical_blank_quads,
    names_blank_node,
    quad_names_blank_node,
    sort_lines,
)
from evidencegraph.publish.void import (
    VOID_PREFIXES,
    DatasetStatistics,
    DumpFile,
    GraphCensus,
    GraphSubset,
    dataset_statistics,
    void_lines,
)
from evidencegraph.store.core import Store

TURTLE_NAME = "evidencegraph.ttl"
NTRIPLES_NAME = "evidencegraph.nt.gz"
#: Every named graph (the source graphs and the catalog), as sorted N-Quads.
GRAPHS_NAME = "evidencegraph-graphs.nq.gz"
VOID_NAME = "void.ttl"
#: The folder void.ttl names the files in when no --base-url is given: the project's own
#: place for dumps, under the namespace of its IRIs. void.ttl declares it as its ``@base``, so
#: every IRI in it is absolute to any reader, and stays the same wherever the dump is written
#: (a folder's file:// IRI would make void.ttl differ by where it was dumped).
DEFAULT_BASE_URL = BASE + "dump/"
#: zlib level for the N-Triples: level 6 (gzip's default) costs about twice level 1's time for
#: a few per cent smaller files; the compression runs on its own thread either way.
_GZIP_LEVEL = 6
#: Lines handed to the compressing thread at a time.
_CHUNK_LINES = 20_000


@dataclass(frozen=True)
class DumpSummary:
    """What a dump wrote: the triples of the view, the quads of the named graphs, the files
    (the data files first, then void.ttl)."""

    directory: Path
    triples: int
    files: tuple[DumpFile, ...]
    statistics: DatasetStatistics
    #: the named graphs by kind of source, then the catalog
    subsets: tuple[GraphSubset, ...] = ()

    @property
    def quads(self) -> int:
        """Statements in named graphs (the graphs file's lines)."""
        return sum(subset.triples for subset in self.subsets)

    @property
    def graphs(self) -> int:
        """Named graphs, the catalog included."""
        return sum(subset.graphs for subset in self.subsets)


def dump_store(
    store: Store,
    directory: Path,
    *,
    sparql_endpoint: str | None = None,
    base_url: str | None = None,
    issued: date | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> DumpSummary:
    """Write ``evidencegraph.ttl``, ``evidencegraph.nt.gz`` (the view, the default graph),
    ``evidencegraph-graphs.nq.gz`` (every named graph) and ``void.ttl`` into ``directory``.

    The same statements give the same bytes in the three data files, whatever order they were
    loaded in. ``void.ttl`` names the files under ``base_url``, the folder they will be
    published in (default :data:`DEFAULT_BASE_URL`), which it declares as its ``@base``:
    every file of a dump reads alone, with absolute IRIs. ``issued`` defaults to today (UTC).

    ``on_progress(triples written, triples in all)`` is called now and then while the sorted
    triples are written.

    Raises OutputError when ``directory`` cannot be created or written; files already there
    are left as they were.
    """
    location = _folder_iri(base_url if base_url is not None else DEFAULT_BASE_URL)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        scratch_dir = tempfile.TemporaryDirectory(dir=directory, prefix=".dump-")
    except OSError as error:
        raise OutputError(
            f"cannot write the dump to {directory}: {error.strerror or error}; "
            "choose a directory you can write to"
        ) from None
    with scratch_dir as name:
        scratch = Path(name)
        try:
            triples, view_files = _write_data(store, scratch, on_progress)
            graphs_file, census = _write_graphs(store, scratch)
            data_files = (*view_files, graphs_file)
            statistics = dataset_statistics(store)
            subsets = census.subsets()
            lines = void_lines(
                statistics,
                data_files,
                location=location,
                version=__version__,
                issued=issued or datetime.now(timezone.utc).date(),
                sparql_endpoint=sparql_endpoint,
                subsets=subsets,
                graphs_file=GRAPHS_NAME,
            )
            with (scratch / VOID_NAME).open("wb") as handle:
                hashing = _HashingFile(handle)
                TurtleWriter(hashing, VOID_PREFIXES, location).write(sort_lines(lines, scratch))
            void_file = DumpFile(VOID_NAME, "text/turtle", None, hashing.size, hashing.hexdigest())
            files = (*data_files, void_file)
            # every rename is checked before the first: a directory where a file goes, say
            blocked = [f.name for f in files if (directory / f.name).is_dir()]
            if blocked:
                raise OSError(f"{', '.join(blocked)} is a directory")
            for written in files:
                os.replace(scratch / written.name, directory / written.name)
        except OSError as error:
            raise OutputError(
                f"cannot write the dump to {directory}: {error.strerror or error}; "
                "nothing was replaced there. Free some space or choose another directory."
            ) from None
    return DumpSummary(directory, triples, (*data_files, void_file), statistics, subsets)


def _write_data(
    store: Store, scratch: Path, on_progress: Callable[[int, int], None] | None = None
) -> tuple[int, tuple[DumpFile, ...]]:
    """The sorted Turtle and the sorted N-Triples, written in one pass over the sorted lines."""
    raw = scratch / "unsorted.nt"
    quads = store.quads()
    ox.serialize(quads, str(raw), format=ox.RdfFormat.N_TRIPLES)
    with (
        (scratch / TURTLE_NAME).open("wb") as turtle_file,
        (scratch / NTRIPLES_NAME).open("wb") as ntriples_file,
    ):
        turtle = _HashingFile(turtle_file)
        ntriples = _HashingFile(ntriples_file)
        compressor = _Compressor(ntriples)
        try:
            read = _Counted(_canonical_lines(raw))
            lines = sort_lines(read, scratch)
            if on_progress is not None:
                lines = _reporting(lines, read, on_progress)
            triples = TurtleWriter(turtle, PREFIXES, str(EGID)).write(compressor.tee(lines))
        finally:
            compressor.close()
    raw.unlink()
    return triples, (
        DumpFile(TURTLE_NAME, "text/turtle", None, turtle.size, turtle.hexdigest()),
        DumpFile(
            NTRIPLES_NAME,
            "application/n-triples",
            "application/gzip",
            ntriples.size,
            ntriples.hexdigest(),
        ),
    )


def _write_graphs(store: Store, scratch: Path) -> tuple[DumpFile, GraphCensus]:
    """Every named graph as sorted N-Quads, gzipped as byte-stably as the N-Triples; and the
    statements of each graph and the kinds the catalog gives them, counted on the way."""
    raw = scratch / "unsorted.nq"
    census = GraphCensus()
    ox.serialize(census.take(store.named_quads()), str(raw), format=ox.RdfFormat.N_QUADS)
    with (scratch / GRAPHS_NAME).open("wb") as handle:
        hashing = _HashingFile(handle)
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=hashing, compresslevel=_GZIP_LEVEL, mtime=0
        ) as compressed:
            held: list[bytes] = []
            for line in sort_lines(_canonical_quad_lines(raw), scratch):
                held.append(line)
                if len(held) == _CHUNK_LINES:
                    compressed.write(b"".join(held))
                    held = []
            compressed.write(b"".join(held))
    raw.unlink()
    written = DumpFile(
        GRAPHS_NAME, "application/n-quads", "application/gzip", hashing.size, hashing.hexdigest()
    )
    return written, census


class _Counted:
    """Lines passed through, counted: the sort reads them all before it yields the first, so
    the count is the total by the time the sorted lines are written."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self._lines:
            self.count += 1
            yield line


#: Lines written between two progress reports.
_REPORT_EVERY = 10_000


def _reporting(
    lines: Iterable[bytes], read: _Counted, on_progress: Callable[[int, int], None]
) -> Iterator[bytes]:
    """``lines`` passed through, telling ``on_progress`` how many of how many went by."""
    done = 0
    for line in lines:
        yield line
        done += 1
        if done % _REPORT_EVERY == 0:
            on_progress(done, read.count)
    on_progress(done, read.count)


def _canonical_lines(raw: Path) -> Iterator[bytes]:
    """The lines of ``raw``, those naming blank nodes relabelled canonically (at the end)."""
    blank: list[bytes] = []
    with raw.open("rb") as handle:
        for line in handle:
            if b"_:" in line and names_blank_node(line):
                blank.append(line)
            else:
                yield line
    yield from canonical_blank_nodes(blank)


def _canonical_quad_lines(raw: Path) -> Iterator[bytes]:
    """The lines of the N-Quads file ``raw``, those naming blank nodes relabelled canonically
    (at the end)."""
    blank: list[bytes] = []
    with raw.open("rb") as handle:
        for line in handle:
            if quad_names_blank_node(line):
                blank.append(line)
            else:
                yield line
    yield from canonical_blank_quads(blank)


class _HashingFile:
    """A binary file that keeps the SHA-256 and the size of what is written to it."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class _Compressor:
    """Byte-stable gzip (no file name, mtime 0) written on its own thread: zlib releases the
    GIL, so compressing overlaps with the Turtle writer's work."""

    def __init__(self, target: _HashingFile) -> None:
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._gzip = gzip.GzipFile(
            filename="", mode="wb", fileobj=target, compresslevel=_GZIP_LEVEL, mtime=0
        )
        self._thread = threading.Thread(target=self._run, name="dump-gzip", daemon=True)
        self._thread.start()

    def tee(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        """Pass ``lines`` through, compressing a copy of them."""
        held: list[bytes] = []
        for line in lines:
            held.append(line)
            yield line
            if len(held) == _CHUNK_LINES:
                self._put(b"".join(held))
                held = []
        self._put(b"".join(held))

    def close(self) -> None:
        """Finish the gzip stream; raise what the compressing thread met, if anything."""
        self._chunks.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _put(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._chunks.put(chunk)

    def _run(self) -> None:
        try:
            while (chunk := self._chunks.get()) is not None:
                if self._error is None:
                    self._gzip.write(chunk)
            if self._error is None:
                self._gzip.close()
        except BaseException as error:  # handed to the writing thread, raised there
            self._error = error
            while self._chunks.get() is not None:  # drain, so that the producer never blocks
                pass


def _folder_iri(url: str) -> str:
    """``url`` as the IRI of a folder (ending in ``/``)."""
    return url if url.endswith("/") else url + "/"
