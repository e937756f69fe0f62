"""The view buttons and the opening view (geo/map/viewcontrol.py, static/js/viewbuttons.js) in Debian's Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.io.events_file import load_events
from geo.map.assets import missing, standalone_html
from geo.map.mapview import build_map
from geo.map.viewcontrol import ViewButtons
from geo.reference.basemap import border_bounds
from tests.browser import is_file

FOUNDING_PLACES = ("Dandong", "Sinuiju", "Tumen", "Hunchun", "Rason")
LABEL_BOXES = """() => [...document.querySelectorAll('.geo-place .geo-label span:last-child')].map(s => {
    const b = s.getBoundingClientRect();
    return [s.textContent, b.left, b.top, b.right, b.bottom];
})"""

needs_assets = pytest.mark.skipif(bool(missing()), reason="static/vendor incomplete: run scripts/install_assets")

MAP_BOUNDS = """() => {
    const map = Object.values(window).find(value => value instanceof L.Map);
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), map.getZoom()];
}"""


def test_the_border_frame_holds_the_founding_places(places) -> None:
    minx, miny, maxx, maxy = border_bounds()
    towns = places.set_index("name")
    for town in FOUNDING_PLACES:
        point = towns.loc[town].geometry
        assert minx <= point.x <= maxx and miny <= point.y <= maxy, town


def test_the_map_starts_on_the_border_and_its_buttons_are_keys_not_tab_stops() -> None:
    border, everything = (124.0, 40.0, 130.5, 43.0), (102.0, 25.0, 131.0, 43.0)
    buttons = ViewButtons(border, everything)
    assert json.loads(buttons.start) == [[40.0, 124.0], [43.0, 130.5]]
    assert [(b[0], b[1], b[4]) for b in json.loads(buttons.buttons)] == [("border", "Border", "b"), ("all", "All", "a")]
    assert json.loads(ViewButtons(border, everything, start="all").start) == [[25.0, 102.0], [43.0, 131.0]]
    assert json.loads(ViewButtons(border).start) == [[40.0, 124.0], [43.0, 130.5]]


def open_map(open_session, tmp_path: Path, width: int, height: int, places):
    events = load_events(Path("data/events.geojson"))
    (tmp_path / "map.html").write_text(standalone_html(build_map(events, places)), encoding="utf-8")
    session = open_session(is_file)
    session.page.set_viewport_size({"width": width, "height": height})
    session.page.goto((tmp_path / "map.html").as_uri())
    session.page.wait_for_function("() => Object.values(window).some(v => v instanceof L.Map && v.getSize().x > 0)")
    session.page.wait_for_timeout(300)
    return session, events[events.geometry.notna()]


@needs_assets
@pytest.mark.parametrize("width", [1100, 572, 476])
def test_the_first_view_frames_the_border_so_the_tumen_river_towns_read_whole(open_session, places, tmp_path,
                                                                             width) -> None:
    # Fitted to every event (Kunming included) the border was a strip at the top: "Tumen (Yanbian)" cut to
    # "men (Yanbia", Hunchun over Musan, Rason covered. 572 and 476 px: the dashboard's map at 1440 and 1280 px
    # wide (1100: a map the width of the page); 560 px: its height.
    session, located = open_map(open_session, tmp_path, width, 560, places)
    page = session.page
    west, south, east, north, zoom = page.evaluate(MAP_BOUNDS)
    minx, miny, maxx, maxy = border_bounds()
    assert west <= minx and south <= miny and east >= maxx and north >= maxy, (west, south, east, north)
    assert west > 110 and south > 30, "the first view should not reach Kunming or Shanghai"
    assert zoom > 6, f"zoom {zoom}: the Tumen towns' labels print over each other"
    labels = {text: box for text, *box in page.evaluate(LABEL_BOXES)}
    for town in ("Tumen (Yanbian)", "Hunchun", "Musan", "Rason", "Dandong", "Sinuiju"):
        left, top, right, bottom = labels[town]
        assert 0 <= left and right <= width and 0 <= top and bottom <= 560, f"{town} is cut: {labels[town]}"
    for town in ("Tumen (Yanbian)", "Hunchun", "Musan", "Rason"):
        left, top, right, bottom = labels[town]
        for other in ("Tumen (Yanbian)", "Hunchun", "Musan", "Rason", "Hoeryong", "Sambong", "Yanji"):
            o_left, o_top, o_right, o_bottom = labels[other]
            # boxes are 14 px lines around 12 px text: a 2 px brush of two boxes is no overlap of letters
            overlap = (other != town and min(right, o_right) - max(left, o_left) > 2
                       and min(bottom, o_bottom) - max(top, o_top) > 2)
            assert not overlap, f"at {width} px {town} {labels[town]} and {other} {labels[other]} print over each other"
    session.assert_no_outside_request_and_no_js_error()


@needs_assets
def test_keys_b_and_a_on_the_focused_map_zoom_to_the_border_and_to_every_event(open_session, places,
                                                                               tmp_path) -> None:
    session, located = open_map(open_session, tmp_path, 900, 560, places)
    page = session.page
    for name in ("Border", "All"):
        button = page.get_by_role("button", name="Border: Zoom to the China–DPRK border" if name == "Border"
                                  else "All: Show every event")  # the name starts with what the button shows
        assert button.get_attribute("tabindex") == "-1" and button.get_attribute("aria-keyshortcuts") == name[0]
    page.locator(".leaflet-container").focus()
    minx, miny, maxx, maxy = located.total_bounds
    page.keyboard.press("a")
    page.wait_for_function(f"() => ({MAP_BOUNDS})()[0] <= {minx} && ({MAP_BOUNDS})()[1] <= {miny}", timeout=5000)
    page.wait_for_timeout(400)  # the zoom animation ends (Leaflet ignores a new view asked for during one)
    west, south, east, north, zoom = page.evaluate(MAP_BOUNDS)
    assert west <= minx and south <= miny and east >= maxx and north >= maxy, "A should show every event"
    page.keyboard.press("b")
    page.wait_for_function(f"() => ({MAP_BOUNDS})()[1] > 35", timeout=5000)  # back to the border
    page.keyboard.press("Shift+Tab")  # the buttons are not tab stops: leaving the map goes past them
    assert page.evaluate("document.activeElement.closest('.geo-view-buttons')") is None
    session.assert_no_outside_request_and_no_js_error()


@needs_assets
def test_a_map_opened_in_a_hidden_frame_fits_the_border_once_shown_and_throws_nothing(
        open_session, places, tmp_path: Path) -> None:
    # The dashboard's map frame can be 0x0 while it loads (the reader has already left for the review
    # page). Leaflet's fitBounds there computes a NaN view and throws, the component then runs the map's
    # script a second time, and the map never comes up: the view must wait until the frame has a size.
    events = load_events(Path("data/events.geojson"))
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
    minx, miny, maxx, maxy = border_bounds()
    assert zoom == zoom and west <= minx and south <= miny and east >= maxx and north >= maxy, \
        f"the map shows {west, south, east, north} at zoom {zoom}, not the border {border_bounds()}"
    assert zoom >= 7, "the map should be fitted to the border, not left at the widest zoom"
    session.assert_no_outside_request_and_no_js_error()
