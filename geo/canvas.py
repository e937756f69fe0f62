"""A compact canvas layer for large datasets: a few numbers per event instead of a marker each.

A folium Marker with its popup costs ~830 bytes and ~0.75 ms per event (DESIGN.md §5), so 100,000
events would send 80 MB. Here each layer ships parallel arrays (longitude, latitude, type index,
precision index, id) and one custom Leaflet layer draws all of its points on a canvas and finds the
point under the pointer itself (100,000 events are one layer, not 100,000). Hover shows the type and
id; a click opens a small popup and, through the id it hands to streamlit-folium, the full details
and sources below the map (looked up by id, not embedded in every marker). Points known only to city
or region level are drawn as discs of their documented radius, as on the detailed map. Route lines
(a few per cent) stay ordinary Leaflet polylines.
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
            // One layer draws all of a group's points on its own canvas and finds the point under
            // the pointer itself, so 100,000 events are 1 Leaflet layer, not 100,000.
            if (!L.GeoPoints) {
                L.GeoPoints = L.Layer.extend({
                    initialize: function (data) { this._d = data; },
                    onAdd: function (map) {
                        this._canvas = L.DomUtil.create('canvas', 'geo-points leaflet-zoom-hide');
                        this._canvas.style.pointerEvents = 'none';
                        this.getPane().appendChild(this._canvas);
                        map.on('moveend zoomend resize viewreset', this._draw, this);
                        // One pointer handler per map picks the nearest event across all these layers.
                        map._geoPoints = (map._geoPoints || []).concat([this]);
                        if (!map._geoPointsWired) {
                            map._geoPointsWired = true;
                            map.on('mousemove', L.GeoPoints.hover, map);
                            map.on('click', L.GeoPoints.click, map);
                        }
                        this._draw();
                    },
                    onRemove: function (map) {
                        map.off('moveend zoomend resize viewreset', this._draw, this);
                        map._geoPoints = (map._geoPoints || []).filter(layer => layer !== this);
                        L.DomUtil.remove(this._canvas);
                    },
                    count: function () { return this._d.X.length; },
                    label: function (n) {
                        var d = this._d;
                        return d.T[d.K[n]][0] + ' [' + d.I[n] + ']';
                    },
                    _draw: function () {
                        var map = this._map, size = map.getSize(), canvas = this._canvas, d = this._d;
                        var ratio = window.devicePixelRatio || 1;
                        L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
                        canvas.width = size.x * ratio; canvas.height = size.y * ratio;
                        canvas.style.width = size.x + 'px'; canvas.style.height = size.y + 'px';
                        var ctx = canvas.getContext('2d');
                        ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
                        var zoom = map.getZoom(), px = new Float32Array(d.X.length * 3);
                        var metresPerPixel = 40075016.686 * Math.cos(map.getCenter().lat * Math.PI / 180)
                            / Math.pow(2, zoom + 8);
                        for (var n = 0; n < d.X.length; n++) {
                            var p = map.latLngToContainerPoint([d.Y[n], d.X[n]]);
                            px[3 * n] = p.x; px[3 * n + 1] = p.y;
                            px[3 * n + 2] = d.R[d.P[n]] ? Math.max(3, d.R[d.P[n]] / metresPerPixel) : 0;
                        }
                        this._px = px;
                        ctx.lineWidth = 1;
                        for (n = 0; n < d.X.length; n++) {  // discs first, pins on top
                            var r = px[3 * n + 2], x = px[3 * n], y = px[3 * n + 1];
                            if (!r || x < -r || y < -r || x > size.x + r || y > size.y + r) { continue; }
                            ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
                            ctx.globalAlpha = 0.25; ctx.fillStyle = d.T[d.K[n]][1]; ctx.fill();
                            ctx.globalAlpha = 0.6; ctx.strokeStyle = d.T[d.K[n]][1]; ctx.stroke();
                        }
                        ctx.globalAlpha = 1; ctx.strokeStyle = '#ffffff';
                        for (n = 0; n < d.X.length; n++) {
                            x = px[3 * n]; y = px[3 * n + 1];
                            if (px[3 * n + 2] || x < -5 || y < -5 || x > size.x + 5 || y > size.y + 5) { continue; }
                            ctx.beginPath(); ctx.arc(x, y, 5, 0, 2 * Math.PI);
                            ctx.fillStyle = d.T[d.K[n]][1]; ctx.fill(); ctx.stroke();
                        }
                    },
                    _find: function (point) {  // [index, score]: a pin within 7 px scores its squared gap,
                        var px = this._px, best = -1, bestGap = 49, disc = -1;  // a disc under it 1000
                        if (!px) { return [-1, Infinity]; }
                        for (var n = 0; n < px.length / 3; n++) {
                            var dx = px[3 * n] - point.x, dy = px[3 * n + 1] - point.y, gap = dx * dx + dy * dy;
                            var r = px[3 * n + 2];
                            if (!r && gap < bestGap) { best = n; bestGap = gap; }
                            if (r && disc < 0 && gap < r * r) { disc = n; }
                        }
                        return best >= 0 ? [best, bestGap] : (disc >= 0 ? [disc, 1000] : [-1, Infinity]);
                    },
                    open: function (n, originalEvent) {
                        var at = L.latLng(this._d.Y[n], this._d.X[n]), text = this.label(n);
                        // streamlit-folium reads the clicked layer's tooltip: hand it this event's label (a
                        // bare tooltip object, not bindTooltip, whose click handler needs a single LatLng).
                        this._tooltip = (this._tooltip || L.tooltip()).setContent(text);
                        this.fire('click', {latlng: at, sourceTarget: this, target: this,
                                            originalEvent: originalEvent});
                        L.popup().setLatLng(at)
                            .setContent(text + '<br><i>Dates, place and sources: see Details below the map.</i>')
                            .openOn(this._map);
                    }
                });
                L.GeoPoints.nearest = function (map, point) {
                    var best = null;
                    (map._geoPoints || []).forEach(function (layer) {
                        var found = layer._find(point);
                        if (found[0] >= 0 && (!best || found[1] < best[2])) { best = [layer, found[0], found[1]]; }
                    });
                    return best;
                };
                L.GeoPoints.hover = function (e) {
                    var map = this, hit = L.GeoPoints.nearest(map, e.containerPoint);
                    var key = hit ? L.stamp(hit[0]) + ':' + hit[1] : '';
                    map.getContainer().style.cursor = hit ? 'pointer' : '';
                    if (key === map._geoHoverKey) { return; }
                    map._geoHoverKey = key;
                    if (map._geoTip) { map.closeTooltip(map._geoTip); map._geoTip = null; }
                    if (hit) {
                        var d = hit[0]._d;
                        map._geoTip = L.tooltip().setLatLng([d.Y[hit[1]], d.X[hit[1]]])
                            .setContent(hit[0].label(hit[1]));
                        map.openTooltip(map._geoTip);
                    }
                };
                L.GeoPoints.click = function (e) {
                    var hit = L.GeoPoints.nearest(this, e.containerPoint);
                    if (hit) { hit[0].open(hit[1], e.originalEvent); }
                };
            }
            var group = {{ this._parent.get_name() }};
            var T = {{ this.types }}, S = {{ this.statuses }};
            var points = new L.GeoPoints({T: T, R: {{ this.radii }}, X: {{ this.lons }}, Y: {{ this.lats }},
                                          K: {{ this.kinds }}, P: {{ this.precisions }}, I: {{ this.ids }}});
            group.addLayer(points);
            var LC = {{ this.line_coords }}, LS = {{ this.line_status }}, LI = {{ this.line_ids }},
                LK = {{ this.line_kinds }}, renderer = L.canvas({padding: 0.5});
            function open(e) {
                var layer = e.target;
                if (!layer.getPopup()) {
                    layer.bindPopup(layer.getTooltip().getContent()
                        + '<br><i>Dates, place and sources: see Details below the map.</i>');
                }
                layer.openPopup(e.latlng);
            }
            for (var m = 0; m < LC.length; m++) {
                var s = S[LS[m]], path = [];
                for (var j = 0; j < LC[m].length; j += 2) { path.push([LC[m][j + 1], LC[m][j]]); }
                L.polyline(path, {renderer: renderer, color: s[1], weight: s[2], opacity: s[3], dashArray: s[4]})
                    .bindTooltip(T[LK[m]][0] + ', route ' + s[0].toLowerCase() + ' [' + LI[m] + ']')
                    .on('click', open).addTo(group);
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
