"""The real dashboard and the exported map in headless Chromium, with every outside request blocked.

No mocks: a Streamlit server runs `dashboard.py` as a subprocess, Chromium (Debian's, via Playwright's
sync API) opens it, and the tests check what a user sees with the bundled dataset. Expected numbers come
from `geo.io.events_file.load_events`, so they follow the data. Any request that would leave this machine is
aborted and recorded, and every test ends by asserting there was none and that no JavaScript error
occurred: the map must work on a closed network.

Run: `.venv/bin/python -m pytest tests/test_browser.py` (or `scripts/test`, which installs Chromium).
Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from playwright.sync_api import FrameLocator, Locator, Page, expect

from geo.events.evidence import independent_witnesses
from geo.events.schema import EVENT_TYPES
from geo.io.events_file import load_events
from geo.map.style import STATUS_STYLE
from geo.reference.basemap import BASEMAP_PATH, BORDER_STYLE
from geo.reference.crossings import load_crossings
from tests.browser import LOAD_MS, RERUN_MS, ROOT, App, Session, is_file, is_loopback, report, serve, wait_until_idle

DATASET = ROOT / "data" / "events.geojson"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
MAP_FRAME = "iframe[title*='st_folium']"
CHIP = ".react-aria-ComboBox [data-tag]"

# The event types the filter test removes from the sidebar multiselect (both are pins, no routes).
REMOVED_TYPES = ("disappearance", "worker_deployment")


# --- Expected numbers, from the real dataset ----------------------------------------------------

@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    """The bundled dataset as the app loads it (same as conftest's `events`; kept here so this file stands alone)."""
    return load_events(DATASET)


def points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    located = frame[frame.geometry.notna()]
    return located[located.geom_type == "Point"]


def lines(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    located = frame[frame.geometry.notna()]
    return located[located.geom_type != "Point"]


def border_feature_count() -> int:
    features = json.loads(BASEMAP_PATH.read_text(encoding="utf-8"))["features"]
    return sum(1 for f in features if f["properties"]["kind"] == "border")


def stroke_selector(style: dict) -> str:
    """SVG paths drawn with this Leaflet style: Leaflet writes `color` and `weight` as attributes."""
    return f'path[stroke="{style["color"]}"][stroke-width="{style["weight"]:g}"]'


def route_selector(statuses: list[str]) -> str:
    """Event route lines of these statuses (geo.map.layers gives each route line `geo-route-<status>`)."""
    return ", ".join(f"path.geo-route-{s}" for s in statuses)


ROUTES = route_selector(list(STATUS_STYLE))
BORDER = stroke_selector(BORDER_STYLE)


# --- Timing -------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def module_timer(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print (never assert) how long the module took, server start-up and browser launch included."""
    start = time.perf_counter()
    yield
    report(request, f"tests/test_browser.py took {time.perf_counter() - start:.1f} s")



@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with serve(tmp_path_factory.mktemp("streamlit")) as running:
        yield running


# --- The browser --------------------------------------------------------------------------------


# --- Page helpers -------------------------------------------------------------------------------

def map_frame(page: Page) -> FrameLocator:
    return page.frame_locator(MAP_FRAME)


def open_dashboard(session: Session, app: App) -> FrameLocator:
    session.page.goto(app.url)
    frame = map_frame(session.page)
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
    return frame



def wait_for_icon_font(frame: FrameLocator) -> None:
    """The pins' Font Awesome glyphs are drawn (font served locally), so a screenshot shows icons."""
    loaded = frame.locator("html").evaluate(
        "async () => { await document.fonts.ready;"
        " return [...document.fonts].some(f => f.family.includes('Font Awesome') && f.status === 'loaded'); }")
    assert loaded, "the Font Awesome web font did not load in the map: pins show empty or boxed icons"


def counts(page: Page) -> Locator:
    """The line above the map: '<shown> of <total> events shown · <n> on the map as of … · <m> with no …'."""
    return page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def expect_routes_by_status(frame: FrameLocator | Page, frame_lines: gpd.GeoDataFrame) -> None:
    """One line per located route, in its status style."""
    expect(frame.locator(ROUTES)).to_have_count(len(frame_lines))
    for status in STATUS_STYLE:
        expected = int((frame_lines["status"] == status).sum())
        expect(frame.locator(route_selector([status])), f"{status} routes").to_have_count(expected)


# --- Tests --------------------------------------------------------------------------------------

def test_default_view_shows_every_located_event_with_no_outside_request(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    pins, routes = points(events), lines(events)
    assert len(pins) and len(routes), "the bundled dataset should have both pins and routes to check"
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        frame = open_dashboard(session, app)
        expect(frame.locator(".geo-event")).to_have_count(len(pins), timeout=LOAD_MS)
        for event_type, count in pins["event_type"].value_counts().items():
            expect(frame.locator(f".geo-event.geo-{event_type}")).to_have_count(count)
        expect_routes_by_status(frame, routes)
        expect(frame.locator(BORDER)).to_have_count(border_feature_count())
        expect(frame.locator(BORDER).first).to_be_visible()
        expect(frame.locator("#geo-legend")).to_be_visible()
        crossings = load_crossings()
        expect(frame.locator(".geo-crossing-marker")).to_have_count(int(crossings.geometry.notna().sum()))

        located = len(pins) + len(routes)
        expect(counts(page)).to_contain_text(
            f"{len(events)} of {len(events)} events shown · {located} on the map as of "
            f"{max([*events['date_start'].dropna(), *events['date_end'].dropna()])[:7]} · "
            f"{len(events) - located} with no known location")

        wait_until_idle(page)
        wait_for_icon_font(frame)
        screenshot(page, "dashboard.png")

        # One click zooms from the whole dataset to the border, where the routes are long enough to see.
        zoom = frame.locator("html").evaluate("() => window.map.getZoom()")
        frame.locator(".geo-view-border").click()
        page.wait_for_timeout(600)  # fitBounds animates
        assert frame.locator("html").evaluate("() => window.map.getZoom()") > zoom
        screenshot(page, "border-view.png")

        # Zoomed in on Tumen and Hunchun: city-level events sit in translucent 15 km discs.
        frame.locator("html").evaluate("() => window.map.setView([42.85, 130.15], 9, {animate: false})")
        expect(frame.locator("path.geo-uncertainty-city")).to_have_count(
            int((pins["location_precision"] == "city").sum()))
        page.wait_for_timeout(300)  # let Leaflet finish placing the zoomed layers for the picture
        screenshot(page, "uncertainty-discs.png")
    session.assert_no_outside_request_and_no_js_error()


def test_removing_event_types_in_the_sidebar_removes_their_pins_from_the_map(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    pins, routes = points(events), lines(events)
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        frame = open_dashboard(session, app)
        expect(frame.locator(".geo-event")).to_have_count(len(pins), timeout=LOAD_MS)
        chips = page.locator(CHIP)
        chip_count = chips.count()
        assert chip_count == events["event_type"].nunique(), "one chip per event type in the data"

        removed: list[str] = []
        for event_type in REMOVED_TYPES:
            assert (pins["event_type"] == event_type).any(), f"no {event_type} pin: the test would prove nothing"
            label = EVENT_TYPES[event_type]
            chip = page.locator(f'{CHIP}[aria-label="{label}"]')
            expect(chip).to_have_count(1)
            chip.locator('button[aria-label^="Remove"]').click()
            removed.append(event_type)
            expect(chip).to_have_count(0, timeout=RERUN_MS)
            remaining = pins[~pins["event_type"].isin(removed)]
            # Wait for this rerun to reach the map before the next click, so the clicks never race.
            expect(frame.locator(".geo-event")).to_have_count(len(remaining), timeout=RERUN_MS)
            wait_until_idle(page)

        expect(chips).to_have_count(chip_count - len(REMOVED_TYPES))
        for event_type in REMOVED_TYPES:
            expect(frame.locator(f".geo-event.geo-{event_type}")).to_have_count(0)
        kept_routes = routes[~routes["event_type"].isin(removed)]
        expect_routes_by_status(frame, kept_routes)
        shown = events[~events["event_type"].isin(removed)]
        expect(counts(page)).to_contain_text(
            f"{len(shown)} of {len(events)} events shown · {len(remaining) + len(kept_routes)} on the map")

        wait_for_icon_font(frame)
        screenshot(page, "dashboard-filtered.png")
    session.assert_no_outside_request_and_no_js_error()


def test_clicking_the_shanghai_disappearance_pin_shows_its_sources_and_details(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    pins = points(events)
    disappearances = pins[pins["event_type"] == "disappearance"]
    assert len(disappearances) == 1, "the pin is found by its type class, so it must be the only one"
    row = disappearances.iloc[0]
    assert "Shanghai" in (row["place"] or ""), row["place"]
    publishers = [source["publisher"] for source in row["sources"]]
    refs = [source["ref"] for source in row["sources"]]
    assert any("Asia Business Daily" in p for p in publishers) and "seeds/000_c849781cc78fe4c5.txt" in refs

    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        frame = open_dashboard(session, app)
        expect(frame.locator(".geo-event")).to_have_count(len(pins), timeout=LOAD_MS)
        wait_until_idle(page)
        # st.html(details_html(...)) below the map: the only st.html block with a heading.
        details = page.locator("[data-testid='stHtml']").filter(has=page.locator("h3"))
        details_title = details.locator("h3")
        expect(details_title).to_have_count(1)
        expect(details_title).not_to_have_text(row["title"])  # the default selection is another event

        # Mark the pins, so we can tell whether the rerun the click causes re-creates them.
        frame.locator(".geo-event").evaluate_all("pins => pins.forEach(p => p.dataset.probe = 'before-click')")
        # No scrolling first: the whole map fits the 1400x1000 view, as it must for a user's click to land
        # (if its bottom were below the fold, mousedown would focus the pin and Chromium would scroll it
        # away from the pointer, so the click would miss).
        frame.locator(".geo-event.geo-disappearance").click()

        popup = frame.locator(".leaflet-popup-content")
        expect(popup).to_be_visible()
        expect(popup).to_contain_text(row["title"])
        expect(popup).to_contain_text("Asia Business Daily")
        expect(popup).to_contain_text("seeds/000_c849781cc78fe4c5.txt")
        for publisher, ref in zip(publishers, refs, strict=True):
            expect(popup).to_contain_text(publisher)
            expect(popup).to_contain_text(ref)

        # The app reads the clicked tooltip's id and shows that event under "Details".
        expect(details_title).to_have_text(row["title"], timeout=RERUN_MS)
        expect(details).to_contain_text("Asia Business Daily")
        expect(details).to_contain_text("seeds/000_c849781cc78fe4c5.txt")
        witnesses = independent_witnesses(row["sources"])  # geo.events.evidence, checked in tests/test_evidence.py
        expect(details).to_contain_text(f"Sources ({len(row['sources'])})")
        expect(details).to_contain_text("confidence: " + (f"corroborated by {witnesses} independent sources"
                                                          if witnesses >= 2 else "single source"))
        expect(details).to_contain_text("inferred")

        # That rerun keeps the map still: same pin elements, popup still open. (Checked once the rerun
        # is done; if the component applied its update later this could miss a regression, never flake.)
        wait_until_idle(page)
        expect(frame.locator(".geo-event[data-probe='before-click']")).to_have_count(len(pins))
        expect(popup).to_be_visible()
        expect(popup).to_contain_text(row["title"])
        details.scroll_into_view_if_needed()
        screenshot(page, "details.png")
    session.assert_no_outside_request_and_no_js_error()


def test_exported_html_map_draws_every_located_event_from_local_files_only(
        open_session, events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    result = subprocess.run([sys.executable, "-m", "geo", "export-html", "--out", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"export-html failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    assert out.is_file(), result.stdout

    pins, routes = points(events), lines(events)
    session = open_session(is_file)
    page = session.page
    page.goto(out.as_uri())
    expect(page.locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
    expect(page.locator(".geo-event")).to_have_count(len(pins), timeout=LOAD_MS)
    expect_routes_by_status(page, routes)
    expect(page.locator(BORDER)).to_have_count(border_feature_count())
    expect(page.locator(BORDER).first).to_be_visible()
    expect(page.locator("#geo-legend")).to_be_visible()
    session.assert_no_outside_request_and_no_js_error()


def test_a_copied_link_reopens_the_same_markers_and_filters(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    pins = points(events)
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        frame = open_dashboard(session, app)
        expect(frame.locator(".geo-event")).to_have_count(len(pins), timeout=LOAD_MS)
        page.locator(f'{CHIP}[aria-label="{EVENT_TYPES["worker_deployment"]}"] button[aria-label^="Remove"]').click()
        remaining = pins[pins["event_type"] != "worker_deployment"]
        expect(frame.locator(".geo-event")).to_have_count(len(remaining), timeout=RERUN_MS)
        wait_until_idle(page)
        expect(page).to_have_url(re.compile(r"[?&]types="), timeout=RERUN_MS)
        link = page.url

    colleague = open_session(is_loopback)  # a new browser context: a new Streamlit session
    with app.log_on_failure():
        frame = map_frame(colleague.page)
        colleague.page.goto(link)
        expect(frame.locator(".geo-event")).to_have_count(len(remaining), timeout=LOAD_MS)
        expect(frame.locator(".geo-event.geo-worker_deployment")).to_have_count(0)
        expect(colleague.page.locator(CHIP)).to_have_count(events["event_type"].nunique() - 1)
        shown = int((events["event_type"] != "worker_deployment").sum())
        expect(counts(colleague.page)).to_contain_text(f"{shown} of {len(events)} events shown")
        wait_until_idle(colleague.page)
        wait_for_icon_font(frame)
        screenshot(colleague.page, "shared-link.png")
    session.assert_no_outside_request_and_no_js_error()
    colleague.assert_no_outside_request_and_no_js_error()


def test_the_geopackage_and_kml_downloads_hold_exactly_the_rows_the_filters_show(
        app: App, open_session, events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    import pyogrio

    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        open_dashboard(session, app)
        page.locator(f'{CHIP}[aria-label="{EVENT_TYPES["worker_deployment"]}"] button[aria-label^="Remove"]').click()
        shown = events[events["event_type"] != "worker_deployment"]
        expect(counts(page)).to_contain_text(f"{len(shown)} of {len(events)} events shown", timeout=RERUN_MS)
        wait_until_idle(page)
        saved = {}
        for label, name in (("GeoPackage (QGIS)", "events.gpkg"), ("KML (Google Earth)", "events.kml")):
            with page.expect_download(timeout=RERUN_MS) as download:
                page.get_by_role("button", name=f"Download {label} (filtered)").click()
            saved[name] = tmp_path / name
            download.value.save_as(saved[name])
    package = pyogrio.read_dataframe(saved["events.gpkg"])
    assert sorted(package["id"]) == sorted(shown["id"]), "the GeoPackage rows are not the filtered rows"
    assert package.geometry.notna().sum() == shown.geometry.notna().sum(), "located rows keep their geometry"
    placemarks = pyogrio.read_dataframe(saved["events.kml"])
    assert sorted(placemarks["Name"]) == sorted(shown["title"]), "the KML placemarks are not the filtered rows"
    session.assert_no_outside_request_and_no_js_error()


def test_a_link_to_january_2020_shows_every_route_closed_and_no_later_event(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        page.goto(f"{app.url}?asof=2020-01-31&types=kidnap")
        frame = map_frame(page)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
        expect(page.locator("[data-testid='stAlert']").filter(has_text="kidnap")).to_be_visible()
        expect(frame.locator("path.geo-route-closed")).to_have_count(len(lines(events)), timeout=LOAD_MS)
        expect(frame.locator(".geo-event")).to_have_count(0)
        expect(frame.locator(route_selector(["partially_resumed", "resumed"]))).to_have_count(0)
        wait_until_idle(page)
        screenshot(page, "map-date-2020-01.png")
        page.get_by_text("Policy periods: each trade route's status").scroll_into_view_if_needed()
        expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(2)
        page.wait_for_timeout(500)  # let Vega finish drawing before the picture
        screenshot(page, "timeline.png")
    session.assert_no_outside_request_and_no_js_error()


# --- Hostile text ---------------------------------------------------------------------------------

def payloads(where: str) -> str:
    """Text that would run script if it ever became markup or code, tagged with where it was put."""
    return (f"<script>window.top.__xss='{where}-script'</script>"
            f"<img src=x onerror=\"window.top.__xss='{where}-img'\">"
            f"`+(window.top.__xss='{where}-tick')+`${{window.top.__xss='{where}-tpl'}}\\`"
            f"<a href=\"javascript:window.top.__xss='{where}-href'\">link</a>"
            "{{7*7}}{% if true %}jinja-ran{% endif %}")


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real dataset with every text field replaced by script-shaped strings (still valid data)."""
    collection = json.loads((ROOT / "data" / "events.geojson").read_text(encoding="utf-8"))
    for feature in collection["features"]:
        props = feature["properties"]
        for key in ("title", "summary", "place_text", "location_note", "date_note"):
            props[key] = payloads(key)
        for source in props["sources"]:
            source.update(publisher=payloads("publisher"), title=payloads("source-title"), note=payloads("note"),
                          ref="javascript:window.top.__xss='ref'")
        props["sources"].append({"publisher": "Example", "title": "quote test", "published": "2023-01-01",
                                 "ref": "https://example.org/\"onmouseover=\"window.top.__xss='attr'"})
    path = tmp_path_factory.mktemp("hostile") / "events.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    assert subprocess.run([sys.executable, "-m", "geo", "validate", str(path)], cwd=ROOT).returncode == 0
    return path


def assert_no_script_ran(page: Page, frame: FrameLocator | None = None) -> None:
    assert page.evaluate("() => window.__xss === undefined"), page.evaluate("() => window.__xss")
    if frame is not None:
        assert frame.locator("html").evaluate("() => window.__xss === undefined")


def test_text_full_of_script_shows_as_text_everywhere_and_never_runs(
        hostile_data: Path, open_session, tmp_path_factory: pytest.TempPathFactory) -> None:
    with serve(tmp_path_factory.mktemp("hostile-streamlit"), hostile_data) as hostile:
        session = open_session(is_loopback)
        page = session.page
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        with hostile.log_on_failure():
            frame = open_dashboard(session, hostile)
            pins = frame.locator(".geo-event")
            expect(pins).to_have_count(len(points(load_events(hostile_data))), timeout=LOAD_MS)
            wait_until_idle(page)
            # Popups pan the map, so later pins may leave the view: send the events to each pin directly.
            for n in range(pins.count()):
                pins.nth(n).dispatch_event("mouseover")
                pins.nth(n).dispatch_event("click")
                popup = frame.locator(".leaflet-popup-content").last
                expect(popup).to_contain_text("<script>window.top.__xss='title-script'</script>")
                expect(popup).to_contain_text("${window.top.__xss='summary-tpl'}")
                popup.locator("a").evaluate_all(
                    "links => links.forEach(a => a.dispatchEvent(new MouseEvent('mouseover')))")
                assert_no_script_ran(page, frame)
                frame.locator(".leaflet-popup-close-button").last.dispatch_event("click")
            wait_until_idle(page)
            details = page.locator("[data-testid='stHtml']").filter(has=page.locator("h3"))
            expect(details).to_contain_text("<img src=x onerror=")
            expect(page.locator("[data-testid='stHtml'] script")).to_have_count(0)
            expect(page.locator("[data-testid='stHtml'] img")).to_have_count(0)
            expect(page.locator("[data-testid='stHtml'] a[href^='javascript']")).to_have_count(0)
            page.get_by_text("Not on the map: location unknown").scroll_into_view_if_needed()
            screenshot(page, "hostile-text.png")
            assert_no_script_ran(page, frame)
        assert dialogs == []
        session.assert_no_outside_request_and_no_js_error()


def test_an_export_of_hostile_text_runs_no_script(hostile_data: Path, open_session, tmp_path: Path) -> None:
    out = tmp_path / "hostile.html"
    result = subprocess.run([sys.executable, "-m", "geo", "export-html", "--data", str(hostile_data),
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    session = open_session(is_file)
    page = session.page
    page.goto(out.as_uri())
    pins = page.locator(".geo-event")
    expect(pins).to_have_count(len(points(load_events(hostile_data))), timeout=LOAD_MS)
    for n in range(pins.count()):
        pins.nth(n).dispatch_event("click")
        popup = page.locator(".leaflet-popup-content").last
        expect(popup).to_contain_text("<script>")
        expect(popup).to_contain_text("{{7*7}}{% if true %}")  # the export's templates did not run it
        page.locator(".leaflet-popup-close-button").last.dispatch_event("click")
    assert page.evaluate("() => window.__xss === undefined")
    session.assert_no_outside_request_and_no_js_error()


# --- Scale ----------------------------------------------------------------------------------------

def drawn_on_map(frame: FrameLocator) -> int:
    """Rows the large-data layers of the map draw now (geo.map.canvas / static/js/geopack.js)."""
    return frame.locator("html").evaluate(
        "() => ((window.map && window.map._geoPacks) || []).reduce((n, layer) => n + layer.drawnCount, 0)")


def on_map_count(page: Page) -> int:
    return int(re.search(r"· ([\d,]+) on the map", counts(page).inner_text()).group(1).replace(",", ""))


def test_at_100k_events_a_filter_change_a_click_and_a_shared_link_work_on_the_binary_pack(
        open_session, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> None:
    """100,000 events, prepared once: removing an event type redraws exactly the rows the counts name; a
    click on a point opens that event's details; the page's link reopens the same view in a new session."""
    from geo.events.dataset import frame_from_collection
    from geo.io.geoparquet import write_events
    from geo.map.pack import located as pack_rows
    from geo.map.pack import row_ids
    from perf.bench import synthetic_collection

    folder = tmp_path_factory.mktemp("scale")
    collection = synthetic_collection(100_000)
    data = folder / "events.parquet"
    write_events(collection, data)
    frame = frame_from_collection(collection)
    ids = row_ids(pack_rows(frame))
    titles = frame["title"]
    with serve(tmp_path_factory.mktemp("scale-streamlit"), data, {"BORDER_CACHE": str(folder / "cache")}) as big:
        with big.log_on_failure():
            session = open_session(is_loopback)
            page = session.page
            start = time.perf_counter()
            page.goto(big.url)
            frame_ = map_frame(page)
            expect(counts(page)).to_contain_text("100,000 events shown", timeout=300_000)
            deadline = time.monotonic() + 120
            while drawn_on_map(frame_) == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            opened = time.perf_counter() - start
            wait_until_idle(page)
            assert drawn_on_map(frame_) == on_map_count(page) > 90_000

            # Removing one event type: the counts and the drawn rows fall to the same number.
            before = on_map_count(page)
            chip = page.locator(f'{CHIP}[aria-label="{EVENT_TYPES["detention"]}"] button[aria-label^="Remove"]')
            clicked_at = time.perf_counter()
            chip.click()
            expect(counts(page)).not_to_contain_text(f"{before:,} on the map", timeout=RERUN_MS)
            wait_until_idle(page)
            changed = time.perf_counter() - clicked_at
            after = on_map_count(page)
            assert 0 < after < before and drawn_on_map(frame_) == after

            # A click on a drawn point shows that event.
            target = frame_.locator("html").evaluate("""() => {
                const layer = window.map._geoPacks.find(l => l.drawnCount > 0), size = window.map.getSize();
                for (const row of layer._shownPoints.subarray(100)) {  // not the first shown: a link omits it
                    const pack = layer._pack;
                    const p = window.map.latLngToContainerPoint([pack.lonlat[2 * row + 1], pack.lonlat[2 * row]]);
                    if (p.x > 60 && p.y > 60 && p.x < size.x - 60 && p.y < size.y - 60) {
                        const hit = layer.find(p);
                        if (hit && hit[0] === row) { return {row: row, x: p.x, y: p.y}; }
                    }
                }
                return null; }""")
            assert target is not None, "no clickable point found on the map"
            # Leaflet's own click at that point (a real pointer click on a map partly off screen lands
            # elsewhere: focusing the map scrolls the page; tests/test_geopack_browser.py clicks for real).
            frame_.locator("html").evaluate(f"""() => {{ const p = L.point({target['x']}, {target['y']});
                window.map.fire('click', {{containerPoint: p, layerPoint: window.map.containerPointToLayerPoint(p),
                    latlng: window.map.containerPointToLatLng(p), originalEvent: new MouseEvent('click')}}); }}""")
            clicked = frame_.locator("html").evaluate(
                "() => window.map._geoPacks.map(l => l.lastClicked).find(row => row !== undefined)")
            assert clicked == target["row"]
            details = page.locator("[data-testid='stHtml']").filter(has=page.locator("h3")).locator("h3")
            expect(details).to_have_text(titles[ids[target["row"]]], timeout=RERUN_MS)
            wait_until_idle(page)

            # The page's own link, opened in a new session, shows the same view.
            link = page.url
            assert "types=" in link and "event=" in link
            again = open_session(is_loopback)
            again.page.goto(link)
            expect(counts(again.page)).to_have_text(counts(page).inner_text(), timeout=LOAD_MS)
            again_frame = map_frame(again.page)
            deadline = time.monotonic() + 60
            while drawn_on_map(again_frame) != after and time.monotonic() < deadline:
                time.sleep(0.2)
            assert drawn_on_map(again_frame) == after
            expect(again.page.locator("[data-testid='stHtml']").filter(has=again.page.locator("h3")).locator("h3")
                   ).to_have_text(titles[ids[target["row"]]], timeout=RERUN_MS)
            report(request, f"100,000 events (parquet, first open with an empty cache): map drawn {opened:.1f} s "
                            f"after navigation; a filter change took {changed:.2f} s to counts and map")
            screenshot(page, "scale-100k.png")
        session.assert_no_outside_request_and_no_js_error()
        again.assert_no_outside_request_and_no_js_error()
