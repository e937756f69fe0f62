"""geo.map.folium_parts: the private parts of folium, branca and streamlit-folium the map relies on still exist
and behave as relied on, in the versions pyproject.toml pins: an upgrade fails here first."""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import tomllib
from collections import OrderedDict
from pathlib import Path

import folium
import pytest
import streamlit_folium
from branca.element import Element

from geo.map.folium_parts import (
    ScriptMacro,
    children,
    derived_id,
    element_scripts,
    header_children,
    parent_name,
    rekey_children,
    set_id,
    set_name,
    stable_ids,
)
from geo.map.layers import event_layers
from geo.map.layerscript import scripted_layers
from geo.paths import PROJECT_ROOT

ELEMENT_NAME = re.compile(r"\b([a-z_]+?)_(?:[0-9a-f]{32}|feature_group_\d+(?:_\d+)+)\b")
PRIVATE = re.compile(r"\._(id|children|template|parent|name)\b|^\s*_template\s*=", re.MULTILINE)


def pinned(package: str) -> str:
    """The version pyproject.toml pins `package` to (`package==version`)."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dependencies = project["dependencies"]
    versions = [d.split("==", 1)[1] for d in dependencies if re.split(r"[=<>!~\[ ]", d, maxsplit=1)[0] == package]
    assert len(versions) == 1, f"pyproject.toml pins {package} with =="
    return versions[0]


@pytest.mark.parametrize("package", ["folium", "streamlit-folium"])
def test_the_installed_folium_and_streamlit_folium_are_the_versions_this_module_was_checked_against(package):
    assert importlib.metadata.version(package) == pinned(package), \
        f"{package} changed: check geo/map/folium_parts.py against it, then these tests, then the pin"
    assert (package, pinned(package)) in {("folium", "0.20.0"), ("streamlit-folium", "0.27.4")}, \
        "a new pin: read geo/map/folium_parts.py's list of what the map relies on against the new version"


def test_an_elements_javascript_name_is_its_kind_and_the_id_set_on_it():
    marker = folium.Marker((40.0, 124.0))
    set_id(marker, derived_id("a marker"))
    assert marker.get_name() == f"marker_{derived_id('a marker')}"
    assert derived_id("a marker") == derived_id("a marker") != derived_id("another") and len(derived_id("x")) == 32
    set_name(marker, "GeoThing")
    assert marker.get_name() == f"geo_thing_{derived_id('a marker')}"


def test_children_are_kept_in_order_keyed_by_name_and_rekeyed_after_their_ids_change():
    group = folium.FeatureGroup(name="Group")
    first, second = folium.Marker((40.0, 124.0)), folium.Marker((41.0, 125.0))
    first.add_to(group)
    second.add_to(group)
    assert isinstance(group._children, OrderedDict) and children(group) == [first, second]
    assert list(group._children) == [first.get_name(), second.get_name()]
    assert parent_name(first) == group.get_name()
    set_id(first, "1" * 32)
    rekey_children(group)
    assert list(group._children) == ["marker_" + "1" * 32, second.get_name()] and children(group) == [first, second]


def test_stable_ids_name_a_layer_and_its_popups_content_the_same_on_every_build():
    def build() -> folium.FeatureGroup:
        group = folium.FeatureGroup(name="Group")
        popup = folium.Popup("<b>p</b>", lazy=True)
        folium.Marker((40.0, 124.0), tooltip=folium.Tooltip("t"), popup=popup).add_to(group)
        stable_ids(group, "layer")
        return group

    def script(group: folium.FeatureGroup) -> str:
        m = folium.Map(tiles=None)
        set_id(m, "0" * 32)
        set_id(group, "f" * 32)
        group.add_to(m)
        return m.get_root().render()

    popup = next(child for child in children(children(build())[0]) if isinstance(child, folium.Popup))
    assert isinstance(popup.html, Element) and children(popup.html)  # a Popup's content lives here
    assert script(build()) == script(build())


class Probe(ScriptMacro):
    NAME = "GeoProbe"
    SCRIPT = """
        probe({{ this.parent_name() }}, {{ this.value }});
        """

    def __init__(self, value: int) -> None:
        super().__init__()
        self.value = value


def test_a_script_macro_draws_its_script_into_the_map_naming_what_it_was_added_to():
    m = folium.Map(tiles=None)
    probe = Probe(7)
    probe.add_to(m)
    assert probe.get_name().startswith("geo_probe_")
    assert f"\n        probe({m.get_name()}, 7);\n        " in m.get_root().render()
    assert list(element_scripts(probe)) == [f"\n        probe({m.get_name()}, 7);\n        "]


def test_the_figure_header_keeps_its_elements_by_name():
    m = folium.Map(tiles=None)
    m.get_root().render()
    assert "leaflet" in header_children(m) and "leaflet_css" in header_children(m)


def test_streamlit_folium_draws_ready_made_layers_exactly_as_the_same_folium_layers(events):
    # geo.map.layerscript hands st_folium layers of ready-made script (geo.map.rendered.ReadyScript) in place of
    # folium's own elements: streamlit-folium must walk `_template.module.script` and `_children` as
    # element_scripts does, naming each layer `feature_group_<n>` through its `_id`.
    shown = events[events.geometry.notna()].head(40)

    def handed(layers: list[folium.FeatureGroup]) -> str:
        """The script st_folium sends for `layers`; the names of their elements (streamlit-folium renames those it
        finds as elements, not those inside ready-made script) numbered in order of first appearance."""
        m = folium.Map(tiles=None)
        code = "".join(streamlit_folium._get_feature_group_string(layer, m, n) for n, layer in enumerate(layers))
        names: dict[str, str] = {}
        code = ELEMENT_NAME.sub(lambda match: names.setdefault(match.group(0), f"{match.group(1)}#{len(names)}"), code)
        return "\n".join(line.strip() for line in code.splitlines() if line.strip())

    ready, plain = handed(scripted_layers(shown, {})), handed(event_layers(shown))
    assert "feature_group_feature_group_0" in plain and "poly_line#" in plain and shown["id"].iloc[0] in plain
    assert ready == plain


def test_streamlit_folium_takes_what_the_dashboard_hands_it():
    parameters = inspect.signature(streamlit_folium.st_folium).parameters
    for name in ("feature_group_to_add", "layer_control", "returned_objects", "render", "use_container_width",
                 "height", "key"):
        assert name in parameters
    m = folium.Map(tiles=None)
    assert streamlit_folium.get_full_id(m) == m.get_name()  # `_name` lowered + `_id`: its id for the map div


def test_no_other_module_touches_folium_private_parts():
    roots = [PROJECT_ROOT / "geo", PROJECT_ROOT / "perf", PROJECT_ROOT / "pages", PROJECT_ROOT / "dashboard.py"]
    files = [f for root in roots for f in ([root] if root.is_file() else sorted(root.rglob("*.py")))]
    own = Path(inspect.getsourcefile(stable_ids)).resolve()
    touching = [str(f.relative_to(PROJECT_ROOT)) for f in files if f.resolve() != own and PRIVATE.search(f.read_text())]
    assert touching == []
