"""The map key, generated from geo.map.style and the crossing symbols so it always matches what the map draws.

It is shown outside the map (on the page, beside or under it) as well as in exported maps, so it carries its own
CSS, scoped to `.geo-key`. The keys for routes (line pattern and colour), crossings (shape and colour) and
location precision are always visible; the list of event types (only those given) folds away in a <details>.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo.events.schema import EVENT_TYPES, ROUTE_STATUSES
from geo.map.crossings import crossing_symbol_svg
from geo.map.layers import pin_html
from geo.map.style import STATUS_STYLE, UNCERTAINTY_RADIUS_M
from geo.report.markup import escape

__all__ = ["KEY_CSS", "legend_html", "line_sample_svg"]

KEY_CSS = """
.geo-key{font:12px/1.35 system-ui,-apple-system,"Segoe UI",sans-serif;color:#212121;background:#fff;
 border:1px solid #d0d7de;border-radius:6px;padding:4px 8px;max-width:100%;box-sizing:border-box}
.geo-key .geo-key-row{display:flex;flex-wrap:wrap;align-items:center;column-gap:10px;row-gap:2px;margin:1px 0}
.geo-key .geo-key-head{font-weight:600;min-width:5.5em}
.geo-key .geo-key-item{display:inline-flex;align-items:center;gap:4px;white-space:nowrap}
.geo-key svg{flex:none;vertical-align:middle}
.geo-key details{margin-top:2px}
.geo-key summary{cursor:pointer;font-weight:600}
.geo-key .geo-key-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5em,1fr));
 column-gap:10px;row-gap:2px;margin-top:3px}
.geo-key .geo-pin{flex:none;border-radius:50%;border:1px solid #fff;color:#fff;display:inline-flex;
 align-items:center;justify-content:center;font-size:9px;box-shadow:0 0 0 1px rgba(0,0,0,.35);margin:0}
"""
"""The key's CSS, scoped to `.geo-key` (it travels in the key's HTML)."""

_STATUS_WORDS = {"closed": "closed", "partially_resumed": "partly resumed", "resumed": "resumed",
                 "unknown": "not known"}


def line_sample_svg(status: str) -> str:
    """A short sample of a route line in `status`'s style (for the key)."""
    style = STATUS_STYLE[status]
    dash = f' stroke-dasharray="{style["dash_array"]}"' if style["dash_array"] else ""
    return (f'<svg width="34" height="12" aria-hidden="true" focusable="false"><line x1="1" y1="6" x2="33" y2="6" '
            f'stroke="{style["color"]}" stroke-width="{min(style["weight"], 8)}" '
            f'stroke-opacity="{style["opacity"]}"{dash}/></svg>')


def _item(symbol: str, words: str) -> str:
    return f'<span class="geo-key-item">{symbol}{escape(words)}</span>'


def legend_html(event_types: Iterable[str] | None = None, *, collapsed: bool = True) -> str:
    """The map key as one self-contained HTML block (its CSS inline, scoped to `.geo-key`): the trade-route
    line styles, the crossing symbols and the location-precision disc, always visible; then the pins of
    `event_types` (None: every type; unknown names skipped; in vocabulary order) in a <details>, folded
    when `collapsed`. The pins' icons need the page to load their icon font (a map does)."""
    wanted = set(EVENT_TYPES) if event_types is None else set(event_types)
    types = [(t, label) for t, label in EVENT_TYPES.items() if t in wanted]
    routes = "".join(_item(line_sample_svg(s), _STATUS_WORDS[s]) for s in ROUTE_STATUSES if s != "unknown")
    crossings = "".join(_item(crossing_symbol_svg(s, 16), _STATUS_WORDS[s]) for s in ROUTE_STATUSES)
    radii = ", ".join(f"{p} {r // 1000} km" for p, r in UNCERTAINTY_RADIUS_M.items())
    disc = ('<svg width="16" height="16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="7" '
            'fill="#555" fill-opacity=".15" stroke="#555" stroke-opacity=".5"/></svg>')
    pins = "".join(_item(pin_html(t, 16), label) for t, label in types)
    shown = ("Event types" if event_types is None
             else f"Event types on the map ({len(types)})" if types else "Event types on the map (none)")
    return (f'<div class="geo-key" id="geo-legend" role="group" aria-label="Map key">'
            f"<style>{KEY_CSS}</style>"
            f'<div class="geo-key-row"><span class="geo-key-head">Trade routes</span>{routes}</div>'
            f'<div class="geo-key-row"><span class="geo-key-head">Crossings</span>{crossings}</div>'
            f'<div class="geo-key-row">{_item(disc, f"Place known only roughly ({radii})")}</div>'
            f"<details{'' if collapsed else ' open'}><summary>{escape(shown)}</summary>"
            f'<div class="geo-key-grid">{pins}</div></details></div>')
