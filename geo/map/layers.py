"""Folium map building: a stable base map plus one FeatureGroup per event layer.

The base map (background, place labels, legend) does not depend on the filters, so the
dashboard can keep it fixed and send only the event layers to st_folium; `build_map` puts both
together for a standalone export. All dataset text is HTML-escaped before it reaches markup.

Up to COMPACT_ABOVE located events each gets its own pin, popup and tooltip. Above it the events are
one binary pack (geo.map.pack) drawn by static/js/geopack.js: in the dashboard the base map fetches
the pack once (`base_map(..., pack_url=write_pack(...))`) and each rerun sends only `view_groups` /
`mask_group` (bit masks); an exported map embeds the pack (`event_layers`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element
from shapely.geometry import LineString, MultiLineString

from geo.events.dataset import records
from geo.events.evidence import confidence_label
from geo.events.schema import EVENT_TYPES, LAYERS, ROUTE_STATUSES
from geo.map.assets import add_own_script, own_js_base
from geo.map.canvas import SCRIPT as PACK_SCRIPT
from geo.map.canvas import embedded_layers, mask_group, pack_layer, view_groups
from geo.map.rendered import ready_layer
from geo.map.style import EVENT_STYLE, STATUS_STYLE, UNCERTAINTY_RADIUS_M
from geo.map.viewcontrol import add_view_buttons
from geo.reference.basemap import add_basemap, border_bounds
from geo.reference.crossings import CROSSING_KINDS, crossing_status_at
from geo.report.details import geography_label, source_html, when_label, where_label
from geo.report.markup import escape

__all__ = ["COMPACT_ABOVE", "base_map", "build_map", "crossings_layer", "event_layers", "feature_id_from_tooltip",
           "legend_html", "mask_group", "pack_layer", "places_layer", "popup_html", "tooltip_text", "view_groups"]

COMPACT_ABOVE = 2_000  # located events; above this the map draws them from one binary pack (WebGL)
REGION_CENTER = (37.5, 126.0)
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"  # by URL: a lookup by name costs 4 ms per rerun
REGION_ZOOM = 5
PIN_SIZE = 26

PIN_CSS = """
<style>
.geo-pin{width:26px;height:26px;border-radius:50%;border:2px solid #fff;color:#fff;
 display:flex;align-items:center;justify-content:center;font-size:12px;
 box-shadow:0 1px 4px rgba(0,0,0,.45)}
.geo-label{font:600 12px/1.2 system-ui,sans-serif;color:#212121;white-space:nowrap;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
.geo-legend{position:absolute;z-index:1000;bottom:24px;right:10px;background:rgba(255,255,255,.93);
 padding:6px 9px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
 font:11px/1.4 system-ui,sans-serif;max-height:60%;max-width:330px;overflow:auto}
.geo-legend summary{cursor:pointer;font-weight:600}
.geo-uncertainty{pointer-events:none}
.geo-legend-grid{display:grid;grid-template-columns:auto auto;column-gap:10px}
.geo-legend .geo-pin{width:18px;height:18px;font-size:9px;border-width:1px;display:inline-flex;
 vertical-align:middle;margin-right:6px}
.geo-legend svg{vertical-align:middle;margin-right:6px}
.leaflet-container{background:#d4e6f1}
.geo-popup{font:13px/1.4 system-ui,sans-serif}
.geo-popup h4{font-size:14px;margin:0 0 4px}
.geo-popup .meta{color:#555;font-size:12px}
.geo-popup ol{padding-left:18px;margin:4px 0 0}
</style>
"""


def pin_html(event_type: str, size: int = PIN_SIZE) -> str:
    """The round coloured badge with the event type's icon (used on the map and in the legend)."""
    color, icon = EVENT_STYLE[event_type]
    return (f'<div class="geo-pin" style="background:{color};width:{size}px;height:{size}px">'
            f'<i class="fa-solid fa-{icon}"></i></div>')


def line_sample_svg(status: str) -> str:
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


def tooltip_text(row: dict[str, Any]) -> str:
    """Tooltip shown on hover; ends with the feature id in brackets so clicks can be traced."""
    return f"{escape(row['title'])} [{escape(row['id'])}]"


TOOLTIP_ID = re.compile(r"\[([a-z0-9]+(?:-[a-z0-9]+)*)\]\s*$")
TOOLTIP_ROW = re.compile(r"(?:\[([a-z0-9]+(?:-[a-z0-9]+)*)\]\s*)?\[#(\d{1,9})\]\s*$")


def feature_id_from_tooltip(text: str | None, ids: Sequence[str] | None = None) -> str | None:
    """The feature id carried at the end of a tooltip text, or None.

    Detailed pins end in "[<id>]"; the pack layer's clicks end in "[#<row>]", a row of the pack, which
    `ids` (geo.map.pack.row_ids of the frame the pack was written from) turns into the id. Without
    `ids` the id an exported map's label carries before it ("[<id>] [#<row>]") is used, if any; a row
    outside `ids` gives None.
    """
    text = text or ""
    if row := TOOLTIP_ROW.search(text):
        n = int(row.group(2))
        if ids is None:
            return row.group(1)
        return ids[n] if n < len(ids) else None
    match = TOOLTIP_ID.search(text)
    return match.group(1) if match else None


def popup_html(row: dict[str, Any]) -> str:
    """Popup body: what, where, when (with precision), how precise the location, who says so."""
    where = where_label(row)
    when = when_label(row)
    status = row.get("status")
    status_html = (f"<div class='meta'>Status: {escape(ROUTE_STATUSES[status])}</div>" if status else "")
    sources = "".join(source_html(s) for s in row["sources"])
    geo = geography_label(row)
    geo_html = f"<div class='meta'>{escape(geo)}</div>" if geo else ""
    return (
        f"<div class='geo-popup'><h4>{escape(row['title'])}</h4>"
        f"<div class='meta'>{escape(EVENT_TYPES[row['event_type']])} · {escape(where)} "
        f"(location: {escape(row['location_precision'])})</div>"
        f"<div class='meta'>When: {escape(when)}</div>{status_html}{geo_html}"
        f"<p>{escape(row['summary'])}</p>"
        f"<div><b>Sources</b> ({escape(confidence_label(row['sources']))})<ol>{sources}</ol></div>"
        f"<div class='meta'>id: {escape(row['id'])}</div></div>"
    )


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


def stable_ids(element: Element, prefix: str) -> None:
    """Give `element` and its descendants ids derived from their position, not random uuids.

    The same rows then render to the same JavaScript on every rerun, so st_folium sees no change
    and leaves the map (and any open popup) alone.
    """
    containers = [element]
    if isinstance(getattr(element, "html", None), Element):  # a Popup keeps its content here
        containers.append(element.html)
    for c, container in enumerate(containers):
        children = list(container._children.values())
        for n, child in enumerate(children):
            child._id = hashlib.sha1(f"{prefix}/{c}/{n}".encode()).hexdigest()[:32]
            stable_ids(child, f"{prefix}/{c}/{n}")
        # Templates name JS variables after these keys, which were taken from the old ids.
        container._children = type(container._children)((child.get_name(), child) for child in children)


def event_layers(frame: gpd.GeoDataFrame) -> list[folium.FeatureGroup]:
    """One FeatureGroup per map layer (always all three, possibly empty) holding the located rows.

    Rows without geometry are skipped: they are listed beside the map, never placed. Up to
    COMPACT_ABOVE located events every event gets its own pin, popup and tooltip. Above it the first
    group (not in the layer control) carries the binary pack of exactly these rows, base64, and the
    three layer groups are masks over it (geo.map.canvas.embedded_layers): a self-contained map for
    exports. The dashboard instead fetches the pack once: see `base_map(pack_url=...)` and `view_groups`.
    """
    located = frame[frame.geometry.notna()]
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
        group._id = hashlib.sha1(layer.encode()).hexdigest()[:32]
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


def places_layer(places: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Name labels for the reference towns (crossings have their own layer).

    A town whose `label_side` is 'left' puts its name left of the dot, so neighbours across the
    river (Dandong/Sinuiju) or along it (Tumen/Hunchun) do not print over each other.
    """
    group = folium.FeatureGroup(name="Places", show=True)
    for row in records(places[places["kind"] == "town"]):
        point = row["geometry"]
        dot = ('<span style="display:inline-block;width:8px;height:8px;border:2px solid #263238;'
               'border-radius:50%;background:#fff"></span>')
        left = row.get("label_side") == "left"
        text = f'<span style="margin:0 12px">{escape(row["label"])}</span>'
        html = f'<div class="geo-label" style="direction:{"rtl" if left else "ltr"}">{dot}{text}</div>'
        folium.Marker(
            (point.y, point.x),
            icon=folium.DivIcon(html=html, icon_size=(180, 16), icon_anchor=(174 if left else 6, 8),
                                class_name="geo-place"),
            tooltip=folium.Tooltip(escape(f"{row['name']} — {row['source']}")),
        ).add_to(group)
    return group


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


class BorderMap(folium.Map):
    """A folium.Map that knows its bounds (minx, miny, maxx, maxy) up front. folium's own get_bounds walks
    every coordinate of every layer, the whole basemap included (0.08 s), and st_folium asks on every
    rerun; the view buttons fit the real bounds in the browser."""

    def __init__(self, bounds: tuple[float, float, float, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        minx, miny, maxx, maxy = bounds
        self._known_bounds = [[miny, minx], [maxy, maxx]]

    def get_bounds(self) -> list[list[float]]:
        return [list(corner) for corner in self._known_bounds]


def base_map(places: gpd.GeoDataFrame, asset_base_url: str | None = None,
             bounds: tuple[float, float, float, float] | None = None, pack_url: str | None = None) -> folium.Map:
    """The filter-independent map: offline basemap, optional online tiles, place labels, legend.

    With `asset_base_url`, Leaflet and its plugins load from there instead of public CDNs, and our own
    scripts from static/js beside it (without it they are inlined). `bounds` (minx, miny, maxx, maxy)
    sets the initial view (fitted by the view buttons once the map has a size); pass the whole
    dataset's bounds, not the filtered ones, so the base map (and so the st_folium component) stays the
    same across filters. `pack_url` (geo.map.pack.write_pack)
    adds the layer that fetches that pack once; masks from `view_groups`/`mask_group` then choose what
    it shows.
    """
    m = BorderMap(bounds or border_bounds(), location=REGION_CENTER, zoom_start=REGION_ZOOM, tiles=None,
                  max_zoom=18, min_zoom=3, control_scale=True)
    if asset_base_url is not None:
        from geo.map.assets import use_local_assets

        use_local_assets(m, asset_base_url)
    scripts = own_js_base(asset_base_url)
    add_own_script(m, PACK_SCRIPT, scripts)  # always: a rerun may cross COMPACT_ABOVE
    add_basemap(m)
    add_view_buttons(m, border_bounds(), bounds, scripts)
    folium.TileLayer(OSM_TILES, name="OpenStreetMap tiles (online)", overlay=True, show=False, max_zoom=19,
                     attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                          "contributors").add_to(m)
    m.get_root().header.add_child(folium.Element(PIN_CSS))
    m.get_root().html.add_child(folium.Element(legend_html()))
    towns = places[places["kind"] == "town"]
    content = tuple(map(tuple, towns[["name", "label", "label_side", "source"]].astype(str).to_numpy())) \
        + tuple(towns.geometry.to_wkb())
    ready_layer(("places", content), lambda: places_layer(places)).add_to(m)  # rendered once (geo.map.rendered)
    if pack_url is not None:
        pack_layer(pack_url).add_to(m)
    return m


def build_map(frame: gpd.GeoDataFrame, places: gpd.GeoDataFrame, asset_base_url: str | None = None,
              crossings: gpd.GeoDataFrame | None = None, day: dt.date | None = None) -> folium.Map:
    """The complete map (base, event layers, crossings at `day`, layer control), fitted to what is shown."""
    located = frame[frame.geometry.notna()]
    m = base_map(places, asset_base_url, tuple(located.total_bounds) if len(located) else None)
    for group in event_layers(frame):
        group.add_to(m)
    if crossings is not None:
        crossings_layer(crossings, day or dt.date.today()).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m
