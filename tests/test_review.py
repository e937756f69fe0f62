"""The review page: an article in, candidates on a map and in a table, accepted ones appended safely."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from geo.dataset import load_events
from geo.ingest import apply_review, candidates_from_text, review_rows
from geo.store import backup_path
from tests.conftest import EVENTS_PATH, ROOT

PAGE = str(ROOT / "pages" / "review.py")
SEED_TEXT = (ROOT / "seeds" / "000_c849781cc78fe4c5.txt").read_text(encoding="utf-8")


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    path = tmp_path / "events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    monkeypatch.setenv("BORDER_DATA", str(path))
    return path


def find_candidates(text: str = SEED_TEXT) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.text_area(key="article").input(text)
    at.date_input(key="published").set_value(dt.date(2023, 2, 23))
    at.text_input(key="publisher").input("The Asia Business Daily")
    at.text_input(key="url").input("https://www.asiae.co.kr/example")
    at.button(key="find").click().run()
    return at


def test_the_page_finds_candidates_and_shows_them_in_a_table(dataset):
    at = find_candidates()
    assert not at.exception
    assert at.subheader[0].value.endswith("candidates")
    table = at.dataframe[0].value
    assert len(table) == len(at.session_state["review"]["collection"]["features"]) > 20
    assert {"Dandong", "Hunchun", "Rason", "Tumen", "Yanbian", "Shanghai"} <= set(table["place"])


def test_appending_accepted_candidates_grows_the_dataset_and_keeps_a_backup(dataset):
    at = find_candidates()
    before = dataset.read_bytes()
    append = at.button(key="append")
    assert append.label.startswith("Append 8 accepted events")
    append.click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    assert len(load_events(dataset)) == 13 + 8
    assert backup_path(dataset).read_bytes() == before


def test_a_dataset_changed_by_someone_else_meanwhile_is_not_overwritten(dataset):
    at = find_candidates()
    dataset.write_bytes(dataset.read_bytes() + b"\n")  # another writer saved in the meantime
    at.button(key="append").click().run()
    assert "changed since it was read" in at.error[0].value
    assert len(load_events(dataset)) == 13


def test_missing_publication_date_is_asked_for_not_guessed(dataset):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.text_area(key="article").input("Trucks resumed between Rason and Hunchun.")
    at.button(key="find").click().run()
    assert "publication date" in at.error[0].value


def test_a_reviewer_moving_a_candidate_to_another_place_moves_its_point():
    collection = candidates_from_text("Workers were detained in Hunchun recently.", dt.date(2023, 2, 23),
                                      "Example", "t", "https://example.org")
    rows = review_rows(collection)
    rows[0]["place"] = "Tumen"
    [feature] = apply_review(collection, rows)
    assert feature["properties"]["place"] == "Tumen"
    assert feature["geometry"]["coordinates"][0] == pytest.approx(129.84199)
    rows[0]["place"] = "Yanbian"
    [feature] = apply_review(collection, rows)
    assert feature["geometry"] is None and feature["properties"]["location_precision"] == "region"
    rows[0]["accept"] = False
    assert apply_review(collection, rows) == []
