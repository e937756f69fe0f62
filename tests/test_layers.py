"""What the rendered map contains: layers, pins, route styles, legend, escaped popups."""

from __future__ import annotations

import re

import geopandas as gpd

from geo.dataset import records
from geo.filters import Filters, apply_filters
from geo.layers import (
    build_map,
    event_layers,
    feature_id_from_tooltip,
    legend_html,
    popup_html,
    tooltip_text,
)
from geo.markup import escape
from geo.schema import EVENT_TYPES
from geo.style import EVENT_STYLE, STATUS_STYLE


def render(frame: gpd.GeoDataFrame, places) -> str:
    """The standalone HTML, with the JSON escapes folium puts on markup inside JS undone."""
    html = build_map(frame, places).get_root().render()
    return html.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"').replace("\\u0026", "&")


def test_every_event_type_has_one_distinct_colour_and_icon():
    assert set(EVENT_STYLE) == set(EVENT_TYPES)
    assert len({c for c, _ in EVENT_STYLE.values()}) == len(EVENT_STYLE)
    assert len({i for _, i in EVENT_STYLE.values()}) == len(EVENT_STYLE)


def test_the_legend_shows_each_event_type_with_its_map_colour_and_icon():
    legend = legend_html()
    for event_type, label in EVENT_TYPES.items():
        colour, icon = EVENT_STYLE[event_type]
        assert escape(label) in legend and f"background:{colour}" in legend and f"fa-{icon}" in legend
    assert "Route closed" in legend and "Route resumed" in legend


def test_one_feature_group_per_layer_in_a_layer_control(events, places):
    html = render(events, places)
    for name in ("Trade routes", "Worker locations", "Incidents", "Places"):
        assert f'"{name}"' in html
    assert "L.control.layers" in html


def test_the_full_map_draws_each_located_point_and_route_once(events, places):
    html = render(events, places)
    points = events[events.geom_type == "Point"]
    assert html.count('class="geo-pin"') - len(EVENT_TYPES) == len(points)  # legend has one per type
    assert html.count("L.polyline(") == (events.geom_type.isin(["LineString", "MultiLineString"])).sum()


def test_filtering_by_event_type_changes_what_the_map_contains(events, places):
    only = apply_filters(events, Filters(event_types=("disappearance",)))
    html = render(only, places)
    assert html.count("geo-event geo-disappearance") == 1
    assert "geo-event geo-worker_deployment" not in html and "L.polyline(" not in html


def test_events_without_location_are_never_placed(events, places):
    unlocated = events[events.geometry.isna()]
    html = render(events, places)
    for title in unlocated["title"]:
        assert title not in html


def test_routes_are_styled_by_status_so_closed_and_resumed_differ(events, places):
    html = render(events[events["layer"] == "trade_routes"], places)
    closed, resumed = STATUS_STYLE["closed"], STATUS_STYLE["resumed"]
    assert closed["color"] != resumed["color"] and closed["dash_array"] and not resumed["dash_array"]
    assert f'"color": "{closed["color"]}"' in html and f'"dashArray": "{closed["dash_array"]}"' in html
    assert f'"color": "{resumed["color"]}"' in html


def test_popups_list_every_source_and_the_dates_precision(events):
    row = records(events.loc[["disappearance-shanghai-garment-workers-2022-02"]])[0]
    html = popup_html(row)
    assert "The Asia Business Daily (Asia Economy)" in html
    assert "seeds/000_c849781cc78fe4c5.txt" in html
    assert "2022-02 (inferred)" in html and "location: city" in html


def test_popups_and_tooltips_escape_html_in_dataset_text(events):
    row = records(events.iloc[[6]])[0]
    row = {**row, "title": "<script>alert(1)</script>", "summary": "<img src=x onerror=alert(2)>",
           "sources": [{**row["sources"][0], "publisher": "<b>evil</b>", "ref": "javascript:alert(3)"}]}
    html = popup_html(row) + tooltip_text(row)
    assert "<script>" not in html and "<img" not in html and "<b>evil" not in html
    assert "&lt;script&gt;" in html and "href=\"javascript" not in html


def test_tooltips_carry_the_feature_id_which_clicks_can_recover(events):
    for row in records(events[events.geometry.notna()]):
        assert feature_id_from_tooltip(tooltip_text(row)) == row["id"]
    assert feature_id_from_tooltip(None) is None and feature_id_from_tooltip("no id here") is None


def test_co_located_pins_are_offset_on_screen_not_moved(events, places):
    shanghai = events[events["place"] == "Shanghai"]
    html = render(shanghai, places)
    anchors = re.findall(r'"iconAnchor": \[13, (\d+)\]', html)
    assert len(shanghai) == 2 and len(set(anchors)) == 2
    markers = re.findall(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\]", html)
    assert markers.count(("31.22222", "121.45806")) == 3  # two pins and the place label, all at Shanghai


def test_crossings_are_drawn_in_their_status_on_a_given_day(events, places):
    import datetime as dt

    from geo.crossings import load_crossings

    crossings = load_crossings()
    located = int(crossings.geometry.notna().sum())
    early = build_map(events, places, crossings=crossings, day=dt.date(2021, 1, 1)).get_root().render()
    late = build_map(events, places, crossings=crossings, day=dt.date(2023, 3, 1)).get_root().render()
    assert early.count("geo-crossing-marker geo-crossing-closed") == located
    assert late.count("geo-crossing-marker geo-crossing-partially_resumed") == 1
    assert late.count("geo-crossing-marker geo-crossing-resumed") == 1
    assert "\\uc2e0\\uc758\\uc8fc" in late or "신의주" in late  # Sinuiju in Hangul, in the popup


def test_event_layers_are_always_the_three_layers_even_when_empty(events):
    groups = event_layers(events.iloc[0:0])
    assert [g.layer_name for g in groups] == ["Trade routes", "Worker locations", "Incidents"]


def test_the_base_map_needs_no_tile_server_and_labels_the_seed_places(events, places):
    html = render(events, places)
    assert "China–DPRK border" in html or "China\\u2013DPRK border" in html
    for label in ("Dandong", "Hunchun", "Rason", "Tumen (Yanbian)", "Shanghai"):
        assert f">{label}</span>" in html
    assert "tile.openstreetmap.org" in html  # available as an optional overlay


def test_the_map_offers_a_border_button_fitted_to_the_border_line(events, places):
    from geo.basemap import border_bounds

    html = render(events, places)
    minx, miny, maxx, maxy = border_bounds()
    assert 124 < minx < 125 and 130 < maxx < 131 and 40 < miny < 41 and 42.5 < maxy < 43.5
    assert '["border", "Border", "Zoom to the China–DPRK border", [[40.0983, 124.37], [43.0103, 130.5308]]]' in html
    assert '["all", "All", "Show every event"' in html
