"""The review page on a shared PostGIS dataset: an editor's append lands in the database, recorded under their
name, and an append based on a version someone else has since changed is refused with nothing written."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from geo.store import append_features, digest, history, read_collection
from geo.store.editors import add_editor
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "review.py")
EDITOR, PASSWORD = "alice", "a long test passphrase"
ARTICLE = ("North Korean workers staged a strike at a seafood plant in Hunchun on 10 January 2023, a source said.\n")


@pytest.fixture
def shared(make_dataset, collection, tmp_path, monkeypatch) -> str:
    url = make_dataset("postgis", collection)
    monkeypatch.setenv("BORDER_DATA", url)
    monkeypatch.setenv("BORDER_EDITORS", str(tmp_path / "editors.toml"))
    monkeypatch.setenv("BORDER_SEEDS", str(tmp_path / "seeds"))
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "cache"))
    (tmp_path / "seeds").mkdir()
    add_editor(EDITOR, PASSWORD)
    return url


def find_candidates() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.text_input(key="editor_name").input(EDITOR)
    at.text_input(key="editor_password").input(PASSWORD)
    at.button[0].click().run()
    at.text_area(key="article").input(ARTICLE)
    at.date_input(key="published").set_value(dt.date(2023, 2, 23))
    at.text_input(key="publisher").input("Daily NK")
    at.text_input(key="url").input("https://www.dailynk.com/example")
    at.button(key="find").click().run()
    at.checkbox(key="cand_0_accept").check()  # the strike in Hunchun, accepted with a summary in the editor's words
    at.text_area(key="cand_0_summary").input("Workers at a Hunchun seafood plant went on strike.")
    at.run()
    assert not at.exception
    return at


def test_an_editor_appends_to_the_shared_database_and_the_change_is_recorded_under_their_name(shared, collection):
    at = find_candidates()
    append = at.button(key="append")
    assert append.label.endswith(" to the dataset")  # not the database's name: an internal word
    assert "PostGIS" not in append.label and "test_" not in append.label
    append.click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    assert any("as change 0001 by alice" in s.value for s in at.success)
    [change] = history(shared)
    assert change.editor == EDITOR and change.added and change.refs == ("https://www.dailynk.com/example",)
    ids = [f["properties"]["id"] for f in read_collection(shared)["features"]]
    assert ids[:len(collection["features"])] == [f["properties"]["id"] for f in collection["features"]]
    assert set(ids[len(collection["features"]):]) == set(change.added)
    [added] = read_collection(shared)["features"][len(collection["features"]):]
    assert added["properties"]["summary"] == "Workers at a Hunchun seafood plant went on strike."


def test_an_append_after_someone_else_changed_the_database_is_refused_and_writes_nothing(shared, collection):
    at = find_candidates()
    other = copy.deepcopy(collection["features"][6])
    other["properties"]["id"] = "appended-by-bob"
    append_features(shared, [other], editor="bob")  # through another app server, meanwhile
    now = digest(shared)
    at.button(key="append").click().run()
    assert "changed since you pressed “Find candidates”" in at.error[0].value
    assert digest(shared) == now and [c.editor for c in history(shared)] == ["bob"]
