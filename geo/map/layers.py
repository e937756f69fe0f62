"""The event layers: one FeatureGroup per map layer (geo.events.schema.LAYERS), each located event drawn
as a pin (with a disc where its location is known only roughly) or a route line in its status's style.

Up to COMPACT_ABOVE located events each gets its own pin, popup and tooltip. Above it the events are
one binary pack (geo.map.pack) drawn by static/js/geopack.js (geo.map.canvas): an exported map embeds
the pack (`event_layers`); the dashboard's base map fetches it once and each rerun sends only masks
(geo.map.mapview).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element
from shapely.geometry import LineString, MultiLineString

from geo.events.dataset import located_mask, records
from geo.events.schema import LAYERS
from geo.map.canvas import embedded_layers
from geo.map.folium_parts import derived_id, set_id, stable_ids
from geo.map.popups import popup_html, tooltip_text
from geo.map.style import EVENT_STYLE, STATUS_STYLE, UNCERTAINTY_RADIUS_M

__all__ = ["COMPACT_ABOVE", "PIN_SIZE", "drawing_order", "event_elements", "event_layers", "layer_groups",
           "pin_html"]

COMPACT_ABOVE = 2_000  # located events; above this the map draws them from one binary pack (WebGL)
PIN_SIZE = 26


def pin_html(event_type: str, size: int = PIN_SIZE) -> str:
    """The round coloured badge with the event type's icon (used on the map and in the legend)."""
    color, icon = EVENT_STYLE[event_type]
    return (f'<div class="geo-pin" style="background:{color};width:{size}px;height:{size}px">'
            f'<i class="fa-solid fa-{icon}"></i></div>')


def _latlon_lines(geometry: LineString | MultiLineString) -> list[list[tuple[float, float]]]:
    parts = geometry.geoms if isinstance(geometry, MultiLineString) else [geometry]
    return [[(y, x) for x, y in part.coords] for part in parts]


def _route_line(row: dict[str, Any]) -> folium.PolyLine:
    style = STATUS_STYLE[row["status"]]
    return folium.PolyLine(
        _latlon_lines(row["geometry"]),
        color=style["color"], weight=style["weight"], opacity=style["opacity"],
        dash_array=style["dash_array"],
        class_name=f"geo-route geo-route-{row['status']}",
        tooltip=folium.Tooltip(tooltip_text(row)),
        popup=folium.Popup(popup_html(row), max_width=340, lazy=True),  # parsed when first opened
    )


def _uncertainty(row: dict[str, Any]) -> folium.Circle | None:
    """A translucent disc showing how far the true location may be from a city- or region-level point."""
    radius = UNCERTAINTY_RADIUS_M.get(row["location_precision"])
    if radius is None:
        return None
    colour = EVENT_STYLE[row["event_type"]][0]
    return folium.Circle((row["geometry"].y, row["geometry"].x), radius=radius, color=colour, weight=1,
                         opacity=0.5, fill=True, fill_color=colour, fill_opacity=0.12, interactive=False,
                         class_name=f"geo-uncertainty geo-uncertainty-{row['location_precision']}")


def _pin(row: dict[str, Any], offset: int) -> folium.Marker:
    """A pin at the event's point; co-located pins stack upwards on screen, not in space."""
    point = row["geometry"]
    half = PIN_SIZE // 2
    return folium.Marker(
        (point.y, point.x),
        icon=folium.DivIcon(html=pin_html(row["event_type"]), icon_size=(PIN_SIZE, PIN_SIZE),
                            icon_anchor=(half, half + offset * (PIN_SIZE + 2)),
                            class_name=f"geo-event geo-{row['event_type']}"),
        tooltip=folium.Tooltip(tooltip_text(row)),
        popup=folium.Popup(popup_html(row), max_width=340, lazy=True),  # parsed when first opened
    )


def event_layers(frame: gpd.GeoDataFrame) -> list[folium.FeatureGroup]:
    """One FeatureGroup per map layer (always all three, possibly empty) holding the located rows.

    Rows without geometry are skipped: they are listed beside the map, never placed. Up to
    COMPACT_ABOVE located events every event gets its own pin, popup and tooltip. Above it the first
    group (not in the layer control) carries the binary pack of exactly these rows, base64, and the
    three layer groups are masks over it (geo.map.canvas.embedded_layers): a self-contained map for
    exports. The dashboard instead fetches the pack once and sends masks over it (geo.map.mapview.map_parts).
    """
    located = frame[located_mask(frame)]
    if len(located) > COMPACT_ABOVE:
        return embedded_layers(located)
    groups = layer_groups()
    for row, offset in drawing_order(located):
        for element in event_elements(row, offset):
            element.add_to(groups[row["layer"]])
    for layer, group in groups.items():
        stable_ids(group, layer)
    return list(groups.values())


def layer_groups(kind: type[folium.FeatureGroup] = folium.FeatureGroup) -> dict[str, folium.FeatureGroup]:
    """The three event layers' empty groups (of class `kind`), each named for the layer control and
    with an id derived from the layer, keyed by layer."""
    groups = {layer: kind(name=label, show=True) for layer, label in LAYERS.items()}
    for layer, group in groups.items():
        set_id(group, derived_id(layer))
    return groups


def drawing_order(located: gpd.GeoDataFrame) -> list[tuple[dict[str, Any], int | None]]:
    """The located rows in the order they are drawn, each with its pin's stack offset (None for lines).

    Lines first, closures first, so resumed routes are drawn on top of the closure band; pins at the
    same point stack upwards on screen (offset 0, 1, …) in this order."""
    seen_points: Counter[tuple[float, float]] = Counter()
    order = located.assign(_line=located.geometry.geom_type != "Point",
                           _closed=located["status"].eq("closed"))
    order = order.sort_values(["_line", "_closed"], ascending=[False, False])
    planned: list[tuple[dict[str, Any], int | None]] = []
    for row in records(order):
        if row["geometry"].geom_type == "Point":
            key = (round(row["geometry"].x, 5), round(row["geometry"].y, 5))
            planned.append((row, seen_points[key]))
            seen_points[key] += 1
        else:
            planned.append((row, None))
    return planned


def event_elements(row: dict[str, Any], offset: int | None) -> list[Element]:
    """What one located event draws: its uncertainty disc (if any) and pin at stack `offset`, or its
    route line (offset None)."""
    if offset is None:
        return [_route_line(row)]
    disc = _uncertainty(row)
    return [*([disc] if disc is not None else []), _pin(row, offset)]
