"""Whether a candidate reports an event the dataset already has: then it is corroboration, not a duplicate.

A candidate matches an existing event when all three hold:
- compatible types: the same type, or two of a family a second report often words differently
  (a disappearance later reported as a defection or an escape; a repatriation and a detention before it);
- the same or a nearby place: the same `place`, or points within MATCH_KM; an event without a place
  matches only another without a place in the same country (or with no country);
- overlapping dates: their possible-date intervals overlap, widened by MATCH_DAYS so that "on Monday"
  and "this week" in two reports still meet; an event known only by its latest day ("by February
  2023") is taken to lie within OPEN_START_DAYS before it, not at any time before (which would match
  every earlier event), and one with no end is taken as OPEN_START_DAYS after its start.
Points and lines are compared by their nearest points (a pin at Dandong is on the Dandong–Sinuiju line).
The best match is the one with the same type, then the same place, then the closest dates (the
latest possible days when a start is unknown). It is only an offer: the reviewer can add it as a new
event instead.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo.events.vocabulary import EventType

MATCH_KM = 50.0
MATCH_DAYS = 7
OPEN_START_DAYS = 90
E = EventType
FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({E.DISAPPEARANCE, E.DEFECTION, E.ESCAPE}),
    frozenset({E.REPATRIATION, E.DETENTION}),
    frozenset({E.WORKER_RETURN, E.REPATRIATION}),
    frozenset({E.BORDER_REOPENING, E.CUSTOMS_REOPENING, E.ROAD_FREIGHT_RESUMPTION}),
)
"""Event types a second report often words differently (StrEnum members: equal to their ids)."""


def compatible(a: str, b: str) -> bool:
    """Whether two event types can describe the same event."""
    return a == b or any(a in family and b in family for family in FAMILIES)


def _day(text: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(text)[:10]) if text else None


def _interval(props: dict[str, Any]) -> tuple[dt.date, dt.date]:
    start, end = _day(props.get("date_start")), _day(props.get("date_end"))
    if start is None and end is None:
        return dt.date.min, dt.date.max
    open_span = dt.timedelta(days=OPEN_START_DAYS)
    return start or end - open_span, end or start + open_span


def dates_overlap(a: dict[str, Any], b: dict[str, Any], slack_days: int = MATCH_DAYS) -> bool:
    """Whether the two events' possible dates overlap, each widened by `slack_days`."""
    (a0, a1), (b0, b1) = _interval(a), _interval(b)
    slack = dt.timedelta(days=slack_days)

    def widen(day: dt.date, by: dt.timedelta) -> dt.date:
        return day if day in (dt.date.min, dt.date.max) else day + by

    return widen(a0, -slack) <= widen(b1, slack) and widen(b0, -slack) <= widen(a1, slack)


def _shape(geometry: Any) -> BaseGeometry | None:
    if not geometry:
        return None
    return shape(geometry) if isinstance(geometry, dict) else geometry


def km_apart(a: BaseGeometry, b: BaseGeometry) -> float:
    """Distance in km between the nearest points of two geometries (points or lines, lon/lat)."""
    near_a, near_b = nearest_points(a, b)
    return km_between((near_a.x, near_a.y), (near_b.x, near_b.y))


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km (haversine on a 6,371 km sphere)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def same_place(a: dict[str, Any], a_geometry: Any, b: dict[str, Any], b_geometry: Any) -> bool:
    """Same named place, or points within MATCH_KM; two unplaced events only within one country."""
    if a.get("place") and a.get("place") == b.get("place"):
        return True
    pa, pb = _shape(a_geometry), _shape(b_geometry)
    if pa is not None and pb is not None:
        return km_apart(pa, pb) <= MATCH_KM
    if not a.get("place") and not b.get("place") and pa is None and pb is None:
        return (a.get("country") or None) == (b.get("country") or None) or not (a.get("country") and b.get("country"))
    return False


def find_match(candidate: dict[str, Any], existing: Iterable[dict[str, Any]]) -> str | None:
    """The id of the existing event (a GeoJSON feature) the candidate feature reports, or None."""
    props, geometry = candidate["properties"], candidate.get("geometry")
    best: tuple[tuple[int, int, int], str] | None = None
    for feature in existing:
        other = feature["properties"]
        if other.get("id") == props.get("id") or not compatible(props["event_type"], other["event_type"]):
            continue
        if not same_place(props, geometry, other, feature.get("geometry")) or not dates_overlap(props, other):
            continue
        end = 1 if not (props.get("date_start") and other.get("date_start")) else 0  # compare ends if a start is open
        gap = abs(_interval(props)[end].toordinal() - _interval(other)[end].toordinal())
        same_place_name = bool(props.get("place")) and props.get("place") == other.get("place")
        rank = (props["event_type"] != other["event_type"], not same_place_name, gap)
        if best is None or rank < best[0]:
            best = (rank, other["id"])
    return best[1] if best else None


def mark_matches(candidates: dict[str, Any], existing: Iterable[dict[str, Any]]) -> int:
    """Set `matches` on every candidate that reports an existing event; returns how many do."""
    existing = list(existing)
    marked = 0
    for feature in candidates["features"]:
        match = find_match(feature, existing)
        if match:
            feature["properties"]["matches"] = match
            marked += 1
    return marked
