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

LAYER_SHAPE: dict[str, str] = {"trade_routes": "square", "worker_locations": "round", "incidents": "diamond"}
"""Each map layer's pin shape: with the type's colour and icon, the third thing that tells types apart."""


def icon_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background` ("#rrggbb") by WCAG's contrast ratio: the
    two are equal at relative luminance 0.179; black above it, white below."""
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "#000" if luminance > 0.179 else "#fff"
