"""Where the map looks: centre and zoom that fit a box, as Leaflet's fitBounds would choose them."""

from __future__ import annotations

import math

from geo.map.viewport import MAX_ZOOM, MIN_ZOOM, POINT_ZOOM, event_view, fit_view, point_view


def covers(view, bounds, width=900, height=560):
    """Whether a map of this size at `view` shows all of `bounds` (Web Mercator, 256 px tiles)."""
    (lat, lon), zoom = view
    scale = 256 * 2 ** zoom
    def y(la): return math.log(math.tan(math.pi / 4 + math.radians(la) / 2)) / (2 * math.pi) * scale
    minx, miny, maxx, maxy = bounds
    half_w, half_h = width / 2, height / 2
    return ((maxx - lon) / 360 * scale <= half_w and (lon - minx) / 360 * scale <= half_w
            and y(maxy) - y(lat) <= half_h and y(lat) - y(miny) <= half_h)


def test_the_border_fits_at_zoom_seven_and_not_eight_on_a_laptop_map():
    border = (124.0, 39.8, 130.8, 43.0)
    view = fit_view(border)
    assert covers(view, border) and view[1] == 7
    assert not covers((view[0], view[1] + 1), border), "the zoom is the closest that still shows it all"


def test_the_whole_story_from_kunming_to_rason_fits_further_out():
    everything = (102.7, 25.0, 130.8, 43.0)
    view = fit_view(everything)
    assert covers(view, everything) and view[1] < 7


def test_a_single_point_gets_a_close_zoom_and_zooms_stay_within_the_maps_range():
    assert fit_view((124.4, 40.1, 124.4, 40.1)) == ((40.1, 124.4), POINT_ZOOM)
    assert fit_view((-180.0, -85.0, 180.0, 85.0))[1] == MIN_ZOOM
    assert fit_view((124.40000, 40.10000, 124.40001, 40.10001))[1] == MAX_ZOOM
    assert point_view(40.123456, 124.654321, 30) == ((40.1235, 124.6543), MAX_ZOOM)


def test_choosing_an_event_at_several_crossings_shows_all_of_them_and_a_point_event_its_point(events):
    mass = events.geometry["repatriation-mass-2023-10-09"]
    view = event_view(mass)
    assert covers(view, mass.bounds) and view[1] < POINT_ZOOM
    shanghai = events.geometry["disappearance-shanghai-garment-workers-2022-02"]
    assert event_view(shanghai) == point_view(shanghai.y, shanghai.x)
