"""What changed on the map since the month shown before, in one plain line: the caption the story shows as it plays.

The line counts the events that began in those months (naming at most two, earliest first) and names the trade
routes whose status changed, by the places they join and what runs on them ("Dandong–Sinuiju rail freight").
It is plain text holding dataset text (titles, place names): escape it where it is shown
(geo.report.markup.markdown_text or html_text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.events.nested import nonempty
from geo.events.vocabulary import ROUTE_STATUSES, EventType
from geo.view.time import as_of_mask

MapDay = tuple[np.ndarray, Any]
"""geo.view.time.as_of_mask's answer for a day: which rows are on the map then, and every row's status then."""
TITLES = 2  # event titles a caption names at most
ROUTES = 3  # route names a caption gives for one status at most
TITLE_CHARS = 100  # a longer title is cut, with "…"
NOTHING = "nothing new reported."
ROUTE_WHAT: dict[str, str] = {
    EventType.BORDER_CLOSURE: "border crossings", EventType.BORDER_REOPENING: "border crossings",
    EventType.RAIL_FREIGHT_RESUMPTION: "rail freight", EventType.RAIL_FREIGHT_SUSPENSION: "rail freight",
    EventType.ROAD_FREIGHT_RESUMPTION: "road freight", EventType.CUSTOMS_REOPENING: "customs",
    EventType.PASSENGER_RAIL_RESUMPTION: "passenger trains", EventType.FLIGHT_RESUMPTION: "flights",
    EventType.TOURISM_RESUMPTION: "tourism", EventType.TOURISM_SUSPENSION: "tourism",
    EventType.CROSSING_CONSTRUCTION: "crossing",
}
"""What runs on a route, by the event type of the row that carries its status history."""
STATUS_WORDS = {"closed": "closed", "partially_resumed": "partly resumed", "resumed": "resumed",
                "unknown": "of unknown status"}


def route_name(row: Mapping[str, Any]) -> str:
    """A route in plain words: the places each of its lines joins ("Dandong–Sinuiju"; several lines joined by
    "and") and what runs on it ("rail freight"); its title when it names no places."""
    joins = list(dict.fromkeys(f"{line[0]}–{line[-1]}" for line in row.get("via") or () if len(line) >= 2))
    if not joins:
        return _cut(str(row.get("title") or "A route"))
    places = joins[0] if len(joins) == 1 else ", ".join(joins[:-1]) + " and " + joins[-1]
    what = ROUTE_WHAT.get(str(row.get("event_type")), "route")
    return f"{places} {what}"


def months_label(first: dt.date, last: dt.date) -> str:
    """The months from `first` to `last` in words: "October 2023", "September–October 2023",
    "December 2022–January 2023"."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{last:%B %Y}"
    if first.year == last.year:
        return f"{first:%B}–{last:%B %Y}"
    return f"{first:%B %Y}–{last:%B %Y}"


def _cut(title: str) -> str:
    """The title on one line, cut after its last whole word within TITLE_CHARS (with "…") when longer."""
    title = " ".join(title.split())
    if len(title) <= TITLE_CHARS:
        return title
    head = title[:TITLE_CHARS - 1]
    head = head[:head.rfind(" ")] if " " in head else head
    return head.rstrip(" ,;:–-(") + "…"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "…", "?", "!")) else text + "."


def _names(names: Sequence[str], most: int, more: str) -> str:
    shown = list(names[:most])
    rest = len(names) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more {more}{'s' * (rest > 1)}"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _events_part(frame: gpd.GeoDataFrame, rows: np.ndarray) -> str | None:
    if not len(rows):
        return None
    picked = frame.iloc[rows]
    first = picked["date_start"].fillna(picked["date_end"]).fillna("")
    order = np.lexsort((picked["title"].fillna("").to_numpy(dtype=object).astype(str),
                        first.to_numpy(dtype=object).astype(str)))
    titles = [_cut(str(title)) for title in picked["title"].iloc[order[:TITLES]]]
    rest = len(rows) - len(titles)
    began = f"{len(rows):,} event{'s' * (len(rows) > 1)} began"
    return _sentence(f"{began} — {'; '.join(titles)}" + (f"; {rest:,} more" if rest else ""))


def _routes_part(frame: gpd.GeoDataFrame, rows: np.ndarray, status_now: np.ndarray) -> list[str]:
    by_status: dict[str, list[str]] = {}
    for row in rows:
        record = frame.iloc[row]
        by_status.setdefault(str(status_now[row]), []).append(route_name(record))
    parts = []
    for status in [*ROUTE_STATUSES, *sorted(set(by_status) - set(ROUTE_STATUSES))]:
        if names := by_status.get(status):
            word = STATUS_WORDS.get(status, status.replace("_", " "))
            parts.append(f"{'Routes' if len(names) > 1 else 'Route'} {word}: {_names(names, ROUTES, 'route')}.")
    return parts


def month_caption(frame: gpd.GeoDataFrame, keep: np.ndarray, since_day: dt.date | None, day: dt.date,
                  map_date: Callable[[dt.date], MapDay] | None = None) -> str:
    """One plain line saying what changed on the map from the day after `since_day` to `day` among the rows
    `keep` marks (the filters' mask over `frame`, the validated events): how many events began then and the
    first two of them by date, then the routes whose status changed (or that first appeared) by their new
    status. "<months>: nothing new reported." when nothing did.

    `since_day`: the map date shown before (None, or not before `day`: only `day`'s own month is told).
    `map_date(day)`: geo.view.time.as_of_mask of `frame` on a day (the page passes its cached one).
    """
    if since_day is None or since_day >= day:
        since_day = day.replace(day=1) - dt.timedelta(days=1)
    map_date = map_date or (lambda on: as_of_mask(frame, on))
    on_before, status_before = map_date(since_day)
    on_now, status_now = map_date(day)
    keep, on_before, on_now = (np.asarray(mask, dtype=bool) for mask in (keep, on_before, on_now))
    status_before, status_now = np.asarray(status_before, dtype=object), np.asarray(status_now, dtype=object)
    appeared = np.flatnonzero(keep & on_now & ~on_before)
    is_route = nonempty(frame["status_history"].iloc[appeared])
    both_missing = pd.isna(status_before) & pd.isna(status_now)
    changed = np.flatnonzero(keep & on_now & on_before & (status_before != status_now) & ~both_missing)
    parts = [part for part in [_events_part(frame, appeared[~is_route])] if part]
    parts += _routes_part(frame, np.sort(np.concatenate([appeared[is_route], changed])), status_now)
    label = months_label(since_day + dt.timedelta(days=1), day)
    return f"{label}: {' '.join(parts) if parts else NOTHING}"
