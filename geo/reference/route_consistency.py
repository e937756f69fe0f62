"""Do the routes' and crossings' status histories agree with the dated events that name them?

A route (an event with a `status_history`, drawn as a line) and a border crossing (data/crossings.geojson)
each carry a dated status. The dataset also holds dated events that say traffic stopped or ran again: a
rail freight suspension, a truck resumption, a customs reopening, the border closure. Such an event names a
route when it stands on the route's line (a point within NAMED_WITHIN_M of one of its vertices) or its place
is one of the places the route runs through (`via`), and carries what the route carries (rail freight, road
freight, passenger trains); it names a crossing when it stands at the crossing or its place is the crossing's
own or the only crossing of that town for that traffic. The border closure names every route and crossing.

An event's dates are its earliest and latest possible days (date_start, date_end); an event known only to
have happened by a day (no date_start) is held at that day, or at its earliest source's publication when
that comes first (the earliest credible report sets the date). The check asks that on some day of that
span the history gives a status the event allows: closed for a closure or suspension, partially resumed or
resumed for a resumption. A suspension of one traffic at a crossing that carries others says nothing of the
crossing. `history_conflicts` returns one sentence per disagreement, naming route or crossing, its status
and the event.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geo.events.schema import status_on
from geo.events.vocabulary import EVENT_TYPES, ROUTE_STATUSES, EventType

NAMED_WITHIN_M = 1_000  # an event point this close to a route's vertex or a crossing stands on it

RAIL_FREIGHT, ROAD_FREIGHT, PASSENGER_RAIL, PASSENGER_ROAD = "rail freight", "road freight", "passenger trains", \
    "passenger road traffic"
EVERY_TRAFFIC = frozenset({RAIL_FREIGHT, ROAD_FREIGHT, PASSENGER_RAIL, PASSENGER_ROAD})
CROSSING_TRAFFIC: dict[str, frozenset[str]] = {
    "rail": frozenset({RAIL_FREIGHT, PASSENGER_RAIL}),
    "road": frozenset({ROAD_FREIGHT, PASSENGER_ROAD}),
    "both": EVERY_TRAFFIC,
}
"""What a crossing of each kind (geo.reference.crossings.CROSSING_KINDS) carries."""

OPEN, CLOSED = "open", "closed"
ALLOWED: dict[str, frozenset[str]] = {OPEN: frozenset({"partially_resumed", "resumed"}),
                                      CLOSED: frozenset({"closed"})}
"""The statuses a route or crossing may have while an event of each effect holds."""


@dataclass(frozen=True)
class Effect:
    """What an event type says of the traffic it names: `effect` (OPEN or CLOSED) on `traffic`."""

    effect: str
    traffic: frozenset[str]


EFFECTS: dict[str, Effect] = {
    EventType.BORDER_CLOSURE: Effect(CLOSED, EVERY_TRAFFIC),
    EventType.RAIL_FREIGHT_SUSPENSION: Effect(CLOSED, frozenset({RAIL_FREIGHT})),
    EventType.RAIL_FREIGHT_RESUMPTION: Effect(OPEN, frozenset({RAIL_FREIGHT})),
    EventType.ROAD_FREIGHT_RESUMPTION: Effect(OPEN, frozenset({ROAD_FREIGHT})),
    EventType.CUSTOMS_REOPENING: Effect(OPEN, frozenset({RAIL_FREIGHT, ROAD_FREIGHT})),
    EventType.PASSENGER_RAIL_RESUMPTION: Effect(OPEN, frozenset({PASSENGER_RAIL})),
    EventType.BORDER_REOPENING: Effect(OPEN, frozenset({PASSENGER_ROAD})),
}
"""The event types that say a route or crossing closed or ran again; other types say nothing of its status."""


@dataclass(frozen=True)
class Holder:
    """A route or a crossing with its status history: what it carries, where it runs and what it is called."""

    kind: str  # "route" or "crossing"
    id: str
    name: str
    history: Sequence[Mapping[str, Any]]
    traffic: frozenset[str]
    positions: tuple[tuple[float, float], ...]  # (lon, lat)
    places: Mapping[str, frozenset[str]]  # the places an event may name it by, and for which traffic


@dataclass(frozen=True)
class Conflict:
    """A history that disagrees with an event naming it, and the sentence that says so."""

    holder: str
    event: str
    status: str
    message: str


def _positions(geometry: Mapping[str, Any] | None) -> tuple[tuple[float, float], ...]:
    """Every [lon, lat] position of a GeoJSON geometry, however deeply nested; none for null."""
    def walk(value: Any) -> Iterator[tuple[float, float]]:
        if isinstance(value, (list, tuple)) and len(value) >= 2 and all(isinstance(v, (int, float)) for v in value):
            yield float(value[0]), float(value[1])
        elif isinstance(value, (list, tuple)):
            for part in value:
                yield from walk(part)
    return tuple(walk((geometry or {}).get("coordinates")))


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) positions, in metres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _near(points: Iterable[tuple[float, float]], others: Iterable[tuple[float, float]]) -> bool:
    others = tuple(others)
    return any(_metres(p, q) <= NAMED_WITHIN_M for p in points for q in others)


def route_traffic(event_type: str) -> frozenset[str]:
    """What a route carries, read from its own event type (a rail freight resumption's line carries rail
    freight); nothing for a type that says nothing of traffic."""
    effect = EFFECTS.get(event_type)
    return effect.traffic if effect else frozenset()


def route_holders(events: Mapping[str, Any]) -> list[Holder]:
    """The routes of a parsed events FeatureCollection: every feature with a status history."""
    holders = []
    for feature in events.get("features") or ():
        props = feature.get("properties") or {}
        if not props.get("status_history"):
            continue
        traffic = route_traffic(str(props.get("event_type")))
        places = {name: traffic for line in props.get("via") or () for name in line}
        holders.append(Holder("route", str(props.get("id")), str(props.get("title")), props["status_history"],
                              traffic, _positions(feature.get("geometry")), places))
    return holders


def crossing_holders(crossings: Mapping[str, Any]) -> list[Holder]:
    """The crossings of a parsed crossings FeatureCollection. A crossing is named by its own name and place,
    and by the town on either side for the traffic no other crossing of that town carries (a rail event at
    Dandong names the one rail bridge there; a road event there could mean either bridge, and names neither)."""
    rows = [feature.get("properties") or {} for feature in crossings.get("features") or ()]
    towns: dict[tuple[str, str], int] = {}
    for props in rows:
        for side in ("china_side", "dprk_side"):
            for traffic in CROSSING_TRAFFIC[props["kind"]]:
                key = (props[side]["en"], traffic)
                towns[key] = towns.get(key, 0) + 1
    holders = []
    for feature, props in zip(crossings.get("features") or (), rows, strict=True):
        traffic = CROSSING_TRAFFIC[props["kind"]]
        places = {town: frozenset(t for t in traffic if towns[(town, t)] == 1)
                  for town in (props[side]["en"] for side in ("china_side", "dprk_side"))}
        places |= {name: traffic for name in (props["name"], props.get("place")) if name}
        holders.append(Holder("crossing", str(props["id"]), str(props["name"]), props["status_history"], traffic,
                              _positions(feature.get("geometry")), places))
    return holders


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def event_span(props: Mapping[str, Any]) -> tuple[dt.date, dt.date] | None:
    """The days on which an event may have held: from its earliest to its latest possible day. An event
    known only by a day (no date_start) is held at that day, or at its earliest source's publication if that
    is earlier. None for an undated event."""
    start, end = _day(props.get("date_start")), _day(props.get("date_end"))
    if start is None and end is None:
        return None
    if start is None:
        published = [d for d in (_day(s.get("published")) for s in props.get("sources") or ()) if d]
        by = min([end, *published])  # type: ignore[list-item]
        return by, by
    return start, end or start


def statuses_during(history: Sequence[Mapping[str, Any]], first: dt.date, last: dt.date) -> list[str]:
    """The statuses a history gives on the days from `first` to `last` (inclusive), in order; "none" where
    the history has not begun."""
    seen = [status_on(history, first) or "none"]
    seen += [str(change["status"]) for change in history if first < _day(change["since"]) <= last]  # type: ignore[operator]
    return seen


def _names(holder: Holder, props: Mapping[str, Any], geometry: Mapping[str, Any] | None) -> bool:
    if props.get("id") == holder.id:
        return True
    effect = EFFECTS[props["event_type"]]
    if not effect.traffic & holder.traffic:
        return False
    if props["event_type"] == EventType.BORDER_CLOSURE:
        return True  # the closure seals the whole border
    if effect.traffic & holder.places.get(str(props.get("place") or ""), frozenset()):
        return True
    return bool(holder.positions) and _near(_positions(geometry), holder.positions)


def _span_words(first: dt.date, last: dt.date) -> str:
    return f"on {first}" if first == last else f"from {first} to {last}"


def history_conflicts(holders: Iterable[Holder], events: Mapping[str, Any]) -> list[Conflict]:
    """Every disagreement between the holders' histories and the dated events of a parsed events
    FeatureCollection that name them (module docstring); empty when all agree."""
    conflicts = []
    dated = [(f.get("properties") or {}, f.get("geometry")) for f in events.get("features") or ()]
    dated = [(p, g) for p, g in dated if p.get("event_type") in EFFECTS and event_span(p)]
    for holder in holders:
        for props, geometry in dated:
            if not _names(holder, props, geometry):
                continue
            first, last = event_span(props)  # type: ignore[misc]
            effect = EFFECTS[props["event_type"]]
            # An event of one traffic only closes a crossing that carries nothing else.
            if effect.effect == CLOSED and holder.kind == "crossing" and not holder.traffic <= effect.traffic:
                continue
            seen = statuses_during(holder.history, first, last)
            if ALLOWED[effect.effect] & set(seen):
                continue
            words = " then ".join(dict.fromkeys(ROUTE_STATUSES.get(s, "not yet begun").lower() for s in seen))
            said = "was closed" if effect.effect == CLOSED else "ran again"
            conflicts.append(Conflict(holder.id, str(props["id"]), seen[-1], (
                f"The {holder.kind} {holder.name!r} ({holder.id}) is {words} {_span_words(first, last)}, but "
                f"the {EVENT_TYPES[props['event_type']].lower()} event {props['id']} ({_span_words(first, last)}) "
                f"says it {said}.")))
    return conflicts


def dataset_conflicts(events: Mapping[str, Any], crossings: Mapping[str, Any]) -> list[Conflict]:
    """history_conflicts of every route in `events` and every crossing in `crossings` (both parsed
    FeatureCollections) against the events."""
    return history_conflicts([*route_holders(events), *crossing_holders(crossings)], events)
