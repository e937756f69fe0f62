"""The pack layer (static/js/geopack.js) in Debian's Chromium, with WebGL and with its 2D-canvas fallback.

WebGL: the harness's Chromium (`--disable-gpu`) still offers WebGL 2 through SwiftShader. The fallback:
the same Chromium with `--disable-webgl`. The maps are real: an offline export of 20,000 synthetic
events, and the dashboard's way (base map fetching the pack by URL, masks added per rerun) served to the
page by Playwright routes from this checkout's static/ folder.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image
from playwright.sync_api import Browser, Page, Route

from geo.events.dataset import frame_from_collection
from geo.events.schema import EVENT_LAYER, EVENT_TYPES, LAYERS
from geo.map.assets import PROJECT_ROOT, missing, standalone_html
from geo.map.base import base_map
from geo.map.canvas import mask_group, view_groups
from geo.map.mapview import build_map
from geo.map.pack import located, pack_bytes, row_ids
from geo.map.popups import feature_id_from_tooltip
from geo.map.style import EVENT_STYLE
from perf.bench import synthetic_collection
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Session, is_file, report, session_factory

ORIGIN = "http://geopack.test"
needs_vendor = pytest.mark.skipif(bool(missing()), reason="static/vendor incomplete: run scripts/install_assets")
pytestmark = needs_vendor


@pytest.fixture(scope="module")
def browsers(browser: Browser) -> Iterator[dict[str, Browser]]:
    fallback = browser.browser_type.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--disable-webgl"])
    yield {"webgl": browser, "canvas": fallback}
    fallback.close()


@pytest.fixture(params=["webgl", "canvas"])
def renderer(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def session(browsers: dict[str, Browser], renderer: str) -> Iterator[Callable[[Callable[[str], bool]], Session]]:
    """Open sessions in the renderer's browser; for 'webgl' the layer is told to use WebGL even on
    SwiftShader (left alone it picks the faster 2D canvas there)."""
    factory = session_factory(browsers[renderer])
    make = next(factory)

    def open_session(allowed: Callable[[str], bool]) -> Session:
        opened = make(allowed)
        if renderer == "webgl":
            opened.page.add_init_script("window.geoPackWebGL = 'always';")
        return opened

    yield open_session
    next(factory, None)


@pytest.fixture(scope="module")
def frame() -> gpd.GeoDataFrame:
    return frame_from_collection(synthetic_collection(20_000))


@pytest.fixture(scope="module")
def export(frame: gpd.GeoDataFrame, places, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The standalone export of `frame`, and the JS names of the map and its three layer groups."""
    m = build_map(frame, places)
    html = standalone_html(m)
    path = tmp_path_factory.mktemp("geopack") / "export.html"
    path.write_text(html, encoding="utf-8")
    names = {"map": m.get_name()}
    for child in m._children.values():
        if isinstance(child, folium.FeatureGroup) and child.layer_name in LAYERS.values():
            names[child.layer_name] = child.get_name()
    return path, names


def lone_pin(frame: gpd.GeoDataFrame, places) -> int:
    """The pack row of an exact point far from every other event and place label (inland China)."""
    rows = located(frame)
    xy = np.array([(g.x, g.y) if g.geom_type == "Point" else (np.nan, np.nan) for g in rows.geometry])
    town = shapely.get_coordinates(places[places["kind"] == "town"].geometry.values)
    for n in np.flatnonzero((rows["location_precision"] == "exact").to_numpy() & ~np.isnan(xy[:, 0])):
        gaps = np.hypot(*(xy - xy[n]).T)
        gaps[n] = np.inf
        if np.nanmin(gaps) > 0.15 and np.hypot(*(town - xy[n]).T).min() > 1.0 and 113 < xy[n, 0] < 133:
            return int(n)
    raise AssertionError("no isolated exact point in the synthetic data")


TOOLTIP_TEXT = """() => { const html = window.__pack.getTooltip().getContent(), box = document.createElement('div');
    box.innerHTML = html; document.body.appendChild(box); const visible = box.innerText; box.remove();
    return {text: box.textContent, visible: visible}; }"""
"""The click text streamlit-folium reads (its textContent) and what a reader would see of it."""


def plain_dates(event) -> str:
    """The dates as the layer words them: one day, "first – last", "date unknown" for an open end."""
    first, last = (str(d)[:10] if isinstance(d, str) else None for d in (event["date_start"], event["date_end"]))
    if first is None and last is None:
        return ""
    first, last = first or "date unknown", last or "date unknown"
    return first if first == last else f"{first} – {last}"


def tooltip_plain(event) -> str:
    """An exported map's hover text: the title, then the dates."""
    return f"{event['title']} · {plain_dates(event)}" if plain_dates(event) else str(event["title"])


PACK = ("() => { let found = null; window.__map.eachLayer(l => { if (l instanceof L.GeoPack) { found = l; } });"
        " return found; }")
READY = "window.__pack.ready.then(() => 1)"


def fit_all(page: Page, frame: gpd.GeoDataFrame) -> None:
    """Fit the map to every located event of `frame` (the opening view frames the border only)."""
    west, south, east, north = located(frame).total_bounds
    page.evaluate(f"() => {{ window.__map.fitBounds([[{south}, {west}], [{north}, {east}]], {{animate: false}}); }}")
    settle(page)


def settle(page: Page) -> None:
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def open_export(session: Callable[[Callable[[str], bool]], Session], export: tuple[Path, dict[str, str]]) -> Session:
    path, names = export
    opened = session(is_file)
    opened.page.goto(path.as_uri())
    opened.page.evaluate(f"() => {{ window.__map = {names['map']}; window.__pack = ({PACK})(); return {READY}; }}")
    settle(opened.page)
    return opened


def pixel(page: Page, x: float, y: float) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(page.screenshot(clip={"x": round(x), "y": round(y), "width": 1, "height": 1})))
    return image.convert("RGB").getpixel((0, 0))


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def close(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return max(abs(p - q) for p, q in zip(a, b, strict=True)) <= 4


def show(page: Page, frame: gpd.GeoDataFrame, row: int, zoom: int = 9) -> dict[str, float]:
    """Centre the map on pack row `row` and return its container point once drawn."""
    point = located(frame).geometry.iloc[row]
    page.evaluate(f"() => {{ window.__map.setView([{point.y}, {point.x}], {zoom}, {{animate: false}}); }}")
    settle(page)
    return page.evaluate(f"() => {{ const p = window.__pack.screenPoint({row}); return {{x: p.x, y: p.y}}; }}")


def test_the_export_draws_every_event_and_a_click_identifies_it(session, renderer, export, frame, places) -> None:
    opened = open_export(session, export)
    page = opened.page
    row = lone_pin(frame, places)
    at = show(page, frame, row)
    state = page.evaluate("() => ({renderer: window.__pack.renderer, drawn: window.__pack.drawnCount, "
                          "n: window.__pack._pack.n, m: window.__pack._pack.m})")
    rows = located(frame)
    event = rows.iloc[row]

    assert state == {"renderer": renderer, "drawn": len(rows), "n": len(rows),
                     "m": int(rows.geom_type.eq("LineString").sum())}
    assert abs(at["x"] - 700) < 2 and abs(at["y"] - 500) < 2
    assert close(pixel(page, at["x"], at["y"]), rgb(EVENT_STYLE[event["event_type"]][0]))

    # Hover shows the title and dates in plain words; a click opens a short popup and hands
    # streamlit-folium a text ending in "[<id>] [#row]", hidden from the reader.
    page.mouse.move(at["x"] + 3, at["y"] + 2)
    tooltip = page.locator(".leaflet-tooltip").last
    assert tooltip.inner_text() == tooltip_plain(event)
    page.mouse.click(at["x"] + 3, at["y"] + 2)
    popup = page.locator(".leaflet-popup-content").last
    handed = page.evaluate(TOOLTIP_TEXT)

    assert popup.inner_text().splitlines() == [
        event["title"], f"{EVENT_TYPES[event['event_type']]} · {plain_dates(event)}",
        event["place"], "Confidence: single source"]
    assert event["id"] not in popup.inner_text()
    assert page.evaluate("() => window.__pack.lastClicked") == row
    assert handed["visible"] == tooltip_plain(event) and "[" not in handed["visible"]
    assert handed["text"] == f"{tooltip_plain(event)} [{event['id']}] [#{row}]"
    assert feature_id_from_tooltip(handed["text"], row_ids(frame)) == event["id"]
    assert feature_id_from_tooltip(handed["text"]) == event["id"]
    opened.assert_no_outside_request_and_no_js_error()


def test_without_a_gpu_the_layer_picks_the_2d_canvas_over_software_webgl(browser, export) -> None:
    factory = session_factory(browser)
    opened = open_export(next(factory), export)
    state = opened.page.evaluate("() => [window.__pack.renderer, window.__pack.rendererInfo]")
    next(factory, None)
    assert state[0] == "canvas" and "SwiftShader" in state[1]


def test_a_mask_shows_exactly_its_rows_and_hides_the_rest(session, renderer, export, frame, places) -> None:
    _, names = export
    opened = open_export(session, export)
    page = opened.page
    row = lone_pin(frame, places)
    at = show(page, frame, row)
    colour = rgb(EVENT_STYLE[located(frame)["event_type"].iloc[row]][0])
    rows = located(frame)
    mask = np.random.default_rng(7).random(len(rows)) < 0.3
    mask[row] = False
    config = json.loads(next(iter(mask_group(mask, "ignored")._children.values())).config)
    version = page.evaluate("() => window.__pack.options.version")

    # Turn the three layer groups off (as the layer control does), then add one mask group.
    page.evaluate("names => names.forEach(name => window.__map.removeLayer(window[name]))",
                  [names[label] for label in LAYERS.values()])
    settle(page)
    assert page.evaluate("() => window.__pack.drawnCount") == 0
    assert not close(pixel(page, at["x"], at["y"]), colour)
    page.evaluate("cfg => { window.__group = L.featureGroup(); L.GeoPack.mask(window.__group, cfg); "
                  "window.__group.addTo(window.__map); }", {**config, "version": version})
    settle(page)
    assert page.evaluate("() => window.__pack.drawnCount") == int(mask.sum())
    assert not close(pixel(page, at["x"], at["y"]), colour)

    # Masks add up: the event's own layer group back on shows it again.
    layer = LAYERS[rows["layer"].iloc[row]]
    page.evaluate(f"() => {{ window.__map.addLayer(window['{names[layer]}']); }}")  # returns nothing, not the map
    settle(page)
    union = mask | (rows["layer"] == rows["layer"].iloc[row]).to_numpy()
    assert page.evaluate("() => window.__pack.drawnCount") == int(union.sum())
    assert close(pixel(page, at["x"], at["y"]), colour)
    opened.assert_no_outside_request_and_no_js_error()


# --- The dashboard's way: the base map fetches the pack once, each rerun hands over a mask ----------

def serve_map(page: Page, html: str, packs: dict[str, bytes], held: list[Route] | None = None) -> list[str]:
    """Answer ORIGIN's requests from `html`, this checkout's static/ folder and `packs` (held in `held`
    until the test fulfils them, when given); return the list of pack requests as they come."""
    requests: list[str] = []

    def answer(route: Route) -> None:
        path = route.request.url[len(ORIGIN):]
        if path == "/map.html":
            route.fulfill(body=html, content_type="text/html")
        elif path in packs:
            requests.append(path)
            if held is not None:
                held.append(route)
            else:
                route.fulfill(body=packs[path], content_type="application/octet-stream")
        elif path == "/app/static/js/geopack.js" and os.environ.get("GEOPACK_JS"):  # another build, to compare
            route.fulfill(path=os.environ["GEOPACK_JS"])
        elif path.startswith("/app/static/") and (PROJECT_ROOT / "static" / path[len("/app/static/"):]).is_file():
            route.fulfill(path=str(PROJECT_ROOT / "static" / path[len("/app/static/"):]))
        else:
            route.fulfill(status=404, body="")

    page.route(f"{ORIGIN}/**", answer)
    return requests


def dashboard_map(places, frame: gpd.GeoDataFrame, key: str, groups: bool = True) -> tuple[str, str]:
    """The base map with the pack layer and (`groups`) the unfiltered view's mask groups, as st_folium
    adds them; its HTML and the map's JS name."""
    url = f"/app/static/packs/{key}.bin"
    m = base_map(places, f"{ORIGIN}/app/static/vendor", tuple(located(frame).total_bounds), pack_url=url)
    for group in view_groups(frame, frame, key) if groups else []:
        group.add_to(m)
    return m.get_root().render(), m.get_name()


def test_masks_that_arrive_before_the_pack_are_applied_once_it_loads(session, renderer, frame, places) -> None:
    opened = session(lambda url: url.startswith(ORIGIN))
    page = opened.page
    html, name = dashboard_map(places, frame, "test-f1")
    held: list[Route] = []
    requests = serve_map(page, html, {"/app/static/packs/test-f1.bin": pack_bytes(frame)}, held)
    page.goto(f"{ORIGIN}/map.html")
    page.evaluate(f"() => {{ window.__map = {name}; window.__pack = ({PACK})(); }}")
    page.wait_for_function("() => Object.keys(window.__map._geoPackMasks || {}).length === 3")
    assert page.evaluate("() => window.__pack._pack === null && window.__pack.drawnCount === 0")

    held[0].fulfill(body=pack_bytes(frame), content_type="application/octet-stream")
    page.evaluate("() => window.__pack.ready.then(() => 1)")
    settle(page)
    assert page.evaluate("() => window.__pack.drawnCount") == len(located(frame))

    # A rerun: the old mask groups leave, a new one arrives; the pack is not fetched again.
    only = (located(frame)["event_type"] == "border_closure").to_numpy()
    config = json.loads(next(iter(mask_group(only, "test-f1")._children.values())).config)
    page.evaluate("cfg => { const m = window.__map;"
                  " Object.keys(m._geoPackMasks).forEach(k => m.removeLayer(m._layers[k]));"
                  " const g = L.featureGroup(); L.GeoPack.mask(g, cfg); g.addTo(m); }", config)
    settle(page)
    assert page.evaluate("() => window.__pack.drawnCount") == int(only.sum())
    assert page.evaluate("() => window.__pack.renderer") == renderer
    assert requests == ["/app/static/packs/test-f1.bin"]
    opened.assert_no_outside_request_and_no_js_error()


def big_frame(n: int, seed: int = 3) -> gpd.GeoDataFrame:
    """`n` synthetic located points (no lines), built straight from arrays (fast, for timing)."""
    rng = np.random.default_rng(seed)
    types = rng.choice(list(EVENT_TYPES), n)
    frame = gpd.GeoDataFrame(
        {"id": [f"e-{i}" for i in range(n)], "event_type": types, "layer": [EVENT_LAYER[t] for t in types],
         "location_precision": rng.choice(["exact", "city", "region"], n, p=[0.5, 0.35, 0.15]),
         "status": None, "date_start": "2021-03-01", "date_end": "2021-03-31"},
        geometry=shapely.points(rng.uniform(115, 135, n), rng.uniform(28, 46, n)), crs="EPSG:4326")
    return frame.set_index("id", drop=False).rename_axis(None)


def mask_timing(session, renderer: str, places, n: int) -> tuple[float, float, float]:
    """Median ms to apply a new mask (decode, recompute, upload, draw, wait for the GPU) at `n` points,
    median ms to redraw the last one (a pan or zoom), and the pack's size in MB."""
    frame = big_frame(n)
    opened = session(lambda url: url.startswith(ORIGIN))
    page = opened.page
    html, name = dashboard_map(places, frame, "big-f1", groups=False)
    data = pack_bytes(frame)
    serve_map(page, html, {"/app/static/packs/big-f1.bin": data})
    page.goto(f"{ORIGIN}/map.html")
    page.evaluate(f"() => {{ window.__map = {name}; window.__pack = ({PACK})(); return {READY}; }}")
    fit_all(page, frame)
    times = []
    rng = np.random.default_rng(1)
    for _ in range(1 if renderer == "webgl" else 3):  # SwiftShader WebGL takes seconds per mask
        mask = rng.random(n) < 0.5
        config = json.loads(next(iter(mask_group(mask, "big-f1")._children.values())).config)
        ms = page.evaluate("""cfg => {
            const m = window.__map, start = performance.now();
            if (window.__group) { m.removeLayer(window.__group); }
            window.__group = L.featureGroup(); L.GeoPack.mask(window.__group, cfg); window.__group.addTo(m);
            window.__pack.refresh(); window.__pack.finish();
            return performance.now() - start; }""", config)
        assert page.evaluate("() => window.__pack.drawnCount") == int(mask.sum())
        assert page.evaluate("() => window.__pack.renderer") == renderer
        times.append(ms)
    redraws = [page.evaluate("() => { const start = performance.now(); window.__pack.redraw(); window.__pack.finish();"
                             " return performance.now() - start; }") for _ in range(1 if renderer == "webgl" else 3)]
    opened.assert_no_outside_request_and_no_js_error()
    return sorted(times)[len(times) // 2], sorted(redraws)[len(redraws) // 2], len(data) / 1e6


def test_applying_a_new_mask_at_100k_points_is_timed(session, renderer, places, request) -> None:
    """Reported, not asserted, with every event in view. GEOPACK_TIMING_1M=1 also times 1,000,000 points
    (slower to set up); GEOPACK_JS=<file> serves that build of geopack.js instead (before/after)."""
    sizes = [100_000] + ([1_000_000] if os.environ.get("GEOPACK_TIMING_1M") else [])
    for n in sizes:
        started = time.perf_counter()
        ms, redraw_ms, mb = mask_timing(session, renderer, places, n)
        report(request, f"geopack {renderer}: a new mask over {n:,} points applied and drawn in {ms:.0f} ms, "
                        f"redrawn in {redraw_ms:.0f} ms (pack {mb:.1f} MB; test {time.perf_counter() - started:.1f} s)")



def test_many_points_on_the_2d_canvas_are_drawn_pixel_by_pixel_in_their_colours_over_translucent_discs(
        session, renderer, places) -> None:
    # Chromium's software rasterizer took ~9 s for one path of 900,000 arcs: above DENSE_POINTS_ABOVE in
    # view, the layer stamps pins and discs into a pixel buffer instead (static/js/geopack.js).
    if renderer != "canvas":
        pytest.skip("the pixel buffer is the 2D canvas's way")
    frame = big_frame(100_000)
    opened = session(lambda url: url.startswith(ORIGIN))
    page = opened.page
    html, name = dashboard_map(places, frame, "dense-f1")
    serve_map(page, html, {"/app/static/packs/dense-f1.bin": pack_bytes(frame)})
    page.goto(f"{ORIGIN}/map.html")
    page.evaluate(f"() => {{ window.__map = {name}; window.__pack = ({PACK})(); return {READY}; }}")
    fit_all(page, frame)
    # Every point drawn (no clusters): the pixel buffer's own case.
    ms = page.evaluate("() => { window.__pack.options.clusterPx = 0; const start = performance.now();"
                       " window.__pack.redraw(); window.__pack.finish(); return performance.now() - start; }")
    pixels = np.array(page.evaluate("""() => { const c = window.__pack._points;
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""), dtype=np.uint8)
    rgba = pixels.reshape(-1, 4)
    opaque = {tuple(p) for p in rgba[rgba[:, 3] == 255][:, :3]}
    for kind in set(frame["event_type"]):
        colour = tuple(int(EVENT_STYLE[kind][0][i:i + 2], 16) for i in (1, 3, 5))
        assert colour in opaque, f"no {kind} pin ({EVENT_STYLE[kind][0]}) on the canvas"
    assert ((rgba[:, 3] > 20) & (rgba[:, 3] < 200)).sum() > 1000  # the discs' translucent fill
    assert ms < 1500, f"a redraw of 100,000 points took {ms:.0f} ms"
    opened.assert_no_outside_request_and_no_js_error()


# --- Clusters: nearby points are one numbered circle, as on the detailed map --------------------------

CLUSTERS = "() => window.__pack.clusterList()"


def open_big(session, places, frame: gpd.GeoDataFrame, key: str, mask: np.ndarray | None = None) -> Session:
    """The dashboard's way over `frame`: the pack by URL, then one mask group (`mask`, default every row)."""
    opened = session(lambda url: url.startswith(ORIGIN))
    page = opened.page
    html, name = dashboard_map(places, frame, key, groups=False)
    serve_map(page, html, {f"/app/static/packs/{key}.bin": pack_bytes(frame)})
    page.goto(f"{ORIGIN}/map.html")
    page.evaluate(f"() => {{ window.__map = {name}; window.__pack = ({PACK})(); return {READY}; }}")
    chosen = np.ones(len(located(frame)), dtype=bool) if mask is None else mask
    config = json.loads(next(iter(mask_group(chosen, key)._children.values())).config)
    page.evaluate("cfg => { window.__group = L.featureGroup(); L.GeoPack.mask(window.__group, cfg);"
                  " window.__group.addTo(window.__map); }", config)
    settle(page)
    return opened


def test_at_100k_events_nearby_points_are_numbered_circles_whose_counts_and_the_pins_add_up_to_the_mask(
        session, renderer, places) -> None:
    frame = big_frame(100_000)
    mask = np.random.default_rng(5).random(len(frame)) < 0.3
    opened = open_big(session, places, frame, "clusters-f1", mask)
    page = opened.page

    # The whole dataset in view: every masked event is in a circle's count or drawn as its own pin.
    fit_all(page, frame)
    clusters = page.evaluate(CLUSTERS)
    singles = page.evaluate("() => window.__pack.singles.length")
    assert page.evaluate("() => window.__pack.drawnCount") == int(mask.sum())
    assert sum(c["count"] for c in clusters) + singles == int(mask.sum())
    assert len(clusters) > 50 and max(c["count"] for c in clusters) > 100
    # Each circle carries its count: dark digits drawn in its middle, on the layer's top canvas.
    middle = max(clusters, key=lambda c: -abs(c["x"] - 700) - abs(c["y"] - 500))
    dark = page.evaluate("""c => { const canvas = window.__pack._badges, r = window.devicePixelRatio || 1;
        const data = canvas.getContext('2d').getImageData(Math.round((c.x - 8) * r), Math.round((c.y - 6) * r),
                                                           Math.round(16 * r), Math.round(12 * r)).data;
        let n = 0; for (let i = 0; i < data.length; i += 4) { if (data[i + 3] > 200 && data[i] < 80) { n++; } }
        return n; }""", middle)
    assert dark > 5, "no digits in the circle"

    # Zoomed in, circles and pins still add up to the masked events in the part of the map drawn.
    page.evaluate("() => { window.__map.setView([37, 125], 8, {animate: false}); }")
    settle(page)
    inside = page.evaluate("""() => { const p = window.__pack, g = p._grid, pack = p._pack; let n = 0;
        for (const row of p._shownPoints) {
            const cx = Math.floor(pack.x[row] * g.scale / g.size) - g.ox;
            const cy = Math.floor(pack.y[row] * g.scale / g.size) - g.oy;
            if (cx >= 0 && cy >= 0 && cx < g.gw && cy < g.gh) { n++; } }
        return n; }""")
    clusters = page.evaluate(CLUSTERS)
    assert 0 < inside < mask.sum()
    assert sum(c["count"] for c in clusters) + page.evaluate("() => window.__pack.singles.length") == inside

    # One accessible name says what is drawn and where the events are listed; no canvas is a tab stop.
    canvases = page.evaluate("""() => Array.from(document.querySelectorAll('.leaflet-overlay-pane canvas'))
        .map(c => ({tab: c.tabIndex, tabAttr: c.getAttribute('tabindex'), role: c.getAttribute('role'),
                    label: c.getAttribute('aria-label'), hidden: c.getAttribute('aria-hidden')}))""")
    named = [c for c in canvases if c["label"]]
    assert len(named) == 1 and named[0]["role"] == "img"
    assert named[0]["label"].startswith(f"{int(mask.sum()):,} events drawn; in view, ")
    assert "numbered circles" in named[0]["label"]
    assert "the event list beside the map lists every event" in named[0]["label"]
    assert all(c["tab"] == -1 and c["tabAttr"] is None for c in canvases)
    assert all(c["hidden"] == "true" for c in canvases if not c["label"])
    opened.assert_no_outside_request_and_no_js_error()


def test_a_click_on_a_circle_zooms_in_to_its_events_and_a_click_on_a_single_pin_selects_its_event(
        session, renderer, places) -> None:
    frame = big_frame(100_000)
    opened = open_big(session, places, frame, "clusters-f2")
    page = opened.page
    zoom = page.evaluate("() => window.__map.getZoom()")
    clusters = page.evaluate(CLUSTERS)
    target = max(clusters, key=lambda c: -abs(c["x"] - 700) - abs(c["y"] - 500))
    members = page.evaluate("""c => { const p = window.__pack;
        const cluster = p._clusters.find(k => Math.abs((k.x - p._view.left) * p._view.scale - c.x) < 0.01
                                           && Math.abs((k.y - p._view.top) * p._view.scale - c.y) < 0.01);
        return p.members(cluster); }""", target)
    assert len(members) == target["count"]

    page.mouse.move(target["x"], target["y"])
    assert page.locator(".leaflet-tooltip").last.inner_text() == \
        f"{target['count']:,} events close together: click to zoom in"
    page.mouse.click(target["x"], target["y"])
    settle(page)
    after = page.evaluate("""rows => { const m = window.__map, b = m.getBounds(), p = window.__pack._pack;
        return {zoom: m.getZoom(), inside: rows.every(r => b.contains([p.lonlat[2 * r + 1], p.lonlat[2 * r]]))}; }""",
                          members)
    assert after["zoom"] > zoom + 2 and after["inside"]

    # Zoomed in, a single exact pin: a click opens its short popup and names its event to streamlit-folium.
    pin = page.evaluate("""() => { const p = window.__pack, size = window.__map.getSize();
        for (const row of p.singles) {
            const at = p.screenPoint(row);
            if (p.options.radii[p._pack.precision[row]] === 0 && at.x > 30 && at.y > 30 && at.x < size.x - 30
                && at.y < size.y - 30) {
                const hit = p.find(at);
                if (hit && hit[0] === row) { return {row, x: at.x, y: at.y}; }
            }
        }
        return null; }""")
    assert pin is not None, "no single pin in view after zooming in"
    page.mouse.click(pin["x"], pin["y"])
    event = located(frame).iloc[pin["row"]]
    handed = page.evaluate(TOOLTIP_TEXT)
    popup = page.locator(".leaflet-popup-content").last.inner_text()
    assert page.evaluate("() => window.__pack.lastClicked") == pin["row"]
    assert feature_id_from_tooltip(handed["text"], row_ids(frame)) == event["id"]
    assert handed["visible"] == f"{EVENT_TYPES[event['event_type']]} · {plain_dates(event)}"
    assert popup.splitlines() == [EVENT_TYPES[event["event_type"]], plain_dates(event),
                                  "Full evidence and sources: Details, below the map."]
    opened.assert_no_outside_request_and_no_js_error()


def test_events_at_one_point_are_listed_escaped_and_an_item_of_the_list_selects_its_event(
        session, renderer, places, tmp_path) -> None:
    frame = frame_from_collection(synthetic_collection(2_500))
    rows = located(frame)
    exact = rows.index[(rows["location_precision"] == "exact") & (rows.geom_type == "Point")][:25]
    hostile = "<img src=x onerror=\"window.__xss=1\"> & {{7*7}}"
    frame.loc[exact, "geometry"] = shapely.Point(118.25, 44.25)
    frame.loc[exact, "title"] = [f"{hostile} {n}" for n in range(len(exact))]
    m = build_map(frame, places)
    path = tmp_path / "export.html"
    path.write_text(standalone_html(m), encoding="utf-8")
    opened = open_export(session, (path, {"map": m.get_name()}))
    page = opened.page
    page.evaluate("() => { window.__map.setView([44.25, 118.25], 12, {animate: false}); }")
    settle(page)
    spot = page.evaluate("() => window.__map.latLngToContainerPoint([44.25, 118.25])")
    circle = min(page.evaluate(CLUSTERS), key=lambda c: (c["x"] - spot["x"]) ** 2 + (c["y"] - spot["y"]) ** 2)
    assert circle["same"] and circle["count"] == 25

    page.mouse.click(circle["x"], circle["y"])
    popup = page.locator(".leaflet-popup-content").last
    items = popup.locator("button.geo-pack-item")
    assert popup.locator(".geo-pack-list > div").first.inner_text() == "25 events here:"
    assert items.count() == 20 and "and 5 more" in popup.inner_text()
    pack_rows_ = [located(frame).index.get_loc(i) for i in exact]
    third = located(frame).loc[exact[2]]
    assert items.nth(2).inner_text() == tooltip_plain(third)  # the title as text, not markup
    assert page.evaluate("() => window.__xss === undefined")

    items.nth(2).click()
    handed = page.evaluate(TOOLTIP_TEXT)
    assert page.evaluate("() => window.__pack.lastClicked") == pack_rows_[2]
    assert feature_id_from_tooltip(handed["text"]) == exact[2]
    assert page.locator(".leaflet-popup-content h4").last.inner_text() == third["title"]
    assert page.evaluate("() => window.__xss === undefined")
    opened.assert_no_outside_request_and_no_js_error()
