"""The file engine: the events dataset as one GeoJSON file, written safely.

`append_features` and `revert_change` take an exclusive lock (a `.lock` file beside the dataset),
refuse if the file changed since the caller read it (its sha256 differs), validate the whole result
(and its size), keep the current version as a numbered backup `<name>.bak.<change id>`, write the new
version to a temporary file in the same folder, flush it to disk, rename it over the dataset, and
record the change in the change log (`geo.store.changelog`) with the editor's name. A crash at any moment
leaves either the old or the new file, never a half-written one; every backup is a complete earlier
version, and none is ever overwritten. A write the disk refuses (full, read-only) raises StoreError with
one line saying what was and was not written.

Backups are kept for the last BACKUPS_KEPT changes; older ones are removed after each change, so the disk
a busy dataset takes stays bounded. A revert checks the change against the versions it records
(geo.store.edits.check_recorded), so only changes whose two versions are still kept can be reverted in the app.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geo.store.changelog as changelog
from geo.events.dataset import MAX_FILE_BYTES, DatasetError, read_json
from geo.events.schema import Problem, validate_collection
from geo.io.atomic import write_bytes_atomically
from geo.io.events_file import read_events_file
from geo.store.changelog import Change
from geo.store.edits import Edit, check_size, plan_append, plan_revert
from geo.store.errors import ConflictError, StoreError, WrittenUnrecorded

BACKUPS_KEPT = 20
"""Backups (`<name>.bak.<change id>`) kept beside a dataset: those of its last 20 changes."""


def digest(path: Path) -> str:
    """sha256 of the file's bytes: what a writer saw when it read the dataset."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_stamp(path: Path, absent: str) -> str:
    """What changes whenever the file at `path` may have (`absent` when it cannot be read): its inode, ctime, mtime
    and size. Each safe write makes a new inode, and no one can set a ctime, so two contents of the same size
    written in one clock tick, or a copy that kept its mtime, still differ (mtime and size alone did not: servers
    then disagreed about the version)."""
    try:
        stat = Path(path).stat()
    except OSError:
        return absent
    return f"{stat.st_ino}:{stat.st_ctime_ns}:{stat.st_mtime_ns}:{stat.st_size}"


def backup_path(path: Path, change_id: str) -> Path:
    """Where the version that change `change_id` replaced is kept: `<name>.bak.<change id>`."""
    path = Path(path)
    return path.with_name(f"{path.name}.bak.{change_id}")


def backups(path: Path) -> list[Path]:
    """Every kept earlier version of the dataset, oldest first."""
    path = Path(path)
    return sorted(path.parent.glob(f"{path.name}.bak.[0-9]*"))


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


def encode(collection: dict[str, Any]) -> bytes:
    """The dataset's bytes as every engine writes them (indented UTF-8 JSON and a final newline): the
    sha256 of these bytes is the dataset's version."""
    return (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _commit(path: Path, current_bytes: bytes, edit: Edit, editor: str) -> Change:
    """Keep the current version as a numbered backup, write `edit.result` and record the change. Call only
    while holding the lock, with `current_bytes` the file as it is now and `edit` already validated."""
    data = encode(edit.result)
    if len(data) > MAX_FILE_BYTES:
        raise DatasetError([Problem(str(path), "file", f"the result would be {len(data) / 1e6:.1f} MB, over the "
                                                       f"{MAX_FILE_BYTES / 1e6:.0f} MB limit; nothing was written")])
    try:
        changes = changelog.read_changes(path)
    except changelog.ChangeLogError as error:  # a write that cannot be recorded is not made
        raise DatasetError([Problem(str(changelog.log_path(path)), "file",
                                    f"{error}; fix or move the change log, nothing was written")]) from None
    before = hashlib.sha256(current_bytes).hexdigest()
    change = None
    try:
        if changes and changes[-1].digest_after != before:  # edited by hand, or a crash before the log line
            changelog.record(path, Change(changelog.next_id(changes), changelog.now(), "unknown", "unrecorded", (),
                                          (), (), changes[-1].digest_after, before))
            changes = changelog.read_changes(path)
        change = edit.change(changes, editor, before, hashlib.sha256(data).hexdigest())
        mode = path.stat().st_mode & 0o777
        write_bytes_atomically(backup_path(path, change.id), current_bytes, mode)
        write_bytes_atomically(path, data, mode)
    except OSError as error:
        if change is not None:  # nothing changed: no backup of a version that is still current
            backup_path(path, change.id).unlink(missing_ok=True)
        raise StoreError(f"{path.name}: not written, the disk refused it ({error.strerror or error}); the dataset "
                         "is as it was") from None
    try:
        changelog.record(path, change)
    except OSError as error:
        raise WrittenUnrecorded(f"{path.name}: the change was written but could not be recorded in the change log "
                                f"({error.strerror or error}); it will be listed as made outside the app") from None
    _prune_backups(path)
    return change


def _prune_backups(path: Path) -> None:
    """Remove the backups of all but the last BACKUPS_KEPT changes (oldest first); a failure only leaves more."""
    numbered = [p for p in backups(path) if p.name.rsplit(".", 1)[1].isdigit()]
    for old in sorted(numbered, key=lambda p: int(p.name.rsplit(".", 1)[1]))[:-BACKUPS_KEPT]:
        try:
            old.unlink()
        except OSError:
            return


def _read_current(path: Path, expected_digest: str | None) -> tuple[bytes, dict[str, Any]]:
    """The dataset's bytes and JSON, refusing a stale writer or an invalid file. Call under the lock."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer killed mid-write
        stale.unlink(missing_ok=True)
    current_bytes = path.read_bytes()
    now = hashlib.sha256(current_bytes).hexdigest()
    if expected_digest is not None and now != expected_digest:
        raise ConflictError(str(path), expected_digest, now)
    current = read_json(path)
    problems = validate_collection(current, str(path))
    if problems:
        raise DatasetError(problems)
    return current_bytes, current


class FileStore:
    """The events dataset kept in one file (GeoJSON; GeoParquet by suffix, read-only)."""

    engine = "file"

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.label = str(self.path)
        self.name = self.path.name

    def __repr__(self) -> str:
        return f"FileStore({self.label!r})"

    def digest(self) -> str:
        """sha256 of the file's bytes."""
        return digest(self.path)

    def read(self) -> tuple[Any, str]:
        """The parsed FeatureCollection (not validated) and the digest of exactly those bytes. Raises
        DatasetError when the file cannot be read as an events file."""
        for _ in range(5):  # a writer may rename a new version in between; then read again
            before = self.digest() if self.path.exists() else ""
            data = read_events_file(self.path)
            if self.digest() == before:
                return data, before
        return data, self.digest()

    def stamp(self) -> str:
        """Changes whenever the file may have, on every server reading it (no read): `file_stamp`."""
        return file_stamp(self.path, "missing")

    def history(self) -> list[Change]:
        """The change log beside the file, oldest first (raises changelog.ChangeLogError when unreadable)."""
        return changelog.read_changes(self.path)

    def history_stamp(self) -> str:
        """Changes whenever the change log may have: `file_stamp`."""
        return file_stamp(changelog.log_path(self.path), "none")

    def kept_as(self, change_id: str) -> str:
        """Where the version that change `change_id` replaced is kept: the backup file's name."""
        return backup_path(self.path, change_id).name

    def append_features(self, features: list[dict[str, Any]], *, editor: str,
                        expected_digest: str | None = None) -> Change:
        """Append `features` as `editor` (see geo.store.edits.plan_append); returns the recorded change.

        Raises ConflictError when the file's sha256 is no longer `expected_digest`, and DatasetError when
        there are more than MAX_APPEND_FEATURES, or the new features (or the result) break the data
        contract or the size limit; in each case nothing is written."""
        check_size(self.label, features)
        with locked(self.path):
            current_bytes, current = _read_current(self.path, expected_digest)
            return _commit(self.path, current_bytes, plan_append(self.label, current, features), editor)

    def revert_change(self, change_id: str, *, editor: str) -> Change:
        """Write a new version without what change `change_id` did, recorded as a change of its own (see
        geo.store.edits.plan_revert); RevertError, and nothing written, when it cannot be reverted."""
        with locked(self.path):
            current_bytes, current = _read_current(self.path, None)
            changes = changelog.read_changes(self.path)
            edit = plan_revert(self.label, current, changes, change_id, changelog.log_path(self.path).name,
                               current_digest=hashlib.sha256(current_bytes).hexdigest(),
                               kept=lambda change: backup_path(self.path, change))
            return _commit(self.path, current_bytes, edit, editor)
