"""The 2020–2026 story in a real browser: the timeline spans it, disputed counts say who says what,
and the corroborated filter keeps only events with two or more independent witnesses.

Real Streamlit server on the bundled dataset, Debian's Chromium (harness: tests/browser.py), every
request leaving this machine blocked. Expectations come from the dataset itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import pytest
from playwright.sync_api import expect

from geo.events.dataset import records
from geo.events.evidence import figures_text, is_corroborated
from geo.io.events_file import load_events
from tests.browser import LOAD_MS, RERUN_MS, ROOT, App, is_loopback, serve, wait_until_idle

DATASET = ROOT / "data" / "events.geojson"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
OCTOBER = "repatriation-mass-2023-10-09"


@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    return load_events(DATASET)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with serve(tmp_path_factory.mktemp("story")) as running:
        yield running


def test_the_october_2023_repatriation_shows_its_disputed_count_with_who_says_what(app, open_session, events):
    [row] = records(events.loc[[OCTOBER]])
    expected = figures_text(row["figures"], row["sources"])[0]
    assert expected.startswith("200–") and "Daily NK about 200" in expected and "more than 500" in expected
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        page.goto(f"{app.url}?event={OCTOBER}")
        figures = page.locator("[data-testid='stHtml'] ul.geo-figures li").first
        expect(figures).to_have_text(expected, timeout=LOAD_MS)
        wait_until_idle(page)
        figures.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "disputed-count.png"))
    session.assert_no_outside_request_and_no_js_error()


def test_the_timeline_spans_2020_to_2026(app, open_session, events):
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        page.goto(app.url)
        charts = page.locator("[data-testid='stVegaLiteChart']")
        expect(charts).to_have_count(3, timeout=LOAD_MS)  # routes' status, China's monthly trade, events
        wait_until_idle(page)
        axis = charts.nth(2).locator("text").evaluate_all("nodes => nodes.map(n => n.textContent || '')")
        years = {label[:4] for label in axis if label[:4].isdigit() and label[4:5] == "-"}
        assert {"2020", "2026"} <= years, years
        charts.nth(2).scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "timeline-2020-2026.png"))
    session.assert_no_outside_request_and_no_js_error()


def test_the_corroborated_filter_keeps_only_events_with_two_independent_witnesses(app, open_session, events):
    corroborated = events[events["sources"].map(is_corroborated)]
    assert 12 <= len(corroborated) < len(events)
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        page.goto(app.url)
        line = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown")
        expect(line).to_contain_text(f"{len(events)} of {len(events)} events shown", timeout=LOAD_MS)
        wait_until_idle(page)
        page.get_by_text("Only events corroborated by two or more independent sources").click()
        expect(line).to_contain_text(f"{len(corroborated)} of {len(events)} events shown", timeout=RERUN_MS)
        wait_until_idle(page)
        table = page.locator("[data-testid='stDataFrame']").first
        expect(table).to_be_visible()
    session.assert_no_outside_request_and_no_js_error()
