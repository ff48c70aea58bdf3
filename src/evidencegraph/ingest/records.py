"""Input records and where they came from: files, directories, ZIP archives, API pages.

A reader yields :class:`Record` for each record it can read and
:class:`RecordError` for each it cannot, in input order, so that an import can
stop at the first bad record or skip it and go on. Problems with the input as
a whole (a path that does not exist, an empty directory) raise InputError.
"""

from __future__ import annotations

import gzip
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from evidencegraph.errors import InputError
from evidencegraph.errors import RecordError as RecordError  # where the readers took it from

MIB = 1 << 20
#: Bytes read from a stream at a time: what a refused input costs past its limit.
_CHUNK = 1 << 20
#: The ZIP compression methods Python's zipfile can read (stored, deflate, bzip2, LZMA).
_ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "LZMA",
}
#: A JSON escape of a UTF-16 surrogate: the only way a lone one gets into a parsed string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
#: A JSON escape of U+0000: the only way a NUL gets into a parsed string (raw, it is invalid).
_NUL_ESCAPE = "\\u0000"


@dataclass(frozen=True)
class Limits:
    """How large one record and one (decompressed) input may be, in bytes.

    An input past either is refused as soon as the limit is reached, having read
    no more than the limit and one chunk of 1 MiB: memory stays bounded whatever
    a ZIP member or a ``.gz`` file claims or expands to. The CLI's
    ``--max-record-size`` and ``--max-member-size`` set them.
    """

    #: one record: a study's JSON text; a PubMed article's XML (from the end of the one before)
    record: int
    #: one file, ZIP member, or what a ``.gz`` file decompresses to
    member: int


def size_text(size: int) -> str:
    """``33554432`` -> ``32 MiB``, ``1572864`` -> ``1.5 MiB``: sizes in messages, in the units
    the options take."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if size >= factor:
            exact = size % factor == 0
            return f"{size // factor:,} {unit}" if exact else f"{size / factor:,.1f} {unit}"
    return f"{size:,} bytes"


def too_large(what: str, limit: int, option: str, *, read: str = "it was not read further") -> str:
    """The reason given for an input past a limit: what, the limit, what was done with it,
    and the option that raises the limit."""
    return (
        f"{what} is larger than the limit of {size_text(limit)}; {read}. "
        f"If the input is genuine, raise the limit with {option} SIZE."
    )


@dataclass(frozen=True)
class Record:
    """One record to import: its parsed content and where it was read from."""

    origin: str
    content: object
    #: the record's size in bytes where the reader knows it (a JSON document's length)
    size: int = 0


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


def read_capped(stream: IO[bytes], limit: int) -> bytearray | None:
    """The whole stream, or None once it holds more than ``limit`` bytes (read in chunks, so
    no more than the limit and one chunk is ever held)."""
    buffer = bytearray()
    while chunk := stream.read(min(_CHUNK, limit + 1 - len(buffer))):
        buffer += chunk
        if len(buffer) > limit:
            return None
    return buffer


def read_json(source: IO[bytes] | bytearray, origin: str, limit: int) -> Record | RecordError:
    """One JSON document of at most ``limit`` bytes, from a stream or bytes already read (which
    are emptied once decoded, so the bytes, the text and the parsed values of a large document
    are never all held at once); a syntax error names the line and column.

    Refused as a record (a RecordError, never an exception): a document past the limit, text
    that is not UTF-8 (or UTF-16/32, as JSON allows), invalid JSON, nesting deeper than the
    parser's stack allows, an integer of more digits than Python converts (4,300), and a lone
    UTF-16 surrogate in a string (no RDF literal can hold one).
    """
    raw = source if isinstance(source, bytearray) else read_capped(source, limit)
    if raw is None or len(raw) > limit:
        return RecordError(origin, too_large("the JSON document", limit, "--max-member-size"))
    size = len(raw)
    try:
        # strict decoding: json.loads(bytes) would let UTF-8-encoded surrogates through
        text = raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError as error:
        return RecordError(origin, f"not UTF-8 text ({error.reason}); is this a JSON file?")
    finally:
        raw.clear()
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        return RecordError(
            f"{origin}:{error.lineno}:{error.colno}",
            f"invalid JSON: {error.msg}. Export the record again as JSON.",
        )
    except RecursionError:
        return RecordError(
            origin,
            "the JSON is nested too deeply to read (arrays and objects about a thousand levels "
            "deep); no registry record is. Export the record again as JSON.",
        )
    except ValueError as error:  # Python's limit on the digits of an integer it converts
        return RecordError(
            origin, f"a number in the JSON is too long to read ({error}). Correct that value."
        )
    if _SURROGATE_ESCAPE.search(text):
        where = _first_string(content, lambda value: not value.isascii() and not _encodes(value))
        if where is not None:
            return RecordError(
                origin,
                f"{where}: a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair); "
                "it is no character, and no RDF literal can hold it. Correct that text.",
            )
    if _NUL_ESCAPE in text:
        where = _first_string(content, lambda value: "\x00" in value)
        if where is not None:  # `load` refuses the same in a literal
            return RecordError(
                origin,
                f"{where}: a NUL character (\\u0000), which no text of a record should hold "
                "(XML cannot carry it, and it ends strings in C). Correct that text.",
            )
    return Record(origin, content, size)


def _first_string(content: object, bad: Callable[[str], bool]) -> str | None:
    """The path of the first string (or key) that is ``bad``, or None.

    Walked with a stack of its own, not by recursion: the value may be nested as deeply as
    the parser allowed.
    """
    stack: list[tuple[object, str]] = [(content, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if bad(value):
                return path or "the document"
        elif isinstance(value, dict):
            for key, child in value.items():
                if bad(key):
                    return f"{path}.{key!a}"
                stack.append((child, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(value))
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def iter_zip_members(
    path: Path,
    read_member: Callable[[bytearray, str], Iterator[Record | RecordError]],
    max_member: int,
) -> Iterator[Record | RecordError]:
    """Each member of a ZIP archive, streamed from the archive without unpacking to disk.

    A member that cannot be read is a record error naming the archive and the member, and
    the import goes on to the next (skip mode): one larger than ``max_member`` bytes, by its
    header or as it is read; encrypted; compressed with a method Python cannot read; or
    damaged (a bad CRC, corrupt compressed data, cut short).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise InputError(f"{path}: not a readable ZIP archive ({error}).") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if not members:
            raise InputError(f"{path}: the ZIP archive is empty.")
        for info in members:
            origin = f"{path}:{info.filename}"
            data = _member_bytes(archive, info, origin, max_member)
            if isinstance(data, RecordError):
                yield data
            else:
                yield from read_member(data, origin)


def _member_bytes(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, origin: str, limit: int
) -> bytearray | RecordError:
    """A member's bytes, decompressed and checked (CRC) by zipfile, or why they cannot be."""
    if info.flag_bits & 0x1:
        return RecordError(
            origin,
            "the ZIP member is encrypted; the importer reads no passwords. "
            "Unpack the archive with its password and import the files.",
        )
    if info.compress_type not in _ZIP_METHODS:
        return RecordError(
            origin,
            f"the ZIP member is compressed with method {info.compress_type}, which cannot be "
            f"read (only {', '.join(_ZIP_METHODS.values())} can). Unpack it with the tool "
            "that made it, or zip it again.",
        )
    if info.file_size > limit:
        return RecordError(
            origin,
            too_large(
                f"the ZIP member ({size_text(info.file_size)} decompressed, by its header)",
                limit,
                "--max-member-size",
            ),
        )
    try:
        with archive.open(info) as stream:
            data = read_capped(stream, limit)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        return RecordError(
            origin, f"the ZIP member is damaged ({error}). Download the archive again."
        )
    except (NotImplementedError, RuntimeError) as error:  # zipfile's words for what it cannot
        return RecordError(origin, f"the ZIP member cannot be read ({error}).")
    if data is None:
        return RecordError(
            origin, too_large("the ZIP member, decompressed,", limit, "--max-member-size")
        )
    return data


def count_records(files: Iterable[Path], marker: bytes, max_member: int | None = None) -> int:
    """How many records the files hold, for a progress bar: ``marker`` counted in each file
    (in each member of a ZIP archive, and through gzip for .gz files).

    Counting reads no further than ``max_member`` bytes of a file or member (the import
    refuses what is larger), and whatever cannot be read counts as one record: the import
    itself says what is wrong with it.
    """
    total = 0
    for path in files:
        try:
            if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    for info in archive.infolist():
                        if not info.is_dir():
                            total += _count_member(archive, info, marker, max_member)
            else:
                with _open_maybe_gzip(path) as stream:
                    total += max(1, _count(stream, marker, max_member))
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, ValueError):
            total += 1
    return total


def _count_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, marker: bytes, max_member: int | None
) -> int:
    if info.flag_bits & 0x1 or info.compress_type not in _ZIP_METHODS:
        return 1
    try:
        with archive.open(info) as member:
            return max(1, _count(member, marker, max_member))
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, ValueError, RuntimeError):
        return 1


def _open_maybe_gzip(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _count(stream: IO[bytes], marker: bytes, limit: int | None = None) -> int:
    count, tail, read = 0, b"", 0
    while (limit is None or read <= limit) and (chunk := stream.read(_CHUNK)):
        read += len(chunk)
        window = tail + chunk
        count += window.count(marker)
        # a marker cut by the chunk boundary is whole in the next window; the tail is too
        # short to hold a whole one, so nothing is counted twice
        tail = window[-(len(marker) - 1) :] if len(marker) > 1 else b""
    return count
