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

Every line is checked as it is read, field by field (`checked_change`): its type, its shape (a change id,
a UTC time, event ids and digests as the writer makes them) and its agreement with the action and the lines
before it (numbered in order, each starting from the version the one before ended at). A line that is not
such an entry raises ChangeLogError naming the file, the line and the field; nothing downstream (the
dashboard's notices, `history`, `revert`) ever sees a malformed entry.

A dataset kept in PostGIS records the same `Change` entries in its `changes` table instead, in the same
transaction as the change itself (geo.store.postgis); `geo.store.history(spec)` reads either.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geo.events.dataset import MAX_DEPTH
from geo.events.schema import SLUG_PATTERN, EventProperties, Source, nested_deeper_than, show

ACTIONS = ("append", "revert", "unrecorded")
VERSION_CHARS = 8  # a dataset version is the first 8 hex digits of its sha256
MAX_LOG_BYTES = 100_000_000
"""Largest change log read (100 MB; an append's line takes about 1 KB, a revert's at most the events it took
out). Checked before reading; over it, the dataset is read-only until the log is moved aside (and kept)."""
MAX_EDITOR_CHARS = 200
"""Longest editor recorded: an editor's name (geo.store.editors), `cli:<login name>`, or `unknown`."""


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


_CHANGE_ID = re.compile(r"[0-9]{4,9}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_ACTION = re.compile("|".join(ACTIONS))
_EVENT_ID = re.compile(SLUG_PATTERN.removeprefix("^").removesuffix("$"))


def _max_length(model: Any, name: str) -> int:
    """The longest text the data contract allows in `model`'s field `name`."""
    return next(rule.max_length for rule in model.model_fields[name].metadata if hasattr(rule, "max_length"))


_EVENT_ID_CHARS = _max_length(EventProperties, "id")
_REF_CHARS = _max_length(Source, "ref")


class _Bad(ValueError):
    """What is wrong with one field of an entry."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _text(name: str, value: Any, pattern: re.Pattern[str] | None = None, most: int = 0, what: str = "") -> str:
    if not isinstance(value, str):
        raise _Bad(name, f"must be {what or 'text'}, not {_kind(value)}")
    if (pattern is not None and not pattern.fullmatch(value)) or (most and not 0 < len(value) <= most) \
            or not value.isprintable():
        raise _Bad(name, f"must be {what or f'one line of 1 to {most:,} characters'}, not {show(value, 60)}")
    return value


def _items(name: str, value: Any, check: Callable[[str, Any], Any]) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise _Bad(name, f"must be a list, not {_kind(value)}")
    return tuple(check(f"{name}[{n}]", item) for n, item in enumerate(value))


def _event_id(name: str, value: Any) -> str:
    return _text(name, value, _EVENT_ID, _EVENT_ID_CHARS, "an event id (lowercase words joined by '-')")


def _ref(name: str, value: Any) -> str:
    return _text(name, value, None, _REF_CHARS)


def _digest(name: str, value: Any) -> str:
    return _text(name, value, _DIGEST, 0, "a sha256 digest (64 lowercase hex digits)")


def _change_id(name: str, value: Any) -> str:
    return _text(name, value, _CHANGE_ID, 0, "a change number such as '0007'")


def _object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(name, f"must be an object, not {_kind(value)}")
    return value


def _feature(name: str, value: Any) -> dict[str, Any]:
    """A whole event feature, as a revert keeps the events it took out (checked against the data contract
    when a revert puts it back)."""
    feature = _object(name, value)
    if feature.get("type") != "Feature" or not isinstance(feature.get("properties"), dict) \
            or "geometry" not in feature:
        raise _Bad(name, "must be a GeoJSON Feature with properties and a geometry")
    _event_id(f"{name}.properties.id", feature["properties"].get("id"))
    return feature


def _source(name: str, value: Any) -> dict[str, Any]:
    source = _object(name, value)
    _ref(f"{name}.ref", source.get("ref"))
    return source


def _figure(name: str, value: Any) -> dict[str, Any]:
    figure = _object(name, value)
    position = figure.get("source")
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise _Bad(f"{name}.source", f"must be a source's position (0 or more), not {show(position, 40)}")
    return figure


def _attached(name: str, value: Any) -> dict[str, Any]:
    """Sources attached to (a revert's: taken off) one existing event, with their figures."""
    entry = _object(name, value)
    unknown = set(entry) - {"event", "sources", "figures", "had_figures"}
    if unknown:
        raise _Bad(name, f"unknown field {show(min(unknown), 40)}")
    _event_id(f"{name}.event", entry.get("event"))
    if not _items(f"{name}.sources", entry.get("sources"), _source):
        raise _Bad(f"{name}.sources", "must name at least one source")
    _items(f"{name}.figures", entry.get("figures", []), _figure)
    if not isinstance(entry.get("had_figures", True), bool):
        raise _Bad(f"{name}.had_figures", f"must be true or false, not {_kind(entry['had_figures'])}")
    return entry


_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "id": _change_id,
    "time": lambda name, value: _text(name, value, _TIME, 0, "a UTC time such as 2024-05-01T09:30:00Z"),
    "editor": lambda name, value: _text(name, value, None, MAX_EDITOR_CHARS),
    "action": lambda name, value: _text(name, value, _ACTION, 0, f"one of {', '.join(ACTIONS)}"),
    "refs": lambda name, value: _items(name, value, _ref),
    "added": lambda name, value: _items(name, value, _event_id),
    "removed": lambda name, value: _items(name, value, _event_id),
    "digest_before": _digest,
    "digest_after": _digest,
    "reverts": _change_id,
    "removed_features": lambda name, value: _items(name, value, _feature),
    "attached": lambda name, value: _items(name, value, _attached),
}
"""Each field of an entry and how it is checked; `Change` has exactly these fields."""
_REQUIRED = ("id", "time", "editor", "action", "digest_before", "digest_after")


def checked_change(entry: Any) -> Change:
    """The Change a change-log entry records, every field checked for its type and shape and the fields
    checked against the action (a revert names the change it reverts and keeps whole every event it took
    out; an unrecorded change records nothing but its versions). Raises ValueError saying which field is
    wrong and how."""
    if not isinstance(entry, dict):
        raise ValueError(f"not a change entry: a line must be one JSON object, not {_kind(entry)}")
    unknown = [name for name in entry if name not in _FIELDS]
    if unknown:
        raise _Bad(show(unknown[0], 40), "unknown field")
    missing = [name for name in _REQUIRED if entry.get(name) is None]
    if missing:
        raise _Bad(missing[0], "missing (or null)")
    values = {name: check(name, entry[name]) for name, check in _FIELDS.items() if entry.get(name) is not None}
    change = Change(**{"refs": (), "added": (), "removed": (), **values})
    if change.action == "revert":
        if change.reverts is None:
            raise _Bad("reverts", "a revert must name the change it reverts")
        kept = [feature["properties"]["id"] for feature in change.removed_features]
        if sorted(kept) != sorted(change.removed) or len(set(kept)) != len(kept):
            raise _Bad("removed_features", "must hold each removed event exactly once, whole")
    else:
        for name in ("reverts", "removed", "removed_features"):
            if getattr(change, name):
                raise _Bad(name, f"only a revert has {name}")
    if change.action == "unrecorded" and (change.refs or change.added or change.attached):
        raise _Bad("action", "a change made outside the app records nothing but its versions")
    if len(set(change.added)) != len(change.added) or set(change.added) & set(change.removed):
        raise _Bad("added", "must name each event once, and none it also removed")
    return change


def _parsed(line: str) -> Any:
    """One line's JSON value; ValueError saying why it is not JSON (too deep included, checked first)."""
    if nested_deeper_than(line, MAX_DEPTH):
        raise ValueError(f"not JSON: arrays and objects nested more than {MAX_DEPTH} deep")
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg})") from None
    except (ValueError, RecursionError) as error:  # a number of over 4,300 digits, say
        raise ValueError(f"not JSON ({str(error).split(';')[0]})") from None


def read_changes(dataset: Path) -> list[Change]:
    """Every recorded change of `dataset`, oldest first ([] when none was ever recorded).

    A last line without its newline was cut short by a crash and is not a change. Any other line that is
    not a well-formed entry (`checked_change`), is not numbered after the one before, or does not start
    from the version the one before ended at raises ChangeLogError naming the file, the line and the
    field. A log over MAX_LOG_BYTES is refused before it is read."""
    path = log_path(dataset)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_LOG_BYTES + 1)
        if len(raw) > MAX_LOG_BYTES:
            raise ChangeLogError(f"{path}: the change log is over the limit of {MAX_LOG_BYTES:,} bytes "
                                 f"({MAX_LOG_BYTES / 1e6:g} MB); move it aside (and keep it) to start a new one")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise ChangeLogError(f"{path}: cannot read the change log ({error})") from None
    lines = text.split("\n")
    complete = lines[:-1]  # the part after the last newline is empty, or a torn write
    changes: list[Change] = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            change = checked_change(_parsed(line))
            if change.id != next_id(changes):
                raise _Bad("id", f"is {change.id}, but the change after {len(changes)} recorded ones is "
                                 f"{next_id(changes)} (a line was removed, moved or added by hand)")
            if changes and change.digest_before != changes[-1].digest_after:
                raise _Bad("digest_before", f"is not the version change {changes[-1].id} ended at "
                                            f"({version(changes[-1].digest_after)})")
            if change.reverts is not None and int(change.reverts) >= int(change.id):
                raise _Bad("reverts", f"names change {change.reverts}, which is not an earlier change")
        except ValueError as error:
            raise ChangeLogError(f"{path}: line {number}: {error}") from None
        changes.append(change)
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
