"""The store contract, on both engines (a GeoJSON file, and a real PostgreSQL+PostGIS): appends validate first,
refuse stale writers, serialise concurrent ones, record every change and its editor, and never lose anything."""

from __future__ import annotations

import copy
import json
import threading

import pytest

from geo.events.dataset import DatasetError, frame_from_collection, read_json
from geo.io.events_file import load_events
from geo.store import (
    MAX_APPEND_FEATURES,
    ConflictError,
    RevertError,
    append_features,
    backup_path,
    backups,
    digest,
    history,
    read_collection,
    revert_change,
)
from geo.store.changelog import read_changes
from tests.conftest import EVENTS_PATH

ENGINES = ["file", "postgis"]


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture
def dataset(engine, make_dataset, collection):
    """A copy of the curated dataset on the engine under test: its spec (a path or a URL)."""
    return make_dataset(engine, collection)


@pytest.fixture
def file_dataset(tmp_path):
    path = tmp_path / "events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    return path


def new_feature(collection, event_id: str) -> dict:
    feature = copy.deepcopy(collection["features"][6])
    feature["properties"]["id"] = event_id
    return feature


def event_ids(spec) -> list[str]:
    return [f["properties"]["id"] for f in read_collection(spec)["features"]]


def test_an_append_adds_the_features_and_records_the_version_it_replaced(dataset, collection):
    before = digest(dataset)
    change = append_features(dataset, [new_feature(collection, "new-one")], editor="alice")
    assert change.added == ("new-one",) and change.editor == "alice"
    assert event_ids(dataset) == [f["properties"]["id"] for f in collection["features"]] + ["new-one"]
    assert change.digest_before == before and change.digest_after == digest(dataset) != before
    assert history(dataset) == [change]


def test_invalid_candidates_are_refused_and_nothing_changes(dataset, collection):
    before = digest(dataset)
    bad = new_feature(collection, "bad-one")
    bad["properties"]["sources"] = []
    duplicate = new_feature(collection, collection["features"][0]["properties"]["id"])
    with pytest.raises(DatasetError) as caught:
        append_features(dataset, [bad, duplicate], editor="alice")
    assert len(caught.value.problems) == 2 and "(new feature 0)" in str(caught.value)
    assert digest(dataset) == before and history(dataset) == [] and read_collection(dataset) == collection


def test_a_writer_whose_copy_is_stale_is_refused_with_the_same_message_on_every_engine(dataset, collection):
    seen = digest(dataset)
    append_features(dataset, [new_feature(collection, "first-writer")], editor="a", expected_digest=seen)
    after_first = digest(dataset)
    with pytest.raises(ConflictError) as caught:
        append_features(dataset, [new_feature(collection, "second-writer")], editor="b", expected_digest=seen)
    assert (f"the dataset changed since you read it (version {seen[:8]}, now {after_first[:8]}), as when someone "
            "appended after you pressed Find candidates; nothing was written") in str(caught.value)
    assert "second-writer" not in event_ids(dataset) and digest(dataset) == after_first
    assert [c.editor for c in history(dataset)] == ["a"]


def test_concurrent_writers_are_serialised_and_nothing_is_lost(dataset, collection):
    errors = []

    def write(n: int) -> None:
        try:
            append_features(dataset, [new_feature(collection, f"writer-{n}")], editor=f"writer{n}")
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {f"writer-{n}" for n in range(8)} <= set(event_ids(dataset))
    changes = history(dataset)
    assert sorted(c.id for c in changes) == [f"{n:04d}" for n in range(1, 9)]
    assert all(a.digest_after == b.digest_before for a, b in zip(changes, changes[1:], strict=False))
    assert changes[-1].digest_after == digest(dataset)


def test_more_candidates_than_one_append_may_hold_are_refused_with_a_clear_message(dataset, collection):
    before = digest(dataset)
    many = [new_feature(collection, f"many-{n}") for n in range(MAX_APPEND_FEATURES + 1)]
    with pytest.raises(DatasetError, match=f"at most {MAX_APPEND_FEATURES} may be added at once"):
        append_features(dataset, many, editor="alice")
    assert digest(dataset) == before


def test_a_revert_removes_the_changes_events_and_is_recorded_and_reversible(dataset, collection):
    original = [f["properties"]["id"] for f in collection["features"]]
    first = append_features(dataset, [new_feature(collection, "keep-me")], editor="alice")
    second = append_features(dataset, [new_feature(collection, "junk-1"), new_feature(collection, "junk-2")],
                             editor="mallory")
    undo = revert_change(dataset, second.id, editor="alice")
    assert undo.action == "revert" and undo.reverts == second.id and set(undo.removed) == {"junk-1", "junk-2"}
    assert event_ids(dataset) == [*original, "keep-me"]
    with pytest.raises(RevertError, match="already reverted"):
        revert_change(dataset, second.id, editor="alice")
    redo = revert_change(dataset, undo.id, editor="alice")  # reverting the revert brings the events back
    assert set(redo.added) == {"junk-1", "junk-2"}
    assert {"junk-1", "junk-2", "keep-me"} <= set(event_ids(dataset))
    assert [c.action for c in history(dataset)] == ["append", "append", "revert", "revert"]
    assert [c.editor for c in history(dataset)] == ["alice", "mallory", "alice", "alice"]
    assert first.id == "0001"
    with pytest.raises(RevertError, match="no change '99'"):
        revert_change(dataset, "99", editor="alice")


def test_a_candidate_that_matches_an_event_becomes_its_source_and_a_revert_takes_it_off(dataset, collection):
    target = collection["features"][5]["properties"]
    candidate = new_feature(collection, "second-report")
    candidate["properties"].update(matches=target["id"], sources=[
        {"publisher": "Daily NK", "title": "Second report", "published": "2023-03-01", "ref": "https://example.org/2"}],
        figures=[{"quantity": "workers", "value": 20, "qualifier": "about", "source": 0}])
    change = append_features(dataset, [candidate], editor="alice")
    assert change.added == () and change.attached[0]["event"] == target["id"]
    events = frame_from_collection(read_collection(dataset))
    assert "second-report" not in events.index and len(events) == len(collection["features"])
    sources = events.at[target["id"], "sources"]
    assert [s["publisher"] for s in sources][-1] == "Daily NK"
    assert events.at[target["id"], "figures"] == [{"quantity": "workers", "value": 20, "qualifier": "about",
                                                   "source": len(sources) - 1}]
    assert "matches" not in read_collection(dataset)["features"][5]["properties"]
    with pytest.raises(DatasetError, match="nothing to add"):  # the same report twice attaches nothing
        append_features(dataset, [candidate], editor="alice")

    appended = read_collection(dataset)["features"][5]
    undo = revert_change(dataset, change.id, editor="alice")
    assert undo.attached[0]["event"] == target["id"]
    assert read_collection(dataset)["features"][5] == collection["features"][5]
    revert_change(dataset, undo.id, editor="alice")
    assert frame_from_collection(read_collection(dataset)).at[target["id"], "sources"][-1]["publisher"] == "Daily NK"
    assert read_collection(dataset)["features"][5] == appended  # the figure comes back with its source


def test_a_candidate_matching_an_unknown_event_is_refused(dataset, collection):
    candidate = new_feature(collection, "orphan")
    candidate["properties"]["matches"] = "no-such-event"
    with pytest.raises(DatasetError, match="which is not in the dataset"):
        append_features(dataset, [candidate], editor="alice")


def test_a_revert_puts_back_an_events_empty_figures_list_exactly(engine, make_dataset, collection):
    collection["features"][5]["properties"]["figures"] = []
    dataset = make_dataset(engine, collection)
    candidate = new_feature(collection, "second-report")
    candidate["properties"].update(matches=collection["features"][5]["properties"]["id"], sources=[
        {"publisher": "Daily NK", "title": "Second report", "published": "2023-03-01", "ref": "https://example.org/2"}])
    before = digest(dataset)
    change = append_features(dataset, [candidate], editor="alice")
    revert_change(dataset, change.id, editor="alice")
    assert read_collection(dataset)["features"][5] == collection["features"][5]
    assert read_collection(dataset) == collection and digest(dataset) == before


# --- The file engine's own guarantees: backups, permissions, its change log file ----------------------------------

def test_the_file_engine_keeps_the_previous_version_as_a_backup(file_dataset, collection):
    before = file_dataset.read_bytes()
    change = append_features(file_dataset, [new_feature(collection, "new-one")], editor="alice")
    assert backup_path(file_dataset, change.id).read_bytes() == before
    assert len(load_events(file_dataset)) == len(collection["features"]) + 1


def test_the_written_file_keeps_its_permissions(file_dataset, collection):
    file_dataset.chmod(0o640)
    append_features(file_dataset, [new_feature(collection, "perm-check")], editor="alice")
    assert file_dataset.stat().st_mode & 0o777 == 0o640
    assert read_json(file_dataset)["type"] == "FeatureCollection"


def test_every_backup_is_kept_under_its_change_number_and_none_is_overwritten(file_dataset, collection):
    versions = [file_dataset.read_bytes()]
    for n in range(3):
        append_features(file_dataset, [new_feature(collection, f"kept-{n}")], editor="alice")
        versions.append(file_dataset.read_bytes())
    assert [b.read_bytes() for b in backups(file_dataset)] == versions[:3]
    assert [b.name for b in backups(file_dataset)] == [f"events.geojson.bak.000{n}" for n in (1, 2, 3)]


def test_a_refused_append_leaves_no_backup_and_no_log_line(file_dataset, collection):
    bad = new_feature(collection, "bad-one")
    bad["properties"]["sources"] = []
    with pytest.raises(DatasetError):
        append_features(file_dataset, [bad], editor="alice")
    assert file_dataset.read_bytes() == EVENTS_PATH.read_bytes()
    assert backups(file_dataset) == [] and read_changes(file_dataset) == []


def test_a_hand_edit_between_appends_is_recorded_as_an_unrecorded_change(file_dataset, collection):
    append_features(file_dataset, [new_feature(collection, "first")], editor="alice")
    file_dataset.write_bytes(file_dataset.read_bytes() + b"\n")  # someone edits the file by hand
    append_features(file_dataset, [new_feature(collection, "second")], editor="alice")
    actions = [c.action for c in read_changes(file_dataset)]
    assert actions == ["append", "unrecorded", "append"]
    with pytest.raises(RevertError, match="outside the app"):
        revert_change(file_dataset, "2", editor="alice")


def test_a_change_log_that_cannot_be_read_stops_the_write_with_a_clear_problem(file_dataset, collection):
    from geo.store.changelog import log_path

    log_path(file_dataset).write_text("not json\n", encoding="utf-8")
    before = file_dataset.read_bytes()
    with pytest.raises(DatasetError, match="line 1: not JSON.*nothing was written"):
        append_features(file_dataset, [new_feature(collection, "unrecordable")], editor="alice")
    assert file_dataset.read_bytes() == before and backups(file_dataset) == []


def test_the_file_engine_round_trips_the_curated_file_byte_for_byte(file_dataset):
    from geo.store import encode

    assert encode(read_collection(file_dataset)) == EVENTS_PATH.read_bytes()
    assert json.loads(EVENTS_PATH.read_bytes()) == read_collection(file_dataset)
