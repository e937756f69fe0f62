"""The view buttons and the opening view (geo/map/viewcontrol.py, static/js/viewbuttons.js) in Debian's Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.io.events_file import load_events
from geo.map.assets import missing, standalone_html
from geo.map.mapview import build_map
from tests.browser import is_file

pytestmark = pytest.mark.skipif(bool(missing()), reason="static/vendor incomplete: run scripts/install_assets")

MAP_BOUNDS = """() => {
    const map = Object.values(window).find(value => value instanceof L.Map);
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), map.getZoom()];
}"""


def test_a_map_opened_in_a_hidden_frame_fits_every_event_once_shown_and_throws_nothing(
        open_session, places, tmp_path: Path) -> None:
    # The dashboard's map frame can be 0x0 while it loads (the reader has already left for the review
    # page). Leaflet's fitBounds there computes a NaN view and throws, the component then runs the map's
    # script a second time, and the map never comes up: the view must wait until the frame has a size.
    events = load_events(Path("data/events.geojson"))
    located = events[events.geometry.notna()]
    (tmp_path / "map.html").write_text(standalone_html(build_map(events, places)), encoding="utf-8")
    (tmp_path / "host.html").write_text(
        '<!doctype html><iframe id="map" src="map.html" style="width:0;height:0;border:0"></iframe>')
    session = open_session(is_file)
    page = session.page
    page.goto((tmp_path / "host.html").as_uri())
    frame = page.frame_locator("#map")
    frame.locator(".leaflet-container").wait_for(state="attached")
    page.wait_for_timeout(300)
    page.evaluate("document.getElementById('map').style.cssText = 'width:900px;height:560px;border:0'")
    map_frame = page.frames[1]
    map_frame.wait_for_function("() => Object.values(window).some(v => v instanceof L.Map && v.getSize().x > 0)")
    page.wait_for_timeout(300)
    west, south, east, north, zoom = map_frame.evaluate(MAP_BOUNDS)
    minx, miny, maxx, maxy = located.total_bounds
    assert zoom == zoom and west <= minx and south <= miny and east >= maxx and north >= maxy, \
        f"the map shows {west, south, east, north} at zoom {zoom}, not every event {tuple(located.total_bounds)}"
    assert zoom > 3, "the map should be fitted to the events, not left at the widest zoom"
    session.assert_no_outside_request_and_no_js_error()
