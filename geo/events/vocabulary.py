"""The dataset's vocabularies, each defined once: event types, map layers, route statuses, precisions, countries.

`EVENT_KINDS` is the one table of event types: each row gives a type's id, label, map layer, colour and
Font Awesome icon. Everything else derives from it: the schema's accepted values and labels
(geo.events.schema), the map's colours and icons (geo.map.style), the ingest rules (geo.ingest.rules), the
benchmarks' synthetic data (perf.bench). Code that means one type names it through the `EventType` enum
(`EventType.DEFECTION`), never by its id as text, so a typo fails at import and each id is written here
only. The same holds for layers (`Layer.TRADE_ROUTES`).

Colours are told apart by readers with any colour vision. The palette is Okabe & Ito's eight
colours (vermillion, bluish green, blue, black, sky blue, reddish purple, yellow, orange; "Color Universal
Design", 2008) plus one dark grey, and a type is drawn as three things at once: its colour, its icon (one
per type) and its layer's pin shape (geo.map.style.LAYER_SHAPE: square for trade routes, round for
workers, diamond for incidents). Within one shape a colour serves at most two types, told apart by their
icons; any two different colours of one shape stay at least 15 CIE76 ΔE apart with normal vision and
under simulated protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, full
severity), so the pins of one layer never look alike at pin size (tests/test_vocabulary.py checks it).

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
    EventKind("border_closure", "Border closure", _ROUTES, "#D55E00", "ban"),
    EventKind("border_reopening", "Border reopening", _ROUTES, "#009E73", "lock-open"),
    EventKind("rail_freight_resumption", "Rail freight resumption", _ROUTES, "#0072B2", "train"),
    EventKind("rail_freight_suspension", "Rail freight suspension", _ROUTES, "#000000", "train-subway"),
    EventKind("road_freight_resumption", "Road freight resumption", _ROUTES, "#56B4E9", "truck"),
    EventKind("sea_freight_resumption", "Sea freight resumption", _ROUTES, "#0072B2", "ship"),
    EventKind("customs_reopening", "Customs reopening", _ROUTES, "#009E73", "stamp"),
    EventKind("passenger_rail_resumption", "Passenger rail resumption", _ROUTES, "#CC79A7", "train-tram"),
    EventKind("flight_resumption", "Flight resumption", _ROUTES, "#56B4E9", "plane-arrival"),
    EventKind("tourism_resumption", "Tourism resumption", _ROUTES, "#F0E442", "suitcase-rolling"),
    EventKind("tourism_suspension", "Tourism suspension", _ROUTES, "#E69F00", "plane-slash"),
    EventKind("crossing_construction", "Crossing or bridge construction", _ROUTES, "#666666", "bridge"),
    EventKind("worker_deployment", "Worker deployment", _WORKERS, "#0072B2", "helmet-safety"),
    EventKind("worker_return", "Workers returning home", _WORKERS, "#56B4E9", "person-walking-luggage"),
    EventKind("worker_strike", "Workers' strike or unrest", _WORKERS, "#D55E00", "hand-fist"),
    EventKind("repatriation", "Repatriation", _INCIDENTS, "#D55E00", "rotate-left"),
    EventKind("defection", "Defection", _INCIDENTS, "#E69F00", "person-running"),
    EventKind("disappearance", "Disappearance", _INCIDENTS, "#CC79A7", "user-slash"),
    EventKind("escape", "Escape", _INCIDENTS, "#009E73", "door-open"),
    EventKind("detention", "Detention", _INCIDENTS, "#000000", "handcuffs"),
    EventKind("extortion", "Extortion", _INCIDENTS, "#F0E442", "sack-dollar"),
    EventKind("surveillance", "Surveillance", _INCIDENTS, "#0072B2", "eye"),
    # neutral grey (as an unknown route status): an imported type that maps to none of ours
    EventKind("unclassified", "Unclassified (imported, type not mapped)", _INCIDENTS, "#666666", "question"),
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
    "fewer than": "fewer than ", "nearly": "nearly ",
}
"""How a source qualifies a number, and how it reads before the number ("more than 500"). `nearly` ("nearly 50",
"almost 50") is a little under the number, which `fewer than` and `about` would each misstate."""

COUNTRY_NAMES: dict[str, str] = {"CN": "China", "KP": "North Korea", "KR": "South Korea", "RU": "Russia",
                                  "JP": "Japan"}
"""The countries the data names by ISO code, and how they are shown."""

assert set(EVENT_LAYER.values()) <= set(LAYERS), "every event type's layer is a layer of LAYER_KINDS"
assert len(EVENT_TYPES) == len(EVENT_KINDS), "each event type is one row of EVENT_KINDS"
