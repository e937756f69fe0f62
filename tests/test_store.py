"""Appends validate first, keep a backup, refuse stale writers and never leave a broken file."""

from __future__ import annotations

import copy
import threading

import pytest

from geo.dataset import DatasetError, load_events, read_json
from geo.store import ConflictError, append_features, backup_path, digest
from tests.conftest import EVENTS_PATH


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    return path


def new_feature(collection, event_id: str) -> dict:
    feature = copy.deepcopy(collection["features"][6])
    feature["properties"]["id"] = event_id
    return feature


def test_an_append_adds_the_features_and_keeps_the_previous_version(dataset, collection):
    before = dataset.read_bytes()
    assert append_features(dataset, [new_feature(collection, "new-one")]) == 1
    assert "new-one" in load_events(dataset).index and len(load_events(dataset)) == len(collection["features"]) + 1
    assert backup_path(dataset).read_bytes() == before


def test_invalid_candidates_are_refused_and_nothing_changes(dataset, collection):
    before = dataset.read_bytes()
    bad = new_feature(collection, "bad-one")
    bad["properties"]["sources"] = []
    duplicate = new_feature(collection, collection["features"][0]["properties"]["id"])
    with pytest.raises(DatasetError) as caught:
        append_features(dataset, [bad, duplicate])
    assert len(caught.value.problems) == 2 and "(new feature 0)" in str(caught.value)
    assert dataset.read_bytes() == before and not backup_path(dataset).exists()


def test_a_writer_whose_copy_is_stale_is_refused(dataset, collection):
    seen = digest(dataset)
    append_features(dataset, [new_feature(collection, "first-writer")], expected_digest=seen)
    with pytest.raises(ConflictError):
        append_features(dataset, [new_feature(collection, "second-writer")], expected_digest=seen)
    assert "second-writer" not in load_events(dataset).index


def test_concurrent_writers_are_serialised_and_nothing_is_lost(dataset, collection):
    errors = []

    def write(n: int) -> None:
        try:
            append_features(dataset, [new_feature(collection, f"writer-{n}")])
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = set(load_events(dataset).index)
    assert {f"writer-{n}" for n in range(8)} <= ids


def test_the_written_file_keeps_its_permissions(dataset, collection):
    dataset.chmod(0o640)
    append_features(dataset, [new_feature(collection, "perm-check")])
    assert dataset.stat().st_mode & 0o777 == 0o640
    assert read_json(dataset)["type"] == "FeatureCollection"
