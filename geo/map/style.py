"""Colours and icons: one per event type and route status, shared by the map, legend and chart."""

from __future__ import annotations

from typing import Any

# One colour and Font Awesome icon per event type; the legend is drawn from this same table.
EVENT_STYLE: dict[str, tuple[str, str]] = {
    "border_closure": ("#b71c1c", "ban"),
    "border_reopening": ("#388e3c", "lock-open"),
    "rail_freight_resumption": ("#1565c0", "train"),
    "rail_freight_suspension": ("#5d4037", "train-subway"),
    "road_freight_resumption": ("#00838f", "truck"),
    "customs_reopening": ("#2e7d32", "stamp"),
    "passenger_rail_resumption": ("#0277bd", "train-tram"),
    "flight_resumption": ("#0097a7", "plane-arrival"),
    "tourism_resumption": ("#c0ca33", "suitcase-rolling"),
    "tourism_suspension": ("#9e9d24", "plane-slash"),
    "crossing_construction": ("#795548", "bridge"),
    "worker_deployment": ("#6a1b9a", "helmet-safety"),
    "worker_return": ("#8e24aa", "person-walking-luggage"),
    "worker_strike": ("#c2185b", "hand-fist"),
    "repatriation": ("#4e342e", "rotate-left"),
    "defection": ("#d84315", "person-running"),
    "disappearance": ("#ad1457", "user-slash"),
    "escape": ("#ef6c00", "door-open"),
    "detention": ("#37474f", "handcuffs"),
    "extortion": ("#827717", "sack-dollar"),
    "surveillance": ("#455a64", "eye"),
    "unclassified": ("#757575", "question"),  # neutral grey (as an unknown route status): a type not mapped
}

# Route lines by status: closed is a wide red dashed band, resumed a solid green line.
STATUS_STYLE: dict[str, dict[str, Any]] = {
    "closed": {"color": "#c62828", "weight": 9, "opacity": 0.45, "dash_array": "10 8"},
    "partially_resumed": {"color": "#ef6c00", "weight": 5, "opacity": 0.95, "dash_array": "2 8"},
    "resumed": {"color": "#2e7d32", "weight": 5, "opacity": 0.95, "dash_array": None},
    "unknown": {"color": "#757575", "weight": 4, "opacity": 0.8, "dash_array": "1 6"},
}

# A point known only to city or region level is drawn as a translucent disc of this radius (metres)
# around it, so it does not look precise; 'exact' points get none; 'country' events are not drawn.
UNCERTAINTY_RADIUS_M: dict[str, int] = {"city": 15_000, "region": 75_000}
