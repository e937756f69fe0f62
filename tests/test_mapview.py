"""geo.map.mapview: one view → map function for the dashboard's map download and `python -m geo export-html`."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from geo.events.dataset import load_events
from geo.events.schema import LAYERS
from geo.map.mapview import on_map, view_map
from geo.reference.crossings import load_crossings
from geo.view.link import dataset_view

EVENTS = load_events(Path("data/events.geojson"))


def test_a_view_on_a_day_keeps_the_filtered_events_begun_by_then_and_routes_with_their_status_that_day():
    view = dataset_view(EVENTS, list(LAYERS))
    filters = replace(view.filters, layers=("trade_routes",))
    shown = on_map(EVENTS, filters, dt.date(2020, 3, 31))
    assert len(shown) and set(shown["layer"]) == {"trade_routes"}
    routes = shown["status_history"].map(bool)  # a route shows once its history starts, with that day's status
    assert (shown.loc[~routes, "date_start"].dropna() <= "2020-03-31").all()
    assert routes.any() and set(shown.loc[routes, "status"]) <= {"closed", "partially_resumed"}


def test_the_map_of_a_view_draws_a_pin_for_each_located_point_event_of_the_view(places):
    view = dataset_view(EVENTS, list(LAYERS))
    filters = replace(view.filters, event_types=("disappearance", "detention"))
    shown = on_map(EVENTS, filters, view.as_of)
    html = view_map(EVENTS, filters, view.as_of, places, load_crossings()).get_root().render()
    points = shown[shown.geometry.notna() & (shown.geometry.geom_type == "Point")]
    assert len(points) and html.count('"geo-event geo-') == len(points)
