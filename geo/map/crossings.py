"""The border crossings layer: each located crossing as a symbol whose shape and colour say its status on the
map date, drawn in a pane of its own above every event pin and cluster, so it can be hovered and clicked at
every zoom. A short popup gives its names, its status then and since when, who says so, and where its
position comes from; no id reaches the reader (the tooltip carries it hidden, for the dashboard's clicks)."""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from typing import Any

import folium
import geopandas as gpd

from geo.events.dataset import records
from geo.events.schema import ROUTE_STATUSES
from geo.map.folium_parts import stable_ids
from geo.map.rendered import ready_layer
from geo.map.style import STATUS_STYLE, UNCERTAINTY_RADIUS_M
from geo.reference.crossings import CROSSING_KINDS, crossing_status_at
from geo.report.crossings_table import crossing_title, since_label, status_change_at
from geo.report.markup import escape

__all__ = ["CROSSINGS_PANE", "CROSSINGS_PANE_Z", "SYMBOL_SIZE", "add_crossings_pane", "crossing_symbol_svg",
           "crossings_layer"]

CROSSINGS_PANE = "geo-crossings"
CROSSINGS_PANE_Z = 645
"""Above the markers and marker clusters (Leaflet's marker pane: 600), below tooltips (650) and popups (700)."""
SYMBOL_SIZE = 22

def crossing_symbol_svg(status: str, size: int = SYMBOL_SIZE) -> str:
    """The crossing symbol of `status`, as inline SVG (the map's markers and the legend draw the same):
    resumed a filled circle, partially resumed a half-filled diamond, closed a square with a cross, unknown
    a hollow square; each in its status colour (geo.map.style.STATUS_STYLE), with a white halo."""
    colour = STATUS_STYLE[status]["color"]
    halo = 'stroke="#fff" stroke-width="5" fill="#fff"'
    line = f'stroke="{colour}" stroke-width="2.5"'
    if status == "resumed":
        body = (f'<circle cx="12" cy="12" r="8.5" {halo}/>'
                f'<circle cx="12" cy="12" r="8.5" fill="{colour}" stroke="#263238" stroke-width="1.2"/>')
    elif status == "partially_resumed":
        diamond = "12,2.5 21.5,12 12,21.5 2.5,12"
        body = (f'<polygon points="{diamond}" {halo}/>'
                f'<polygon points="2.5,12 21.5,12 12,21.5" fill="{colour}"/>'
                f'<polygon points="{diamond}" fill="none" {line}/>')
    elif status == "closed":
        body = (f'<rect x="4" y="4" width="16" height="16" {halo}/>'
                f'<rect x="4" y="4" width="16" height="16" fill="{colour}" stroke="#263238" stroke-width="1.2"/>'
                '<path d="M8 8L16 16M16 8L8 16" stroke="#fff" stroke-width="2.4" stroke-linecap="round"/>')
    else:
        body = (f'<rect x="4" y="4" width="16" height="16" {halo}/>'
                f'<rect x="5" y="5" width="14" height="14" fill="#fff" {line}/>')
    return (f'<svg width="{size}" height="{size}" viewBox="0 0 24 24" aria-hidden="true" '
            f'focusable="false">{body}</svg>')


def add_crossings_pane(m: folium.Map) -> None:
    """Give `m` the pane the crossings are drawn in (CROSSINGS_PANE): above every event pin and cluster,
    clickable. Call it on the base map, before the crossings layer is added (geo.map.base.base_map)."""
    folium.map.CustomPane(CROSSINGS_PANE, z_index=CROSSINGS_PANE_Z, pointer_events=True).add_to(m)


def _crossing_popup(row: dict[str, Any], status: str, day: dt.date) -> str:
    def names(side: dict[str, Any]) -> str:
        return " · ".join(escape(side[k]) for k in ("en", "ko", "zh") if side.get(k))

    change = status_change_at(row, day)
    since = f" since {escape(since_label(change))}" if change is not None else ""
    sources = "".join(f"<li>{escape(src['publisher'])}, “{escape(src['title'])}”</li>"
                      for src in (change or {}).get("sources") or [])
    coordinate = row.get("coordinate_source") or {}
    where = "Position from "
    if coordinate.get("url"):
        title = coordinate.get("title") or coordinate["url"]
        where += (f'<a href="{escape(coordinate["url"])}" target="_blank" rel="noopener noreferrer">'
                  f"{escape(title)}</a>")
    if row.get("location_precision") == "city":
        where += (f"; drawn at the town the port is named after, so within about "
                  f"{UNCERTAINTY_RADIUS_M['city'] // 1000} km of the crossing")
    return (f"<div class='geo-popup geo-crossing-popup'><h4>{escape(crossing_title(row))}</h4>"
            f"<div class='meta'>{escape(CROSSING_KINDS[row['kind']])} crossing</div>"
            f"<div>Then: <b>{escape(ROUTE_STATUSES[status])}</b>{since}</div>"
            f"<div>China: {names(row['china_side'])}</div><div>North Korea: {names(row['dprk_side'])}</div>"
            + (f"<div class='meta'>Sources</div><ul>{sources}</ul>" if sources else "")
            + f"<div class='meta'>{where}</div></div>")


_STATUS_RANK = {"resumed": 3, "partially_resumed": 2, "closed": 1, "unknown": 0}
_KIND_RANK = {"both": 1, "rail": 1, "road": 0}


def _stacking(row: dict[str, Any], status: str) -> int:
    """Where neighbours overlap (the two Dandong–Sinuiju bridges, 9 km apart, at low zoom), the crossing in use
    lies on top, then a rail crossing over a road-only one: the Friendship Bridge over the New Yalu River Bridge."""
    return 1000 * (2 * _STATUS_RANK[status] + _KIND_RANK[row["kind"]])


def _tooltip(row: dict[str, Any], status: str) -> str:
    return (f"{escape(crossing_title(row))}: {escape(ROUTE_STATUSES[status].lower())}"
            f"<span hidden>[{escape(row['id'])}]</span>")


def crossings_layer(crossings: gpd.GeoDataFrame, day: dt.date) -> folium.FeatureGroup:
    """Each located border crossing as its status symbol on `day` (crossing_symbol_svg) in CROSSINGS_PANE
    (the map needs add_crossings_pane); one drawn at its town (location_precision 'city') also gets the
    town-level disc. Tooltip: name and status on `day`, ending with the id hidden ("<span hidden>[id]</span>",
    which geo.map.popups.feature_id_from_tooltip reads from a click). Rendered once per content and set of
    status changes in force (geo.map.rendered), so nothing drawn names `day` itself."""
    digest, rows = _frame_facts(crossings)
    in_force = tuple(str((status_change_at(row, day) or {}).get("since")) for row in rows)
    key = ("crossings", digest, *in_force)
    return ready_layer(key, lambda: _crossings_group(rows, day))


_FACTS: dict[int, tuple[str, list[dict[str, Any]]]] = {}  # per crossings frame object, dropped with it


def _frame_facts(crossings: gpd.GeoDataFrame) -> tuple[str, list[dict[str, Any]]]:
    """The frame's content digest (sha1) and its located rows as records, worked out once per frame object
    (frames are never modified in place; read only)."""
    key = id(crossings)
    if key not in _FACTS:
        _FACTS[key] = (hashlib.sha1(crossings.to_json(default=str).encode()).hexdigest(),
                       records(crossings[crossings.geometry.notna()]))
        weakref.finalize(crossings, _FACTS.pop, key, None)
    return _FACTS[key]


def _crossings_group(rows: list[dict[str, Any]], day: dt.date) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Crossings", show=True)
    half = SYMBOL_SIZE // 2
    for row in rows:
        status = crossing_status_at(row, day)
        colour = STATUS_STYLE[status]["color"]
        label = f"Border crossing {crossing_title(row)}: {ROUTE_STATUSES[status].lower()}"
        html = (f'<div class="geo-crossing" role="img" aria-label="{escape(label)}">'
                f"{crossing_symbol_svg(status)}</div>")
        if (radius := UNCERTAINTY_RADIUS_M.get(row.get("location_precision") or "exact")) is not None:
            folium.Circle((row["geometry"].y, row["geometry"].x), radius=radius, color=colour, weight=1, opacity=0.5,
                          fill=True, fill_color=colour, fill_opacity=0.10, interactive=False,
                          class_name="geo-uncertainty geo-uncertainty-crossing").add_to(group)
        folium.Marker(
            (row["geometry"].y, row["geometry"].x),
            icon=folium.DivIcon(html=html, icon_size=(SYMBOL_SIZE, SYMBOL_SIZE), icon_anchor=(half, half),
                                class_name=f"geo-crossing-marker geo-crossing-{status}"),
            tooltip=folium.Tooltip(_tooltip(row, status)),
            popup=folium.Popup(_crossing_popup(row, status, day), max_width=280, lazy=True),
            pane=CROSSINGS_PANE,
            keyboard=False,
            z_index_offset=_stacking(row, status),
        ).add_to(group)
    stable_ids(group, "crossings")
    return group
