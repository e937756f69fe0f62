"""Writing a file atomically: a reader (or a crash) sees the old file or the whole new one, never half of one.

The one way every module writes a file it replaces: the dataset and its backups (geo.store.file), the
editors file, seeds, GeoParquet, the prepared cache, exports and the commands' outputs. The new content goes
to a temporary file beside the target (`.<name>.<random>.tmp`, so on the same file system), is given its
mode, flushed to the disk (fsync) and renamed over the target (os.replace), and the folder is flushed too, so
the rename itself survives a power cut. On any failure the temporary file is removed and the target is as it was.

It lives in geo.io, beside the formats that use it, rather than in geo.store: importing any geo.store module
runs the package's __init__, which loads the file engine, which reads events files through geo.io, so a
format importing it from geo.store would import itself. It imports nothing from geo.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

FILE_MODE = 0o644
"""The mode a file written here gets unless told otherwise (readable by all, writable by its owner)."""


def write_atomically(path: Path, write: Callable[[Path], None], mode: int = FILE_MODE) -> None:
    """Call `write(temporary)` for an empty temporary file beside `path` (it may write it, or replace it),
    then give it `mode`, fsync it, rename it over `path` and fsync the folder. Whatever `write` raises goes
    on, with the temporary file removed and `path` untouched."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, mode)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_bytes_atomically(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace the file at `path` with `data`, atomically and durably (see `write_atomically`)."""
    write_atomically(path, lambda temporary: temporary.write_bytes(data), mode)
