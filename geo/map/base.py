"""The base map: what does not depend on the filters (offline basemap, optional online tiles, place labels,
view buttons, the pins' clusters and the map's keys (static/js/geoclusters.js, static/js/mapkeys.js), the
page's CSS, and in the dashboard the layer that fetches the point pack once). The legend is not drawn in
the live map (the page shows it); an export adds it (geo.map.mapview.MapParts.standalone).

The dashboard keeps it fixed across reruns and sends only the event layers to st_folium; an export
adds the same layers to it (geo.map.mapview).
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from geo.events.dataset import records
from geo.map.assets import add_own_script, bundle_scripts, own_js_base, use_cluster_cdn, use_local_assets
from geo.map.canvas import SCRIPT as PACK_SCRIPT
from geo.map.canvas import pack_layer
from geo.map.crossings import add_crossings_pane
from geo.map.folium_parts import ScriptMacro
from geo.map.rendered import ready_layer
from geo.map.served_basemap import add_served_basemap
from geo.map.viewcontrol import add_view_buttons
from geo.reference.basemap import add_basemap, border_bounds
from geo.reference.places import position_source_words
from geo.report.markup import escape

__all__ = ["CLUSTER_SCRIPT", "KEYS_SCRIPT", "MAP_CSS", "BorderMap", "MapKeys", "base_map", "places_layer"]

REGION_CENTER = (37.5, 126.0)
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"  # by URL: a lookup by name costs 4 ms per rerun
REGION_ZOOM = 5
CLUSTER_SCRIPT = "geoclusters.js"
KEYS_SCRIPT = "mapkeys.js"

MAP_CSS = """
<style>
.geo-pin{width:26px;height:26px;box-sizing:border-box;border:2px solid #fff;color:#fff;
 display:flex;align-items:center;justify-content:center;font-size:12px;
 box-shadow:0 0 0 1px rgba(0,0,0,.55),0 1px 4px rgba(0,0,0,.45)}
.geo-label{font:600 12px/1.2 system-ui,sans-serif;color:#212121;white-space:nowrap;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
.geo-uncertainty{pointer-events:none}
.geo-cluster{width:100%;height:100%;box-sizing:border-box;border-radius:50%;background:rgba(33,33,33,.88);
 color:#fff;border:3px solid #fff;box-shadow:0 0 0 1px rgba(0,0,0,.5),0 1px 5px rgba(0,0,0,.45);
 display:flex;align-items:center;justify-content:center;font:700 13px/1 system-ui,sans-serif;position:relative}
/* the count sits on the cluster's corner: a crossing drawn over a town's cluster (Dandong) never hides it */
.geo-cluster span{position:absolute;top:-13px;right:-15px;min-width:14px;padding:2px 4px;border-radius:10px;
 background:#212121;border:2px solid #fff;text-align:center}
.geo-export-legend{position:absolute;z-index:1000;bottom:24px;right:10px;max-width:330px;max-height:60%;
 overflow:auto}
/* markercluster animates every marker icon while it reclusters; crossings and place names are not clustered
   and must not slide after a zoom (a click would miss a crossing still on its way) */
.leaflet-cluster-anim .leaflet-marker-icon.geo-crossing-marker,.leaflet-cluster-anim .leaflet-marker-icon.geo-place{
 transition:none}
.leaflet-container{background:#d4e6f1}
.leaflet-container:focus-visible{outline:3px solid #0072B2;outline-offset:-3px}
.geo-popup{font:13px/1.4 system-ui,sans-serif;overflow-wrap:anywhere}
.geo-popup h4{font-size:14px;margin:0 0 4px}
.geo-popup .meta{color:#444;font-size:12px}
.geo-popup-more{margin-top:4px;font-size:12px;font-style:italic}
</style>
"""
"""The map's CSS for pins, clusters, place labels, popups and an exported map's legend."""


class MapKeys(ScriptMacro):
    """The map as one tab stop with its keys and accessible names (L.geoMapKeys, static/js/mapkeys.js)."""

    NAME = "MapKeys"
    SCRIPT = """
        L.geoMapKeys({{ this.parent_name() }});
        """


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
            tooltip=folium.Tooltip(escape(f"{row['name']} — position from {position_source_words(row['source'])}")),
            keyboard=False,
        ).add_to(group)
    return group


class BorderMap(folium.Map):
    """A folium.Map that knows its bounds (minx, miny, maxx, maxy) up front. folium's own get_bounds walks
    every coordinate of every layer, the whole basemap included (0.08 s), and st_folium asks on every
    rerun; the view buttons fit the real bounds in the browser."""

    def __init__(self, bounds: tuple[float, float, float, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # folium 0.20 hands max_zoom/min_zoom to its tile layer only; with tiles=None the map itself gets no
        # maxZoom, and the pins' cluster group needs one (and the reader a floor under the basemap).
        for option, value in (("maxZoom", kwargs.get("max_zoom")), ("minZoom", kwargs.get("min_zoom"))):
            if value is not None:
                self.options[option] = value
        minx, miny, maxx, maxy = bounds
        self.known_bounds = [[miny, minx], [maxy, maxx]]

    def get_bounds(self) -> list[list[float]]:
        return [list(corner) for corner in self.known_bounds]


def base_map(places: gpd.GeoDataFrame, asset_base_url: str | None = None,
             bounds: tuple[float, float, float, float] | None = None, pack_url: str | None = None,
             opening: tuple[tuple[float, float], float] | None = None) -> folium.Map:
    """The filter-independent map: offline basemap, optional online tiles, place labels, view buttons, the
    event pins' cluster group and the keyboard (no legend: the page or an export adds it).

    With `asset_base_url`, Leaflet and its plugins load from there instead of public CDNs, and our own
    scripts from static/js beside it, all in one file (geo.map.assets.bundle_scripts; without it they are
    inlined). `bounds` (minx, miny, maxx, maxy)
    sets the initial view (fitted by the view buttons once the map has a size); pass the whole
    dataset's bounds, not the filtered ones, so the base map (and so the st_folium component) stays the
    same across filters. `pack_url` (geo.map.pack.write_pack) adds the layer that fetches that pack
    once; masks (geo.map.canvas.mask_groups) then choose what it shows. `opening` ((lat, lon), zoom), e.g. a
    shared link's, opens the map there instead of on the border.
    """
    (centre, zoom) = opening or (REGION_CENTER, REGION_ZOOM)
    m = BorderMap(bounds or border_bounds(), location=list(centre), zoom_start=zoom, tiles=None,
                  max_zoom=18, min_zoom=3, control_scale=True)
    if asset_base_url is not None:
        use_local_assets(m, asset_base_url)
    else:
        use_cluster_cdn(m)
    scripts = own_js_base(asset_base_url)
    add_own_script(m, PACK_SCRIPT, scripts)  # always: a rerun may cross COMPACT_ABOVE
    add_own_script(m, CLUSTER_SCRIPT, scripts)
    add_own_script(m, KEYS_SCRIPT, scripts)
    MapKeys().add_to(m)
    if asset_base_url is None:  # one file on its own (exports): the basemap inside it
        add_basemap(m)
    else:  # the live map: fetched once from the app, not resent in the map's script at every rerun
        add_served_basemap(m, scripts)
    add_crossings_pane(m)  # the crossings are drawn above the event pins and clusters (geo.map.crossings)
    add_view_buttons(m, border_bounds(), bounds, scripts, start="none" if opening else "border")
    folium.TileLayer(OSM_TILES, name="OpenStreetMap tiles (online)", overlay=True, show=False, max_zoom=19,
                     attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                          "contributors").add_to(m)
    m.get_root().header.add_child(folium.Element(MAP_CSS))
    towns = places[places["kind"] == "town"]
    content = tuple(map(tuple, towns[["name", "label", "label_side", "source"]].astype(str).to_numpy())) \
        + tuple(towns.geometry.to_wkb())
    ready_layer(("places", content), lambda: places_layer(places)).add_to(m)  # rendered once (geo.map.rendered)
    if pack_url is not None:
        pack_layer(pack_url).add_to(m)
    if asset_base_url is not None:  # the live map: its libraries and our scripts in one file, one round trip
        bundle_scripts(m, asset_base_url)
    return m
