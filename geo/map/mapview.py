"""A view of the dataset as a map: the one `view → map` function of the dashboard and the command line.

The dashboard's "Download this map" and `python -m geo export-html` both call `view_map`, so an export
holds exactly what the dashboard shows for the same filters and map date. (The live map in the dashboard
is the same layers handed to st_folium in parts: geo.map.layers.base_map and the event layers.)
"""

from __future__ import annotations

import datetime as dt

import folium
import geopandas as gpd

from geo.map.layers import build_map
from geo.view.filters import Filters, apply_filters
from geo.view.timeline import as_of


def on_map(frame: gpd.GeoDataFrame, filters: Filters, day: dt.date) -> gpd.GeoDataFrame:
    """The rows of `frame` a map of this view draws or lists: those the filters keep, as of `day` (events
    begun by then, routes with their status on that day)."""
    return as_of(apply_filters(frame, filters), day)


def view_map(frame: gpd.GeoDataFrame, filters: Filters, day: dt.date, places: gpd.GeoDataFrame,
             crossings: gpd.GeoDataFrame) -> folium.Map:
    """The complete standalone map of this view of `frame` (geo.map.layers.build_map of `on_map`). Filtering on
    distance to the border needs `frame` analysed (geo.reference.geography.with_analysis)."""
    return build_map(on_map(frame, filters, day), places, crossings=crossings, day=day)
