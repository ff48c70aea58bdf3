"""Writing output files: beside their targets first, then renamed into place, so a failure
leaves whatever was there untouched (`export -o`, `publish OUT`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from evidencegraph.errors import OutputError


def write_files(files: dict[Path, bytes], advice: str) -> None:
    """Write every file beside its target first, then rename them all into place: a failure
    while writing leaves no file, old or new, touched.

    Raises OutputError naming the file when one cannot be written; ``advice`` ends the message
    when its folder does not take a new file (missing, not writable).
    """
    written: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            folder = path.parent if str(path.parent) else Path(".")
            try:
                descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
            except OSError as error:
                raise OutputError(
                    f"cannot write {path}: {error.strerror or error}; {advice}"
                ) from None
            written[path] = Path(name)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.chmod(name, 0o666 & ~_umask())
        for path, scratch in written.items():
            try:
                os.replace(scratch, path)
            except OSError as error:
                raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        for scratch in written.values():
            scratch.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> int:
    """Write ``text`` (UTF-8) to the one file ``path`` as :func:`write_files` does; return the
    bytes written. Raises OutputError also when ``path`` is a folder."""
    data = text.encode("utf-8")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder; give a file name")
    write_files({path: data}, "choose a folder that exists and that you can write to")
    return len(data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
