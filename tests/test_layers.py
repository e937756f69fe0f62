"""geo.map.layers: the event layers: a pin or route line per located event, styled by type and status."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np

from geo.events.schema import EVENT_TYPES, LAYERS
from geo.map.layers import COMPACT_ABOVE, event_layers
from geo.map.mapview import build_map
from geo.map.style import EVENT_STYLE, STATUS_STYLE
from geo.view.filters import Filters, apply_filters
from tests.map_html import readable_html


def test_every_event_type_has_one_distinct_colour_and_icon():
    assert set(EVENT_STYLE) == set(EVENT_TYPES)
    assert len({c for c, _ in EVENT_STYLE.values()}) == len(EVENT_STYLE)
    assert len({i for _, i in EVENT_STYLE.values()}) == len(EVENT_STYLE)


def test_the_full_map_draws_each_located_point_and_route_once(events, places):
    html = readable_html(build_map(events, places))
    points = events[events.geom_type == "Point"]
    assert html.count('class="geo-pin"') - len(EVENT_TYPES) == len(points)  # legend has one per type
    assert html.count("L.polyline(") == (events.geom_type.isin(["LineString", "MultiLineString"])).sum()


def test_filtering_by_event_type_changes_what_the_map_contains(events, places):
    only = apply_filters(events, Filters(event_types=("disappearance",)))
    html = readable_html(build_map(only, places))
    assert html.count("geo-event geo-disappearance") == 1
    assert "geo-event geo-worker_deployment" not in html and "L.polyline(" not in html


def test_events_without_location_are_never_placed(events, places):
    unlocated = events[events.geometry.isna()]
    html = readable_html(build_map(events, places))
    for title in unlocated["title"]:
        assert title not in html


def test_routes_are_styled_by_status_so_closed_and_resumed_differ(events, places):
    html = readable_html(build_map(events[events["layer"] == "trade_routes"], places))
    closed, resumed = STATUS_STYLE["closed"], STATUS_STYLE["resumed"]
    assert closed["color"] != resumed["color"] and closed["dash_array"] and not resumed["dash_array"]
    assert f'"color": "{closed["color"]}"' in html and f'"dashArray": "{closed["dash_array"]}"' in html
    assert f'"color": "{resumed["color"]}"' in html


def test_co_located_pins_are_offset_on_screen_not_moved(events, places):
    shanghai = events[events["place"] == "Shanghai"]
    html = readable_html(build_map(shanghai, places))
    anchors = re.findall(r'"iconAnchor": \[13, (\d+)\]', html)
    assert len(shanghai) == 2 and len(set(anchors)) == 2
    markers = re.findall(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\]", html)
    assert markers.count(("31.22222", "121.45806")) == 3  # two pins and the place label, all at Shanghai


def test_event_layers_are_always_the_three_layers_even_when_empty(events):
    groups = event_layers(events.iloc[0:0])
    assert [g.layer_name for g in groups] == ["Trade routes", "Worker locations", "Incidents"]


def large_frame(n: int = 2_600) -> gpd.GeoDataFrame:
    from geo.events.dataset import frame_from_collection
    from perf.bench import synthetic_collection

    return frame_from_collection(synthetic_collection(n))


def test_above_the_threshold_an_export_embeds_the_pack_of_exactly_its_rows(places):
    import base64
    import json

    from geo.map.pack import pack_bytes, read_pack

    frame = large_frame()
    located = frame[frame.geometry.notna()]
    assert len(located) > COMPACT_ABOVE
    html = build_map(frame, places).get_root().render()

    source = json.loads(re.search(r"new L\.GeoPack\((\{.*?\}), ", html).group(1))
    assert base64.b64decode(source["base64"]) == pack_bytes(frame)
    assert read_pack(base64.b64decode(source["base64"])).lonlat.shape == (len(located), 2)
    masks = [json.loads(m) for m in re.findall(r"L\.GeoPack\.mask\(\w+, (\{.*?\})\);", html)]
    counts = [int(np.unpackbits(np.frombuffer(base64.b64decode(m["bits"]), np.uint8), bitorder="little").sum())
              for m in masks]
    assert counts == [int((located["layer"] == layer).sum()) for layer in LAYERS]
    for name in LAYERS.values():
        assert f'"{name}"' in html
    assert html.count("L.marker(") == int((places["kind"] == "town").sum())  # place labels only, no pins
    assert html.count('"synthetic-000001"') == 1  # the ids, once, for popups
    assert "fetch(" in html and "new L.GeoPack(" in html  # the layer's code itself is inlined
