"""Events as CSV: one row per event, each cell safe to open in a spreadsheet.

The CSV download (geo.io.export streams it chunk by chunk, and prefixes HXL tags to it) and the citation text
of an event's sources that every flat table of events shows (`format_sources`).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.events.dataset import has_location, records
from geo.events.evidence import figure_columns, figures_text, reliance


def format_sources(sources: list[dict[str, Any]]) -> str:
    """Sources as one citation string: 'Publisher (republishes X), "Title" (date) <ref>; ...'."""
    return "; ".join(f'{s["publisher"]}{f" ({relied})" if (relied := reliance(s)) else ""}, "{s["title"]}" '
                     f'({s["published"]}) <{s["ref"]}>' for s in sources or [])


CSV_COLUMNS = (
    "id", "layer", "event_type", "title", "summary", "place", "crossings", "location_precision",
    "date_start", "date_end", "date_precision", "date_inferred", "date_note", "status",
    "longitude", "latitude", "geometry_wkt", "country_found", "province", "distance_to_border_km",
    "nearest_crossing", "nearest_crossing_km", "figure_low", "figure_high", "figures", "sources",
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet runs a cell that begins with one of these as a formula (OWASP: CSV injection)."""


def spreadsheet_safe(value: Any) -> Any:
    """`value` as a CSV cell a spreadsheet shows as text: text that would start a formula gets a leading
    apostrophe (shown by spreadsheets as a text marker, not as data). Numbers are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(frame: gpd.GeoDataFrame) -> str:
    """CSV of exactly the rows in `frame`: one row per event, sources joined with '; ' (geography
    columns are filled when the frame carries geo.reference.geography's analysis). No text cell can start a
    spreadsheet formula (see `spreadsheet_safe`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    rows = records(frame)
    spans = figure_columns(row.get("figures") for row in rows)
    for number, row in enumerate(rows):
        geometry = row.get("geometry")
        located = has_location(geometry)
        point = located and geometry.geom_type == "Point"
        cells = {
            **row,
            "longitude": round(geometry.x, 6) if point else "",
            "latitude": round(geometry.y, 6) if point else "",
            "geometry_wkt": geometry.wkt if located else "",
            "crossings": "; ".join(row.get("crossings") or []),
            "sources": format_sources(row.get("sources")),
            **{name: "" if pd.isna(column[number]) else column[number] for name, column in spans.items()},
            "figures": "; ".join(figures_text(row.get("figures"), row.get("sources") or [])),
        }
        writer.writerow({column: spreadsheet_safe(cells.get(column)) for column in CSV_COLUMNS})
    return buffer.getvalue()
