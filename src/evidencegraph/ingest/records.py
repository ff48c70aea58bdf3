"""Input records and where they came from: files, directories, ZIP archives, API pages.

A reader yields :class:`Record` for each record it can read and
:class:`RecordError` for each it cannot, in input order, so that an import can
stop at the first bad record or skip it and go on. Problems with the input as
a whole (a path that does not exist, an empty directory) raise InputError.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from evidencegraph.errors import InputError


@dataclass(frozen=True)
class Record:
    """One record to import: its parsed content and where it was read from."""

    origin: str
    content: object


@dataclass(frozen=True)
class RecordError:
    """A record that cannot be imported: where it is, which record, and why."""

    origin: str
    reason: str
    record_id: str = ""

    def __str__(self) -> str:
        where = f"{self.origin} ({self.record_id})" if self.record_id else self.origin
        return f"{where}: {self.reason}"


def expand_paths(paths: Iterable[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files named directly, and files with one of ``suffixes`` in named directories (sorted).

    Raises InputError for a path that does not exist or a directory with no
    such file.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                child
                for child in path.rglob("*")
                if child.is_file() and child.name.lower().endswith(suffixes)
            )
            if not found:
                raise InputError(
                    f"{path}: the directory holds no {' or '.join(suffixes)} file; "
                    "point at the files to import or at a directory that holds them."
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or directory.")
    return files


def read_json(stream: IO[bytes], origin: str) -> Record | RecordError:
    """One JSON document; a syntax error names the line and column."""
    raw = stream.read()
    try:
        return Record(origin, json.loads(raw))
    except json.JSONDecodeError as error:
        return RecordError(
            f"{origin}:{error.lineno}:{error.colno}",
            f"invalid JSON: {error.msg}. Export the record again as JSON.",
        )
    except UnicodeDecodeError as error:
        return RecordError(origin, f"not UTF-8 text ({error.reason}); is this a JSON file?")


def iter_zip_members(
    path: Path, read_member: Callable[[IO[bytes], str], Iterator[Record | RecordError]]
) -> Iterator[Record | RecordError]:
    """Each member of a ZIP archive, streamed from the archive without unpacking to disk."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise InputError(f"{path}: not a readable ZIP archive ({error}).") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise InputError(f"{path}: the ZIP archive is empty.")
        for info in members:
            origin = f"{path}:{info.filename}"
            with archive.open(info) as stream:
                yield from read_member(stream, origin)


def count_records(files: Iterable[Path], marker: bytes) -> int:
    """How many records the files hold, for a progress bar: ``marker`` counted in each file
    (in each .json member of a ZIP archive, and through gzip for .gz files)."""
    total = 0
    for path in files:
        if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        with archive.open(info) as member:
                            total += max(1, _count(member, marker))
        else:
            try:
                with _open_maybe_gzip(path) as stream:
                    total += max(1, _count(stream, marker))
            except (OSError, EOFError):
                total += 1  # the import itself reports what is wrong with the file
    return total


def _open_maybe_gzip(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _count(stream: IO[bytes], marker: bytes) -> int:
    count, tail = 0, b""
    while chunk := stream.read(1 << 20):
        window = tail + chunk
        count += window.count(marker)
        # a marker cut by the chunk boundary is whole in the next window; the tail is too
        # short to hold a whole one, so nothing is counted twice
        tail = window[-(len(marker) - 1) :] if len(marker) > 1 else b""
    return count
