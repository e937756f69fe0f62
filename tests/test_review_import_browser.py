"""The review page's spreadsheet path in a real browser against a real `streamlit run` server: a CSV uploaded,
its rows shown as candidates with each bad row's one-line problem in words, and a signed-in editor appending the
good rows, with the summaries they wrote (the sheet gives none), to the dataset file, which stays valid. Every
request that would leave the machine is blocked and recorded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from geo.events.dataset import read_json
from geo.io.sheet import read_sheet
from geo.io.table import import_sheet
from geo.report.markup import WORD_JOINER
from tests.browser import RERUN_MS, is_loopback, open_sheet_uploader, wait_until_idle
from tests.test_security import EDITOR, PASSWORD, geo, secured  # noqa: F401  (secured: the server fixture)

# One row with coordinates, one with only a gazetteer place name, one with a month 13.
SHEET = ("date,event_type,place,lat,lon,source,url\n"
         "2024-09-03,worker_strike,Dandong,40.1292,124.3947,Daily NK,https://www.dailynk.com/browser-sheet-a\n"
         "2024-10,detention,Hunchun,,,Radio Free Asia,https://www.rfa.org/browser-sheet-b\n"
         "2024-13-01,escape,Tumen,,,Yonhap,https://en.yna.co.kr/browser-sheet-c\n")
BAD_ROW = "events.csv: row 4: date: '2024-13-01' is not a real date (month must be in 1..12)"
BAD_ROW_SHOWN = "Row 4, date: '2024-13-01' is not a real date (month must be in 1..12)"
SUMMARIES = ("North Korean workers struck at a Dandong garment plant.", "A defector was detained in Hunchun.")


def test_an_uploaded_spreadsheet_shows_its_rows_and_problems_and_an_editor_appends_exactly_its_good_rows(
        secured, open_session, tmp_path: Path):  # noqa: F811
    app, data = secured
    before = read_json(data)["features"]
    sheet = tmp_path / "events.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    expected = import_sheet(read_sheet(sheet.read_bytes(), sheet.name))  # what the page reads, run directly
    assert [r.row for r in expected.rows if r.feature] == [2, 3] and [str(p) for p in expected.problems] == [BAD_ROW]
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        uploader = open_sheet_uploader(page, app.url)
        uploader.locator("input[type='file']").set_input_files(sheet)
        read_rows = page.get_by_role("button", name="Read rows")
        expect(read_rows).to_be_enabled(timeout=RERUN_MS)
        wait_until_idle(page)
        read_rows.click()

        expect(page.get_by_role("heading", name="2 candidates")).to_be_visible(timeout=RERUN_MS)
        wait_until_idle(page)
        caption = page.get_by_text(re.compile(r"^events\.\W*csv: \d+ rows\W"))  # the summary, not the problem
        assert caption.inner_text().replace(WORD_JOINER, "") == f"events.csv: {expected.summary()}."
        expect(page.get_by_text("1 problem: these rows are not offered")).to_be_visible()
        expect(page.locator("[data-testid='stCode']")).to_have_text(BAD_ROW_SHOWN)
        # The two candidates are on the map as pins (the legend's pins aside).
        expect(page.frame_locator("iframe[title*='st_folium']").locator(".leaflet-marker-pane .geo-pin")) \
            .to_have_count(2, timeout=RERUN_MS)
        expect(page.get_by_text("Sign in as an editor (above) to append")).to_be_visible()
        assert read_json(data)["features"] == before

        page.get_by_role("textbox", name="Editor name").fill(EDITOR)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"Signed in as {EDITOR}")).to_be_visible(timeout=RERUN_MS)
        append = page.get_by_role("button", name="Append 2 accepted events to the dataset")
        expect(append).to_be_visible(timeout=RERUN_MS)
        wait_until_idle(page)
        for number, written in enumerate(SUMMARIES):  # the sheet has no summary column: none is made up
            summary = page.locator(f".st-key-cand_card_{number}").get_by_role("textbox",
                                                                              name="Summary, in your own words")
            expect(summary).to_have_value("")
            summary.fill(written)
            summary.press("Control+Enter")  # a text area's value is sent on Ctrl+Enter or when it loses focus
            wait_until_idle(page)
        append.click()
        expect(page.get_by_text(re.compile(rf"Appended 2 events as change 0001 by {EDITOR}"))).to_be_visible(
            timeout=RERUN_MS)
    session.assert_no_outside_request_and_no_js_error()
    after = read_json(data)["features"]
    assert after[:len(before)] == before and after[len(before):] == [
        {**f, "properties": {**f["properties"], "summary": written}} for f, written in zip(expected.features, SUMMARIES,
                                                                                          strict=True)]
    checked = geo("validate", str(data))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    history = [json.loads(line) for line in geo("history", "--data", str(data), "--json").stdout.splitlines()]
    assert [(entry["editor"], entry["added"]) for entry in history] == [
        (EDITOR, [f["properties"]["id"] for f in expected.features])]
