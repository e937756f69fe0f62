"""geo.map.crossings: the border crossings layer, in each crossing's status on the map date, shown by shape and
colour, above the event pins and clickable at every zoom."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import folium
import geopandas as gpd
import pytest

from geo.io.events_file import load_events
from geo.map.assets import missing, standalone_html
from geo.map.crossings import CROSSINGS_PANE, add_crossings_pane, crossings_layer
from geo.map.folium_parts import walk
from geo.map.mapview import build_map, map_parts
from geo.map.popups import feature_id_from_tooltip
from geo.reference.crossings import load_crossings
from tests.browser import is_file

BRIDGE = "dandong-sinuiju-friendship-bridge"
MID_2023 = dt.date(2023, 6, 30)


@pytest.fixture(scope="module")
def crossings() -> gpd.GeoDataFrame:
    return load_crossings()


def layer_script(crossings: gpd.GeoDataFrame, day: dt.date) -> str:
    m = folium.Map(tiles=None)
    add_crossings_pane(m)
    crossings_layer(crossings, day).add_to(m)
    script = m.get_root().render()  # the icons' HTML is in JSON strings: read it as the browser will
    return re.sub(r"\\u([0-9a-f]{4})", lambda code: chr(int(code.group(1), 16)), script).replace('\\"', '"')


class _Text(HTMLParser):
    """The text a reader sees in an HTML fragment (hidden elements left out) and all of it (textContent)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.everything: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if self._hidden or "hidden" in dict(attrs):
            self._hidden += 1

    def handle_endtag(self, tag):
        self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        self.everything.append(data)
        if not self._hidden:
            self.seen.append(data)


def read(fragment: str) -> tuple[str, str]:
    parser = _Text()
    parser.feed(fragment)
    return "".join(parser.seen), "".join(parser.everything)


def test_crossings_are_drawn_in_their_status_on_a_given_day(events, places, crossings):
    located = int(crossings.geometry.notna().sum())
    early = build_map(events, places, crossings=crossings, day=dt.date(2021, 1, 1)).get_root().render()
    late = build_map(events, places, crossings=crossings, day=dt.date(2023, 3, 1)).get_root().render()
    assert early.count("geo-crossing-marker geo-crossing-closed") == located
    assert late.count("geo-crossing-marker geo-crossing-partially_resumed") == 1
    assert late.count("geo-crossing-marker geo-crossing-resumed") == 1
    assert "\\uc2e0\\uc758\\uc8fc" in late or "신의주" in late  # Sinuiju in Hangul, in the popup


def test_each_status_has_its_own_shape_named_in_the_markers_accessible_name(crossings):
    script = layer_script(crossings, MID_2023)
    assert "<circle" in script and "<polygon" in script and "<rect" in script  # resumed, partly, closed
    labels = re.findall(r'role="img" aria-label="([^"]+)"', script)
    assert len(labels) == int(crossings.geometry.notna().sum())
    assert "Border crossing Sino-Korean Friendship Bridge (Dandong–Sinuiju): partially resumed" in labels


def test_the_crossings_sit_in_a_clickable_pane_above_the_pins_and_are_not_tab_stops(crossings):
    script = layer_script(crossings, MID_2023)
    assert re.search(r'createPane\(\s*"geo-crossings"\s*\)', script)
    assert re.search(r"style\.zIndex = 645", script) and "pointerEvents = 'none'" not in script
    markers = re.findall(r"L\.marker\(\s*\[[^\]]*\],\s*(\{.*?\})\s*\)", script, re.S)
    assert len(markers) == int(crossings.geometry.notna().sum())
    assert all(f'"pane": "{CROSSINGS_PANE}"' in m and '"keyboard": false' in m for m in markers)


def test_the_tooltip_says_name_and_status_in_plain_words_and_a_click_still_names_the_crossing(crossings):
    script = layer_script(crossings, MID_2023)
    tooltips = re.findall(r"bindTooltip\(\s*`<div>\s*(.*?)\s*</div>`", script, re.S)
    bridge = next(t for t in tooltips if "Friendship" in t)
    seen, text_content = read(bridge)
    assert seen == "Sino-Korean Friendship Bridge (Dandong–Sinuiju): partially resumed"
    assert feature_id_from_tooltip(text_content) == BRIDGE
    assert all(BRIDGE not in read(t)[0] and "-" not in read(t)[0].split(":")[-1] for t in tooltips)


def test_the_popup_gives_names_status_since_when_and_sources_with_no_id(crossings):
    script = layer_script(crossings, MID_2023)
    popups = re.findall(r"<div class='geo-popup geo-crossing-popup'>.*?</div>(?:</div>)?(?=`)", script, re.S)
    bridge = next(p for p in popups if "Friendship" in p)
    seen, _ = read(bridge)
    for words in ("Rail and road crossing", "Then: Partially resumed since 26 September 2022",
                  "China: Dandong · 단둥 · 丹东", "North Korea: Sinuiju · 신의주 · 新义州",
                  "The Asia Business Daily (Asia Economy), “North Korea seals border for 3 years",
                  "Position from Chinesisch-koreanische Freundschaftsbrücke — Wikipedia (de)"):
        assert words in seen, words
    assert all(cid not in read(p)[0] for p in popups for cid in crossings.index)
    assert all("seeds/" not in read(p)[0] for p in popups)
    musan = next(p for p in popups if "Nanping–Musan" in p)
    assert "drawn at the town the port is named after, so within about 15 km" in read(musan)[0]


pytestmark_browser = pytest.mark.skipif(bool(missing()), reason="static/vendor incomplete: run scripts/install_assets")


def map_with_pane(events, places, crossings) -> str:
    """The map the dashboard draws (every event, the crossings in mid-2023), as one offline file."""
    parts = map_parts(events, places, MID_2023, crossings)
    if not any(getattr(element, "name", None) == CROSSINGS_PANE for element in walk(parts.base)):
        add_crossings_pane(parts.base)  # until geo.map.base adds it itself
    return standalone_html(parts.standalone())


@pytestmark_browser
def test_the_friendship_bridge_can_be_clicked_over_the_dandong_pins_at_zoom_6_8_and_11(open_session, places,
                                                                                       crossings, tmp_path):
    events = load_events("data/events.geojson")
    (tmp_path / "map.html").write_text(map_with_pane(events, places, crossings), encoding="utf-8")
    session = open_session(is_file)
    page = session.page
    page.set_viewport_size({"width": 900, "height": 560})
    page.goto((tmp_path / "map.html").as_uri())
    page.wait_for_function("() => Object.values(window).some(v => v instanceof L.Map && v.getSize().x > 0)")
    lon, lat = crossings.loc[BRIDGE].geometry.x, crossings.loc[BRIDGE].geometry.y
    marker = page.locator('.geo-crossing-marker:has([aria-label*="Friendship"])')
    for zoom in (6, 8, 11):
        page.evaluate("([lat, lon, zoom]) => { const map = Object.values(window).find(v => v instanceof L.Map);"
                      " map.closePopup(); map.setView([lat, lon], zoom, {animate: false}); }", [lat, lon, zoom])
        box = marker.bounding_box()
        page.wait_for_timeout(400)  # longer than markercluster's 0.3 s animation of marker icons
        assert marker.bounding_box() == box, f"at zoom {zoom} the crossing slid after the map moved"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        on_top = page.evaluate("([x, y]) => (document.elementFromPoint(x, y).closest('.geo-crossing-marker')"
                               " || {}).innerHTML || ''", [x, y])
        assert "Friendship" in on_top, f"at zoom {zoom} something covers the Friendship Bridge"
        assert marker.get_attribute("tabindex") is None, "a crossing must not be a tab stop"
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=3000)
        assert "Sino-Korean Friendship Bridge (Dandong–Sinuiju)" in popup.inner_text(), f"zoom {zoom}"
        assert "Partially resumed since 26 September 2022" in popup.inner_text()
        popup_box = popup.bounding_box()
        assert popup_box["height"] < 400, f"the popup is {popup_box['height']} px tall"
    session.assert_no_outside_request_and_no_js_error()


@pytestmark_browser
def test_the_first_click_on_a_crossing_in_a_map_partly_below_the_fold_opens_its_popup(open_session, places,
                                                                                       crossings, tmp_path):
    # The dashboard at 1280x720: the map's frame starts 252 px down and is 560 px tall, so its bottom is out of
    # view; the reader clicks the Friendship Bridge, which is in view.
    events = load_events("data/events.geojson")
    (tmp_path / "map.html").write_text(map_with_pane(events, places, crossings), encoding="utf-8")
    (tmp_path / "host.html").write_text(
        '<!doctype html><body style="margin:0;height:2000px"><div style="height:252px"></div>'
        '<iframe id="map" src="map.html" style="width:476px;height:560px;border:0"></iframe></body>', encoding="utf-8")
    session = open_session(is_file)
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto((tmp_path / "host.html").as_uri())
    frame = page.frames[1]
    frame.wait_for_function("() => Object.values(window).some(v => v instanceof L.Map && v.getSize().x > 0)")
    lon, lat = crossings.loc[BRIDGE].geometry.x, crossings.loc[BRIDGE].geometry.y
    frame.evaluate("([lat, lon]) => { Object.values(window).find(v => v instanceof L.Map)"
                   ".setView([lat, lon], 6, {animate: false}); }", [lat, lon])
    page.wait_for_timeout(200)
    box = frame.locator('.geo-crossing-marker:has([aria-label*="Friendship"])').bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    frame.locator(".leaflet-popup-content").wait_for(state="visible", timeout=3000)
    assert "Sino-Korean Friendship Bridge" in frame.locator(".leaflet-popup-content").inner_text()
