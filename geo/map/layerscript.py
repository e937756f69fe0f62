"""The event layers for st_folium, joined from each event's Leaflet script, rendered once.

folium renders every marker, disc, tooltip and popup through Jinja on every call, and compiles each
rendered piece as a template again: about 0.3 s for the curated pins, paid on every rerun in which
st_folium is handed new layers (every filter change). The script of one event's elements depends only
on the event (fixed within a dataset version), its route status on the map date and its pin's stack
offset, so `scripted_layers` renders each such script once into a cache the caller keeps per dataset
version, and a rerun only joins ready-made scripts. The JavaScript is exactly what folium would have
produced for the same elements (streamlit-folium walks the elements' `script` macros the same way).

An exported map uses `geo.map.layers.event_layers` instead (plain folium objects); geo.map.mapview.map_parts
chooses.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import folium
import geopandas as gpd

from geo.events.dataset import located_mask
from geo.map.folium_parts import children, element_scripts, set_id, stable_ids
from geo.map.layers import COMPACT_ABOVE, drawing_order, event_elements, event_layers, layer_groups
from geo.map.rendered import PARENT, ReadyScript


class ScriptedLayer(folium.FeatureGroup):
    """A layer (FeatureGroup) whose content is ready-made Leaflet script, added with `add_script`."""

    def add_script(self, code: str) -> None:
        """Append `code`, whose elements refer to their layer as PARENT."""
        if not children(self):
            ReadyScript().add_to(self)
        children(self)[0].parts.append(code)


def event_script(row: dict[str, Any], offset: int | None) -> str:
    """The Leaflet script of one event's elements (`geo.map.layers.event_elements`), which add themselves
    to the layer named PARENT. Variable names derive from the event's id and offset: unique on a map."""
    holder = folium.FeatureGroup()
    set_id(holder, PARENT.removeprefix("feature_group_"))
    holder.add_to(folium.Map(tiles=None))
    elements = event_elements(row, offset)
    for element in elements:
        element.add_to(holder)
    stable_ids(holder, f"{row['id']}/{offset}")
    holder.render()  # what folium does first: a Marker adds the child that sets its icon
    return "\n".join(script for element in elements for script in element_scripts(element))


def scripted_layers(frame: gpd.GeoDataFrame, rendered: MutableMapping[tuple, str]) -> list[folium.FeatureGroup]:
    """The three event layers of `frame`, as `geo.map.layers.event_layers` draws them, with each event's
    script taken from `rendered` or rendered into it (key: id, status, stack offset). `rendered` must
    belong to one dataset version. Above COMPACT_ABOVE located events: `event_layers` itself."""
    located = frame[located_mask(frame)]
    if len(located) > COMPACT_ABOVE:
        return event_layers(located)
    groups = layer_groups(ScriptedLayer)
    for row, offset in drawing_order(located):
        key = (row["id"], row["status"], offset)
        if key not in rendered:
            rendered[key] = event_script(row, offset)
        groups[row["layer"]].add_script(rendered[key])
    return list(groups.values())
