"""Writing a publication: beside its target first, then renamed into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from evidencegraph.errors import OutputError


def write_atomically(path: Path, text: str) -> int:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder, so a
    failure leaves whatever was there untouched; return the bytes written.

    Raises OutputError when the folder does not exist or cannot be written, or ``path`` is a
    folder.
    """
    data = text.encode("utf-8")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as error:
        raise OutputError(
            f"cannot write {path}: {error.strerror or error}; choose a folder that exists "
            "and that you can write to"
        ) from None
    scratch = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(scratch, 0o666 & ~umask)
        os.replace(scratch, path)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        scratch.unlink(missing_ok=True)
    return len(data)
