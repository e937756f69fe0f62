"""The border crossings layer: each located crossing as a square in the colour of its status on the map
date, with its names, status history and coordinate source in a popup."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import folium
import geopandas as gpd

from geo.events.dataset import records
from geo.events.schema import ROUTE_STATUSES
from geo.map.folium_parts import stable_ids
from geo.map.rendered import ready_layer
from geo.map.style import STATUS_STYLE, UNCERTAINTY_RADIUS_M
from geo.reference.crossings import CROSSING_KINDS, crossing_status_at
from geo.report.markup import escape

__all__ = ["crossings_layer"]


def _crossing_popup(row: dict[str, Any], status: str) -> str:
    def names(side: dict[str, Any]) -> str:
        return " · ".join(escape(side[k]) for k in ("en", "ko", "zh") if side.get(k))

    history = "".join(
        f"<li>{escape(ROUTE_STATUSES[c['status']])} from {escape(str(c['since']))}"
        f"{' (inferred)' if c.get('inferred') else ''}: "
        + "; ".join(f"{escape(src['publisher'])}, “{escape(src['title'])}”" for src in c.get("sources") or [])
        + "</li>"
        for c in row.get("status_history") or []
    )
    coordinate = row.get("coordinate_source") or {}
    link = (f'<a href="{escape(coordinate["url"])}" target="_blank" rel="noopener noreferrer">'
            f'{escape(coordinate.get("title") or coordinate["url"])}</a>' if coordinate.get("url") else "")
    return (f"<div class='geo-popup'><h4>{escape(row['name'])}</h4>"
            f"<div class='meta'>Crossing ({escape(CROSSING_KINDS[row['kind']].lower())}) · "
            f"status then: {escape(ROUTE_STATUSES[status])}</div>"
            f"<div>China: {names(row['china_side'])}</div><div>DPRK: {names(row['dprk_side'])}</div>"
            f"<div><b>Status history</b><ol>{history}</ol></div>"
            f"<div class='meta'>Coordinate: {link}"
            + (" (the town the port is named after, not the bridge)" if row.get("location_precision") == "city" else "")
            + f"</div><div class='meta'>id: {escape(row['id'])}</div></div>")


def crossings_layer(crossings: gpd.GeoDataFrame, day: dt.date) -> folium.FeatureGroup:
    """Each located border crossing as a square in the colour of its status on `day`; one drawn at its
    town (location_precision 'city') also gets the town-level disc. Rendered once per content and set of
    statuses (geo.map.rendered)."""
    rows = records(crossings[crossings.geometry.notna()])
    statuses = [crossing_status_at(row, day) for row in rows]
    key = ("crossings", hashlib.sha1(crossings.to_json(default=str).encode()).hexdigest(), *statuses)
    return ready_layer(key, lambda: _crossings_group(rows, statuses))


def _crossings_group(rows: list[dict[str, Any]], statuses: list[str]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Crossings", show=True)
    for row, status in zip(rows, statuses, strict=True):
        colour = STATUS_STYLE[status]["color"]
        html = (f'<div class="geo-crossing" style="width:12px;height:12px;background:{colour};'
                'border:2px solid #fff;outline:1px solid #263238"></div>')
        if (radius := UNCERTAINTY_RADIUS_M.get(row.get("location_precision") or "exact")) is not None:
            folium.Circle((row["geometry"].y, row["geometry"].x), radius=radius, color=colour, weight=1, opacity=0.5,
                          fill=True, fill_color=colour, fill_opacity=0.10, interactive=False,
                          class_name="geo-uncertainty geo-uncertainty-crossing").add_to(group)
        folium.Marker(
            (row["geometry"].y, row["geometry"].x),
            icon=folium.DivIcon(html=html, icon_size=(16, 16), icon_anchor=(8, 8),
                                class_name=f"geo-crossing-marker geo-crossing-{status}"),
            tooltip=folium.Tooltip(f"{escape(row['name'])}: {escape(ROUTE_STATUSES[status].lower())} "
                                   f"[{escape(row['id'])}]"),
            popup=folium.Popup(_crossing_popup(row, status), max_width=340, lazy=True),
        ).add_to(group)
    stable_ids(group, "crossings")
    return group
