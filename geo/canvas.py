"""A compact canvas layer for large datasets: a few numbers per event instead of a marker each.

A folium Marker with its popup costs ~830 bytes and ~0.75 ms per event (DESIGN.md §5), so 100,000
events would send 80 MB. Here each layer ships parallel arrays (longitude, latitude, type index,
precision index, id) and a short script draws them on one Leaflet canvas renderer. Hover shows the
type and id; a click opens a small popup and, through the id in the tooltip, the full details and
sources below the map (looked up by id, not embedded in every marker). Points known only to city or
region level are drawn as discs of their documented radius, as on the detailed map.
"""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from geo.schema import EVENT_TYPES, LOCATION_PRECISIONS, ROUTE_STATUSES
from geo.style import EVENT_STYLE, STATUS_STYLE, UNCERTAINTY_RADIUS_M

TYPE_INDEX = {t: n for n, t in enumerate(EVENT_TYPES)}
PRECISION_INDEX = {p: n for n, p in enumerate(LOCATION_PRECISIONS)}
STATUS_INDEX = {s: n for n, s in enumerate(ROUTE_STATUSES)}


def _compact(values: list) -> str:
    return json.dumps(values, separators=(",", ":"))


class CanvasEvents(MacroElement):
    """The located events of one layer, drawn on canvas from compact arrays."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var group = {{ this._parent.get_name() }}, renderer = L.canvas({padding: 0.5});
            var T = {{ this.types }}, R = {{ this.radii }}, S = {{ this.statuses }};
            var X = {{ this.lons }}, Y = {{ this.lats }}, K = {{ this.kinds }}, P = {{ this.precisions }},
                I = {{ this.ids }};
            var LC = {{ this.line_coords }}, LS = {{ this.line_status }}, LI = {{ this.line_ids }},
                LK = {{ this.line_kinds }};
            // Tooltips are bound on first use, not made up front for every event: the label comes
            // from the arrays. A click binds it before streamlit-folium reads it (handlers run in order).
            function label(layer) {
                var n = layer._geoIndex;
                return layer._geoLine ? T[LK[n]][0] + ', route ' + S[LS[n]][0].toLowerCase() + ' [' + LI[n] + ']'
                                      : T[K[n]][0] + ' [' + I[n] + ']';
            }
            function ensureTooltip(layer) {
                if (!layer.getTooltip()) { layer.bindTooltip(label(layer)); }
                return layer;
            }
            function hover(e) { ensureTooltip(e.target).openTooltip(e.latlng); }
            function click(e) {
                var layer = ensureTooltip(e.target);
                if (!layer.getPopup()) {
                    layer.bindPopup(label(layer) + '<br><i>Dates, place and sources: see Details below the map.</i>');
                }
                layer.openPopup(e.latlng);
            }
            for (var n = 0; n < X.length; n++) {
                var type = T[K[n]], radius = R[P[n]], at = [Y[n], X[n]];
                var mark = radius
                    ? L.circle(at, {renderer: renderer, radius: radius, color: type[1], weight: 1,
                                    fillColor: type[1], fillOpacity: 0.3})
                    : L.circleMarker(at, {renderer: renderer, radius: 5, color: '#ffffff', weight: 1,
                                          fillColor: type[1], fillOpacity: 0.95});
                mark._geoIndex = n;
                mark.on('mouseover', hover).on('click', click);
                group.addLayer(mark);
            }
            for (var m = 0; m < LC.length; m++) {
                var s = S[LS[m]], path = [];
                for (var j = 0; j < LC[m].length; j += 2) { path.push([LC[m][j + 1], LC[m][j]]); }
                var line = L.polyline(path, {renderer: renderer, color: s[1], weight: s[2], opacity: s[3],
                                              dashArray: s[4]});
                line._geoIndex = m; line._geoLine = true;
                line.on('mouseover', hover).on('click', click);
                group.addLayer(line);
            }
        })();
        {% endmacro %}
    """)

    def render(self, **kwargs) -> None:
        """Add the script to the page without folium's usual step of compiling the rendered script
        as a Jinja template again: for 100,000 events that re-parse of megabytes of arrays took
        longer than building them."""
        code = Element("{{ this.code }}")
        code.code = self._template.module.script(self)
        self.get_root().script.add_child(code, name=self.get_name())

    def __init__(self, frame: gpd.GeoDataFrame):
        super().__init__()
        self._name = "CanvasEvents"
        points = frame[frame.geom_type == "Point"]
        lines = frame[frame.geom_type.isin(["LineString", "MultiLineString"])]
        xy = np.round(shapely.get_coordinates(points.geometry.values), 5) if len(points) else np.empty((0, 2))
        self.types = _compact([[EVENT_TYPES[t], EVENT_STYLE[t][0]] for t in EVENT_TYPES])
        self.radii = _compact([UNCERTAINTY_RADIUS_M.get(p, 0) for p in LOCATION_PRECISIONS])
        self.statuses = _compact([[label, STATUS_STYLE[s]["color"], STATUS_STYLE[s]["weight"],
                                   STATUS_STYLE[s]["opacity"], STATUS_STYLE[s]["dash_array"]]
                                  for s, label in ROUTE_STATUSES.items()])
        self.lons = _compact(xy[:, 0].tolist())
        self.lats = _compact(xy[:, 1].tolist())
        self.kinds = _compact(points["event_type"].map(TYPE_INDEX).astype(int).tolist())
        self.precisions = _compact(points["location_precision"].map(PRECISION_INDEX).astype(int).tolist())
        self.ids = _compact(points["id"].tolist())
        self.line_coords = _compact([np.round(shapely.get_coordinates(g), 5).ravel().tolist()
                                     for g in lines.geometry.values])
        self.line_status = _compact(lines["status"].fillna("unknown").map(STATUS_INDEX).astype(int).tolist())
        self.line_kinds = _compact(lines["event_type"].map(TYPE_INDEX).astype(int).tolist())
        self.line_ids = _compact(lines["id"].tolist())


def canvas_group(name: str, frame: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """A FeatureGroup named `name` drawing the located rows of `frame` on canvas."""
    group = folium.FeatureGroup(name=name, show=True)
    CanvasEvents(frame[frame.geometry.notna()]).add_to(group)
    return group
