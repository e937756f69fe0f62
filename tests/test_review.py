"""The review page: an article in, candidates on a map and in a table; a signed-in editor appends them safely."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from geo.events.dataset import read_json
from geo.events.schema import EVENT_TYPES
from geo.ingest.candidates import candidates_from_text
from geo.ingest.review import apply_review, review_rows
from geo.io.events_file import load_events
from geo.store import backup_path, changelog
from geo.store.changelog import read_changes
from geo.store.editors import add_editor
from geo.store.seeds import seed_kept_for
from tests.conftest import EVENTS_PATH, ROOT
from tests.disks import fill, small_disk
from tests.streamlit_ws import as_read

PAGE = str(ROOT / "pages" / "review.py")
SEED_REF = "seeds/000_c849781cc78fe4c5.txt"
SEED_TEXT = (ROOT / SEED_REF).read_text(encoding="utf-8")


EDITOR, PASSWORD = "alice", "a long test passphrase"


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    """A copy of the real dataset, an editors file with one editor, and a seeds folder of its own."""
    path = tmp_path / "events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    monkeypatch.setenv("BORDER_DATA", str(path))
    monkeypatch.setenv("BORDER_EDITORS", str(tmp_path / "editors.toml"))
    monkeypatch.setenv("BORDER_SEEDS", str(tmp_path / "seeds"))
    (tmp_path / "seeds").mkdir()
    add_editor(EDITOR, PASSWORD)
    return path


def sign_in(at: AppTest, name: str = EDITOR, password: str = PASSWORD) -> AppTest:
    at.text_input(key="editor_name").input(name)
    at.text_input(key="editor_password").input(password)
    at.button[0].click().run()  # the form's "Sign in"
    return at


def find_candidates(text: str = SEED_TEXT, url: str = "https://www.asiae.co.kr/example",
                    signed_in: bool = True) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    if signed_in:
        sign_in(at)
    at.text_area(key="article").input(text)
    at.date_input(key="published").set_value(dt.date(2023, 2, 23))
    at.text_input(key="publisher").input("The Asia Business Daily")
    at.text_input(key="url").input(url)
    at.button(key="find").click().run()
    return at


def test_the_page_finds_candidates_and_shows_them_in_a_table(dataset):
    at = find_candidates()
    assert not at.exception
    assert at.subheader[0].value.endswith("candidates")
    table = at.dataframe[0].value
    assert len(table) == len(at.session_state["review"]["collection"]["features"]) > 20
    assert {"Dandong", "Hunchun", "Rason", "Tumen", "Yanbian", "Shanghai"} <= set(table["place"])


SECOND_ARTICLE = ("Twenty North Korean garment workers disappeared from a factory in Shanghai in February 2022, "
                  "a source said.\nNorth Korean workers staged a strike at a seafood plant in Hunchun on 10 January "
                  "2023.\n")  # a second report of a known event, and one new event


def test_a_signed_in_editor_appends_and_the_change_is_recorded_under_their_name(dataset):
    at = find_candidates(SECOND_ARTICLE)
    before = dataset.read_bytes()
    ids_before = list(load_events(dataset)["id"])
    append = at.button(key="append")
    ticked = [f["properties"] for f in at.session_state["review"]["collection"]["features"] if f["geometry"]]
    known = {p["matches"] for p in ticked if p.get("matches")}
    as_sources = sum(bool(p.get("matches")) for p in ticked)
    new = len(ticked) - as_sources
    # The Shanghai disappearance is in the dataset already (offered as its source); the strike is new.
    assert new and as_sources and known <= set(ids_before)
    assert append.label.startswith(f"Append {new} accepted events and {as_sources} sources of known events")
    append.click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    after = load_events(dataset)
    assert list(after["id"][:len(ids_before)]) == ids_before and len(after) == len(ids_before) + new
    [change] = read_changes(dataset)
    assert change.editor == EDITOR and len(change.added) == new
    assert {entry["event"] for entry in change.attached} == known  # two candidates may report one event
    assert change.refs == ("https://www.asiae.co.kr/example",)
    assert backup_path(dataset, change.id).read_bytes() == before


def test_re_reading_the_founding_article_offers_its_candidates_only_as_sources_of_events_it_reports(dataset):
    at = find_candidates()
    reported = {f["properties"]["id"] for f in read_json(dataset)["features"]
                if any(s["ref"] == SEED_REF for s in f["properties"]["sources"])}
    matched = {f["properties"]["id"]: f["properties"]["matches"]
               for f in at.session_state["review"]["collection"]["features"] if f["properties"].get("matches")}
    assert matched and reported
    # A candidate read from the founding article that matched an event the article does not report would attach
    # the article as a source of an event it never mentions.
    wrong = {candidate: event for candidate, event in matched.items() if event not in reported}
    assert wrong == {}, f"candidates of the founding article matched to events it does not report: {wrong}"


def test_an_anonymous_visitor_sees_candidates_but_cannot_append_or_write_a_seed(dataset, tmp_path):
    at = find_candidates(url="", signed_in=False)
    assert not at.exception and at.subheader[0].value.endswith("candidates")
    assert not [b for b in at.button if b.key == "append"]
    assert any("Sign in as an editor" in i.value for i in at.info)
    assert list((tmp_path / "seeds").iterdir()) == [] and read_changes(dataset) == []


def test_a_wrong_password_does_not_sign_in_and_five_lock_the_name_out_from_this_address(dataset):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    for _ in range(5):
        sign_in(at, password="not the password")
        assert "Wrong editor name or password" in at.error[0].value
    sign_in(at)  # a sixth attempt within the minute, from this page: not even checked
    assert at.error[0].value.startswith("Too many sign-in attempts from this page: wait ")
    again = AppTest.from_file(PAGE, default_timeout=60)  # a new page, from the same address
    again.run()
    sign_in(again)  # the right password, too late
    assert again.error[0].value.startswith("Too many failed sign-ins for this name from your address: try again in")
    assert "signed_in_editor" not in at.session_state and "signed_in_editor" not in again.session_state


def test_a_dataset_changed_by_someone_else_meanwhile_is_not_overwritten(dataset):
    at = find_candidates()
    saved = dataset.read_bytes() + b"\n"
    dataset.write_bytes(saved)  # another writer saved in the meantime
    at.button(key="append").click().run()
    assert "changed since you pressed “Find candidates”" in at.error[0].value
    assert dataset.read_bytes() == saved and len(load_events(dataset)) == len(read_json(EVENTS_PATH)["features"])


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


SHEET = (b"date,event_type,place,lat,lon,source,url\n"
         b"2023-02-10,defection,Dandong,40.1292,124.3947,Daily NK,https://www.dailynk.com/sheet-a\n"
         b"2023-03,detention,Sinuijiu,,,Radio Free Asia,https://www.rfa.org/sheet-b\n"
         b"2023-04-02,riot,Hunchun,,,Yonhap,https://en.yna.co.kr/sheet-c\n"
         b"2023-05-01,escape,somewhere by the river,,,Daily NK,https://www.dailynk.com/sheet-d\n")


def read_sheet_rows(signed_in: bool = True, content: bytes = SHEET, name: str = "events.csv") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    if signed_in:
        sign_in(at)
    at.radio(key="review_kind").set_value("A spreadsheet of events (CSV or Excel)").run()
    at.file_uploader(key="sheet_upload").upload(name, content, "text/csv")
    at.run()
    at.button(key="read_sheet").click().run()
    return at


def test_a_spreadsheet_upload_shows_its_rows_as_candidates_and_lists_the_rows_with_problems(dataset):
    at = read_sheet_rows()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["row"]) == [2, 3, 5] and table["accept"].all()  # every readable row offered, ticked
    assert list(table["place"]) == ["Dandong", "Sinuiju", ""]
    assert "not in the gazetteer" in table["located"].iloc[2]
    assert "1 problems" in at.warning[0].value
    assert at.code[0].value == ("events.csv: row 4: event_type: 'riot' is not an event type; one of "
                                + ", ".join(EVENT_TYPES))


def test_a_signed_in_editor_appends_the_accepted_spreadsheet_rows_through_the_reviewed_path(dataset):
    at = read_sheet_rows()
    ids_before = list(load_events(dataset)["id"])
    append = at.button(key="append")
    assert append.label.startswith("Append 3 accepted events")
    append.click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    after = load_events(dataset)
    assert list(after["id"][:len(ids_before)]) == ids_before and len(after) == len(ids_before) + 3
    added = after.iloc[len(ids_before):]
    assert list(added["place"]) == ["Dandong", "Sinuiju", ""] and added.geometry.isna().tolist() == [False, False, True]
    [change] = read_changes(dataset)
    assert change.editor == EDITOR and len(change.added) == 3
    assert set(change.refs) == {"https://www.dailynk.com/sheet-a", "https://www.rfa.org/sheet-b",
                                "https://www.dailynk.com/sheet-d"}


def test_an_anonymous_visitor_reads_a_spreadsheet_but_cannot_append_it(dataset):
    before = dataset.read_bytes()
    at = read_sheet_rows(signed_in=False)
    assert not at.exception and at.subheader[0].value == "3 candidates"
    assert not [b for b in at.button if b.key == "append"]
    assert any("Sign in as an editor" in i.value for i in at.info)
    assert dataset.read_bytes() == before and read_changes(dataset) == []


def test_a_file_that_is_not_a_utf8_spreadsheet_is_refused_with_one_line(dataset):
    at = read_sheet_rows(content="date,place\n2023-01-01,Tümen\n".encode("latin-1"))
    assert not at.exception and "not UTF" in at.error[0].value and "review" not in at.session_state


# --- every append re-checks its editor -----------------------------------------------------------

def test_a_removed_editors_session_cannot_append_and_is_signed_out_saying_why(dataset, tmp_path):
    at = find_candidates(SECOND_ARTICLE, url="")
    before = dataset.read_bytes()
    geo_cli = subprocess.run([sys.executable, "-m", "geo", "editors", "remove", EDITOR], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)  # the operator, in a shell, while the editor reviews
    assert geo_cli.returncode == 0, geo_cli.stderr
    at.button(key="append").click().run()
    assert not at.exception
    assert [as_read(w.value) for w in at.warning][:1] == [f"You have been signed out: {EDITOR} is no longer an "
                                                          "editor on this server."]
    assert "signed_in_editor" not in at.session_state and not [b for b in at.button if b.key == "append"]
    assert dataset.read_bytes() == before and read_changes(dataset) == []
    assert list((tmp_path / "seeds").iterdir()) == []


def test_a_session_signed_in_before_the_password_was_changed_cannot_append(dataset, tmp_path):
    at = find_candidates(SECOND_ARTICLE, url="")
    before = dataset.read_bytes()
    add_editor(EDITOR, "a new passphrase, set by the operator")
    at.button(key="append").click().run()
    assert not at.exception
    assert as_read(at.warning[0].value) == (f"You have been signed out: the password of {EDITOR} was changed; sign "
                                            "in again with the new one.")
    assert "signed_in_editor" not in at.session_state
    assert dataset.read_bytes() == before and list((tmp_path / "seeds").iterdir()) == []
    sign_in(at, password="a new passphrase, set by the operator")  # signing in again gives the append back
    assert at.button(key="append").label.startswith("Append")


# --- seed first, then commit ---------------------------------------------------------------------

def test_an_append_that_is_not_committed_leaves_no_new_seed(dataset, tmp_path):
    at = find_candidates(SECOND_ARTICLE, url="")
    dataset.write_bytes(dataset.read_bytes() + b"\n")  # another writer saved in the meantime: a conflict
    at.button(key="append").click().run()
    assert "changed since you pressed “Find candidates”" in at.error[0].value
    assert list((tmp_path / "seeds").iterdir()) == []


def test_an_append_that_is_not_committed_leaves_a_seed_that_was_there_before(dataset, tmp_path):
    with seed_kept_for(SECOND_ARTICLE):  # kept by an earlier append; events may cite it
        pass
    [seed] = (tmp_path / "seeds").iterdir()
    at = find_candidates(SECOND_ARTICLE, url="")
    dataset.write_bytes(dataset.read_bytes() + b"\n")
    at.button(key="append").click().run()
    assert "changed since" in at.error[0].value
    assert list((tmp_path / "seeds").iterdir()) == [seed] and seed.read_text(encoding="utf-8") == SECOND_ARTICLE


def only_error(at: AppTest) -> str:
    """The page's one error line, after checking there is no other error, traceback or code block."""
    assert not at.exception and len(at.error) == 1 and not at.code, ([e.value for e in at.error], at.exception)
    return as_read(at.error[0].value)


def test_a_full_disk_under_the_seeds_refuses_the_append_in_one_line_and_writes_nothing(dataset, tmp_path,
                                                                                       monkeypatch):
    with small_disk(tmp_path / "disk", 64 * 1024) as disk:
        monkeypatch.setenv("BORDER_SEEDS", str(disk))
        at = find_candidates(SECOND_ARTICLE, url="")
        before = dataset.read_bytes()
        fill(disk)
        at.button(key="append").click().run()
        assert only_error(at) == ("Not appended: the article's text could not be kept in seeds/: No space left on "
                                  "device.")
        assert [p.name for p in disk.iterdir()] == ["filler.bin"]
        assert dataset.read_bytes() == before and read_changes(dataset) == []


def test_a_full_disk_under_the_dataset_refuses_the_append_in_one_line_and_takes_the_seed_back(dataset, tmp_path,
                                                                                           monkeypatch):
    size = len(dataset.read_bytes())
    with small_disk(tmp_path / "disk", size + 32 * 1024) as disk:  # the dataset fits; its backup does not
        on_disk = disk / "events.geojson"
        on_disk.write_bytes(dataset.read_bytes())
        monkeypatch.setenv("BORDER_DATA", str(on_disk))
        at = find_candidates(SECOND_ARTICLE, url="")
        at.button(key="append").click().run()
        line = only_error(at)
        assert line.startswith("Not appended") and re.search(r"space|full", line, re.IGNORECASE), line
        assert str(tmp_path) not in line
        assert on_disk.read_bytes() == dataset.read_bytes()
        assert [p.name for p in disk.iterdir() if ".tmp" in p.name or ".bak" in p.name] == []
        assert list((tmp_path / "seeds").iterdir()) == []  # written first, taken back when the commit failed
        assert "signed_in_editor" in at.session_state and at.button(key="append")  # can retry once there is room


def test_events_written_whose_change_log_line_is_not_keep_the_seed_they_cite(dataset, tmp_path):
    with small_disk(tmp_path / "disk", 64 * 1024) as disk:  # the change log lives on a full disk; the data does not
        log = changelog.log_path(dataset)
        (disk / log.name).touch()
        log.symlink_to(disk / log.name)
        at = find_candidates(SECOND_ARTICLE, url="")
        fill(disk)
        at.button(key="append").click().run()
        line = only_error(at)
        assert "was written but could not be recorded" in line, line
        cited = {s["ref"] for f in read_json(dataset)["features"] for s in f["properties"]["sources"]}
        [seed] = (tmp_path / "seeds").iterdir()
        assert f"seeds/{seed.name}" in cited and seed.read_text(encoding="utf-8") == SECOND_ARTICLE


# --- visitors see file names, never server paths --------------------------------------------------

def everything_shown(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in (at.error, at.warning, at.info, at.success, at.code, at.markdown,
                                               at.caption) for e in kind)


def test_an_unreadable_dataset_is_named_by_its_file_name_only(dataset, tmp_path):
    dataset.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")  # a half-written hand edit
    at = find_candidates(signed_in=False)
    assert not at.exception and at.error[0].value.startswith("The dataset cannot be read: events")
    assert str(tmp_path) not in everything_shown(at) and "/" + tmp_path.name not in everything_shown(at)


def test_a_malformed_editors_file_is_named_by_its_file_name_only(dataset, tmp_path):
    (tmp_path / "editors.toml").write_text("[editors.alice\n")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    sign_in(at)
    assert not at.exception and at.error[0].value.startswith("Sign-in is unavailable: editors")
    assert "not valid TOML" in at.error[0].value and str(tmp_path) not in everything_shown(at)


def test_a_signed_in_editor_whose_editors_file_breaks_cannot_append_and_sees_no_path(dataset, tmp_path):
    at = find_candidates(SECOND_ARTICLE)
    before = dataset.read_bytes()
    (tmp_path / "editors.toml").write_text("[editors.alice\n")
    at.button(key="append").click().run()
    assert not at.exception and at.error[0].value.startswith("Sign-in is unavailable, so nothing can be appended: "
                                                             "editors")
    assert dataset.read_bytes() == before and str(tmp_path) not in everything_shown(at)
