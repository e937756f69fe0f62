"""The event layers: one FeatureGroup per map layer (geo.events.schema.LAYERS), each located event drawn
as a pin (with a disc where its location is known only roughly) or a route line in its status's style.

Up to COMPACT_ABOVE located events each gets its own pin, popup and tooltip, at its event's place. The pins
of the three layers cluster together (static/js/geoclusters.js: each layer is an `EventLayer` whose pins go
to the map's one Leaflet.markercluster group), a cluster showing its count and spreading out on click or
zoom; route lines are not clustered, and the discs sit in their own pane below them. Above it the events are
one binary pack (geo.map.pack) drawn by static/js/geopack.js (geo.map.canvas): an exported map embeds the
pack (`event_layers`); the dashboard's base map fetches it once and each rerun sends only masks
(geo.map.mapview).
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element
from shapely.geometry import LineString, MultiLineString, Point

from geo.events.dataset import located_mask, records
from geo.events.schema import EVENT_LAYER, EVENT_TYPES, LAYERS, POINT_TYPES
from geo.map.canvas import embedded_layers
from geo.map.folium_parts import derived_id, set_id, stable_ids, with_script
from geo.map.popups import POPUP_WIDTH, popup_html, tooltip_text
from geo.map.style import EVENT_STYLE, LAYER_SHAPE, STATUS_STYLE, UNCERTAINTY_RADIUS_M, icon_colour
from geo.report.details import when_label
from geo.report.markup import escape

__all__ = ["COMPACT_ABOVE", "DISC_PANE", "PIN_SIZE", "EventLayer", "drawing_order", "event_elements",
           "event_layers", "layer_groups", "pin_html", "pin_label"]

COMPACT_ABOVE = 2_000  # located events; above this the map draws them from one binary pack (WebGL)
PIN_SIZE = 26
DISC_PANE = "geo-discs"  # made by static/js/geoclusters.js, below the route lines and the markers

_SHAPE_CSS = {
    "round": "border-radius:50%",
    "square": "border-radius:3px",
    "diamond": "border-radius:3px;transform:rotate(45deg) scale(.84)",
}


def pin_html(event_type: str, size: int = PIN_SIZE, label: str | None = None) -> str:
    """The event type's pin: its colour, its icon and its layer's shape (geo.map.style.LAYER_SHAPE), styled
    inline so it draws the same on the map, in the legend and anywhere on the page (Font Awesome loaded).
    With `label` (already escaped) it is an image of that name for screen readers; without, it is hidden
    from them (the legend writes the type's name beside it)."""
    colour, icon = EVENT_STYLE[event_type]
    shape = LAYER_SHAPE[EVENT_LAYER[event_type]]
    turn = "transform:rotate(-45deg);" if shape == "diamond" else ""
    named = f'role="img" aria-label="{label}"' if label is not None else 'aria-hidden="true"'
    return (f'<div class="geo-pin" data-shape="{shape}" {named} style="background:{colour};color:{icon_colour(colour)};'
            f'width:{size}px;height:{size}px;{_SHAPE_CSS[shape]}">'
            f'<i class="fa-solid fa-{icon}" style="{turn}"></i></div>')


def pin_label(row: dict[str, Any]) -> str:
    """A pin's accessible name, escaped: 'Defection: <title>, <date>'."""
    return escape(f"{EVENT_TYPES[row['event_type']]}: {row['title']}, {when_label(row)}")


@with_script("""
    var {{ this.get_name() }} = L.geoEventLayer(
        {{ this.options|tojavascript }}
    );
""")
class EventLayer(folium.FeatureGroup):
    """An event layer whose pins join the map's clusters (L.GeoEventLayer of static/js/geoclusters.js,
    which the base map loads); its lines and discs are drawn as in a FeatureGroup."""


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
        popup=_popup(row),
    )


def _points(row: dict[str, Any]) -> list[Point]:
    """Where an event's pins go: its Point, or each point of its MultiPoint (an event at several crossings)."""
    geometry = row["geometry"]
    return list(geometry.geoms) if geometry.geom_type == "MultiPoint" else [geometry]


def _uncertainty(row: dict[str, Any], point: Point) -> folium.Circle | None:
    """A translucent disc showing how far the true location may be from a city- or region-level point."""
    radius = UNCERTAINTY_RADIUS_M.get(row["location_precision"])
    if radius is None:
        return None
    colour = EVENT_STYLE[row["event_type"]][0]
    # Opaque in a faint pane (static/js/geoclusters.js): overlapping discs do not add up to a dark blot.
    disc = folium.Circle((point.y, point.x), radius=radius, color=colour, weight=2,
                         opacity=1, fill=True, fill_color=colour, fill_opacity=1, interactive=False,
                         class_name=f"geo-uncertainty geo-uncertainty-{row['location_precision']}")
    disc.options["pane"] = DISC_PANE  # folium 0.20's Circle drops a `pane` argument
    disc.options["interactive"] = False
    return disc


def _popup(row: dict[str, Any]) -> folium.Popup:
    """The short popup, narrow enough for a phone, panned clear of the map's edges and controls."""
    return folium.Popup(popup_html(row), max_width=POPUP_WIDTH, lazy=True,  # parsed when first opened
                        auto_pan_padding_top_left=(10, 60), auto_pan_padding_bottom_right=(10, 20))


def _pin(row: dict[str, Any], point: Point) -> folium.Marker:
    """A pin exactly at one of the event's points (co-located pins cluster), out of the tab order (the map is
    one tab stop: static/js/mapkeys.js moves through the events) and named for screen readers."""
    half = PIN_SIZE // 2
    return folium.Marker(
        (point.y, point.x),
        icon=folium.DivIcon(html=pin_html(row["event_type"], label=pin_label(row)), icon_size=(PIN_SIZE, PIN_SIZE),
                            icon_anchor=(half, half), class_name=f"geo-event geo-{row['event_type']}"),
        tooltip=folium.Tooltip(tooltip_text(row)),
        popup=_popup(row),
        keyboard=False,
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


def layer_groups(kind: type[folium.FeatureGroup] = EventLayer) -> dict[str, folium.FeatureGroup]:
    """The three event layers' empty groups (of class `kind`), each named for the layer control and
    with an id derived from the layer, keyed by layer."""
    groups = {layer: kind(name=label, show=True) for layer, label in LAYERS.items()}
    for layer, group in groups.items():
        set_id(group, derived_id(layer))
    return groups


def drawing_positions(frame: gpd.GeoDataFrame, shown: np.ndarray | None = None,
                      statuses: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The positions in `frame` of its located rows (those where `shown` is true, default all) in the order
    they are drawn, and for each whether it is a line. Lines first, closures first (by `statuses`, default the
    rows' own), so resumed routes are drawn on top of the closure band; the order is otherwise the frame's."""
    placed = located_mask(frame).to_numpy()
    if shown is not None:
        placed = placed & np.asarray(shown, dtype=bool)
    positions = np.flatnonzero(placed)
    line = ~np.isin(frame.geometry.geom_type.to_numpy()[positions], list(POINT_TYPES))
    closed = (frame["status"] if statuses is None else statuses).to_numpy()[positions] == "closed"
    order = np.lexsort((~closed, ~line))  # stable: the last key sorts first
    return positions[order], line[order]


def drawing_order(located: gpd.GeoDataFrame) -> list[tuple[dict[str, Any], int | None]]:
    """The located rows in the order they are drawn (`drawing_positions`), each with 0 for a pin or None for a
    line. Pins are not offset: each is at its event's point, and co-located pins cluster."""
    positions, lines = drawing_positions(located)
    return [(row, None if line else 0) for row, line in zip(records(located.iloc[positions]), lines, strict=True)]


def event_elements(row: dict[str, Any], offset: int | None) -> list[Element]:
    """What one located event draws: at each of its points (one, or a MultiPoint's several) its uncertainty
    disc (if any) and a pin with the same popup (`offset` 0); or its route line (`offset` None)."""
    if offset is None:
        return [_route_line(row)]
    discs = [disc for point in _points(row) if (disc := _uncertainty(row, point)) is not None]
    return [*discs, *(_pin(row, point) for point in _points(row))]
