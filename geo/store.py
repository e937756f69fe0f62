"""Safe writes to the events dataset: validate first, never lose what is there, never race, record it.

`append_features` and `revert_change` take an exclusive lock (a `.lock` file beside the dataset),
refuse if the file changed since the caller read it (its sha256 differs), validate the whole result
(and its size), keep the current version as a numbered backup `<name>.bak.<change id>`, write the new
version to a temporary file in the same folder, flush it to disk, rename it over the dataset, and
record the change in the change log (`geo.changelog`) with the editor's name. A crash at any moment
leaves either the old or the new file, never a half-written one; every backup is a complete earlier
version, and none is ever overwritten.
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

from geo import changelog
from geo.changelog import Change
from geo.dataset import MAX_FILE_BYTES, DatasetError, read_json
from geo.schema import Problem, validate_collection


class ConflictError(Exception):
    """The dataset changed since it was read; nothing was written."""


def digest(path: Path) -> str:
    """sha256 of the file's bytes: what a writer saw when it read the dataset."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def backup_path(path: Path, change_id: str) -> Path:
    """Where the version that change `change_id` replaced is kept: `<name>.bak.<change id>`."""
    return path.with_name(f"{path.name}.bak.{change_id}")


def backups(path: Path) -> list[Path]:
    """Every kept earlier version of the dataset, oldest first."""
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


MAX_APPEND_FEATURES = 300
"""Most events one append may add: a real article gives a few dozen; thousands mean a runaway ingest."""


def _number_new(problems: list[Problem], offset: int) -> list[Problem]:
    """Problems of a would-be result, saying which new feature each one is about."""
    return [Problem(p.file, p.field, p.message + (f" (new feature {p.index - offset})"
                                                  if p.index is not None and p.index >= offset else ""),
                    p.index, p.feature_id)
            for p in problems]


def _refs(features: list[dict[str, Any]]) -> tuple[str, ...]:
    """The distinct source refs the features cite, in order: the articles a change came from."""
    refs: dict[str, None] = {}
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        for source in (props or {}).get("sources") or []:
            if isinstance(source, dict) and isinstance(source.get("ref"), str):
                refs.setdefault(source["ref"][:2000], None)
    return tuple(refs)


def _commit(path: Path, current_bytes: bytes, result: dict[str, Any], editor: str, action: str,
            added: tuple[str, ...], removed: tuple[str, ...], refs: tuple[str, ...] = (),
            reverts: str | None = None, removed_features: tuple[dict[str, Any], ...] = (),
            attached: tuple[dict[str, Any], ...] = ()) -> Change:
    """Validate `result`, keep the current version as a numbered backup, write `result` and record the
    change. Call only while holding the lock, with `current_bytes` the file as it is now."""
    problems = validate_collection(result, str(path))
    if problems:
        raise DatasetError(_number_new(problems, len(result["features"]) - len(added)))
    data = encode(result)
    if len(data) > MAX_FILE_BYTES:
        raise DatasetError([Problem(str(path), "file", f"the result would be {len(data) / 1e6:.1f} MB, over the "
                                                       f"{MAX_FILE_BYTES / 1e6:.0f} MB limit; nothing was written")])
    try:
        changes = changelog.read_changes(path)
    except changelog.ChangeLogError as error:  # a write that cannot be recorded is not made
        raise DatasetError([Problem(str(changelog.log_path(path)), "file",
                                    f"{error}; fix or move the change log, nothing was written")]) from None
    before = hashlib.sha256(current_bytes).hexdigest()
    if changes and changes[-1].digest_after != before:  # edited by hand, or a crash before the log line
        changelog.record(path, Change(changelog.next_id(changes), changelog.now(), "unknown", "unrecorded", (),
                                      (), (), changes[-1].digest_after, before))
        changes = changelog.read_changes(path)
    change = Change(changelog.next_id(changes), changelog.now(), editor, action, refs, added, removed, before,
                    hashlib.sha256(data).hexdigest(), reverts, removed_features, attached)
    mode = path.stat().st_mode & 0o777
    _write_atomically(backup_path(path, change.id), current_bytes, mode)
    _write_atomically(path, data, mode)
    changelog.record(path, change)
    return change


def _read_current(path: Path, expected_digest: str | None) -> tuple[bytes, dict[str, Any]]:
    """The dataset's bytes and JSON, refusing a stale writer or an invalid file. Call under the lock."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer killed mid-write
        stale.unlink(missing_ok=True)
    current_bytes = path.read_bytes()
    if expected_digest is not None and hashlib.sha256(current_bytes).hexdigest() != expected_digest:
        raise ConflictError(f"{path} changed since it was read; reload it and try again")
    current = read_json(path)
    problems = validate_collection(current, str(path))
    if problems:
        raise DatasetError(problems)
    return current_bytes, current


def append_features(path: Path, features: list[dict[str, Any]], *, editor: str,
                    expected_digest: str | None = None) -> Change:
    """Append `features` to the dataset at `path` as `editor`; returns the recorded change.

    Raises ConflictError when the file's sha256 is no longer `expected_digest`, and DatasetError when
    there are more than MAX_APPEND_FEATURES, or the new features (or the result) break the data
    contract or the size limit; in each case nothing is written."""
    path = Path(path)
    if len(features) > MAX_APPEND_FEATURES:
        raise DatasetError([Problem(str(path), "features", f"{len(features)} events in one append; at most "
                                                           f"{MAX_APPEND_FEATURES} may be added at once")])
    with locked(path):
        current_bytes, current = _read_current(path, expected_digest)
        new, corroborating = [], []
        for feature in features:
            props = feature.get("properties") if isinstance(feature, dict) else None
            (corroborating if isinstance(props, dict) and props.get("matches") else new).append(feature)
        existing = [*current["features"]]
        attached = _attach(path, existing, corroborating)
        if not new and not attached:
            raise DatasetError([Problem(str(path), "features", "nothing to add: the matched events already cite "
                                                               "every source of these candidates")])
        result = {**current, "features": [*existing, *new]}
        added = tuple(str((f.get("properties") or {}).get("id")) for f in new if isinstance(f, dict))
        return _commit(path, current_bytes, result, editor, "append", added, (), _refs(features),
                       attached=tuple(attached))


def _attach(path: Path, features: list[dict[str, Any]], corroborating: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each matched event (in place, in `features`) the corroborating candidates' sources it does not
    cite yet, with their figures re-pointed at the new source positions. Returns what was attached, per
    event, for the change log (and so for a revert)."""
    position = {(f.get("properties") or {}).get("id"): n for n, f in enumerate(features)}
    attached = []
    for candidate in corroborating:
        props = candidate["properties"]
        target = position.get(props["matches"])
        if target is None:
            raise DatasetError([Problem(str(path), "properties.matches", f"the candidate {props.get('id')!r} matches "
                                        f"{props['matches']!r}, which is not in the dataset")])
        event = {**features[target], "properties": dict(features[target]["properties"])}
        had_figures = "figures" in event["properties"]
        sources = list(event["properties"].get("sources") or [])
        cited = {s.get("ref") for s in sources}
        new_at: dict[int, int] = {}
        added_sources = []
        for n, source in enumerate(props.get("sources") or []):
            if source.get("ref") in cited:
                continue
            new_at[n] = len(sources)
            sources.append(source)
            added_sources.append(source)
            cited.add(source.get("ref"))
        figures = [{**f, "source": new_at[f["source"]]}
                   for f in props.get("figures") or [] if f.get("source") in new_at]
        if not added_sources:
            continue
        event["properties"]["sources"] = sources
        if figures:
            event["properties"]["figures"] = [*(event["properties"].get("figures") or []), *figures]
        features[target] = event
        attached.append({"event": props["matches"], "sources": added_sources, "figures": figures,
                         "had_figures": had_figures})
    return attached


def _detach(features: list[dict[str, Any]], attached: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Take the sources (and their figures) a change attached back off their events, in place; returns
    the entries that were taken off."""
    position = {(f.get("properties") or {}).get("id"): n for n, f in enumerate(features)}
    detached = []
    for entry in attached:
        target = position.get(entry["event"])
        if target is None:
            continue
        props = dict(features[target]["properties"])
        refs = {s.get("ref") for s in entry["sources"]}
        old = props.get("sources") or []
        keep = [n for n, s in enumerate(old) if s.get("ref") not in refs]
        if len(keep) == len(old):
            continue
        new_at = {n: k for k, n in enumerate(keep)}
        props["sources"] = [old[n] for n in keep]
        figures = [{**f, "source": new_at[f["source"]]} for f in props.get("figures") or [] if f["source"] in new_at]
        if figures or entry.get("had_figures", True):  # put back exactly what was there, even an empty list
            props["figures"] = figures
        else:
            props.pop("figures", None)
        features[target] = {**features[target], "properties": props}
        detached.append(entry)
    return detached


class RevertError(Exception):
    """The change cannot be reverted (unknown, already reverted, nothing left to undo); nothing was written."""


def revert_change(path: Path, change_id: str, *, editor: str) -> Change:
    """Write a new version without what change `change_id` did, and record that as a change of its own.

    The events the change added are removed (their features kept in the log entry), and the events it
    removed (a revert's) are put back. Raises RevertError, and writes nothing, for an unknown change,
    one already reverted, or one whose events are all gone already."""
    path = Path(path)
    with locked(path):
        current_bytes, current = _read_current(path, None)
        changes = changelog.read_changes(path)
        target = changelog.find(changes, change_id)
        if target is None:
            raise RevertError(f"{path}: no change {change_id[:40]!r} in {changelog.log_path(path).name}")
        if target.action == "unrecorded":
            raise RevertError(f"change {target.id} was made outside the app; what it changed is not known, "
                              "so it cannot be reverted (restore a backup by hand instead)")
        undone = next((c for c in changes if c.reverts == target.id), None)
        if undone is not None:
            raise RevertError(f"change {target.id} was already reverted by change {undone.id}")
        drop = set(target.added)
        present = {(f.get("properties") or {}).get("id") for f in current["features"]}
        gone = tuple(f for f in current["features"] if (f.get("properties") or {}).get("id") in drop)
        back = [f for f in target.removed_features if f["properties"]["id"] not in present]
        kept = [f for f in current["features"] if (f.get("properties") or {}).get("id") not in drop]
        if target.action == "revert":  # undoing a revert puts back the sources it took off
            moved = _attach(path, kept, [{"properties": {"matches": e["event"], "sources": e["sources"],
                                                          "figures": e["figures"]}} for e in target.attached])
        else:
            moved = _detach(kept, target.attached)
        if not gone and not back and not moved:
            raise RevertError(f"nothing to revert: the events of change {target.id} are no longer in the dataset")
        result = {**current, "features": [*kept, *back]}
        return _commit(path, current_bytes, result, editor, "revert",
                       tuple(f["properties"]["id"] for f in back), tuple(f["properties"]["id"] for f in gone),
                       target.refs, target.id, gone, tuple(moved))
