"""A map control with two buttons: zoom to the China–DPRK border, or back out to every event.

At the view that fits Shanghai and the border together the routes are a few pixels long; one click
takes a reader to where the trade routes and crossings are.
"""

from __future__ import annotations

import json

import folium
from branca.element import MacroElement
from folium.template import Template


class ViewButtons(MacroElement):
    """'Border' and 'All' buttons under the zoom control; each fits the map to its bounds."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var Buttons = L.Control.extend({
                options: {position: 'topleft'},
                onAdd: function () {
                    var bar = L.DomUtil.create('div', 'leaflet-bar geo-view-buttons');
                    {{ this.buttons }}.forEach(function (button) {
                        var link = L.DomUtil.create('a', 'geo-view-' + button[0], bar);
                        link.href = '#'; link.title = button[2]; link.setAttribute('role', 'button');
                        link.setAttribute('aria-label', button[2]); link.textContent = button[1];
                        link.style.width = 'auto'; link.style.padding = '0 6px'; link.style.fontSize = '12px';
                        L.DomEvent.on(link, 'click', function (e) {
                            L.DomEvent.stop(e); map.fitBounds(button[3], {padding: [20, 20]});
                        });
                    });
                    L.DomEvent.disableClickPropagation(bar);
                    return bar;
                }
            });
            new Buttons().addTo(map);
        })();
        {% endmacro %}
    """)

    def __init__(self, border: tuple[float, float, float, float],
                 everything: tuple[float, float, float, float] | None = None):
        super().__init__()
        self._name = "ViewButtons"

        def corners(bounds: tuple[float, float, float, float]) -> list[list[float]]:
            minx, miny, maxx, maxy = bounds
            return [[round(miny, 4), round(minx, 4)], [round(maxy, 4), round(maxx, 4)]]

        buttons = [["border", "Border", "Zoom to the China–DPRK border", corners(border)]]
        if everything is not None:
            buttons.append(["all", "All", "Show every event", corners(everything)])
        self.buttons = json.dumps(buttons, ensure_ascii=False)


def add_view_buttons(m: folium.Map, border: tuple[float, float, float, float],
                     everything: tuple[float, float, float, float] | None = None) -> None:
    ViewButtons(border, everything).add_to(m)
