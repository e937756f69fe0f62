"""The change log is type-checked as it is read, so a bad line is one warning (the map keeps working) and a
crafted entry can make `revert` neither remove events its change did not add nor put back events the dataset
never held. Every log line here is generated at run time from a real history made through geo.store."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from geo.store import RevertError, append_features, backup_path, digest, read_collection, revert_change
from geo.store.changelog import ACTIONS, Change, ChangeLogError, log_path, read_changes
from geo.store.edits import plan_revert
from tests.conftest import EVENTS_PATH, ROOT

APP = str(ROOT / "dashboard.py")


@pytest.fixture
def dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the curated dataset with one real append recorded (change 0001), prepared in tmp_path."""
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    append_features(path, [new_feature(path, "first-addition")], editor="alice")
    return path


def new_feature(path: Path, event_id: str) -> dict[str, Any]:
    feature = copy.deepcopy(read_collection(path)["features"][6])
    feature["properties"]["id"] = event_id
    return feature


def entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_path(path).read_text(encoding="utf-8").splitlines()]


def write_entries(path: Path, lines: list[Any]) -> None:
    """Write log lines: dicts as JSON, text as it is."""
    log_path(path).write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                                      for line in lines), encoding="utf-8")


def second_entry(path: Path, **changes: Any) -> dict[str, Any]:
    """A well-formed entry 0002 following the real 0001, with `changes` made to it."""
    first = entries(path)[0]
    return {"id": "0002", "time": "2024-05-01T09:30:00Z", "editor": "bob", "action": "append", "refs": ["x"],
            "added": ["second-addition"], "digest_before": first["digest_after"], "digest_after": "c" * 64,
            **changes}


def plain(text: str) -> str:
    """A Streamlit element's text without Markdown escapes and word joiners."""
    return text.replace("\\", "").replace("\u2060", "")


BAD_LINES: dict[str, tuple[Any, str]] = {
    "not JSON": ("{'id': '0002'", "line 2: not JSON"),
    "nested 200,000 deep": ("[" * 200_000, "line 2: not JSON: arrays and objects nested more than 64 deep"),
    "a number of 5,000 digits": ('{"id": "0002", "n": ' + "7" * 5_000 + "}", "line 2: not JSON (Exceeds the limit"),
    "a list, not an entry": ("[1, 2]", "line 2: not a change entry"),
    "added as text": ({"added": "second-addition"}, "line 2: added: must be a list, not text"),
    "added as a number": ({"added": 7}, "line 2: added: must be a list, not a number"),
    "refs as an object": ({"refs": {"x": 1}}, "line 2: refs: must be a list, not an object"),
    "an event id that is not one": ({"added": ["Robert'); DROP"]}, "line 2: added[0]: must be an event id"),
    "removed_features not features": ({"action": "revert", "reverts": "0001", "removed": ["first-addition"],
                                       "added": [], "removed_features": [1]},
                                      "line 2: removed_features[0]: must be an object, not a number"),
    "attached without sources": ({"attached": [{"event": "first-addition", "sources": []}]},
                                 "line 2: attached[0].sources: must name at least one source"),
    "a digest that is not hex": ({"digest_after": "zz" * 32}, "line 2: digest_after: must be a sha256 digest"),
    "a digest that is a number": ({"digest_after": 12}, "line 2: digest_after: must be a sha256 digest"),
    "an editor of 5 million characters": ({"editor": "x" * 5_000_000}, "line 2: editor: must be one line of 1 to 200"),
    "a time that is a list": ({"time": [2024]}, "line 2: time: must be a UTC time"),
    "an unknown field": ({"added_by_hand": True}, "line 2: 'added_by_hand': unknown field"),
    "a line out of order": ({"id": "0009"}, "line 2: id: is 0009, but the change after 1 recorded ones is 0002"),
    "a version that does not follow on": ({"digest_before": "d" * 64}, "line 2: digest_before: is not the version"),
}


def bad_line(path: Path, kind: str) -> tuple[Any, str]:
    line, says = BAD_LINES[kind]
    return (second_entry(path, **line) if isinstance(line, dict) else line), says


@pytest.mark.parametrize("kind", BAD_LINES)
def test_a_bad_change_log_line_raises_one_error_naming_the_file_the_line_and_the_field(dataset, kind):
    first = entries(dataset)
    line, says = bad_line(dataset, kind)
    write_entries(dataset, [*first, line])
    with pytest.raises(ChangeLogError) as caught:
        read_changes(dataset)
    message = str(caught.value)
    assert message.startswith(f"{log_path(dataset)}: {says}") and "\n" not in message and len(message) < 2_000


@pytest.mark.parametrize("kind", BAD_LINES)
def test_a_bad_change_log_line_is_the_dashboards_warning_and_the_map_keeps_working(dataset, monkeypatch, kind):
    line, says = bad_line(dataset, kind)
    write_entries(dataset, [*entries(dataset), line])
    monkeypatch.setenv("BORDER_DATA", str(dataset))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["v"] = "0" * 8  # a shared link from another version: the notice reads the change log too
    at.run()
    assert not at.exception
    [warning] = [plain(w.value) for w in at.warning if "change log" in w.value]
    assert "events.geojson.changes.jsonl: " + says in warning
    events = len(read_collection(dataset)["features"])
    assert any(f"{events} of {events} events shown" in plain(m.value) for m in at.markdown)


def test_a_log_line_that_is_not_utf8_is_the_dashboards_warning_too(dataset, monkeypatch):
    log_path(dataset).write_bytes(log_path(dataset).read_bytes() + b'{"id": "0002", "editor": "\xff"}\n')
    monkeypatch.setenv("BORDER_DATA", str(dataset))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    assert any("cannot read the change log" in plain(w.value) for w in at.warning)


def test_a_change_log_over_the_size_limit_is_refused_before_it_is_read(dataset, monkeypatch):
    from geo.store import changelog

    monkeypatch.setattr(changelog, "MAX_LOG_BYTES", log_path(dataset).stat().st_size - 1)
    with pytest.raises(ChangeLogError, match="the change log is over the limit of"):
        read_changes(dataset)


def test_history_prints_a_bad_line_as_one_line_without_a_traceback(dataset):
    write_entries(dataset, [*entries(dataset), second_entry(dataset, refs={"x": 1})])
    result = subprocess.run([sys.executable, "-m", "geo", "history", "--data", str(dataset)], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.strip() == f"{log_path(dataset)}: line 2: refs: must be a list, not an object"


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


_TYPES = {"id": str, "time": str, "editor": str, "action": str, "refs": tuple, "added": tuple, "removed": tuple,
          "digest_before": str, "digest_after": str, "reverts": (str, type(None)), "removed_features": tuple,
          "attached": tuple}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(_TYPES)), value=_json_values(), action=st.sampled_from(ACTIONS))
def test_any_json_value_in_any_field_is_read_as_a_well_typed_change_or_refused_in_one_line(
        dataset, name, value, action):
    write_entries(dataset, [entries(dataset)[0], second_entry(dataset, **{"action": action, name: value})])
    try:
        changes = read_changes(dataset)
    except ChangeLogError as error:
        assert str(error).startswith(f"{log_path(dataset)}: line 2: ") and "\n" not in str(error)
        return
    assert [f.name for f in fields(Change)] == list(_TYPES)
    for change in changes:
        for field, kind in _TYPES.items():
            assert isinstance(getattr(change, field), kind), (field, getattr(change, field))
        assert all(isinstance(item, str) for item in (*change.refs, *change.added, *change.removed))
        assert all(isinstance(item, dict) for item in (*change.removed_features, *change.attached))


# --- revert checks the entry against the versions it records ----------------------------------------------------

def kept(path: Path):
    return lambda change_id: backup_path(path, change_id)


def plan(path: Path, change_id: str):
    """What reverting `change_id` would write, checked against the file engine's kept versions."""
    return plan_revert(str(path), read_collection(path), read_changes(path), change_id, log_path(path).name,
                       current_digest=digest(path), kept=kept(path))


def rewrite(path: Path, number: int, **changes: Any) -> None:
    """Rewrite log line `number` (from 1) with `changes`: what someone crafting the log would do."""
    lines = entries(path)
    lines[number - 1].update(changes)
    write_entries(path, lines)


def ids(path: Path) -> list[str]:
    return [f["properties"]["id"] for f in read_collection(path)["features"]]


def test_a_real_history_of_appends_attachments_reverts_and_re_reverts_passes_the_check(dataset):
    real = read_collection(dataset)["features"][5]["properties"]
    candidate = new_feature(dataset, "second-report")
    candidate["properties"].update(matches=real["id"], sources=[
        {"publisher": "Daily NK", "title": "Second report", "published": "2023-03-01", "ref": "https://example.org/2"}],
        figures=[{"quantity": "workers", "value": 20, "qualifier": "about", "source": 0}])
    attached = append_features(dataset, [candidate, new_feature(dataset, "third-addition")], editor="bob")
    for change_id in ("0001", attached.id):
        assert plan(dataset, change_id).action == "revert"
    undo = revert_change(dataset, attached.id, editor="alice")
    redo_plan = plan(dataset, undo.id)
    assert set(redo_plan.added) == {"third-addition"} and redo_plan.attached[0]["event"] == real["id"]
    redo = revert_change(dataset, undo.id, editor="alice")
    assert plan(dataset, redo.id).removed == ("third-addition",)
    assert plan(dataset, "0001").removed == ("first-addition",)


def test_an_entry_crafted_to_remove_an_event_its_change_did_not_add_is_refused(dataset):
    curated = ids(dataset)[0]
    rewrite(dataset, 1, added=[curated])
    read_changes(dataset)  # well-formed: only the versions show it is false
    with pytest.raises(RevertError, match="0001 cannot be reverted: its change-log entry does not agree with the "
                                          "versions it records \\(it records adding 1 events, but"):
        plan(dataset, "0001")


def test_an_entry_crafted_to_put_back_events_the_dataset_never_held_is_refused(dataset):
    undo = revert_change(dataset, "0001", editor="alice")
    planted = new_feature(dataset, "planted-event")
    planted["properties"]["title"] = "An event nobody reported"
    rewrite(dataset, int(undo.id), removed=["planted-event"], removed_features=[planted])
    with pytest.raises(RevertError, match="does not agree with the versions it records \\(it records removing"):
        plan(dataset, undo.id)
    same_ids = new_feature(dataset, "first-addition")  # the real id, with other content
    same_ids["properties"]["summary"] = "Planted under a real id."
    rewrite(dataset, int(undo.id), removed=["first-addition"], removed_features=[same_ids])
    with pytest.raises(RevertError, match="the events it kept are not the events it removed"):
        plan(dataset, undo.id)


def test_an_entry_crafted_to_take_sources_off_another_event_is_refused(dataset):
    collection = read_collection(dataset)
    victim = collection["features"][2]["properties"]
    rewrite(dataset, 1, added=[], attached=[{"event": victim["id"], "sources": victim["sources"][:1], "figures": [],
                                             "had_figures": False}])
    with pytest.raises(RevertError, match="it records adding 0 events, but 1 were added"):
        plan(dataset, "0001")
    rewrite(dataset, 1, added=["first-addition"])
    with pytest.raises(RevertError, match="it records changing the sources of 1 events, but 0 changed"):
        plan(dataset, "0001")


def test_a_change_whose_versions_are_no_longer_kept_is_refused(dataset):
    backup_path(dataset, "0001").unlink()
    with pytest.raises(RevertError, match="the version before it .* is no longer kept as it was"):
        plan(dataset, "0001")


def test_a_change_whose_result_was_edited_by_hand_since_is_refused(dataset):
    dataset.write_bytes(dataset.read_bytes() + b"\n")
    with pytest.raises(RevertError, match="was changed outside the app since"):
        plan(dataset, "0001")


CRAFTS: dict[str, Any] = {
    "remove a curated event": lambda path: rewrite(path, 1, added=[ids(path)[0]]),
    "plant an event": lambda path: (revert_change(path, "0001", editor="alice"),
                                    rewrite(path, 2, removed=["planted-event"],
                                            removed_features=[new_feature(path, "planted-event")])),
}


@pytest.mark.parametrize("craft", CRAFTS)
def test_python_m_geo_revert_refuses_a_crafted_entry_in_one_line_and_changes_nothing(dataset, craft):
    CRAFTS[craft](dataset)
    before = dataset.read_bytes()
    target = entries(dataset)[-1]["id"]
    result = subprocess.run([sys.executable, "-m", "geo", "revert", target, "--data", str(dataset)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{dataset}: change {target} cannot be reverted: its change-log entry does not agree")
    assert dataset.read_bytes() == before
