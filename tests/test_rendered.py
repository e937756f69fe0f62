"""Layers rendered once and reused (geo/map/rendered.py)."""

from __future__ import annotations

import re

import folium

from geo.map.folium_parts import children
from geo.map.rendered import PARENT, ready_layer


def labels(text: str, name: str = "Labels") -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=True)
    folium.Marker((40.1, 124.4), tooltip=folium.Tooltip(text),
                  icon=folium.DivIcon(html="<b>x</b>", class_name="geo-place")).add_to(group)
    return group


def test_a_ready_layer_is_built_once_per_key_and_gives_the_same_script_after() -> None:
    built: list[int] = []

    def build() -> folium.FeatureGroup:
        built.append(1)
        return labels("Dandong")

    first, second = ready_layer(("test-once", 1), build), ready_layer(("test-once", 1), build)
    assert built == [1]
    assert [c.parts for c in children(first)] == [c.parts for c in children(second)]
    ready_layer(("test-once", 2), build)
    assert built == [1, 1]


def test_a_map_with_a_ready_layer_renders_it_under_its_own_name_and_in_the_layer_control() -> None:
    m = folium.Map(tiles=None)
    layer = ready_layer(("test-map", 1), lambda: labels("Sinuiju", name="Places"))
    layer.add_to(m)
    folium.LayerControl().add_to(m)
    html = m.get_root().render()
    assert "geoparent" not in html and PARENT not in html
    assert f".addTo({layer.get_name()})" in html  # the marker joins the live group …
    assert f"{layer.get_name()}.addTo({m.get_name()})" in html  # … which joins this map
    assert re.search(rf'"Places"\s*:\s*{layer.get_name()}', html)  # listed in the layer control
    assert "Sinuiju" in html


def test_ready_made_text_is_placed_as_it_is_never_run_as_a_template() -> None:
    m = folium.Map(tiles=None)
    text = "{{ 'zq' ~ 'xw' }}{% if true %}yes{% endif %}"
    ready_layer(("test-template", 1), lambda: labels(text)).add_to(m)
    html = m.get_root().render()
    assert text in html and "zqxw" not in html
