"""Where the map looks: the centre and zoom that fit a box on a map of a given size (Web Mercator, 256 px tiles),
as Leaflet's fitBounds would choose them, so the page can move the map to what the filters show or to a chosen
event without the browser's help."""

from __future__ import annotations

import math

from shapely.geometry.base import BaseGeometry

__all__ = ["MAX_ZOOM", "MIN_ZOOM", "event_view", "fit_view", "point_view"]

MIN_ZOOM, MAX_ZOOM = 3, 18  # as the base map allows (geo.map.base)
POINT_ZOOM = 9  # a single event: near enough to read its place among its neighbours
TILE = 256


def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit_view(bounds: tuple[float, float, float, float], width_px: int = 900, height_px: int = 560,
             padding_px: int = 30) -> tuple[tuple[float, float], int]:
    """((lat, lon), zoom) showing all of `bounds` (minx, miny, maxx, maxy in degrees) on a map of this size, with
    `padding_px` to spare on each side; the zoom is a whole number between MIN_ZOOM and MAX_ZOOM (a single point
    gets POINT_ZOOM)."""
    minx, miny, maxx, maxy = bounds
    top, bottom = _mercator_y(maxy), _mercator_y(miny)
    centre = (math.degrees(2 * math.atan(math.exp((top + bottom) / 2)) - math.pi / 2), (minx + maxx) / 2)
    width, height = max(width_px - 2 * padding_px, 1), max(height_px - 2 * padding_px, 1)
    fits = []
    if maxx > minx:
        fits.append(math.log2(width * 360 / (TILE * (maxx - minx))))
    if top > bottom:
        fits.append(math.log2(height * 2 * math.pi / (TILE * (top - bottom))))
    zoom = math.floor(min(fits)) if fits else POINT_ZOOM
    return (round(centre[0], 4), round(centre[1], 4)), max(MIN_ZOOM, min(MAX_ZOOM, zoom))


def point_view(lat: float, lon: float, zoom: int = POINT_ZOOM) -> tuple[tuple[float, float], int]:
    """((lat, lon), zoom) centred on one point."""
    return (round(lat, 4), round(lon, 4)), max(MIN_ZOOM, min(MAX_ZOOM, zoom))


def event_view(geometry: BaseGeometry, width_px: int = 900, height_px: int = 560) -> tuple[tuple[float, float], int]:
    """((lat, lon), zoom) showing one event: centred on its point at POINT_ZOOM, or, for an event at several
    places (a MultiPoint) or a route, all of it on a map of this size (never closer than POINT_ZOOM)."""
    if geometry.geom_type == "Point":
        return point_view(geometry.y, geometry.x)
    centre, zoom = fit_view(tuple(geometry.bounds), width_px, height_px)
    return centre, min(zoom, POINT_ZOOM)
