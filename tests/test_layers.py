"""geo.map.layers: the event layers: a pin or route line per located event, styled by type and status."""

from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import numpy as np

from geo.events.schema import EVENT_TYPES, LAYERS
from geo.events.vocabulary import EVENT_LAYER
from geo.map.layers import COMPACT_ABOVE, DISC_PANE, event_layers, pin_html
from geo.map.mapview import build_map
from geo.map.style import EVENT_STYLE, LAYER_SHAPE, STATUS_STYLE
from geo.view.filters import Filters, apply_filters
from geo.view.time import as_of
from tests.conftest import ROOT
from tests.map_html import readable_html


def test_every_event_type_has_its_own_icon_and_no_two_types_share_colour_icon_and_shape():
    assert set(EVENT_STYLE) == set(EVENT_TYPES)
    assert len({i for _, i in EVENT_STYLE.values()}) == len(EVENT_STYLE)
    looks = {(colour, icon, LAYER_SHAPE[EVENT_LAYER[t]]) for t, (colour, icon) in EVENT_STYLE.items()}
    assert len(looks) == len(EVENT_STYLE)


def test_a_pin_shows_its_layers_shape_and_is_named_for_screen_readers_only_when_given_a_name():
    square, diamond = pin_html("border_closure"), pin_html("defection", label="Defection: A, 2023")
    assert 'data-shape="square"' in square and 'aria-hidden="true"' in square and "role=" not in square
    assert 'data-shape="diamond"' in diamond and 'role="img" aria-label="Defection: A, 2023"' in diamond
    small = pin_html("worker_deployment", 16)
    assert 'data-shape="round"' in small and "width:16px" in small


def test_the_full_map_draws_each_located_point_and_route_once(events, places):
    html = readable_html(build_map(events, places))
    pins = int(events.geometry[events.geom_type.isin(["Point", "MultiPoint"])].count_geometries().sum())
    drawn_types = set(events[events.geometry.notna()]["event_type"])  # the export's legend has one pin per type
    assert html.count('class="geo-pin"') - pins == len(drawn_types)
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
    # In mid-2023 the Rason trucks run again while the Sinuiju–Dandong trucks are still stopped.
    html = readable_html(build_map(as_of(events[events["layer"] == "trade_routes"], dt.date(2023, 6, 30)), places))
    closed, resumed = STATUS_STYLE["closed"], STATUS_STYLE["resumed"]
    assert closed["color"] != resumed["color"] and closed["dash_array"] and not resumed["dash_array"]
    assert f'"color": "{closed["color"]}"' in html and f'"dashArray": "{closed["dash_array"]}"' in html
    assert f'"color": "{resumed["color"]}"' in html


def test_no_route_line_is_drawn_closed_for_ever_the_closure_is_each_routes_first_status(events, places):
    lines = events[events.geom_type.isin(["LineString", "MultiLineString"])]
    assert "border-closure-2020-01" not in lines.index and len(lines)
    assert set(lines["status"]) <= {"partially_resumed", "resumed"}  # every line runs again by the end
    html = readable_html(build_map(as_of(events, dt.date(2020, 1, 31)), places))
    assert html.count("geo-route geo-route-closed") == len(lines)  # in January 2020 each is closed
    assert "North Korea seals its border with China" not in html  # the whole border: listed, not a line


def test_co_located_pins_sit_exactly_at_their_place_in_layers_whose_pins_cluster(events, places):
    shanghai = events[events["place"] == "Shanghai"]
    html = readable_html(build_map(shanghai, places))
    anchors = re.findall(r'"iconAnchor": \[(\d+), (\d+)\]', html)
    assert len(shanghai) >= 2 and set(anchors) >= {("13", "13")}
    assert sum(1 for a in anchors if a == ("13", "13")) == len(shanghai)  # every pin centred on the point
    markers = re.findall(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\]", html)
    assert markers.count(("31.22222", "121.45806")) == len(shanghai) + 1  # the pins and the place label
    assert html.count("L.geoEventLayer(") == 3  # each event layer's pins join the map's clusters
    assert html.count('"keyboard": false') >= 2


def test_discs_are_non_interactive_and_in_their_own_faint_pane_below_the_pins(events, places):
    city = events[events["location_precision"].eq("city") & events.geom_type.eq("Point")]
    html = readable_html(build_map(city, places))
    discs = re.findall(r"L\.circle\(\s*\[[^]]*\],\s*(\{[^}]*\})", html)
    assert len(discs) == len(city) > 0
    for options in discs:
        assert f'"pane": "{DISC_PANE}"' in options and '"interactive": false' in options
    script = (ROOT / "static" / "js" / "geoclusters.js").read_text(encoding="utf-8")
    opacity = float(re.search(r"pane\.style\.opacity = ([\d.]+)", script).group(1))
    assert opacity <= 0.2 and "pane.style.zIndex = 350" in script  # below route lines (400) and pins (600)


MASS_REPATRIATION = "repatriation-mass-2023-10-09"


def test_the_october_2023_repatriation_is_a_pin_with_its_disc_at_each_crossing_its_sources_name(events, places):
    from geo.reference.crossings import load_crossings

    event = events.loc[[MASS_REPATRIATION]]
    crossings = load_crossings().loc[event.iloc[0]["crossings"]]
    assert len(crossings) == 5 and event.iloc[0]["location_precision"] == "region"
    wanted = sorted((round(p.y, 6), round(p.x, 6)) for p in crossings.geometry)
    html = readable_html(build_map(event, places))
    pins = []
    for chunk in html.split("L.marker(")[1:]:  # each marker with the icon, tooltip and popup that follow it
        if "geo-event geo-repatriation" in chunk:
            lat, lon = re.match(r"\s*\[([\d.]+), ([\d.]+)\]", chunk).groups()
            pins.append((float(lat), float(lon)))
            assert "at 5 crossings: Sino-Korean Friendship Bridge, Tumen River Bridge (Quanhe–Wonjong)" in chunk
    assert sorted(pins) == wanted  # one pin per crossing, each with the same popup
    discs = re.findall(r"L\.circle\(\s*\[([\d.]+), ([\d.]+)\],\s*(\{[^}]*\})", html)
    assert sorted((float(a), float(b)) for a, b, _ in discs) == wanted
    assert all('"radius": 75000' in options for _, _, options in discs)  # region precision at every point


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
