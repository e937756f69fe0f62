"""The feed beside the map: the events shown on the map date, newest first, one line each.

A reader scans it like a news feed (date, place, type, what happened) and picks an event from it; the map and the
details then follow (dashboard.py). It lists what the filters keep as of the map date, the events with no known
location included (they are marked so), and never more than `limit` rows.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.events.schema import EVENT_TYPES
from geo.report.details import where_label

__all__ = ["FEED_COLUMNS", "feed_rows", "short_when"]

FEED_COLUMNS = ("Date", "What happened", "Place", "Type")
"""The feed's columns as the reader sees them."""


def short_when(row: dict) -> str:
    """The feed's date: when the event began (or by when, when only that is known) at no more precision than
    it has, "?" marking an inferred date; the details say the whole of it."""
    cut = {"day": 10, "month": 7, "year": 4}.get(row["date_precision"], 7)
    start, end = row.get("date_start"), row.get("date_end")
    label = start[:cut] if start else (f"by {end[:cut]}" if end else "date unknown")
    return label + ("?" if row.get("date_inferred") and (start or end) else "")


def feed_rows(frame: gpd.GeoDataFrame, shown: np.ndarray, limit: int = 200) -> tuple[pd.DataFrame, list[str]]:
    """The rows of `frame` where `shown` is true (bool per row), newest first (by their start, or their end when only
    that is known; no known date last), at most `limit`: (a table with FEED_COLUMNS, the id of each of its rows in
    the same order). Dates short (`short_when`), places in words ("location unknown" if none)."""
    positions = np.flatnonzero(shown)
    dated = frame["date_start"].iloc[positions].fillna(frame["date_end"].iloc[positions])  # "on or before" ends
    when = pd.to_datetime(dated, errors="coerce").to_numpy()
    newest_first = np.argsort(-when.astype("datetime64[D]").astype(np.int64), kind="stable")  # NaT sorts last
    order = positions[newest_first[:limit]]
    read = [column for column in _READ if column in frame.columns]  # only these rows and columns are copied
    picked = frame.iloc[order, [frame.columns.get_loc(column) for column in read]].reindex(columns=list(_READ))
    rows = [
        {"Date": short_when(row), "Place": where_label(row), "Type": EVENT_TYPES[row["event_type"]],
         "What happened": row["title"]}
        for row in picked.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=list(FEED_COLUMNS)), list(picked["id"])


_READ = ("id", "date_start", "date_end", "date_precision", "date_inferred", "place", "via", "country", "crossings",
         "event_type", "title")  # what a feed row is made of
