"""The map legend: each event type's pin, each route status's line, the crossings' colours and the
location-precision discs, generated from geo.map.style so it always matches what the map draws."""

from __future__ import annotations

from geo.events.schema import EVENT_TYPES, ROUTE_STATUSES
from geo.map.layers import pin_html
from geo.map.style import STATUS_STYLE, UNCERTAINTY_RADIUS_M
from geo.report.markup import escape

__all__ = ["legend_html", "line_sample_svg"]


def line_sample_svg(status: str) -> str:
    """A short sample of a route line in `status`'s style (for the legend)."""
    style = STATUS_STYLE[status]
    dash = f' stroke-dasharray="{style["dash_array"]}"' if style["dash_array"] else ""
    return (f'<svg width="34" height="12"><line x1="1" y1="6" x2="33" y2="6" stroke="{style["color"]}" '
            f'stroke-width="{min(style["weight"], 8)}" stroke-opacity="{style["opacity"]}"{dash}/></svg>')


def legend_html() -> str:
    """The map legend, generated from EVENT_STYLE and STATUS_STYLE so it always matches."""
    rows = [f"<div>{pin_html(t, 16)}{escape(label)}</div>" for t, label in EVENT_TYPES.items()]
    routes = [f"<div>{line_sample_svg(s)}Route {escape(label.lower())}</div>"
              for s, label in ROUTE_STATUSES.items() if s != "unknown"]
    squares = "".join(f'<span style="display:inline-block;width:10px;height:10px;margin-right:3px;'
                      f'background:{STATUS_STYLE[s]["color"]}"></span>' for s in ROUTE_STATUSES)
    routes.append(f"<div>{squares} Border crossing, coloured by its status on the map date "
                  "(closed, partly resumed, resumed, unknown)</div>")
    radii = ", ".join(f"{p} {r // 1000} km" for p, r in UNCERTAINTY_RADIUS_M.items())
    uncertainty = ('<div><svg width="34" height="16"><circle cx="17" cy="8" r="7" fill="#555" fill-opacity=".15" '
                   f'stroke="#555" stroke-opacity=".5"/></svg>Location known only roughly ({radii})</div>'
                   "<div>No circle: exact location. Events with no known location are listed below the map.</div>")
    return ('<details class="geo-legend" id="geo-legend" open><summary>Legend</summary><b>Event types</b>'
            + '<div class="geo-legend-grid">' + "".join(rows) + "</div><b>Trade routes</b>" + "".join(routes)
            + "<b>Location precision</b>" + uncertainty + "</details>")
