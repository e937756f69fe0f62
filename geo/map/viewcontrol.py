"""A map control with two buttons: zoom to the China–DPRK border, or back out to every event.

At the view that fits Shanghai and the border together the routes are a few pixels long; one click
takes a reader to where the trade routes and crossings are. The control's code is
static/js/viewbuttons.js; this module passes it the buttons.
"""

from __future__ import annotations

import json

import folium

from geo.map.assets import add_own_script
from geo.map.folium_parts import ScriptMacro

SCRIPT = "viewbuttons.js"


class ViewButtons(ScriptMacro):
    """'Border' and 'All' buttons under the zoom control; each fits the map to its bounds.

    With `everything`, the map also starts fitted to it, as soon as it has a size: a map drawn in a
    hidden or not yet sized frame (a page left while it loads) would otherwise compute a NaN view
    and stop its script half way (Leaflet's fitBounds on a 0×0 map).
    """

    NAME = "ViewButtons"
    SCRIPT = """
        new L.GeoViewButtons({buttons: {{ this.buttons }}, start: {{ this.start }}})
            .addTo({{ this.parent_name() }});
        """

    def __init__(self, border: tuple[float, float, float, float],
                 everything: tuple[float, float, float, float] | None = None):
        super().__init__()

        def corners(bounds: tuple[float, float, float, float]) -> list[list[float]]:
            minx, miny, maxx, maxy = bounds
            return [[round(miny, 4), round(minx, 4)], [round(maxy, 4), round(maxx, 4)]]

        buttons = [["border", "Border", "Zoom to the China–DPRK border", corners(border)]]
        if everything is not None:
            buttons.append(["all", "All", "Show every event", corners(everything)])
        self.buttons = json.dumps(buttons, ensure_ascii=False)
        self.start = json.dumps(corners(everything) if everything is not None else None)


def add_view_buttons(m: folium.Map, border: tuple[float, float, float, float],
                     everything: tuple[float, float, float, float] | None = None,
                     script_base_url: str | None = None) -> None:
    """Add the buttons to `m`, loading their script from `script_base_url` (None: inline)."""
    add_own_script(m, SCRIPT, script_base_url)
    ViewButtons(border, everything).add_to(m)
