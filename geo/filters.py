"""Pure filters over the events frame: what the user chose to see.

Each function takes a frame and returns the subset of rows (never a copy with changed values),
so filters compose in any order and the map, table and downloads all show the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.evidence import is_corroborated


@dataclass(frozen=True)
class Filters:
    """Every choice the user can make; `None` means 'do not filter on this'."""

    layers: tuple[str, ...] | None = None
    event_types: tuple[str, ...] | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    text: str = ""
    include_undated: bool = True
    corroborated_only: bool = False
    max_border_km: float | None = None


def by_layers(frame: gpd.GeoDataFrame, layers: Iterable[str]) -> gpd.GeoDataFrame:
    """Rows whose layer is one of `layers`."""
    return frame[frame["layer"].isin(list(layers))]


def by_event_types(frame: gpd.GeoDataFrame, event_types: Iterable[str]) -> gpd.GeoDataFrame:
    """Rows whose event type is one of `event_types`."""
    return frame[frame["event_type"].isin(list(event_types))]


def by_date_range(
    frame: gpd.GeoDataFrame,
    since: dt.date | None = None,
    until: dt.date | None = None,
    include_undated: bool = True,
) -> gpd.GeoDataFrame:
    """Rows whose possible dates overlap [since, until].

    An event spans date_start..date_end (earliest to latest possible day); a missing end means
    open-ended. Events with neither date are kept only when `include_undated` is true.
    """
    start, end = frame["date_start"], frame["date_end"]
    undated = start.isna() & end.isna()
    keep = pd.Series(True, index=frame.index)
    if until is not None:
        keep &= start.fillna("0000-01-01") <= until.isoformat()
    if since is not None:
        keep &= end.fillna("9999-12-31") >= since.isoformat()
    keep = (keep & ~undated) | (undated & include_undated)
    return frame[keep]


SEARCHED_COLUMNS = ("id", "title", "summary", "place", "place_text", "event_type")


def by_text(frame: gpd.GeoDataFrame, text: str) -> gpd.GeoDataFrame:
    """Rows where every word of `text` appears (case-insensitively) in the event or its sources."""
    words = text.casefold().split()
    if not words or frame.empty:  # agg over no rows gives a frame, not a column of text
        return frame
    haystack = frame[list(SEARCHED_COLUMNS)].fillna("").astype(str).agg(" ".join, axis=1)
    haystack = haystack + " " + frame["sources"].map(
        lambda sources: " ".join(f"{s['publisher']} {s['title']}" for s in sources or [])
    )
    haystack = haystack.str.casefold()
    keep = pd.Series(True, index=frame.index)
    for word in words:
        keep &= haystack.str.contains(word, regex=False)
    return frame[keep]


def by_corroboration(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows reported by at least two independent witnesses (geo.evidence: reposts count once)."""
    return frame[frame["sources"].map(is_corroborated).astype(bool)]


def by_border_distance(frame: gpd.GeoDataFrame, max_km: float) -> gpd.GeoDataFrame:
    """Located rows within `max_km` of the China–DPRK border (needs geo.geography's analysis columns);
    rows with no location have no distance and are left out."""
    distance = pd.to_numeric(frame["distance_to_border_km"], errors="coerce")
    return frame[distance.le(max_km).fillna(False).astype(bool)]


def apply_filters(frame: gpd.GeoDataFrame, filters: Filters) -> gpd.GeoDataFrame:
    """The rows that pass every filter in `filters`."""
    if filters.layers is not None:
        frame = by_layers(frame, filters.layers)
    if filters.event_types is not None:
        frame = by_event_types(frame, filters.event_types)
    frame = by_date_range(frame, filters.since, filters.until, filters.include_undated)
    if filters.corroborated_only:
        frame = by_corroboration(frame)
    if filters.max_border_km is not None:
        frame = by_border_distance(frame, filters.max_border_km)
    return by_text(frame, filters.text)


def date_bounds(frame: gpd.GeoDataFrame) -> tuple[dt.date, dt.date]:
    """Earliest and latest date mentioned in the frame, at least a day apart (a range control needs
    two ends); yesterday and today when the frame has no dates."""
    dates = [d for d in [*frame["date_start"], *frame["date_end"]] if isinstance(d, str) and d]
    last = dt.date.fromisoformat(max(dates)) if dates else dt.date.today()
    first = dt.date.fromisoformat(min(dates)) if dates else last
    return min(first, last - dt.timedelta(days=1)), last


def located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows with a known location (drawn on the map)."""
    return frame[frame.geometry.notna()]


def unlocated(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows whose location is unknown (listed beside the map, never placed)."""
    return frame[frame.geometry.isna()]
