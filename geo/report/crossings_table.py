"""What a reader reads about the border crossings on a day: each crossing's status then and since when, in
plain words, as one table ("Crossings on this date") and as the words the map's crossing markers use.

The table has one row per crossing of the registry (geo.reference.crossings), those the map cannot draw
included, ordered west to east along the border (the Yalu from its mouth, then the Tumen), so the Dandong–Sinuiju
bridges come first; a crossing with no coordinate comes last, marked "not on the map".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.events.dataset import records
from geo.events.schema import ROUTE_STATUSES
from geo.reference.crossings import CROSSING_KINDS, crossing_status_at

__all__ = ["COLUMNS", "NOT_ON_MAP", "crossing_title", "crossings_table", "since_label", "status_change_at"]

COLUMNS = ("Crossing", "Korean", "Chinese", "Kind", "Status", "Since", "Sources")
"""The table's columns, as the reader sees them."""
NOT_ON_MAP = " (not on the map)"
"""Appended to the name of a crossing no source gives a coordinate for."""

_SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
            6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}


def _day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def since_label(change: Mapping[str, Any]) -> str:
    """When a status change took effect, no more precisely than its `precision`: '23 February 2023' (day),
    'January 2020' (month), 'winter 2022–23' (season), '2014' (year), 'by 23 February 2023' (unknown: the date
    is the latest it can have been), with ' (inferred)' when the date was inferred from context."""
    day = _day(change["since"])
    precision = change.get("precision") or "day"
    if precision == "month":
        label = f"{day:%B %Y}"
    elif precision == "season":
        season = _SEASONS[day.month]
        first = day.year - 1 if day.month < 3 else day.year
        label = f"winter {first}–{(first + 1) % 100:02d}" if season == "winter" else f"{season} {day.year}"
    elif precision == "year":
        label = str(day.year)
    else:
        label = f"{day.day} {day:%B %Y}"
        if precision == "unknown":
            label = f"by {label}"
    return f"{label} (inferred)" if change.get("inferred") else label


def status_change_at(row: Mapping[str, Any], day: dt.date | str) -> Mapping[str, Any] | None:
    """The change of the crossing's `status_history` in force on `day` (its last on or before it), or None
    before its history starts (its status is then 'unknown')."""
    when = _day(day)
    in_force = None
    for change in row.get("status_history") or ():
        if _day(change["since"]) <= when:
            in_force = change
    return in_force


def crossing_title(row: Mapping[str, Any]) -> str:
    """The crossing's English name, with the towns on both sides when the name does not already say them:
    'Sino-Korean Friendship Bridge (Dandong–Sinuiju)', 'Tumen–Namyang crossing'."""
    name = str(row["name"])
    china, dprk = row["china_side"]["en"], row["dprk_side"]["en"]
    return name if china in name and dprk in name else f"{name} ({china}–{dprk})"


def _both_sides(row: Mapping[str, Any], script: str) -> str:
    china, dprk = row["china_side"].get(script), row["dprk_side"].get(script)
    return "–".join(name for name in (china, dprk) if name)


def _publishers(change: Mapping[str, Any] | None) -> str:
    names = [source["publisher"] for source in (change or {}).get("sources") or ()]
    return "; ".join(dict.fromkeys(names))


def crossings_table(crossings: gpd.GeoDataFrame, day: dt.date) -> pd.DataFrame:
    """One row per crossing of `crossings` (geo.reference.crossings.load_crossings) with its status on `day`:
    Crossing (English, both towns; ' (not on the map)' for one with no coordinate), Korean and Chinese (the
    towns on both sides), Kind (rail, road or both), Status, Since (geo.report.crossings_table.since_label;
    empty before its history starts), Sources (the publishers the status rests on, plain text).
    Ordered west to east, the crossings not on the map last, by name."""
    rows = []
    for row in records(crossings):
        change = status_change_at(row, day)
        geometry = row.get("geometry")
        drawn = geometry is not None and not geometry.is_empty
        rows.append({
            "Crossing": crossing_title(row) + ("" if drawn else NOT_ON_MAP),
            "Korean": _both_sides(row, "ko"),
            "Chinese": _both_sides(row, "zh"),
            "Kind": CROSSING_KINDS[row["kind"]],
            "Status": ROUTE_STATUSES[crossing_status_at(row, day)],
            "Since": since_label(change) if change is not None else "",
            "Sources": _publishers(change),
            "_order": (not drawn, geometry.x if drawn else 0.0, str(row["name"])),
        })
    table = pd.DataFrame(rows, columns=[*COLUMNS, "_order"])
    if len(table):
        table = table.iloc[sorted(range(len(table)), key=lambda i: table["_order"].iloc[i])]
    return table.drop(columns="_order").reset_index(drop=True)
