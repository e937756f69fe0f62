"""Safe writes to the events dataset: validate first, never lose what is there, never race.

`append_features` takes an exclusive lock (a `.lock` file beside the dataset), refuses if the file
changed since the caller read it (its sha256 differs), validates the whole result, keeps the previous
version as `<name>.bak`, writes the new version to a temporary file in the same folder, flushes it
to disk and renames it over the dataset. A crash at any moment leaves either the old or the new
file, never a half-written one, and the backup is always a complete earlier version.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from geo.dataset import DatasetError, read_json
from geo.schema import Problem, validate_collection


class ConflictError(Exception):
    """The dataset changed since it was read; nothing was written."""


def digest(path: Path) -> str:
    """sha256 of the file's bytes: what a writer saw when it read the dataset."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock for the dataset at `path` (waits for other writers)."""
    lock = path.with_name(path.name + ".lock")
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, rename it over `path`, fsync the folder."""
    folder = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def encode(collection: dict[str, Any]) -> bytes:
    return (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def append_features(path: Path, features: list[dict[str, Any]], expected_digest: str | None = None) -> int:
    """Append `features` to the dataset at `path`; returns how many were added.

    Raises ConflictError when the file's sha256 is no longer `expected_digest`, and DatasetError when
    the new features (or the result) break the data contract; in both cases nothing is written.
    """
    path = Path(path)
    with locked(path):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer killed mid-write
            stale.unlink(missing_ok=True)
        current_bytes = path.read_bytes()
        if expected_digest is not None and hashlib.sha256(current_bytes).hexdigest() != expected_digest:
            raise ConflictError(f"{path} changed since it was read; reload it and try again")
        current = read_json(path)
        problems = validate_collection(current, str(path))
        if problems:
            raise DatasetError(problems)
        result = {**current, "features": [*current["features"], *features]}
        problems = validate_collection(result, str(path))
        if problems:
            offset = len(current["features"])
            raise DatasetError([
                Problem(p.file, p.field, p.message + (f" (new feature {p.index - offset})"
                                                      if p.index is not None and p.index >= offset else ""),
                        p.index, p.feature_id)
                for p in problems])
        mode = path.stat().st_mode & 0o777
        _write_atomically(backup_path(path), current_bytes, mode)
        _write_atomically(path, encode(result), mode)
    return len(features)
