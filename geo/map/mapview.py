"""A view of the dataset as a map: the one `view → map` function of the live map and of every export.

`map_parts` turns a view (the rows on the map with their status on the map date, the places, the crossings
on that date) into what is drawn: the base map (geo.map.base) and its layers (the event layers, then the
crossings). The dashboard hands the parts to st_folium, which keeps the base map and swaps only the layers
on a rerun; an export (`python -m geo export-html`, the dashboard's "Download this map", the review page)
adds the same layers to the same base map (`MapParts.standalone`). So an export holds exactly what the
dashboard shows for the same filters and map date.

How the event layers are drawn depends on what the caller has:
- a pack the browser has fetched once (`ServedPack`, the live map above COMPACT_ABOVE located events in the
  dataset): one mask per layer over it (geo.map.canvas.mask_groups);
- a cache of ready-made scripts (the live map below it): each event's script rendered once
  (geo.map.layerscript.scripted_layers);
- neither (exports): plain folium layers, which embed the pack themselves above COMPACT_ABOVE
  (geo.map.layers.event_layers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.events.dataset import located_mask
from geo.events.schema import EVENT_TYPES
from geo.map.base import base_map
from geo.map.canvas import mask_groups, pack_version
from geo.map.crossings import crossings_layer
from geo.map.layers import COMPACT_ABOVE, event_layers
from geo.map.layerscript import scripted_layers
from geo.map.legend import legend_html
from geo.map.pack import PackRows, mask_view
from geo.view.filters import Filters, apply_filters
from geo.view.time import as_of

__all__ = ["COMPACT_ABOVE", "MapParts", "ServedPack", "build_map", "map_parts", "on_map", "view_map"]

Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class ServedPack:
    """The pack of every located event of the dataset that the app serves and the browser fetches once:
    its URL (geo.map.pack.write_pack) and where each of its rows comes from in the dataset frame
    (geo.map.pack.pack_rows of that frame)."""

    url: str
    rows: PackRows

    @property
    def version(self) -> str:
        """The name the pack layer and its masks share (geo.map.canvas.pack_version)."""
        return pack_version(self.url)


@dataclass(frozen=True)
class MapParts:
    """What a map of a view draws: the base map (the same for every view of a dataset when given the same
    bounds) and its layers, the event layers then the crossings; `types`, the event types of the located
    events drawn (in vocabulary order), for the legend of a standalone map."""

    base: folium.Map
    layers: list[folium.FeatureGroup]
    types: tuple[str, ...] = ()

    @staticmethod
    def layer_control() -> folium.LayerControl:
        """The control listing the layers (hand it to st_folium with the layers)."""
        return folium.LayerControl(collapsed=True)

    def standalone(self) -> folium.Map:
        """The base map with the layers, the layer control and the legend of the types drawn (folded) added:
        one complete map (call once)."""
        for layer in self.layers:
            layer.add_to(self.base)
        self.layer_control().add_to(self.base)
        legend = legend_html(self.types, collapsed=True)
        self.base.get_root().html.add_child(folium.Element(f'<div class="geo-export-legend">{legend}</div>'))
        return self.base


def map_parts(frame: gpd.GeoDataFrame, places: gpd.GeoDataFrame, day: dt.date | None = None,
              crossings: gpd.GeoDataFrame | None = None, *, shown: np.ndarray | None = None,
              statuses: pd.Series | None = None, bounds: Bounds | None = None, asset_base_url: str | None = None,
              pack: ServedPack | None = None, scripts: MutableMapping[tuple, str] | None = None,
              opening: tuple[tuple[float, float], float] | None = None,
              script_keys: np.ndarray | None = None) -> MapParts:
    """The map of a view of `frame`: the rows where `shown` is true (bool per row; default every row), each
    with its status from `statuses` (per row, e.g. geo.view.time.as_of_mask; default its own), `places`
    labelled, and `crossings` (if given) in their status on `day` (default today). Rows without a location
    are never drawn.

    `bounds` (minx, miny, maxx, maxy) is the opening view; default: the drawn rows' bounds (an export fitted
    to what it shows). The live map passes the whole dataset's, so its base map stays the same across filters.
    `asset_base_url`: where Leaflet and our scripts load from (geo.map.base.base_map; None: CDNs and inline).
    Live-only inputs: `pack`, the dataset's pack the browser fetches once (`frame` must be the frame it was
    written from); else `scripts`, each event's ready-made script for this dataset version
    (geo.map.layerscript), kept under `script_keys` (per row; default the ids, then `scripts` must belong to this
    version). With neither, the layers are plain folium objects (for exports).
    `opening` ((lat, lon), zoom): where the map opens instead of the border (a shared link's view).
    """
    located = located_mask(frame).to_numpy() & (True if shown is None else np.asarray(shown, dtype=bool))
    present = set(frame["event_type"].to_numpy()[located])
    types = tuple(t for t in EVENT_TYPES if t in present)
    if bounds is None:
        bounds = tuple(frame.geometry[located].total_bounds) if located.any() else None
    base = base_map(places, asset_base_url, bounds, pack_url=pack.url if pack is not None else None,
                    opening=opening)
    if pack is not None:
        keep = np.ones(len(frame), dtype=bool) if shown is None else shown
        mask, line_statuses = mask_view(pack.rows, keep, frame["status"] if statuses is None else statuses)
        layers = mask_groups(mask, line_statuses, pack.rows, pack.version)
    elif scripts is not None:
        layers = scripted_layers(frame, scripts, shown, statuses, script_keys)
    else:
        rows = frame if shown is None else frame[shown].assign(
            status=(frame["status"] if statuses is None else statuses)[shown])
        layers = event_layers(rows)
    if crossings is not None:
        layers = [*layers, crossings_layer(crossings, day or dt.date.today())]
    return MapParts(base, layers, types)


def on_map(frame: gpd.GeoDataFrame, filters: Filters, day: dt.date) -> gpd.GeoDataFrame:
    """The rows of `frame` a map of this view draws or lists: those the filters keep, as of `day` (events
    begun by then, routes with their status on that day)."""
    return as_of(apply_filters(frame, filters), day)


def view_map(frame: gpd.GeoDataFrame, filters: Filters, day: dt.date, places: gpd.GeoDataFrame,
             crossings: gpd.GeoDataFrame) -> folium.Map:
    """The complete standalone map of this view of `frame` (`map_parts` of `on_map`). Filtering on distance
    to the border needs `frame` analysed (geo.reference.geography.with_analysis)."""
    return map_parts(on_map(frame, filters, day), places, day, crossings).standalone()


def build_map(frame: gpd.GeoDataFrame, places: gpd.GeoDataFrame, asset_base_url: str | None = None,
              crossings: gpd.GeoDataFrame | None = None, day: dt.date | None = None) -> folium.Map:
    """The complete map of every row of `frame` (base, event layers, crossings at `day`, layer control),
    fitted to what is shown (`map_parts`)."""
    return map_parts(frame, places, day, crossings, asset_base_url=asset_base_url).standalone()
