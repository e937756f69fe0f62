"""The offline basemap: Natural Earth land and the China–DPRK border, drawn without tiles.

The land is the region's countries in detail (1:10m) and the rest of the world coarsely (kind `land`), so
zoomed out the land runs on to real coasts instead of ending in a straight line.

``data/basemap.geojson`` is built by ``scripts/build_basemap.py``. The layer is the map's background
(use it with ``folium.Map(tiles=None, ...)``), so it stays out of the layer control (``control=False``):
there is nothing to switch to, and the control then lists only data layers. Its script is rendered
once per file version (geo.map.rendered): the dashboard draws it on every rerun.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import folium

from geo.map.rendered import ready_layer
from geo.paths import BASEMAP_PATH

LAND_STYLE = {"fillColor": "#f4f1ea", "fillOpacity": 1.0, "color": "#9a9a9a", "weight": 0.7}
BORDER_STYLE = {"color": "#3a3a3a", "weight": 2.5, "opacity": 0.9, "dashArray": "8 5"}


def _collection(features: list[dict], *kinds: str) -> dict:
    return {"type": "FeatureCollection", "features": [f for f in features if f["properties"]["kind"] in kinds]}


LAND_PANE = "basemap-land"


def add_basemap(m: folium.Map, path: Path = BASEMAP_PATH) -> None:
    """Draw the offline basemap on `m`, its land in a pane *below* tile layers (z-index 150 < 200),
    so switching on online tiles shows them over the land while events stay on top."""
    folium.map.CustomPane(LAND_PANE, z_index=150, pointer_events=False).add_to(m)
    stat = path.stat()
    ready_layer(("basemap", str(path), stat.st_mtime_ns, stat.st_size),
                lambda: basemap_layer(path, land_pane=LAND_PANE)).add_to(m)


def basemap_layer(path: Path = BASEMAP_PATH, land_pane: str | None = None) -> folium.FeatureGroup:
    """Land polygons (quiet, not interactive: the region's countries and the world's coarse land) under a dashed
    China–DPRK border with a tooltip."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    group = folium.FeatureGroup(name="Basemap (offline)", control=False)
    folium.GeoJson(
        _collection(features, "country", "land"),
        name="Land",
        style_function=lambda _feature: LAND_STYLE,
        interactive=False,
        zoom_on_click=False,
        **({"pane": land_pane} if land_pane else {}),
    ).add_to(group)
    folium.GeoJson(
        _collection(features, "border"),
        name="China–DPRK border",
        style_function=lambda _feature: BORDER_STYLE,
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        zoom_on_click=False,
    ).add_to(group)
    return group


def border_bounds(path: Path = BASEMAP_PATH) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of the China–DPRK border line, in degrees (read once per file version)."""
    stat = path.stat()
    return _border_bounds(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _border_bounds(path: Path, _mtime_ns: int, _size: int) -> tuple[float, float, float, float]:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    [border] = _collection(features, "border")["features"]
    coordinates = border["geometry"]["coordinates"]
    points = coordinates if border["geometry"]["type"] == "LineString" else [p for line in coordinates for p in line]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)
