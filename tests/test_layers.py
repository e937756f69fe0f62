"""What the rendered map contains: layers, pins, route styles, legend, escaped popups."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np

from geo.events.dataset import records
from geo.events.schema import EVENT_TYPES, LAYERS
from geo.map.layers import (
    build_map,
    event_layers,
    feature_id_from_tooltip,
    legend_html,
    popup_html,
    tooltip_text,
)
from geo.map.style import EVENT_STYLE, STATUS_STYLE
from geo.report.markup import escape
from geo.view.filters import Filters, apply_filters


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

    from geo.reference.crossings import load_crossings

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
    from geo.reference.basemap import border_bounds

    html = render(events, places)
    minx, miny, maxx, maxy = border_bounds()
    assert 124 < minx < 125 and 130 < maxx < 131 and 40 < miny < 41 and 42.5 < maxy < 43.5
    assert '["border", "Border", "Zoom to the China–DPRK border", [[40.0983, 124.37], [43.0103, 130.5308]]]' in html
    assert '["all", "All", "Show every event"' in html


# --- Above COMPACT_ABOVE: one binary pack, masks per view ---------------------------------------

def test_a_pack_click_names_its_row_which_the_pack_ids_turn_into_the_event_id():
    ids = ["synthetic-000000", "synthetic-000001", "synthetic-000002"]
    assert feature_id_from_tooltip("Border closure · 2022-05-01 [#2]", ids) == "synthetic-000002"
    assert feature_id_from_tooltip("Border closure · 2022-05-01 [synthetic-000002] [#1]", ids) == "synthetic-000001"
    assert feature_id_from_tooltip("Border closure [#3]", ids) is None  # a row the pack does not have
    assert feature_id_from_tooltip("Border closure [#2]") is None  # no ids to resolve it with
    assert feature_id_from_tooltip("Border closure [synthetic-000001] [#2]") == "synthetic-000001"  # an export
    assert feature_id_from_tooltip("Border closure [synthetic-000002]", ids) == "synthetic-000002"


def large_frame(n: int = 2_600) -> gpd.GeoDataFrame:
    from geo.events.dataset import frame_from_collection
    from perf.bench import synthetic_collection

    return frame_from_collection(synthetic_collection(n))


def test_above_the_threshold_an_export_embeds_the_pack_of_exactly_its_rows(places):
    import base64
    import json

    from geo.map.layers import COMPACT_ABOVE
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


def test_the_base_map_fetches_the_pack_by_url_and_stays_the_same_across_builds(places):
    from geo.map.layers import base_map

    def render_base() -> str:
        m = base_map(places, "/app/static/vendor", (120.0, 30.0, 131.0, 43.0), pack_url="/app/static/packs/abc-f1.bin")
        return m.get_root().render()

    html = render_base()
    assert '{"url":"/app/static/packs/abc-f1.bin"}' in html and '"version":"abc-f1"' in html
    assert '<script src="/app/static/js/geopack.js"></script>' in html
    assert '<script src="/app/static/js/viewbuttons.js"></script>' in html
    assert "readPack" not in html  # loaded by URL, not inlined
    strip = re.compile(r"[0-9a-f]{32}")
    assert strip.sub("", render_base()) == strip.sub("", html)


def test_a_rerun_sends_a_mask_group_of_one_bit_per_event_and_the_same_mask_renders_the_same():
    import folium

    from geo.map.layers import mask_group

    mask = np.random.default_rng(1).random(1_000_000) < 0.3

    def script(m: np.ndarray) -> str:
        fmap = folium.Map(tiles=None)
        mask_group(m, "abc-f1").add_to(fmap)
        empty = folium.Map(tiles=None).get_root().render()
        return re.sub(r"map_[0-9a-f]{32}", "map", fmap.get_root().render()[len(empty) - 500:])

    first = script(mask)
    assert 125_000 * 4 / 3 < len(first) < 170_000  # 125 KB of bits, base64
    assert script(mask) == first and script(~mask) != first


def test_view_groups_are_one_mask_per_layer_over_the_packed_rows(events):
    import base64
    import json

    from geo.map.layers import view_groups
    from geo.map.pack import located

    shown = apply_filters(events, Filters(event_types=("border_closure", "worker_deployment")))
    groups = view_groups(events, shown, "v1")

    assert [g.layer_name for g in groups] == list(LAYERS.values())
    rows = located(events)
    for group, layer in zip(groups, LAYERS, strict=True):
        config = json.loads(next(iter(group._children.values())).config)
        bits = np.unpackbits(np.frombuffer(base64.b64decode(config["bits"]), np.uint8), bitorder="little")
        chosen = set(rows.index[bits[:len(rows)].astype(bool)])
        assert chosen == set(shown[(shown["layer"] == layer) & shown.geometry.notna()].index)
        assert config["version"] == "v1" and config["count"] == len(rows)
