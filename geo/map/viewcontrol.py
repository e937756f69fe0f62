"""A map control with two buttons, and the view the map opens on.

The map opens framed on the China–DPRK border (`border`), where the routes, the crossings and the founding
places (Dandong, Sinuiju, Tumen, Hunchun, Rason) are, so their labels can be read; fitted to every event
(Kunming and Shanghai included) the border would be a strip at the top. The script leaves room beside the
frame for the place labels and fits it to the nearest quarter zoom, so a 500–600 px wide map shows the Tumen
towns' labels apart. 'Border' zooms back there, 'All' out to every event. The map is one tab stop: the buttons
are not tab stops, and with the map focused the keys B and A do what they do. The control's code is
static/js/viewbuttons.js; this module passes it the buttons.
"""

from __future__ import annotations

import json
from typing import Literal

import folium

from geo.map.assets import add_own_script
from geo.map.folium_parts import ScriptMacro

__all__ = ["SCRIPT", "SHORTCUTS", "ViewButtons", "add_view_buttons"]

SCRIPT = "viewbuttons.js"
SHORTCUTS = {"border": "b", "all": "a"}
"""The key that does what each button does, on the focused map (the map's other keys are the pins' script's)."""

Bounds = tuple[float, float, float, float]


def _corners(bounds: Bounds) -> list[list[float]]:
    minx, miny, maxx, maxy = bounds
    return [[round(miny, 4), round(minx, 4)], [round(maxy, 4), round(maxx, 4)]]


class ViewButtons(ScriptMacro):
    """'Border' and 'All' buttons under the zoom control; each fits the map to its bounds.

    The map starts fitted to `border` (or to `everything` with start="all"; with start="none" it keeps the
    centre and zoom it was made with, e.g. a shared link's), as soon as it has a size: a map
    drawn in a hidden or not yet sized frame (a page left while it loads) would otherwise compute a NaN view
    and stop its script half way (Leaflet's fitBounds on a 0×0 map).
    """

    NAME = "ViewButtons"
    SCRIPT = """
        new L.GeoViewButtons({buttons: {{ this.buttons }}, start: {{ this.start }}})
            .addTo({{ this.parent_name() }});
        """

    def __init__(self, border: Bounds, everything: Bounds | None = None, *,
                 start: Literal["border", "all", "none"] = "border"):
        super().__init__()
        buttons = [["border", "Border", "Zoom to the China–DPRK border", _corners(border), SHORTCUTS["border"]]]
        if everything is not None:
            buttons.append(["all", "All", "Show every event", _corners(everything), SHORTCUTS["all"]])
        self.buttons = json.dumps(buttons, ensure_ascii=False)
        opening = everything if start == "all" and everything is not None else border
        self.start = "null" if start == "none" else json.dumps(_corners(opening))


def add_view_buttons(m: folium.Map, border: Bounds, everything: Bounds | None = None,
                     script_base_url: str | None = None, *,
                     start: Literal["border", "all", "none"] = "border") -> None:
    """Add the buttons to `m`, loading their script from `script_base_url` (None: inline). The map opens
    fitted to `border` (minx, miny, maxx, maxy; e.g. geo.reference.basemap.border_bounds), or to
    `everything` with start="all", or where `m` was made to open with start="none"."""
    add_own_script(m, SCRIPT, script_base_url)
    ViewButtons(border, everything, start=start).add_to(m)
