"""The real dashboard and the exported map in headless Chromium, with every outside request blocked.

No mocks: a Streamlit server runs `dashboard.py` as a subprocess, Chromium (Debian's, via Playwright's
sync API) opens it, and the tests check what a user sees with the bundled dataset. Expected numbers come
from `geo.io.events_file.load_events`, so they follow the data. Any request that would leave this machine is
aborted and recorded, and every test ends by asserting there was none and that no JavaScript error
occurred: the map must work on a closed network.

Event pins cluster (static/js/geoclusters.js) and the map opens framed on the border, so the tests count what a
reader sees after pressing "All": the numbers in the clusters plus the single pins, which must add up to the
located point events; a pin in a cluster is reached as a reader reaches it, by clicking the cluster.

Run: `.venv/bin/python -m pytest tests/test_browser.py` (or `scripts/test`, which installs Chromium).
Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import geopandas as gpd
import pytest
from playwright.sync_api import FrameLocator, Locator, Page, expect

from geo.events.evidence import confidence_label
from geo.events.schema import EVENT_TYPES
from geo.io.events_file import load_events
from geo.map.style import STATUS_STYLE
from geo.reference.basemap import BASEMAP_PATH, BORDER_STYLE, border_bounds
from geo.reference.crossings import load_crossings
from tests.browser import LOAD_MS, RERUN_MS, ROOT, App, Session, is_file, is_loopback, report, serve, wait_until_idle

DATASET = ROOT / "data" / "events.geojson"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
MAP_FRAME = "iframe[title*='st_folium']"
CHIP = ".react-aria-ComboBox [data-tag]"

# The event types the filter test removes from the sidebar multiselect (both are pins, no routes).
REMOVED_TYPES = ("disappearance", "worker_deployment")
# The founding article: its publisher's address, and the stored copy the app serves as "archived text".
FOUNDING_ADDRESS = "https://cm.asiae.co.kr/en/article/2023022309550533929"
FOUNDING_COPY = "000_c849781cc78fe4c5.txt"


# --- Expected numbers, from the real dataset ----------------------------------------------------

@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    """The bundled dataset as the app loads it (same as conftest's `events`; kept here so this file stands alone)."""
    return load_events(DATASET)


def points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per pin the map draws: each Point event, and an event at several places once per point."""
    located = frame[frame.geometry.notna()]
    return located[located.geom_type.isin(["Point", "MultiPoint"])].explode(index_parts=False)


def lines(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    located = frame[frame.geometry.notna()]
    return located[~located.geom_type.isin(["Point", "MultiPoint"])]


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


# What a reader sees of the event pins in the map's view: numbered clusters (static/js/geoclusters.js) and single
# pins. Markercluster puts in the page only what lies in (or near) the view.
SEEN_PINS_JS = """() => ({
    clusters: [...document.querySelectorAll('.geo-cluster')]
        .map(c => [c.textContent.trim(), c.getAttribute('aria-label')]),
    singles: [...document.querySelectorAll('.leaflet-marker-icon.geo-event')].map(p => p.className)})"""


def pins_seen(target: FrameLocator | Page) -> tuple[int, list[str]]:
    """(events a reader sees drawn as points: each cluster's count plus each single pin, the single pins' classes).
    Every cluster must say its count aloud as it shows it."""
    seen = target.locator("html").evaluate(SEEN_PINS_JS)
    for text, label in seen["clusters"]:
        assert text.isdigit() and (label or "").startswith(f"{text} events here"), (text, label)
    return sum(int(text) for text, _ in seen["clusters"]) + len(seen["singles"]), seen["singles"]


def expect_pins_seen(target: FrameLocator | Page, expected: int, timeout_ms: int = LOAD_MS) -> list[str]:
    """Wait until the clusters' counts and the single pins in view add up to `expected` (markercluster animates
    its changes); return the single pins' classes."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        total, singles = pins_seen(target)
        if total == expected:
            return singles
        if time.monotonic() > deadline:
            raise AssertionError(f"the map's clusters and single pins add up to {total} events, expected {expected}")
        time.sleep(0.2)


# The page's Leaflet map: `map` in the dashboard (streamlit-folium's), folium's `map_<id>` in an exported page.
THE_MAP = "(window.map instanceof L.Map ? window.map : Object.values(window).find(v => v instanceof L.Map))"


def clustered_types(target: FrameLocator | Page) -> Counter[str]:
    """The event type of every pin the map's cluster group holds (in view or not), by the pin's type class."""
    classes = target.locator("html").evaluate(
        f"() => {THE_MAP}.geoEventClusters.getLayers().map(m => m.options.icon.options.className)")
    return Counter(re.search(r"\bgeo-(?!event\b)([a-z_]+)", c).group(1) for c in classes)


def show_every_event(target: FrameLocator | Page, pins: int) -> None:
    """Press the map's "All" button, as a reader does, and wait until every event pin is counted in view."""
    target.locator(".geo-view-all").click()
    expect_pins_seen(target, pins)


def view_bounds(target: FrameLocator | Page) -> tuple[float, float, float, float]:
    """(west, south, east, north) of what the map shows."""
    return tuple(target.locator("html").evaluate(
        "() => { const b = window.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"))


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

def test_the_map_opens_on_the_border_and_all_shows_every_located_event_with_no_outside_request(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    pins, routes = points(events), lines(events)
    assert len(pins) and len(routes), "the bundled dataset should have both pins and routes to check"
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        frame = open_dashboard(session, app)
        expect(frame.locator(".geo-cluster, .leaflet-marker-icon.geo-event").first).to_be_attached(timeout=LOAD_MS)
        wait_until_idle(page)

        # It opens framed on the China–DPRK border, not on every event (the southernmost is far outside).
        west, south, east, north = view_bounds(frame)
        minx, miny, maxx, maxy = border_bounds()
        assert west <= minx and east >= maxx and south <= miny and north >= maxy, \
            f"the first view {(west, south, east, north)} does not hold the border {(minx, miny, maxx, maxy)}"
        assert pins.geometry.y.min() < south, "the first view reaches the southernmost event: not on the border"
        opening_zoom = frame.locator("html").evaluate("() => window.map.getZoom()")

        expect_routes_by_status(frame, routes)
        expect(frame.locator(BORDER)).to_have_count(border_feature_count())
        expect(frame.locator(BORDER).first).to_be_visible()
        crossings = load_crossings()
        expect(frame.locator(".geo-crossing-marker")).to_have_count(int(crossings.geometry.notna().sum()))

        # The key is on the page under the map, not over it; the route and crossing keys always show, the event
        # types (only those on the map) fold away.
        expect(frame.locator("#geo-legend")).to_have_count(0)
        legend = page.locator("#geo-legend")
        expect(legend).to_be_visible()
        map_box, legend_box = page.locator(MAP_FRAME).bounding_box(), legend.bounding_box()
        assert map_box and legend_box and legend_box["y"] >= map_box["y"] + map_box["height"], "the key covers the map"
        expect(legend.get_by_text("Trade routes")).to_be_visible()
        expect(legend.get_by_text("Crossings")).to_be_visible()
        on_map_types = events[events.geometry.notna()]["event_type"].nunique()
        expect(legend.locator("summary")).to_have_text(f"Event types on the map ({on_map_types})")
        assert legend.locator("details").evaluate("d => !d.open"), "the event types' key opens unfolded"
        expect(legend.locator(".geo-key-grid .geo-key-item")).to_have_count(on_map_types)

        located = pins.index.nunique() + len(routes)  # events, not pins: an event at five crossings is one
        expect(counts(page)).to_contain_text(
            f"{len(events)} of {len(events)} events shown · {located} on the map as of "
            f"{max([*events['date_start'].dropna(), *events['date_end'].dropna()])[:7]} · "
            f"{len(events) - located} with no known location")

        wait_for_icon_font(frame)
        screenshot(page, "dashboard.png")

        # "All": every located event is in view, as numbered clusters and single pins that add up to the points
        # on the map; co-located pins cluster instead of stacking.
        show_every_event(frame, len(pins))
        assert frame.locator("html").evaluate("() => window.map.getZoom()") < opening_zoom
        stacked = int(pins.groupby([pins.geometry.x, pins.geometry.y]).size().max())  # 17 at one Dandong point
        biggest = max(int(n) for n in frame.locator(".geo-cluster").all_inner_texts())
        assert biggest >= stacked, f"{stacked} events share one point, yet the biggest cluster counts {biggest}"
        assert clustered_types(frame) == Counter(pins["event_type"]), "the clusters do not hold every pin by type"
        page.wait_for_timeout(300)
        screenshot(page, "every-event-view.png")

        # "Border" zooms back to where the map opened, where the routes are long enough to see.
        frame.locator(".geo-view-border").click()
        page.wait_for_timeout(600)  # fitBounds animates
        assert frame.locator("html").evaluate("() => window.map.getZoom()") == opening_zoom
        screenshot(page, "border-view.png")

        # Zoomed in on Tumen and Hunchun: city-level events sit in translucent 15 km discs, under the pins.
        frame.locator("html").evaluate("() => { window.map.setView([42.85, 130.15], 9, {animate: false}); }")
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
        show_every_event(frame, len(pins))
        wait_until_idle(page)
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
            singles = expect_pins_seen(frame, len(remaining), RERUN_MS)
            wait_until_idle(page)

        expect(chips).to_have_count(chip_count - len(REMOVED_TYPES))
        assert clustered_types(frame) == Counter(remaining["event_type"])
        for event_type in REMOVED_TYPES:
            assert not [c for c in singles if f"geo-{event_type}" in c.split()], f"a {event_type} pin is still shown"
        kept_routes = routes[~routes["event_type"].isin(removed)]
        expect_routes_by_status(frame, kept_routes)
        shown = events[~events["event_type"].isin(removed)]
        expect(counts(page)).to_contain_text(
            f"{len(shown)} of {len(events)} events shown · {remaining.index.nunique() + len(kept_routes)} on the map")

        wait_for_icon_font(frame)
        screenshot(page, "dashboard-filtered.png")
    session.assert_no_outside_request_and_no_js_error()


# Marks the numbered cluster drawn nearest to [lat, lon] (data-nearest) and returns its distance in pixels.
MARK_NEAREST_CLUSTER_JS = """(_, [lat, lon]) => {
    const p = window.map.latLngToContainerPoint([lat, lon]), box = window.map.getContainer().getBoundingClientRect();
    let best = null, gap = Infinity;
    document.querySelectorAll('.geo-cluster-icon').forEach(icon => {
        delete icon.dataset.nearest;
        const r = icon.getBoundingClientRect();
        const d = Math.hypot(r.x + r.width / 2 - box.x - p.x, r.y + r.height / 2 - box.y - p.y);
        if (d < gap) { gap = d; best = icon; }
    });
    if (best) { best.dataset.nearest = '1'; }
    return gap; }"""


def open_cluster_until_shown(page: Page, frame: FrameLocator, pin: Locator, lat: float, lon: float) -> None:
    """Click the cluster at (lat, lon), as a reader does, until `pin` is drawn on its own: each click zooms in, or
    spreads the cluster out where its events share one point."""
    for _ in range(8):
        if pin.count():
            break
        gap = frame.locator("html").evaluate(MARK_NEAREST_CLUSTER_JS, [lat, lon])
        assert gap < 40, f"no single pin and no cluster drawn where the event is (nearest cluster {gap:.0f} px away)"
        frame.locator(".geo-cluster-icon[data-nearest]").click()
        page.wait_for_timeout(700)  # markercluster zooms or spreads the cluster out, animated
    expect(pin).to_be_visible()


def source_address(source: dict) -> str | None:
    """The publisher's address of a source, as the details link it."""
    for candidate in (source.get("url"), source.get("ref")):
        if isinstance(candidate, str) and candidate.startswith(("http://", "https://")):
            return candidate
    return None


def test_clicking_the_shanghai_disappearance_pin_shows_a_short_popup_and_its_sources_in_the_details(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    pins = points(events)
    disappearances = pins[pins["event_type"] == "disappearance"]
    assert len(disappearances) == 1, "the pin is found by its type class, so it must be the only one"
    row = disappearances.iloc[0]
    event_id = str(disappearances.index[0])
    assert "Shanghai" in (row["place"] or ""), row["place"]
    sources = row["sources"]
    founding = next(s for s in sources if s["ref"] == f"seeds/{FOUNDING_COPY}")
    assert "Asia Business Daily" in founding["publisher"] and founding["url"] == FOUNDING_ADDRESS
    shared = pins[(pins.geometry.x == row.geometry.x) & (pins.geometry.y == row.geometry.y)]
    assert len(shared) > 1, "the pin should share its point with another event, so it sits in a cluster"

    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        frame = open_dashboard(session, app)
        expect(frame.locator(".geo-event.geo-disappearance")).to_have_count(0, timeout=LOAD_MS)  # Shanghai: not in view
        wait_until_idle(page)
        # st.html(details_html(...)) below the map: the only st.html block with a heading.
        details = page.locator("[data-testid='stHtml']").filter(has=page.locator("h3"))
        details_title = details.locator("h3")
        expect(details_title).to_have_count(1)
        expect(details_title).not_to_have_text(row["title"])  # the default selection is another event

        # A reader shows every event, then clicks the Shanghai cluster until the disappearance is a pin of its own.
        # No scrolling first: the whole map fits the 1400x1000 view, as it must for a user's click to land (if its
        # bottom were below the fold, mousedown would focus the pin and Chromium would scroll it away from the pointer).
        show_every_event(frame, len(pins))
        pin = frame.locator(".leaflet-marker-icon.geo-event.geo-disappearance")
        open_cluster_until_shown(page, frame, pin, row.geometry.y, row.geometry.x)
        expect(pin.locator("[role='img']")).to_have_attribute("aria-label", re.compile(
            re.escape(f"{EVENT_TYPES['disappearance']}: {row['title']}")))

        # Hovering shows the title and date; the id is carried hidden, never shown.
        pin.hover()
        tooltip = frame.locator(".leaflet-tooltip").filter(has_text=row["title"])  # the mouse may pass another pin
        expect(tooltip).to_be_visible()
        assert event_id not in tooltip.inner_text(), "the tooltip shows the event's id"

        # Mark the pins, so we can tell whether the rerun the click causes re-creates them.
        marked = frame.locator(".leaflet-marker-icon.geo-event").evaluate_all(
            "pins => { pins.forEach(p => p.dataset.probe = 'before-click'); return pins.length; }")
        pin.click()

        # The popup is short: title, type and date, place, confidence, and where the evidence is.
        popup = frame.locator(".leaflet-popup-content")
        expect(popup).to_be_visible()
        expect(popup.locator("h4")).to_have_text(row["title"])
        expect(popup).to_contain_text(f"{EVENT_TYPES['disappearance']}, {row['date_start'][:7]}")
        expect(popup).to_contain_text("Shanghai")
        expect(popup).to_contain_text(f"Confidence: {confidence_label(sources)}")
        expect(popup).to_contain_text("Full evidence and sources: Details, below the map.")
        for unwanted in (event_id, "seeds/", ".txt", *(s["publisher"] for s in sources), row["summary"][:40]):
            expect(popup).not_to_contain_text(unwanted)
        frame_box, popup_box = page.locator(MAP_FRAME).bounding_box(), popup.bounding_box()
        assert frame_box and popup_box and popup_box["height"] < frame_box["height"] / 2, "the popup is not short"

        # The app reads the clicked tooltip's id and shows that event under "Details", with its sources: publisher,
        # title and the publisher's address, and the founding article's archived text served by the app.
        expect(details_title).to_have_text(row["title"], timeout=RERUN_MS)
        expect(details).to_contain_text(f"Sources ({len(sources)})")
        expect(details).to_contain_text(f"confidence: {confidence_label(sources)}")
        expect(details).to_contain_text("inferred")
        for source in sources:
            expect(details).to_contain_text(source["publisher"])
            expect(details).to_contain_text(source["title"])
            address = source_address(source)
            assert address, f"{source['publisher']} has no address to cite"
            expect(details.locator(f'a[href="{address}"]')).to_have_text(address)
        archived = details.get_by_role("link", name="archived text")
        expect(archived).to_have_count(1)
        href = archived.get_attribute("href") or ""
        assert href.endswith(f"/{FOUNDING_COPY}"), href
        served = page.request.get(urljoin(app.url, href))
        assert served.ok and served.body() == (ROOT / "seeds" / FOUNDING_COPY).read_bytes(), \
            f"the archived text is not served as stored ({served.status})"
        for unwanted in (event_id, "seeds/"):
            expect(details).not_to_contain_text(unwanted)

        # That rerun keeps the map still: same pin elements, popup still open. (Checked once the rerun
        # is done; if the component applied its update later this could miss a regression, never flake.)
        wait_until_idle(page)
        expect(frame.locator(".geo-event[data-probe='before-click']")).to_have_count(marked)
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
    show_every_event(page, len(pins))
    assert clustered_types(page) == Counter(pins["event_type"]), "the clusters do not hold every pin by type"
    expect_routes_by_status(page, routes)
    expect(page.locator(BORDER)).to_have_count(border_feature_count())
    expect(page.locator(BORDER).first).to_be_visible()
    # The exported page carries its own key, the event types (those drawn) folded away.
    legend = page.locator("#geo-legend")
    expect(legend).to_be_visible()
    expect(legend.get_by_text("Trade routes")).to_be_visible()
    expect(legend.locator("summary")).to_have_text(
        f"Event types on the map ({events[events.geometry.notna()]['event_type'].nunique()})")
    assert legend.locator("details").evaluate("d => !d.open"), "the exported map's key opens unfolded"
    session.assert_no_outside_request_and_no_js_error()


def map_view_in(link: str) -> tuple[float, float, int]:
    """(lat, lon, zoom) a link's map= part carries."""
    [value] = parse_qs(urlsplit(link).query)["map"]
    lat, lon, zoom = value.split(",")
    return float(lat), float(lon), int(zoom)


def test_a_copied_link_reopens_the_same_markers_filters_and_map_view(
        app: App, open_session, events: gpd.GeoDataFrame) -> None:
    pins = points(events)
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        frame = open_dashboard(session, app)
        show_every_event(frame, len(pins))
        page.locator(f'{CHIP}[aria-label="{EVENT_TYPES["worker_deployment"]}"] button[aria-label^="Remove"]').click()
        remaining = pins[pins["event_type"] != "worker_deployment"]
        expect_pins_seen(frame, len(remaining), RERUN_MS)
        wait_until_idle(page)
        expect(page).to_have_url(re.compile(r"[?&]types="), timeout=RERUN_MS)
        expect(page).to_have_url(re.compile(r"[?&]map="), timeout=RERUN_MS)  # the map was moved: "All"
        link = page.url
        lat, lon, zoom = map_view_in(link)

    colleague = open_session(is_loopback)  # a new browser context: a new Streamlit session
    with app.log_on_failure():
        frame = map_frame(colleague.page)
        colleague.page.goto(link)
        expect(frame.locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
        wait_until_idle(colleague.page)
        # The map opens where the link says, not on the border.
        colleague.page.wait_for_timeout(600)
        opened = frame.locator("html").evaluate(
            "() => { const c = window.map.getCenter(); return [c.lat, c.lng, window.map.getZoom()]; }")
        pixel = 360 / (256 * 2 ** zoom)  # degrees of longitude one screen pixel spans at that zoom
        assert opened[2] == zoom and abs(opened[0] - lat) < pixel and abs(opened[1] - lon) < pixel, \
            f"the link's map view {(lat, lon, zoom)} reopened as {tuple(opened)}"
        show_every_event(frame, len(remaining))
        assert clustered_types(frame) == Counter(remaining["event_type"])
        expect(frame.locator(".geo-event.geo-worker_deployment")).to_have_count(0)
        expect(colleague.page.locator(CHIP)).to_have_count(events["event_type"].nunique() - 1)
        shown = int((events["event_type"] != "worker_deployment").sum())
        expect(counts(colleague.page)).to_contain_text(f"{shown} of {len(events)} events shown")
        wait_until_idle(colleague.page)
        wait_for_icon_font(frame)
        screenshot(colleague.page, "shared-link.png")
    session.assert_no_outside_request_and_no_js_error()
    colleague.assert_no_outside_request_and_no_js_error()


def test_the_geopackage_and_kml_downloads_hold_exactly_the_rows_the_filters_show_under_names_that_say_so(
        app: App, open_session, events: gpd.GeoDataFrame, tmp_path: Path) -> None:
    import pyogrio

    session = open_session(is_loopback)
    page = session.page
    kept_types = events["event_type"].nunique() - 1
    with app.log_on_failure():
        open_dashboard(session, app)
        page.locator(f'{CHIP}[aria-label="{EVENT_TYPES["worker_deployment"]}"] button[aria-label^="Remove"]').click()
        shown = events[events["event_type"] != "worker_deployment"]
        expect(counts(page)).to_contain_text(f"{len(shown)} of {len(events)} events shown", timeout=RERUN_MS)
        wait_until_idle(page)
        saved = {}
        for label, extension in (("GeoPackage (QGIS)", "gpkg"), ("KML (Google Earth)", "kml")):
            with page.expect_download(timeout=RERUN_MS) as download:
                page.get_by_role("button", name=f"Download {label} (filtered)").click()
            name = download.value.suggested_filename
            # The whole date range, and how many of the event types: what the file holds.
            assert re.fullmatch(rf"border-events_\d{{4}}-\d{{2}}_\d{{4}}-\d{{2}}_{kept_types}-types\.{extension}",
                                name), name
            saved[extension] = tmp_path / name
            download.value.save_as(saved[extension])
    package = pyogrio.read_dataframe(saved["gpkg"])
    assert sorted(package["id"]) == sorted(shown["id"]), "the GeoPackage rows are not the filtered rows"
    assert package.geometry.notna().sum() == shown.geometry.notna().sum(), "located rows keep their geometry"
    placemarks = pyogrio.read_dataframe(saved["kml"])
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
        expect(frame.locator(route_selector(["partially_resumed", "resumed"]))).to_have_count(0)
        wait_until_idle(page)
        # No pin and no cluster anywhere, in view or not: every point event began later.
        assert not points(events)["date_start"].dropna().lt("2020-02").any(), "an event before February 2020"
        expect(frame.locator(".geo-event, .geo-cluster")).to_have_count(0)
        assert clustered_types(frame) == Counter(), "the clusters hold pins of events not yet begun"
        screenshot(page, "map-date-2020-01.png")
        page.get_by_text("Policy periods: each trade route's status").scroll_into_view_if_needed()
        expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(3)  # routes, trade, events
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


# Brings pin `n` of the map's cluster group into view as a pin of its own (markercluster zooms to it, or spreads
# out its cluster) and marks it data-visit=n; false when it could not within 10 s.
SHOW_PIN_JS = f"""async (_, n) => {{
    const map = {THE_MAP}, clusters = map.geoEventClusters, pin = clusters.getLayers()[n];
    map.closePopup();
    const shown = await Promise.race([
        new Promise(resolve => clusters.zoomToShowLayer(pin, () => resolve(true))),
        new Promise(resolve => setTimeout(() => resolve(false), 10000))]);
    const icon = pin.getElement();
    if (shown && icon) {{ icon.dataset.visit = String(n); }}
    return Boolean(shown && icon); }}"""


def open_every_popup(target: FrameLocator | Page) -> Iterator[Locator]:
    """Bring each event pin of the map into view in turn (zoomed to, or its cluster spread out), hover it and click
    it; yield its open popup."""
    total = target.locator("html").evaluate(f"() => {THE_MAP}.geoEventClusters.getLayers().length")
    for n in range(total):
        assert target.locator("html").evaluate(SHOW_PIN_JS, n), f"pin {n} could not be brought into view"
        pin = target.locator(f".leaflet-marker-icon[data-visit='{n}']")
        pin.dispatch_event("mouseover")
        pin.dispatch_event("click")
        popup = target.locator(".leaflet-popup-content").last
        expect(popup).to_be_visible()
        yield popup


def test_text_full_of_script_shows_as_text_everywhere_and_never_runs(
        hostile_data: Path, open_session, tmp_path_factory: pytest.TempPathFactory) -> None:
    hostile_pins = len(points(load_events(hostile_data)))
    with serve(tmp_path_factory.mktemp("hostile-streamlit"), hostile_data) as hostile:
        session = open_session(is_loopback)
        page = session.page
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        with hostile.log_on_failure():
            frame = open_dashboard(session, hostile)
            show_every_event(frame, hostile_pins)
            wait_until_idle(page)
            tooltip = frame.locator(".leaflet-tooltip").filter(has_text="title-script")
            visited = 0
            for popup in open_every_popup(frame):
                visited += 1
                expect(popup).to_contain_text("<script>window.top.__xss='title-script'</script>")
                expect(popup).to_contain_text("{{7*7}}{% if true %}jinja-ran{% endif %}")
                expect(tooltip.last).to_contain_text("<img src=x onerror=")
                popup.locator("a").evaluate_all(
                    "links => links.forEach(a => a.dispatchEvent(new MouseEvent('mouseover')))")
                assert_no_script_ran(page, frame)
            assert visited == hostile_pins
            wait_until_idle(page)
            # The details carry the rest of the text: summary, place as written, notes, sources.
            details = page.locator("[data-testid='stHtml']").filter(has=page.locator("h3"))
            expect(details.locator("h3")).to_contain_text("<script>window.top.__xss='title-script'</script>")
            expect(details).to_contain_text("${window.top.__xss='summary-tpl'}")
            expect(details).to_contain_text("<img src=x onerror=\"window.top.__xss='place_text-img'\">")
            expect(details).to_contain_text("<a href=\"javascript:window.top.__xss='publisher-href'\">link</a>")
            expect(page.locator("[data-testid='stHtml'] script")).to_have_count(0)
            expect(page.locator("[data-testid='stHtml'] img")).to_have_count(0)
            expect(page.locator("[data-testid='stHtml'] a[href^='javascript']")).to_have_count(0)
            expect(page.locator("#geo-legend script, #geo-legend img")).to_have_count(0)
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
    expect(page.locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
    hostile_pins = len(points(load_events(hostile_data)))
    show_every_event(page, hostile_pins)
    visited = 0
    for popup in open_every_popup(page):
        visited += 1
        expect(popup).to_contain_text("<script>")
        expect(popup).to_contain_text("{{7*7}}{% if true %}")  # the export's templates did not run it
    assert visited == hostile_pins
    assert page.evaluate("() => window.__xss === undefined")
    session.assert_no_outside_request_and_no_js_error()


# --- Scale ----------------------------------------------------------------------------------------

def drawn_on_map(frame: FrameLocator) -> int:
    """Rows the large-data layers of the map draw now (geo.map.canvas / static/js/geopack.js)."""
    return frame.locator("html").evaluate(
        "() => ((window.map && window.map._geoPacks) || []).reduce((n, layer) => n + layer.drawnCount, 0)")


def on_map_count(page: Page) -> int:
    return int(re.search(r"· ([\d,]+) on the map", counts(page).inner_text()).group(1).replace(",", ""))


# Finds a point a reader can click on its own: in view, away from the edges, drawn as a single pin (not inside a
# numbered circle) and the one a click there picks; zooms toward the biggest cluster until there is one. Skips
# the first 100 rows shown (a link omits the first shown event, so it would prove nothing there).
FIND_SINGLE_PIN_JS = """() => {
    const map = window.map, layer = map._geoPacks.find(l => l.drawnCount > 0), size = map.getSize();
    const first = new Set(layer._shownPoints.subarray(0, 100));
    for (let step = 0; step < 12; step++) {
        layer.redraw();
        for (const row of layer.singles) {
            if (first.has(row)) { continue; }
            const p = layer.screenPoint(row);
            if (p.x > 60 && p.y > 60 && p.x < size.x - 60 && p.y < size.y - 60) {
                const hit = layer.find(p);
                if (hit && hit[0] === row) { return {row: row, x: p.x, y: p.y, zoom: map.getZoom(), steps: step}; }
            }
        }
        const clusters = layer.clusterList().filter(c => !c.same && c.x > 0 && c.y > 0 && c.x < size.x && c.y < size.y);
        if (!clusters.length) { return null; }
        const biggest = clusters.reduce((a, b) => (b.count > a.count ? b : a));
        map.setView(map.containerPointToLatLng([biggest.x, biggest.y]), map.getZoom() + 2, {animate: false});
    }
    return null; }"""


def test_at_100k_events_a_filter_change_a_click_and_a_shared_link_work_on_the_binary_pack(
        open_session, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> None:
    """100,000 events, prepared once: removing an event type redraws exactly the rows the counts name; a
    click on a point drawn on its own (zoomed in past the clusters) opens that event's details; the page's link
    reopens the same view in a new session."""
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

            # A click on a point drawn on its own shows that event: at this many events every point may be inside a
            # numbered circle, so zoom in toward the biggest first, as a reader would.
            target = frame_.locator("html").evaluate(FIND_SINGLE_PIN_JS)
            assert target is not None, "no point drawn on its own, even zoomed in"
            wait_until_idle(page)  # the zoom is reported to the app, which reruns
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
            expect(page).to_have_url(re.compile(r"[?&]event="), timeout=RERUN_MS)  # written when the rerun ends
            link = page.url
            assert "types=" in link and "map=" in link
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
                            f"after navigation; a filter change took {changed:.2f} s to counts and map; a point "
                            f"drawn on its own at zoom {target['zoom']} ({target['steps']} zooms in)")
            screenshot(page, "scale-100k.png")
        session.assert_no_outside_request_and_no_js_error()
        again.assert_no_outside_request_and_no_js_error()
