"""The base map: what does not depend on the filters (offline basemap, optional online tiles, place labels,
legend, view buttons, the page's CSS, and in the dashboard the layer that fetches the point pack once).

The dashboard keeps it fixed across reruns and sends only the event layers to st_folium; an export
adds the same layers to it (geo.map.mapview).
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from geo.events.dataset import records
from geo.map.assets import add_own_script, own_js_base, use_local_assets
from geo.map.canvas import SCRIPT as PACK_SCRIPT
from geo.map.canvas import pack_layer
from geo.map.legend import legend_html
from geo.map.rendered import ready_layer
from geo.map.viewcontrol import add_view_buttons
from geo.reference.basemap import add_basemap, border_bounds
from geo.report.markup import escape

__all__ = ["MAP_CSS", "BorderMap", "base_map", "places_layer"]

REGION_CENTER = (37.5, 126.0)
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"  # by URL: a lookup by name costs 4 ms per rerun
REGION_ZOOM = 5

MAP_CSS = """
<style>
.geo-pin{width:26px;height:26px;border-radius:50%;border:2px solid #fff;color:#fff;
 display:flex;align-items:center;justify-content:center;font-size:12px;
 box-shadow:0 1px 4px rgba(0,0,0,.45)}
.geo-label{font:600 12px/1.2 system-ui,sans-serif;color:#212121;white-space:nowrap;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
.geo-legend{position:absolute;z-index:1000;bottom:24px;right:10px;background:rgba(255,255,255,.93);
 padding:6px 9px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
 font:11px/1.4 system-ui,sans-serif;max-height:60%;max-width:330px;overflow:auto}
.geo-legend summary{cursor:pointer;font-weight:600}
.geo-uncertainty{pointer-events:none}
.geo-legend-grid{display:grid;grid-template-columns:auto auto;column-gap:10px}
.geo-legend .geo-pin{width:18px;height:18px;font-size:9px;border-width:1px;display:inline-flex;
 vertical-align:middle;margin-right:6px}
.geo-legend svg{vertical-align:middle;margin-right:6px}
.leaflet-container{background:#d4e6f1}
.geo-popup{font:13px/1.4 system-ui,sans-serif}
.geo-popup h4{font-size:14px;margin:0 0 4px}
.geo-popup .meta{color:#555;font-size:12px}
.geo-popup ol{padding-left:18px;margin:4px 0 0}
</style>
"""
"""The page's CSS for pins, place labels, the legend and popups."""


def places_layer(places: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Name labels for the reference towns (crossings have their own layer).

    A town whose `label_side` is 'left' puts its name left of the dot, so neighbours across the
    river (Dandong/Sinuiju) or along it (Tumen/Hunchun) do not print over each other.
    """
    group = folium.FeatureGroup(name="Places", show=True)
    for row in records(places[places["kind"] == "town"]):
        point = row["geometry"]
        dot = ('<span style="display:inline-block;width:8px;height:8px;border:2px solid #263238;'
               'border-radius:50%;background:#fff"></span>')
        left = row.get("label_side") == "left"
        text = f'<span style="margin:0 12px">{escape(row["label"])}</span>'
        html = f'<div class="geo-label" style="direction:{"rtl" if left else "ltr"}">{dot}{text}</div>'
        folium.Marker(
            (point.y, point.x),
            icon=folium.DivIcon(html=html, icon_size=(180, 16), icon_anchor=(174 if left else 6, 8),
                                class_name="geo-place"),
            tooltip=folium.Tooltip(escape(f"{row['name']} — {row['source']}")),
        ).add_to(group)
    return group


class BorderMap(folium.Map):
    """A folium.Map that knows its bounds (minx, miny, maxx, maxy) up front. folium's own get_bounds walks
    every coordinate of every layer, the whole basemap included (0.08 s), and st_folium asks on every
    rerun; the view buttons fit the real bounds in the browser."""

    def __init__(self, bounds: tuple[float, float, float, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        minx, miny, maxx, maxy = bounds
        self.known_bounds = [[miny, minx], [maxy, maxx]]

    def get_bounds(self) -> list[list[float]]:
        return [list(corner) for corner in self.known_bounds]


def base_map(places: gpd.GeoDataFrame, asset_base_url: str | None = None,
             bounds: tuple[float, float, float, float] | None = None, pack_url: str | None = None) -> folium.Map:
    """The filter-independent map: offline basemap, optional online tiles, place labels, legend.

    With `asset_base_url`, Leaflet and its plugins load from there instead of public CDNs, and our own
    scripts from static/js beside it (without it they are inlined). `bounds` (minx, miny, maxx, maxy)
    sets the initial view (fitted by the view buttons once the map has a size); pass the whole
    dataset's bounds, not the filtered ones, so the base map (and so the st_folium component) stays the
    same across filters. `pack_url` (geo.map.pack.write_pack) adds the layer that fetches that pack
    once; masks (geo.map.canvas.mask_groups) then choose what it shows.
    """
    m = BorderMap(bounds or border_bounds(), location=REGION_CENTER, zoom_start=REGION_ZOOM, tiles=None,
                  max_zoom=18, min_zoom=3, control_scale=True)
    if asset_base_url is not None:
        use_local_assets(m, asset_base_url)
    scripts = own_js_base(asset_base_url)
    add_own_script(m, PACK_SCRIPT, scripts)  # always: a rerun may cross COMPACT_ABOVE
    add_basemap(m)
    add_view_buttons(m, border_bounds(), bounds, scripts)
    folium.TileLayer(OSM_TILES, name="OpenStreetMap tiles (online)", overlay=True, show=False, max_zoom=19,
                     attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                          "contributors").add_to(m)
    m.get_root().header.add_child(folium.Element(MAP_CSS))
    m.get_root().html.add_child(folium.Element(legend_html()))
    towns = places[places["kind"] == "town"]
    content = tuple(map(tuple, towns[["name", "label", "label_side", "source"]].astype(str).to_numpy())) \
        + tuple(towns.geometry.to_wkb())
    ready_layer(("places", content), lambda: places_layer(places)).add_to(m)  # rendered once (geo.map.rendered)
    if pack_url is not None:
        pack_layer(pack_url).add_to(m)
    return m
