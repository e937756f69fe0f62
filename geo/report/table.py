"""The events table as a reader sees it: column names in words, values in words, no id.

Machine column names (`event_type`, `date_precision`, …) stay in the CSV and GeoJSON downloads (geo.io.export);
this is only what the dashboard shows on screen.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.events.evidence import FIGURE_COLUMNS, figure_columns, independent_witnesses
from geo.events.nested import nested
from geo.events.schema import COUNTRY_NAMES, EVENT_TYPES, ROUTE_STATUSES
from geo.report.details import where_label

FIGURE_NAMES: dict[str, str] = {"figure_low": "Lowest figure", "figure_high": "Highest figure"}
"""The figure columns (geo.events.evidence.FIGURE_COLUMNS) as the reader sees them."""

READER_COLUMNS = ("Title", "Type", "Place", "From", "To", "Date known to", "Date inferred", "Location known to",
                  "Status", "Country", "Province", "Km to border", "Nearest crossing", "Km to nearest crossing",
                  "Sources", "Independent witnesses", *(FIGURE_NAMES[name] for name in FIGURE_COLUMNS))
"""The table's columns, in order."""

DATE_KNOWN_TO = {"day": "day", "month": "month", "season": "season", "year": "year", "unknown": "not known"}
LOCATION_KNOWN_TO = {"exact": "exact", "city": "city", "region": "region", "country": "country",
                     "unknown": "not known"}


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _countries(codes: Any) -> str:
    """'CN/KP' → 'China / North Korea'."""
    return " / ".join(COUNTRY_NAMES.get(code, code) for code in _text(codes).split("/") if code)


def _column(rows: gpd.GeoDataFrame, name: str) -> pd.Series:
    """`rows[name]`, or an empty column when the frame has no such column (no border analysis)."""
    return rows[name] if name in rows.columns else pd.Series([None] * len(rows), index=rows.index, dtype=object)


def reader_table(rows: gpd.GeoDataFrame) -> pd.DataFrame:
    """`rows` (validated events, with or without the border analysis columns) as the reader's table: READER_COLUMNS
    in that order, one row per event in the same order, event types and statuses by their labels, precisions in
    words, booleans as 'yes'/'no', countries by name, distances in km; no id and no geometry."""
    records = rows.reindex(columns=["place", "via", "country", "crossings"]).to_dict("records")
    figures = figure_columns(nested(rows, "figures"))
    sources = nested(rows, "sources")  # each row's decoded once (geo.events.nested)
    witnesses = rows["independent_sources"].to_numpy() if "independent_sources" in rows.columns \
        else np.array([independent_witnesses(each) for each in sources], dtype=np.int64)
    table = pd.DataFrame({
        "Title": rows["title"].to_numpy(),
        "Type": rows["event_type"].map(EVENT_TYPES).to_numpy(),
        "Place": [where_label(record) for record in records],
        "From": rows["date_start"].map(_text).to_numpy(),
        "To": rows["date_end"].map(_text).to_numpy(),
        "Date known to": rows["date_precision"].map(lambda p: DATE_KNOWN_TO.get(p, "not known")).to_numpy(),
        "Date inferred": rows["date_inferred"].map(lambda v: "yes" if v is True or v == 1 else "no").to_numpy(),
        "Location known to": rows["location_precision"].map(lambda p: LOCATION_KNOWN_TO.get(p, "not known")).to_numpy(),
        "Status": rows["status"].map(lambda s: ROUTE_STATUSES.get(s, "") if isinstance(s, str) else "").to_numpy(),
        "Country": _column(rows, "country_found").map(_countries).to_numpy(),
        "Province": _column(rows, "province").map(_text).to_numpy(),
        "Km to border": pd.to_numeric(_column(rows, "distance_to_border_km"), errors="coerce").to_numpy(),
        "Nearest crossing": _column(rows, "nearest_crossing").map(_text).to_numpy(),
        "Km to nearest crossing": pd.to_numeric(_column(rows, "nearest_crossing_km"), errors="coerce").to_numpy(),
        "Sources": np.array([len(each) for each in sources], dtype=np.int64),
        "Independent witnesses": witnesses,
        **{FIGURE_NAMES[name]: figures[name] for name in FIGURE_COLUMNS},
    }, columns=list(READER_COLUMNS))
    return table
