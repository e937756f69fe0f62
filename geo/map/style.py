"""Colours and icons: one per event type and route status, shared by the map, legend and chart."""

from __future__ import annotations

from typing import Any

from geo.events.vocabulary import EVENT_KINDS

EVENT_STYLE: dict[str, tuple[str, str]] = {kind.id: (kind.colour, kind.icon) for kind in EVENT_KINDS}
"""One colour and Font Awesome icon per event type (from geo.events.vocabulary); the legend is drawn from it."""

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
