"""geo.map.canvas: the large-data layers: one bit per pack row per view, one mask group per layer."""

from __future__ import annotations

import re

import numpy as np

from geo.events.schema import LAYERS
from geo.map.folium_parts import children
from geo.view.filters import Filters, apply_filters


def test_a_rerun_sends_a_mask_group_of_one_bit_per_event_and_the_same_mask_renders_the_same():
    import folium

    from geo.map.canvas import mask_group

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

    from geo.map.canvas import view_groups
    from geo.map.pack import located

    shown = apply_filters(events, Filters(event_types=("border_closure", "worker_deployment")))
    groups = view_groups(events, shown, "v1")

    assert [g.layer_name for g in groups] == list(LAYERS.values())
    rows = located(events)
    for group, layer in zip(groups, LAYERS, strict=True):
        config = json.loads(children(group)[0].config)
        bits = np.unpackbits(np.frombuffer(base64.b64decode(config["bits"]), np.uint8), bitorder="little")
        chosen = set(rows.index[bits[:len(rows)].astype(bool)])
        assert chosen == set(shown[(shown["layer"] == layer) & shown.geometry.notna()].index)
        assert config["version"] == "v1" and config["count"] == len(rows)


def test_an_exported_pack_carries_each_title_place_and_confidence_exactly_as_written_even_template_like_text(events):
    import json

    import folium

    from geo.map.canvas import PackLayer, embedded_pack_layer, row_texts
    from geo.map.pack import located

    frame = events.copy()
    first = located(frame).index[0]
    hostile = "{{7*7}} {% if true %}x{% endif %} {# c #} </script><img src=x onerror=alert(1)> & \u2013"
    frame.loc[first, "title"] = hostile
    layer = embedded_pack_layer(frame)
    fmap = folium.Map(tiles=None)
    layer.add_to(fmap)
    html = fmap.get_root().render()
    config = json.loads(re.search(r"new L\.GeoPack\(\{.*?\}, (\{.*?\})\)\s*\.addTo", html, re.S).group(1))

    assert isinstance(layer, PackLayer)
    assert config["texts"] == row_texts(frame)
    assert config["texts"][0][0] == hostile  # not "49", not markup
    assert "</script><img" not in html and "{{7*7}}" not in html
    rows = located(frame)
    assert [t[0] for t in config["texts"]] == rows["title"].tolist()
    assert all(t[2] == "single source" or t[2].startswith("corroborated by ") for t in config["texts"])
