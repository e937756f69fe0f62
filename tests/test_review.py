"""The review page: an article in, candidates on a map and in a table; a signed-in editor appends them safely."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from geo.events.dataset import read_json
from geo.events.schema import EVENT_TYPES, Problem
from geo.ingest.candidates import candidates_from_text
from geo.ingest.matching import mark_matches
from geo.ingest.review import SUMMARY_HELP, Unreviewed, apply_review, problem_words, review_rows
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


def located(at: AppTest) -> list[int]:
    """The numbers (from 0, in the page's order) of the candidates that have a point on the map."""
    by_id = {f["properties"]["id"]: f for f in at.session_state["review"]["collection"]["features"]}
    return [i for i, row in enumerate(at.session_state["review"]["rows"]) if by_id[row["id"]]["geometry"]]


def untick_all(at: AppTest) -> AppTest:
    """Untick the candidates the page ticked at first (the suggested ones) on the page of cards shown."""
    for tick in at.checkbox:
        if tick.key and tick.key.startswith("cand_") and tick.value:
            tick.uncheck()
    return at.run()


def accept(at: AppTest, numbers: list[int], summary: str = "In my words: {}.") -> AppTest:
    """Tick the candidates `numbers` (all on the first page of cards) and write the summary of each that is shown
    as a new event (one offered as another source of a known event has none to write)."""
    for number in numbers:
        at.checkbox(key=f"cand_{number}_accept").check()
        if f"cand_{number}_summary" in [area.key for area in at.text_area]:
            at.text_area(key=f"cand_{number}_summary").input(summary.format(number))
    return at.run()


def find_candidates(text: str = SEED_TEXT, url: str = "https://www.asiae.co.kr/example",
                    signed_in: bool = True, accepting: bool | None = None) -> AppTest:
    """The review page after "Find candidates"; a signed-in reviewer also accepts the located candidates of the
    first page of cards, each with a summary in their words (unless `accepting` is False)."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    if signed_in:
        sign_in(at)
    at.text_area(key="article").input(text)
    at.date_input(key="published").set_value(dt.date(2023, 2, 23))
    at.text_input(key="publisher").input("The Asia Business Daily")
    at.text_input(key="url").input(url)
    at.button(key="find").click().run()
    if signed_in if accepting is None else accepting:
        untick_all(at)  # the suggested ones start ticked: these tests choose their own
        accept(at, [i for i in located(at) if i < 20])
    return at


def test_each_candidate_shows_its_tick_then_the_articles_sentence_then_its_fields_ticked_only_if_suggested(dataset):
    at = find_candidates(signed_in=False)
    assert not at.exception
    features = at.session_state["review"]["collection"]["features"]
    assert at.subheader[0].value == f"{len(features)} candidates" and len(features) > 20
    assert at.selectbox(key="cand_page").options[0] == f"1–20 of {len(features)}"  # twenty cards at a time
    quotes = [m.value for m in at.markdown if m.value.startswith("**In the article:**")]
    assert len(at.checkbox) == len(quotes) == 20
    rows = at.session_state["review"]["rows"]
    by_id = {f["properties"]["id"]: f["properties"] for f in features}
    reasons = [as_read(m.value) for m in at.markdown if m.value.startswith(("*Suggested:*", "*Not suggested:*"))]
    assert len(reasons) == 20 and any(r.startswith("*Suggested:*") for r in reasons)
    for number, (tick, quote) in enumerate(zip(at.checkbox, quotes, strict=True)):
        suggested = by_id[rows[number]["id"]]["suggested"]
        assert tick.label == f"Accept candidate {number + 1}" and tick.value is suggested  # ticked only if suggested
        assert reasons[number] == (f"*{'Suggested' if suggested else 'Not suggested'}:* "
                                   f"{by_id[rows[number]['id']]['suggested_reason']}")
        assert as_read(quote) == f"**In the article:** “{' '.join(rows[number]['evidence'].split())}”"
        if rows[number]["as_source"]:  # reports a known event: offered as its source, with nothing to write
            assert at.radio(key=f"cand_{number}_as_source").value is True
            assert f"cand_{number}_summary" not in [area.key for area in at.text_area]
        else:
            assert at.text_area(key=f"cand_{number}_summary").value == ""
            assert at.text_area(key=f"cand_{number}_summary").placeholder == SUMMARY_HELP
    assert any(r["as_source"] for r in rows[:20]) and not all(r["as_source"] for r in rows[:20])
    shown_as_source = [as_read(m.value) for m in at.markdown if m.value.startswith("Its article is added as a source")]
    assert len(shown_as_source) == sum(r["as_source"] for r in rows[:20])
    first_new = next(n for n, row in enumerate(rows) if not row["as_source"])
    assert "Defection" in at.selectbox(key=f"cand_{first_new}_event_type").options  # types by name, not by id
    places = set()
    for first in at.selectbox(key="cand_page").options:  # every page of cards
        at.selectbox(key="cand_page").set_value(first).run()
        places |= {s.value for s in at.selectbox if s.key and s.key.endswith("_place")}
        places |= {m.group(1) for m in (re.search(r"\(found in (.+?)\), with", as_read(md.value)) for md in at.markdown)
                   if m}  # a known event's new source, found there
    assert {"Dandong", "Hunchun", "Rason", "Tumen", "Yanbian", "Shanghai"} <= places


SECOND_ARTICLE = ("Twenty North Korean garment workers disappeared from a factory in Shanghai in February 2022, "
                  "a source said.\nNorth Korean workers staged a strike at a seafood plant in Hunchun on 10 January "
                  "2023.\n")  # a second report of a known event, and one new event


def test_a_signed_in_editor_appends_and_the_change_is_recorded_under_their_name(dataset):
    at = find_candidates(SECOND_ARTICLE)
    before = dataset.read_bytes()
    ids_before = list(load_events(dataset)["id"])
    append = at.button(key="append")
    by_id = {f["properties"]["id"]: f["properties"] for f in at.session_state["review"]["collection"]["features"]}
    ticked = [by_id[row["id"]] for row in at.session_state["review"]["rows"] if row["accept"]]
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
    new_ones = read_json(dataset)["features"][len(ids_before):]
    assert [f["properties"]["summary"] for f in new_ones] == [f"In my words: {i}." for i in range(len(ticked))
                                                              if not ticked[i].get("matches")]
    assert b"Automatic candidate" not in dataset.read_bytes()
    assert as_read(at.success[-1].value).endswith("the previous version is kept, and an administrator of this dataset "
                                                 "can undo the change. The map page shows them now.")


def test_a_ticked_candidate_without_a_summary_is_refused_in_one_line_naming_it_and_nothing_is_appended(dataset,
                                                                                                    tmp_path):
    at = find_candidates(SECOND_ARTICLE, url="", accepting=False)
    before = dataset.read_bytes()
    [first, second, *_] = located(at)
    accept(at, [first])
    at.checkbox(key=f"cand_{second}_accept").check().run()  # ticked, its summary left empty
    title = at.text_input(key=f"cand_{second}_title").value
    at.button(key="append").click().run()
    assert only_error(at) == (f"Write a summary in your own words for candidate {second + 1} (“{title}”), or untick "
                              "it; nothing was appended.")
    assert dataset.read_bytes() == before and read_changes(dataset) == []  # not even the complete candidate
    assert list((tmp_path / "seeds").iterdir()) == []
    at.text_area(key=f"cand_{second}_summary").input("   ").run()  # blank is not written either
    at.button(key="append").click().run()
    assert "Write a summary in your own words" in only_error(at) and dataset.read_bytes() == before


def test_the_candidates_own_summary_can_never_reach_the_store():
    collection = candidates_from_text(SEED_TEXT, dt.date(2023, 2, 23), "The Asia Business Daily", "t",
                                      "https://example.org")
    assert all("Automatic candidate" in f["properties"]["summary"] for f in collection["features"])  # the reading's
    rows = review_rows(collection)
    suggested = {f["properties"]["id"]: f["properties"]["suggested"] for f in collection["features"]}
    assert rows and all(row["summary"] == "" and row["accept"] is suggested[row["id"]] for row in rows)
    assert any(row["accept"] for row in rows) and not all(row["accept"] for row in rows)
    with pytest.raises(Unreviewed):  # the suggested ones are ticked, but their summaries are still to be written
        apply_review(collection, rows)
    for row in rows:
        row["accept"] = False
    assert apply_review(collection, rows) == []  # nothing ticked, nothing accepted
    for row in rows:
        row["accept"] = True
    with pytest.raises(Unreviewed, match=r"^Write a summary in your own words for candidate 1 \(“.+”\) \(and "
                                         rf"{len(rows) - 1} other ticked candidates\)"):
        apply_review(collection, rows)
    for number, row in enumerate(rows):
        row["summary"] = f" Written by the reviewer, {number}. "
    accepted = apply_review(collection, rows)
    assert [f["properties"]["summary"] for f in accepted] == [f"Written by the reviewer, {n}." for n in
                                                             range(len(rows))]
    assert not any({"suggested", "suggested_reason"} & set(f["properties"]) for f in accepted)  # the review's only
    rows[0]["title"] = ""
    with pytest.raises(Unreviewed, match=r"^Write a title for candidate 1, or untick it"):
        apply_review(collection, rows)
    mark_matches(collection, read_json(EVENTS_PATH)["features"])  # the founding article's events are known
    rows = review_rows(collection)
    for row in rows:
        row["accept"] = row["as_source"]  # ticked as sources of known events: nothing of theirs to write
    accepted = apply_review(collection, rows)
    assert accepted and all(f["properties"]["matches"] and "summary" not in f["properties"] for f in accepted)


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
    rows[0].update(accept=True, summary="Workers were detained.", place="Tumen")
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
    rows = [as_read(m.value) for m in at.markdown if m.value.startswith("**Row ")]
    assert [row.split(".")[0] for row in rows] == ["**Row 2 of the sheet", "**Row 3 of the sheet",
                                                   "**Row 5 of the sheet"]
    assert "'Sinuijiu' is closest to a name of Sinuiju (a town in North Korea)" in rows[1]  # no "(town, KP)"
    assert "is not in the project's gazetteer" in rows[2]
    assert [c.label for c in at.checkbox if c.value] == ["Accept candidate 1", "Accept candidate 2",
                                                         "Accept candidate 3"]  # every readable row offered, ticked
    assert [at.selectbox(key=f"cand_{i}_place").value for i in range(3)] == ["Dandong", "Sinuiju", ""]
    # The sheet gives no summary: none is made up for it, and the page asks for one as it does for an article.
    assert [at.text_area(key=f"cand_{i}_summary").value for i in range(3)] == ["", "", ""]
    assert at.text_area(key="cand_0_summary").placeholder == SUMMARY_HELP
    assert "1 problem: these rows are not offered" in at.warning[0].value
    assert at.code[0].value == ("Row 4, event type: 'riot' is not an event type; one of "
                                + ", ".join(EVENT_TYPES.values()))


def test_a_signed_in_editor_appends_the_accepted_spreadsheet_rows_through_the_reviewed_path(dataset):
    at = read_sheet_rows()
    ids_before = list(load_events(dataset)["id"])
    append = at.button(key="append")
    assert append.label == "Append 3 accepted events to the dataset"
    append.click().run()  # ticked, but the sheet gives no summaries and none was written
    assert [as_read(e.value) for e in at.error] == ["Write a summary in your own words for candidate 1 (“Defection: "
                                                    "Dandong”) (and 2 other ticked candidates), or untick it; nothing "
                                                    "was appended."]
    assert list(load_events(dataset)["id"]) == ids_before
    for number in range(3):
        at.text_area(key=f"cand_{number}_summary").input(f"Candidate {number + 1}, in my words.")
    at.run().button(key="append").click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    after = load_events(dataset)
    assert list(after["id"][:len(ids_before)]) == ids_before and len(after) == len(ids_before) + 3
    added = after.iloc[len(ids_before):]
    assert list(added["place"]) == ["Dandong", "Sinuiju", ""] and added.geometry.isna().tolist() == [False, False, True]
    [change] = read_changes(dataset)
    assert change.editor == EDITOR and len(change.added) == 3
    assert set(change.refs) == {"https://www.dailynk.com/sheet-a", "https://www.rfa.org/sheet-b",
                                "https://www.dailynk.com/sheet-d"}
    assert list(added["summary"]) == [f"Candidate {n}, in my words." for n in (1, 2, 3)]


def test_a_sheets_own_summaries_are_offered_as_its_rows_and_a_row_without_one_asks_for_it(dataset):
    sheet = (b"date,event_type,place,summary,source,url\n"
             b"2023-02-10,defection,Dandong,Two soldiers crossed the river at night.,Daily NK,https://e.org/a\n"
             b"2023-03-01,detention,Hunchun,,Daily NK,https://e.org/b\n")
    at = read_sheet_rows(content=sheet)
    assert [at.text_area(key=f"cand_{i}_summary").value for i in range(2)] == [
        "Two soldiers crossed the river at night.", ""]


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
        assert only_error(at) == ("Not appended: the article's text could not be kept on this server (No space left "
                                  "on device).")
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


# --- visitors see no file of the server; what an administrator needs goes to the log --------------------

def test_an_editor_reads_of_the_dataset_and_of_countries_in_words_not_file_names_or_codes(dataset):
    at = find_candidates()
    shown = as_read(everything_shown(at)) + "\n".join(b.label for b in at.button)
    assert "appended to the dataset only when a signed-in editor accepts them" in shown
    assert at.button(key="append").label.endswith(" to the dataset") and dataset.name not in shown
    assert "(a town in China)" in shown and "(a town in North Korea)" in shown
    assert not re.search(r"\((?:town|crossing|capital|region|province), [A-Z]{2}", shown), "a gazetteer code is shown"


def everything_shown(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in (at.error, at.warning, at.info, at.success, at.code, at.markdown,
                                               at.caption) for e in kind)


def test_an_unreadable_dataset_is_named_by_no_file_and_its_fault_is_logged_for_the_administrator(dataset, tmp_path,
                                                                                                  caplog):
    dataset.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")  # a half-written hand edit
    at = find_candidates(signed_in=False)
    assert not at.exception and as_read(at.error[0].value) == ("The dataset cannot be read: it has 1 problem that an "
                                                                "administrator of this dataset must fix first.")
    assert dataset.name not in everything_shown(at) and str(tmp_path) not in caplog.text
    assert "the dataset cannot be read: events.geojson: " in caplog.text


def test_a_malformed_editors_file_is_named_by_no_file_and_its_fault_is_logged(dataset, tmp_path, caplog):
    (tmp_path / "editors.toml").write_text("[editors.alice\n")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    sign_in(at)
    assert not at.exception and as_read(at.error[0].value) == ("Sign-in is unavailable: the list of editors on this "
                                                                "server cannot be read. An administrator of this "
                                                                "dataset can repair it.")
    assert "editors.toml" not in everything_shown(at) and "TOML" not in everything_shown(at)
    assert "editors.toml: not valid TOML" in caplog.text and str(tmp_path) not in caplog.text


def test_a_signed_in_editor_whose_editors_file_breaks_cannot_append_and_sees_no_file(dataset, tmp_path):
    at = find_candidates(SECOND_ARTICLE)
    before = dataset.read_bytes()
    (tmp_path / "editors.toml").write_text("[editors.alice\n")
    at.button(key="append").click().run()
    assert not at.exception and as_read(at.error[0].value) == ("Sign-in is unavailable, so nothing can be appended: "
                                                                "the list of editors on this server cannot be read. An "
                                                                "administrator of this dataset can repair it.")
    assert dataset.read_bytes() == before and "editors.toml" not in everything_shown(at)


def test_an_edit_that_breaks_the_data_contract_is_refused_naming_the_candidate_and_the_field_in_words(dataset):
    at = find_candidates(SECOND_ARTICLE, accepting=False)
    before = dataset.read_bytes()
    [first, *_] = [n for n in located(at) if not at.session_state["review"]["rows"][n]["as_source"]]
    accept(at, [first])
    end = at.date_input(key=f"cand_{first}_date_end").value
    at.date_input(key=f"cand_{first}_date_start").set_value(end + dt.timedelta(days=3)).run()
    at.button(key="append").click().run()
    assert only_error(at) == (f"Not appended: Candidate {first + 1}: end date: end date {end.isoformat()} is before "
                              f"start date {(end + dt.timedelta(days=3)).isoformat()}.")
    assert dataset.read_bytes() == before and read_changes(dataset) == []


def test_what_a_reviewer_ticked_and_wrote_stays_when_they_turn_to_the_next_twenty_candidates_and_back(dataset):
    at = find_candidates(accepting=False)
    for row in at.session_state["review"]["rows"]:  # start from nothing ticked, on every page of cards
        row["accept"] = False
    untick_all(at)
    new = [n for n, row in enumerate(at.session_state["review"]["rows"]) if not row["as_source"]]
    first, second = new[0], next(n for n in new if n >= 20)
    accept(at, [first], summary="Written on the first page.")
    pages = at.selectbox(key="cand_page").options
    at.selectbox(key="cand_page").set_value(pages[1]).run()
    assert at.checkbox[0].label == "Accept candidate 21" and at.checkbox[0].value is False
    at.checkbox(key=f"cand_{second}_accept").check()
    at.text_area(key=f"cand_{second}_summary").input("Written on the second page.").run()
    at.selectbox(key="cand_page").set_value(pages[0]).run()
    assert at.checkbox(key=f"cand_{first}_accept").value is True
    assert at.text_area(key=f"cand_{first}_summary").value == "Written on the first page."
    assert sum(c.value for c in at.checkbox) == 1  # the second page's tick is kept, not shown
    assert re.match(r"Append \d+ accepted events( and \d+ sources of known events)? to ", at.button(key="append").label)
    counts = [int(n) for n in re.findall(r"\d+", at.button(key="append").label.split(" to ")[0])]
    assert sum(counts) == 2


def test_the_stores_refusal_names_the_candidate_by_its_number_and_the_field_in_words():
    rows = [{"id": "detention-hunchun-1"}, {"id": "strike-hunchun-2"}]
    refused = Problem("events.geojson", "properties.sources[0].published", "date_start 2023-02-24 is after the "
                      "source's publication date", index=41, feature_id="strike-hunchun-2")
    assert problem_words(refused, rows) == ("Candidate 2: source 1, publication date: start date 2023-02-24 is after "
                                            "the source's publication date")
    other = Problem("events.geojson", "properties.event_type", "'riot' is not one of " + ", ".join(EVENT_TYPES),
                    index=3, feature_id="an-event-already-there")
    assert problem_words(other, rows) == "Event type: 'riot' is not one of " + ", ".join(EVENT_TYPES.values())


def test_the_dandong_paragraph_ticks_only_its_repatriation_and_says_why_the_detention_is_not():
    # Written here: the kind of three-sentence report the review was tried with (issue #24).
    text = ("About 60 North Koreans were sent back across the Yalu River through Dandong on Monday, a rights group "
            "said. They had been held in detention centres in Liaoning province. Dandong, a city of about two "
            "million people, is China's biggest border city.")
    collection = candidates_from_text(text, dt.date(2024, 4, 26), "E", "t", "https://example.org/a")
    rows = review_rows(collection)
    ticked = [row for row in rows if row["accept"]]
    assert [(row["event_type"], row["place"]) for row in ticked] == [("repatriation", "Dandong")]
    assert ticked[0]["reason"] == "The sentence reports a repatriation at Dandong on a date it gives."
    unticked = [row for row in rows if not row["accept"]]
    assert unticked and all(row["reason"] and "_" not in row["reason"] for row in unticked)
