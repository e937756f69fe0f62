"""The dataset's vocabularies, each defined once: event types, map layers, route statuses, precisions, countries.

`EVENT_KINDS` is the one table of event types: each row gives a type's id, label, map layer, colour and
Font Awesome icon. Everything else derives from it: the schema's accepted values and labels
(geo.events.schema), the map's colours and icons (geo.map.style), the ingest rules (geo.ingest.rules), the
benchmarks' synthetic data (perf.bench). Code that means one type names it through the `EventType` enum
(`EventType.DEFECTION`), never by its id as text, so a typo fails at import and each id is written here
only. The same holds for layers (`Layer.TRADE_ROUTES`).

The mappings derived here (`EVENT_TYPES`, `EVENT_LAYER`, `LAYERS`, ...) are keyed by plain `str` ids,
so what they hand out is exactly what the data holds; `EventType` and `Layer` members are `str` too
(StrEnum), equal to and hashed as their ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class LayerKind:
    """A map layer: its id (in the data and the link) and its label (in the layer control and legend)."""

    id: str
    label: str


LAYER_KINDS: tuple[LayerKind, ...] = (
    LayerKind("trade_routes", "Trade routes"),
    LayerKind("worker_locations", "Worker locations"),
    LayerKind("incidents", "Incidents"),
)
"""Every map layer, in the order the map, its layer control and the legend list them."""

Layer = StrEnum("Layer", [(kind.id.upper(), kind.id) for kind in LAYER_KINDS])
"""A layer by name: `Layer.TRADE_ROUTES` is "trade_routes"."""


@dataclass(frozen=True)
class EventKind:
    """One event type: its id (in the data), label (for people), map layer, colour and Font Awesome icon."""

    id: str
    label: str
    layer: str
    colour: str
    icon: str


_ROUTES, _WORKERS, _INCIDENTS = (kind.id for kind in LAYER_KINDS)

EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("border_closure", "Border closure", _ROUTES, "#b71c1c", "ban"),
    EventKind("border_reopening", "Border reopening", _ROUTES, "#388e3c", "lock-open"),
    EventKind("rail_freight_resumption", "Rail freight resumption", _ROUTES, "#1565c0", "train"),
    EventKind("rail_freight_suspension", "Rail freight suspension", _ROUTES, "#5d4037", "train-subway"),
    EventKind("road_freight_resumption", "Road freight resumption", _ROUTES, "#00838f", "truck"),
    EventKind("customs_reopening", "Customs reopening", _ROUTES, "#2e7d32", "stamp"),
    EventKind("passenger_rail_resumption", "Passenger rail resumption", _ROUTES, "#0277bd", "train-tram"),
    EventKind("flight_resumption", "Flight resumption", _ROUTES, "#0097a7", "plane-arrival"),
    EventKind("tourism_resumption", "Tourism resumption", _ROUTES, "#c0ca33", "suitcase-rolling"),
    EventKind("tourism_suspension", "Tourism suspension", _ROUTES, "#9e9d24", "plane-slash"),
    EventKind("crossing_construction", "Crossing or bridge construction", _ROUTES, "#795548", "bridge"),
    EventKind("worker_deployment", "Worker deployment", _WORKERS, "#6a1b9a", "helmet-safety"),
    EventKind("worker_return", "Workers returning home", _WORKERS, "#8e24aa", "person-walking-luggage"),
    EventKind("worker_strike", "Workers' strike or unrest", _WORKERS, "#c2185b", "hand-fist"),
    EventKind("repatriation", "Repatriation", _INCIDENTS, "#4e342e", "rotate-left"),
    EventKind("defection", "Defection", _INCIDENTS, "#d84315", "person-running"),
    EventKind("disappearance", "Disappearance", _INCIDENTS, "#ad1457", "user-slash"),
    EventKind("escape", "Escape", _INCIDENTS, "#ef6c00", "door-open"),
    EventKind("detention", "Detention", _INCIDENTS, "#37474f", "handcuffs"),
    EventKind("extortion", "Extortion", _INCIDENTS, "#827717", "sack-dollar"),
    EventKind("surveillance", "Surveillance", _INCIDENTS, "#455a64", "eye"),
    # neutral grey (as an unknown route status): an imported type that maps to none of ours
    EventKind("unclassified", "Unclassified (imported, type not mapped)", _INCIDENTS, "#757575", "question"),
)
"""Every event type, in the order the sidebar, the legend and the charts list them."""

EventType = StrEnum("EventType", [(kind.id.upper(), kind.id) for kind in EVENT_KINDS])
"""An event type by name: `EventType.DEFECTION` is "defection"."""

EVENT_TYPES: dict[str, str] = {kind.id: kind.label for kind in EVENT_KINDS}
"""Each event type's label, by id, in table order."""
EVENT_LAYER: dict[str, str] = {kind.id: kind.layer for kind in EVENT_KINDS}
"""The map layer each event type belongs to (every type has exactly one)."""
LAYERS: dict[str, str] = {kind.id: kind.label for kind in LAYER_KINDS}
"""Each layer's label, by id, in table order."""

UNCLASSIFIED: str = EventType.UNCLASSIFIED.value
"""The type of an imported event whose source type maps to none of ours (an ACLED type with no match): kept,
never dropped, with its summary saying which type it had. Articles never produce it (geo.ingest.rules has no
rule for it)."""

ROUTE_STATUSES: dict[str, str] = {
    "closed": "Closed",
    "partially_resumed": "Partially resumed",
    "resumed": "Resumed",
    "unknown": "Unknown",
}
"""A route's or crossing's status, and its label."""

DATE_PRECISIONS = ("day", "month", "season", "year", "unknown")
"""How precisely a date is known, finest first."""
LOCATION_PRECISIONS = ("exact", "city", "region", "country", "unknown")
"""How precisely a place is known, finest first."""

FIGURE_QUALIFIERS: dict[str, str] = {
    "exactly": "", "about": "about ", "more than": "more than ", "at least": "at least ", "up to": "up to ",
    "fewer than": "fewer than ",
}
"""How a source qualifies a number, and how it reads before the number ("more than 500")."""

COUNTRY_NAMES: dict[str, str] = {"CN": "China", "KP": "North Korea", "KR": "South Korea", "RU": "Russia",
                                  "JP": "Japan"}
"""The countries the data names by ISO code, and how they are shown."""

assert set(EVENT_LAYER.values()) <= set(LAYERS), "every event type's layer is a layer of LAYER_KINDS"
assert len(EVENT_TYPES) == len(EVENT_KINDS), "each event type is one row of EVENT_KINDS"
