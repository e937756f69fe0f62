"""The event layers for st_folium, joined from each event's Leaflet script, rendered once.

folium renders every marker, disc, tooltip and popup through Jinja on every call, and compiles each rendered
piece as a template again: about 0.3 s for the curated pins, paid on every rerun in which st_folium is
handed new layers (every filter change). The script of one event's elements depends only on the event (fixed
within a dataset version) and its route status on the map date, so `scripted_layers` renders each such
script once into a cache the caller keeps per dataset version, and a rerun only joins ready-made scripts.
The JavaScript is exactly what folium would have produced for the same elements (streamlit-folium walks the
elements' `script` macros the same way).

An exported map uses `geo.map.layers.event_layers` instead (plain folium objects); geo.map.mapview.map_parts
chooses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.events.dataset import records
from geo.map.folium_parts import children, element_scripts, set_id, stable_ids
from geo.map.layers import COMPACT_ABOVE, EventLayer, drawing_positions, event_elements, event_layers, layer_groups
from geo.map.rendered import PARENT, ReadyScript


class ScriptedLayer(EventLayer):
    """An event layer (its pins clustered, geo.map.layers.EventLayer) whose content is ready-made Leaflet
    script, added with `add_script`."""

    def add_script(self, code: str) -> None:
        """Append `code`, whose elements refer to their layer as PARENT."""
        if not children(self):
            ReadyScript().add_to(self)
        children(self)[0].parts.append(code)


def event_script(row: dict[str, Any], offset: int | None) -> str:
    """The Leaflet script of one event's elements (`geo.map.layers.event_elements`), which add themselves
    to the layer named PARENT. Variable names derive from the event's id: unique on a map."""
    holder = folium.FeatureGroup()
    set_id(holder, PARENT.removeprefix("feature_group_"))
    holder.add_to(folium.Map(tiles=None))
    elements = event_elements(row, offset)
    for element in elements:
        element.add_to(holder)
    stable_ids(holder, f"{row['id']}/{offset}")
    holder.render()  # what folium does first: a Marker adds the child that sets its icon
    return "\n".join(script for element in elements for script in element_scripts(element))


def scripted_layers(frame: gpd.GeoDataFrame, rendered: MutableMapping[tuple, str], shown: np.ndarray | None = None,
                    statuses: pd.Series | None = None, keys: np.ndarray | None = None) -> list[folium.FeatureGroup]:
    """The three event layers of the rows of `frame` where `shown` is true (default all), each with its status from
    `statuses` (per row of `frame`; default its own), as `geo.map.layers.event_layers` draws them, with each event's
    script taken from `rendered` or rendered into it (key: the row's key, its status, 0 for a pin or None for a
    line). A row's key is `keys[row]` (default its id); `rendered` must belong to one dataset version unless `keys`
    identify each row's whole content, as a digest does. Only an event whose script is not kept yet is copied out of
    `frame`. Above COMPACT_ABOVE located events: `event_layers` itself."""
    positions, lines = drawing_positions(frame, shown, statuses)
    status = (frame["status"] if statuses is None else statuses).to_numpy()
    if len(positions) > COMPACT_ABOVE:
        return event_layers(frame.iloc[positions].assign(status=status[positions]))
    groups = layer_groups(ScriptedLayer)
    keys = frame["id"].to_numpy() if keys is None else keys
    layers = frame["layer"].to_numpy()
    for position, line in zip(positions, lines, strict=True):
        offset = None if line else 0
        key = (keys[position], status[position], offset)
        script = rendered.get(key)  # read once: a shared cache may be emptied by another session meanwhile
        if script is None:
            row = records(frame.iloc[[position]])[0]
            script = rendered[key] = event_script({**row, "status": status[position]}, offset)
        groups[layers[position]].add_script(script)
    return list(groups.values())


def content_keys(frame: gpd.GeoDataFrame) -> np.ndarray:
    """A digest of each row's whole content (sha1 of its JSON): keys under which `scripted_layers` may share
    scripts across dataset versions, so a new version renders only the events it changed."""
    return np.array([hashlib.sha1(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
                     for row in records(frame)], dtype=object)
