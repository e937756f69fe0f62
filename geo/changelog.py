"""The dataset's change log: who changed what, when, from which version to which.

Beside every events file written by `geo.store` lies `<name>.changes.jsonl`, an append-only JSON Lines
file with one entry per change, oldest first. An entry names the change (`id`, a zero-padded
sequence number), when it was made (UTC), by whom (an editor's name, or `cli:<user>`), what it did
(`append`, `revert`, or `unrecorded` for a change made outside the app, found by its digest), the
articles it cites, the event ids it added and removed, the sources it attached to existing events
(a revert: detached), and the dataset's sha256 before and after.
A revert also keeps the whole features it removed, so reverting the revert brings them back and
nothing is ever lost. Only `geo.store` writes here, under the dataset's lock; a line cut short by a
crash is dropped, and the gap it leaves is recorded as `unrecorded` at the next write.

A dataset kept in PostGIS records the same `Change` entries in its `changes` table instead, in the same
transaction as the change itself (geo.store.postgis); `geo.store.history(spec)` reads either.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ACTIONS = ("append", "revert", "unrecorded")
VERSION_CHARS = 8  # a dataset version is the first 8 hex digits of its sha256


class ChangeLogError(Exception):
    """The change log cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class Change:
    """One recorded change of the dataset."""

    id: str
    time: str
    editor: str
    action: str
    refs: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    digest_before: str
    digest_after: str
    reverts: str | None = None
    removed_features: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    attached: tuple[dict[str, Any], ...] = field(default=(), repr=False)  # {event, sources, figures} per event

    def summary(self) -> str:
        """One line for people: id, time, who, what."""
        attached = f", sources attached to {len(self.attached)}" if self.attached else ""
        what = {"append": f"added {len(self.added)}{attached}", "revert": f"reverted {self.reverts}: removed "
                f"{len(self.removed)}, restored {len(self.added)}"
                + (f", sources of {len(self.attached)} events" if self.attached else ""),
                "unrecorded": "changed outside the app (what changed is not known)"}[self.action]
        refs = f" from {', '.join(self.refs)}" if self.refs else ""
        return (f"{self.id}  {self.time}  {self.editor}  {what}{refs}  "
                f"{version(self.digest_before)} -> {version(self.digest_after)}")


def version(digest: str) -> str:
    """The short dataset version shown in the app and carried by shared links."""
    return digest[:VERSION_CHARS]


def log_path(dataset: Path) -> Path:
    """Where the change log of `dataset` lives."""
    dataset = Path(dataset)
    return dataset.with_name(dataset.name + ".changes.jsonl")


def cli_editor() -> str:
    """The editor recorded for a command-line change: `cli:<login name>`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"cli:{user}"


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(entry: Any, where: str) -> Change:
    if not isinstance(entry, dict) or entry.get("action") not in ACTIONS:
        raise ChangeLogError(f"{where}: not a change entry")
    try:
        return Change(
            id=str(entry["id"]), time=str(entry["time"]), editor=str(entry["editor"]), action=entry["action"],
            refs=tuple(entry.get("refs", ())), added=tuple(entry.get("added", ())),
            removed=tuple(entry.get("removed", ())), digest_before=str(entry["digest_before"]),
            digest_after=str(entry["digest_after"]), reverts=entry.get("reverts"),
            removed_features=tuple(entry.get("removed_features", ())), attached=tuple(entry.get("attached", ())))
    except (KeyError, TypeError) as error:
        raise ChangeLogError(f"{where}: missing or malformed field {error}") from None


def read_changes(dataset: Path) -> list[Change]:
    """Every recorded change of `dataset`, oldest first ([] when none was ever recorded).

    A last line without its newline was cut short by a crash and is not a change; any other line
    that is not a change entry raises ChangeLogError naming the file and line."""
    path = log_path(dataset)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise ChangeLogError(f"{path}: cannot read the change log ({error})") from None
    lines = text.split("\n")
    complete = lines[:-1]  # the part after the last newline is empty, or a torn write
    changes = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise ChangeLogError(f"{path}: line {number}: not JSON ({error.msg})") from None
        changes.append(_change(entry, f"{path}: line {number}"))
    return changes


def next_id(changes: Sequence[Change]) -> str:
    return f"{len(changes) + 1:04d}"


def record(dataset: Path, change: Change) -> None:
    """Append `change` to the log and flush it to disk. Call only while holding the dataset's lock."""
    path = log_path(dataset)
    entry = {k: v for k, v in asdict(change).items() if v not in (None, (), [])}
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    with open(path, "ab+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size:
            handle.seek(size - 1)
            if handle.read(1) != b"\n":  # a torn line from a crashed writer: cut it off
                handle.seek(0)
                kept = handle.read().rsplit(b"\n", 1)[0]
                handle.truncate(len(kept) + 1 if kept else 0)
        handle.seek(0, os.SEEK_END)
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def find(changes: Sequence[Change], change_id: str) -> Change | None:
    """The change with this id (leading zeros optional: '3' finds '0003')."""
    wanted = change_id.strip().lstrip("0") or "0"
    return next((c for c in changes if c.id.lstrip("0") == wanted), None)


@dataclass(frozen=True)
class Since:
    """What changed between an older dataset version and now."""

    changes: int
    added: int
    removed: int
    unrecorded: int


def changes_since(changes: Sequence[Change], old_version: str) -> Since | None:
    """Counts of events added and removed after the dataset was at `old_version` (a digest or its
    first 8 characters); None when the log never saw that version."""
    old_version = old_version.lower()
    for position in range(len(changes) - 1, -1, -1):  # the latest time the dataset was at that version
        if changes[position].digest_after.startswith(old_version):
            later = changes[position + 1:]
            break
    else:
        if changes and changes[0].digest_before.startswith(old_version):
            later = changes
        else:
            return None
    return Since(len(later), sum(len(c.added) for c in later), sum(len(c.removed) for c in later),
                 sum(c.action == "unrecorded" for c in later))


def link_notice(changes: Sequence[Change], link_version: str, current_digest: str) -> str | None:
    """What to tell someone who opens a link made on `link_version`; None when it is the current one."""
    if current_digest.startswith(link_version.lower()):
        return None
    since = changes_since(changes, link_version)
    shown = link_version[:VERSION_CHARS]
    if since is None:
        return (f"This link was made on dataset version {shown}, which this server has no record of; "
                f"the events it showed may differ from version {version(current_digest)} shown now.")
    text = (f"This link was made on dataset version {shown}; since then {since.added} events were added "
            f"and {since.removed} removed ({since.changes} changes; now version {version(current_digest)}).")
    if since.unrecorded:
        text += f" {since.unrecorded} of those changes were made outside the app, so the counts may be incomplete."
    return text
