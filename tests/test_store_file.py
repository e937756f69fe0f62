"""The file engine's bounds: backups are kept for the last BACKUPS_KEPT changes only, and a disk that refuses a
write gives one line and leaves the dataset, its backups and its change log as they were."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest

from geo.store import StoreError, append_features, backups, encode, revert_change
from geo.store.changelog import read_changes
from geo.store.file import BACKUPS_KEPT
from tests.conftest import EVENTS_PATH
from tests.disks import fill, small_disk


def new_event(collection: dict, n: int) -> dict:
    feature = copy.deepcopy(collection["features"][6])
    feature["properties"]["id"] = f"appended-event-{n}"
    return feature


def test_only_the_last_twenty_changes_keep_a_backup_and_the_latest_can_still_be_reverted(tmp_path: Path,
                                                                                          collection):
    data = tmp_path / "events.geojson"
    data.write_bytes(encode(collection))
    for n in range(BACKUPS_KEPT + 5):
        append_features(data, [new_event(collection, n)], editor="alice")

    kept = backups(data)
    changes = read_changes(data)
    assert len(kept) == BACKUPS_KEPT
    assert [p.name.rsplit(".", 1)[1] for p in kept] == [c.id for c in changes[-BACKUPS_KEPT:]]
    for path, change in zip(kept, changes[-BACKUPS_KEPT:], strict=True):  # each still the version it replaced
        assert hashlib.sha256(path.read_bytes()).hexdigest() == change.digest_before

    revert_change(data, changes[-1].id, editor="alice")
    assert f"appended-event-{BACKUPS_KEPT + 4}" not in data.read_text(encoding="utf-8")
    assert len(backups(data)) == BACKUPS_KEPT


def test_a_full_disk_gives_one_line_and_leaves_the_dataset_backups_and_log_as_they_were(tmp_path: Path,
                                                                                         collection):
    size = len(EVENTS_PATH.read_bytes())
    with small_disk(tmp_path / "disk", 4 * size) as disk:
        data = disk / "events.geojson"
        data.write_bytes(encode(collection))
        append_features(data, [new_event(collection, 0)], editor="alice")
        before = data.read_bytes(), [p.name for p in backups(data)], read_changes(data)
        fill(disk)

        with pytest.raises(StoreError) as refused:
            append_features(data, [new_event(collection, 1)], editor="alice")

        message = str(refused.value)
        assert "\n" not in message and "disk" in message and str(disk) not in message
        assert message.startswith("events.geojson: not written")
        assert (data.read_bytes(), [p.name for p in backups(data)], read_changes(data)) == before
        assert not list(disk.glob(".*.tmp"))


def test_two_contents_of_one_size_with_the_same_mtime_have_different_stamps(tmp_path: Path):
    # What a second server compares to know the dataset changed: a copy that kept its mtime (cp -p, rsync -a) or
    # two writes in one clock tick must not look like the same version.
    import os

    from geo.store.file import FileStore

    path = tmp_path / "events.geojson"
    text = EVENTS_PATH.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    store = FileStore(path)
    before, mtime = store.stamp(), path.stat().st_mtime_ns
    swapped = text.replace('"value": 4,', '"value": 5,', 1)
    assert len(swapped) == len(text) and swapped != text
    replacement = tmp_path / "new.geojson"
    replacement.write_text(swapped, encoding="utf-8")
    os.utime(replacement, ns=(mtime, mtime))
    os.replace(replacement, path)  # as every safe write does: a new file renamed over the old
    assert path.stat().st_mtime_ns == mtime and path.stat().st_size == len(text.encode())
    assert store.stamp() != before
    assert FileStore(tmp_path / "absent.geojson").stamp() == "missing"
