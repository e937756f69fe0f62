"""The review page in a real browser against a real server: each candidate's tick beside its evidence at three
screen sizes, no serious or critical accessibility violation for a visitor or an editor, an editor's append
publishing only what they wrote, and a spreadsheet read that stops when its visitor leaves.

The spreadsheet read runs in a child process of the server (geo.io.table.import_upload under geo.budget); the page asks,
while it runs, whether the visitor's session is still connected. Closing the tab must end the child long
before its own time budget would.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from geo.events.dataset import read_json
from geo.io.table import UPLOAD_SECONDS
from tests.axe import axe_violations, described
from tests.browser import LOAD_MS, RERUN_MS, is_loopback, open_review_page, report, serve, wait_until_idle
from tests.conftest import EVENTS_PATH
from tests.test_security import EDITOR, PASSWORD, find_candidates_as_a_visitor, secured  # noqa: F401

SCREENSHOTS = Path("/tmp/h4")
SIZES = {"laptop": (1440, 900), "small-laptop": (1280, 720), "phone": (390, 844)}
SUMMARY = "North Korean workers at a Hunchun seafood plant went on strike, a source told the paper."
# Streamlit's own markup that axe-core finds fault with and the page cannot change: (rule, the exact element).
STREAMLIT_OWNED: tuple[tuple[str, str], ...] = ()


def first_card(page: Page):
    """The bordered container of the first candidate: its tick, its quoted sentence and its fields."""
    return page.locator(".st-key-cand_card_0")


def assert_tick_beside_its_evidence(page: Page, size: str) -> None:
    """The first candidate's tick and the article's sentence are read together: side by side on a laptop, the
    sentence right under the tick on a phone, both inside the screen's width."""
    tick = page.get_by_text("Accept candidate 1").bounding_box()
    quote = page.get_by_text(re.compile("^In the article:")).first.bounding_box()
    width = page.viewport_size["width"]
    assert tick and quote and quote["x"] + quote["width"] <= width and tick["x"] >= 0, (size, tick, quote)
    if size == "phone":
        assert 0 <= quote["y"] - (tick["y"] + tick["height"]) < 60, (size, tick, quote)
    else:
        assert quote["x"] > tick["x"] + tick["width"] and abs(quote["y"] - tick["y"]) < 40, (size, tick, quote)


def look(page: Page, who: str) -> None:
    """At each of the three sizes: the first card's layout checked, the page photographed, and axe-core run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        wait_until_idle(page)
        first_card(page).evaluate("card => card.scrollIntoView({block: 'center'})")
        assert_tick_beside_its_evidence(page, size)
        page.screenshot(path=str(SCREENSHOTS / f"review-{who}-{size}.png"), full_page=False)
        found = axe_violations(page, STREAMLIT_OWNED)
        assert found == [], f"{who} at {width}×{height}:\n{described(found)}"


def test_a_visitor_and_an_editor_read_each_tick_beside_its_evidence_and_only_written_summaries_are_appended(
        secured, open_session):  # noqa: F811
    app, data = secured
    before = read_json(data)["features"]
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        find_candidates_as_a_visitor(page, app.url)
        card = first_card(page)
        expect(card.get_by_text(re.compile("^In the article: “"))).to_be_visible()
        # Both candidates are reported by their own sentences, so both start ticked (suggested), with the reason.
        expect(card.get_by_role("checkbox", name="Accept candidate 1")).to_be_checked()
        expect(card.get_by_text(re.compile("^Suggested: The sentence reports a disappearance at Shanghai"))) \
            .to_be_visible()
        # The Shanghai disappearance is known: offered as its source, with nothing to write.
        expect(card.get_by_role("radio", name="another source of a known event")).to_be_checked()
        expect(card.get_by_text(re.compile("^Its article is added as a source of “"))).to_be_visible()
        expect(card.get_by_role("textbox", name="Summary, in your own words")).to_have_count(0)
        strike = page.locator("[class*='st-key-cand_card_']", has_text="In the article: “North Korean workers staged")
        expect(strike.get_by_role("textbox", name="Summary, in your own words")).to_have_value("")
        look(page, "visitor")
        assert page.get_by_role("button", name=re.compile("^Append")).count() == 0
        assert read_json(data)["features"] == before

        page.set_viewport_size({"width": 1440, "height": 900})
        wait_until_idle(page)
        page.get_by_role("textbox", name="Editor name").fill(EDITOR)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"Signed in as {EDITOR}")).to_be_visible(timeout=RERUN_MS)
        wait_until_idle(page)
        card.get_by_text(re.compile("^Accept candidate 1$")).click()  # the label is the hit target: untick the source
        expect(card.get_by_role("checkbox")).not_to_be_checked()
        wait_until_idle(page)
        expect(strike.get_by_role("checkbox")).to_be_checked()  # suggested: ticked already, its summary unwritten
        append = page.get_by_role("button", name=re.compile("^Append 1 accepted events"))
        expect(append).to_be_enabled(timeout=RERUN_MS)
        append.click()  # ticked, with no summary written
        expect(page.get_by_text(re.compile(r"^Write a summary in your own words for candidate \d+ \(“"))) \
            .to_be_visible(timeout=RERUN_MS)
        assert read_json(data)["features"] == before
        look(page, "editor")
        page.set_viewport_size({"width": 1440, "height": 900})
        summary = strike.get_by_role("textbox", name="Summary, in your own words")
        summary.fill(SUMMARY)
        summary.press("Control+Enter")  # a text area's value is sent on Ctrl+Enter or when it loses focus
        wait_until_idle(page)
        page.get_by_role("button", name=re.compile("^Append 1 accepted events")).click()
        expect(page.get_by_text(re.compile(rf"^Appended 1 events as change \d+ by {EDITOR}"))).to_be_visible(
            timeout=RERUN_MS)
    session.assert_no_outside_request_and_no_js_error()
    after = read_json(data)["features"]
    assert after[:len(before)] == before and [f["properties"]["summary"] for f in after[len(before):]] == [SUMMARY]

SHEET_KIND = "A spreadsheet of events (CSV or Excel)"


def slow_sheet() -> bytes:
    """A CSV within every upload limit whose rows take longer than the time budget to import: 5,000 rows whose
    places are long phrases the gazetteer does not know."""
    rows = ["date,event_type,place,source,url"]
    phrase = "somewhere near the river bank by the old bridge in the hills " * 2
    rows += [f"2023-01-{i % 28 + 1:02d},defection,{phrase}{i},Daily NK,https://example.org/{i}" for i in range(5000)]
    return ("\n".join(rows) + "\n").encode("utf-8")


def readers(server_pid: int) -> list[int]:
    """The server's child processes that are budgeted reads (geo.budget's child interpreter)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if ppid == server_pid and b"geo.budget import _serve" in command:
            found.append(int(proc.name))
    return found


def wait_for(condition, seconds: float) -> float | None:
    """Poll `condition()` every 0.05 s for up to `seconds`; the seconds it took to hold, or None."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def test_closing_the_tab_stops_the_spreadsheet_read_long_before_its_time_budget(tmp_path, open_session, request):
    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    with serve(tmp_path, data, {"BORDER_EDITORS": str(tmp_path / "editors.toml"),
                                "BORDER_SEEDS": str(tmp_path)}) as app, app.log_on_failure():
        session = open_session(is_loopback)
        page = session.page
        open_review_page(page, app.url)
        page.get_by_text(SHEET_KIND).click()
        expect(page.get_by_text("Spreadsheet: .csv (UTF-8) or .xlsx")).to_be_visible(timeout=LOAD_MS)
        wait_until_idle(page)
        page.locator("input[type=file]").set_input_files(
            {"name": "slow.csv", "mimeType": "text/csv", "buffer": slow_sheet()})
        read = page.get_by_role("button", name="Read rows")
        expect(read).to_be_enabled(timeout=LOAD_MS)
        read.click()
        assert wait_for(lambda: readers(app.process.pid), 20) is not None, "the read never started"
        session.context.close()  # the visitor closes the tab
        gone = wait_for(lambda: not readers(app.process.pid), UPLOAD_SECONDS)
    assert gone is not None, f"the read went on after the tab closed (budget {UPLOAD_SECONDS:g} s)"
    report(request, f"spreadsheet read stopped {gone:.2f} s after its tab closed (its budget: {UPLOAD_SECONDS:g} s)")
    assert gone < UPLOAD_SECONDS / 2
