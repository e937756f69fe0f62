"""The large-data map layer: one binary pack of every located event (geo.map.pack), drawn by
static/js/geopack.js with WebGL (2D canvas where WebGL is unavailable), plus per-view bit masks.

A folium Marker with its popup costs ~830 bytes per event (DESIGN.md §5) and even compact JSON arrays
are re-sent through the websocket on every rerun. Here the pack is written once per dataset version and
fetched once by a layer on the (stable) base map; a filter change sends only `mask_group`: one bit per
pack row, base64 (125 KB at 1,000,000 events), plus one byte per route line for its status on the map
date. An exported map embeds the pack itself (`embedded_pack_layer`), with each event's title, place and
confidence for its popups, so it stays one offline file.

The layer groups nearby points into numbered clusters per zoom, and tells streamlit-folium which event
was clicked by a hidden "[#<row>]" at the end of its click text (geo.map.popups.feature_id_from_tooltip).

Python passes only data and parameters; the JavaScript lives in static/js/geopack.js.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from geo.events.evidence import confidence_label
from geo.events.schema import EVENT_TYPES, LAYERS, LOCATION_PRECISIONS, ROUTE_STATUSES
from geo.map.folium_parts import ScriptMacro, derived_id, set_id
from geo.map.pack import NO_STATUS, PackRows, located, pack_bytes, pack_rows, row_ids, view_arrays
from geo.map.style import EVENT_STYLE, STATUS_STYLE, UNCERTAINTY_RADIUS_M
from geo.report.details import where_label

JINJA_OPENING = re.compile(r"\{(?=[{%#])")
DETAILS_NOTE = "Full evidence and sources: Details, below the map."
SCRIPT = "geopack.js"


def script_json(value: Any) -> str:
    """`value` as JSON that is safe inside an HTML <script> (no '<', '>' or '&' characters) and inside a
    Jinja template (no "{{", "{%" or "{#": folium renders a script's text as a template once more, so a
    title "{{7*7}}" would reach the page as "49")."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return JINJA_OPENING.sub("\\\\u007b", text)  # only inside strings: JSON's own "{" is followed by '"' or "}"


def row_texts(frame: gpd.GeoDataFrame) -> list[list[str]]:
    """[title, place, confidence] in plain words for each located row of `frame`, in pack order (what an
    exported map's popups and cluster lists show)."""
    rows = located(frame)
    counted = rows["independent_sources"].tolist() if "independent_sources" in rows.columns else None
    texts = []
    columns = ["title", "place", "via", "crossings", "country"] + (["sources"] if counted is None else [])
    for n, row in enumerate(rows.reindex(columns=columns).to_dict("records")):
        row = {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}  # a missing column: NaN
        if counted is not None:
            confidence = (f"corroborated by {int(counted[n])} independent sources" if counted[n] >= 2
                          else "single source")
        else:
            confidence = confidence_label(list(row["sources"] or []))
        texts.append([str(row["title"] or ""), where_label(row), confidence])
    return texts


def layer_options(version: str, ids: list[str] | None = None, note: str | None = DETAILS_NOTE,
                  texts: list[list[str]] | None = None) -> dict[str, Any]:
    """The options of `new L.GeoPack(...)`: styles from geo.map.style, in the pack's code order; `ids` and
    `texts` (row_texts), when given, one per pack row."""
    return {
        "version": version,
        "types": [[label, EVENT_STYLE[t][0]] for t, label in EVENT_TYPES.items()],
        "radii": [UNCERTAINTY_RADIUS_M.get(p, 0) for p in LOCATION_PRECISIONS],
        "statuses": [[label, STATUS_STYLE[s]["color"], STATUS_STYLE[s]["weight"], STATUS_STYLE[s]["opacity"],
                      STATUS_STYLE[s]["dash_array"]] for s, label in ROUTE_STATUSES.items()],
        "ids": ids,
        "texts": texts,
        "note": note or "",
    }


class PackLayer(ScriptMacro):
    """`new L.GeoPack(source, options)` added to its parent (the map, or a FeatureGroup)."""

    NAME = "GeoPack"
    SCRIPT = """
        var {{ this.get_name() }} = new L.GeoPack({{ this.source }}, {{ this.config }})
            .addTo({{ this.parent_name() }});
        """

    def __init__(self, source: dict[str, str], options: dict[str, Any]):
        super().__init__()
        self.version = options["version"]
        self.source = script_json(source)
        self.config = script_json(options)


def pack_version(url: str) -> str:
    """The version masks name the pack served at `url` by: its file name without .bin (the key given to
    geo.map.pack.write_pack)."""
    return Path(url).stem


def pack_layer(url: str, version: str | None = None, note: str | None = DETAILS_NOTE) -> PackLayer:
    """The layer that fetches the pack at `url` once (add it to the base map). `version` names the pack
    for the masks (default: `pack_version(url)`)."""
    return PackLayer({"url": url}, layer_options(version or pack_version(url), note=note))


def embedded_pack_layer(frame: gpd.GeoDataFrame, note: str | None = None) -> PackLayer:
    """A layer carrying the pack of exactly the located rows of `frame` (base64), their ids and their
    texts (row_texts), so the page needs no fetch (exported maps). Its version is a hash of the pack."""
    data = pack_bytes(frame)
    version = hashlib.sha1(data).hexdigest()[:16]
    return PackLayer({"base64": base64.b64encode(data).decode("ascii")},
                     layer_options(version, ids=row_ids(frame), note=note, texts=row_texts(frame)))


class PackMask(ScriptMacro):
    """Hands one mask to the pack layers of the map its FeatureGroup is on, while it is on it."""

    NAME = "GeoPackMask"
    SCRIPT = """
        L.GeoPack.mask({{ this.parent_name() }}, {{ this.config }});
        """

    def __init__(self, config: dict[str, Any]):
        super().__init__()
        self.config = script_json(config)


def mask_group(mask: np.ndarray, version: str, name: str = "Events",
               statuses: np.ndarray | None = None) -> folium.FeatureGroup:
    """A FeatureGroup named `name` whose script shows the pack rows where `mask` (bool, one per pack row)
    is true on the pack layer `version` of the same map; `statuses` (uint8, one per pack line, codes of
    ROUTE_STATUSES, NO_STATUS for none) overrides the lines' packed status. The same arguments give the
    same script, so st_folium sees no change."""
    bits = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
    config = {"version": version, "count": int(len(mask)), "bits": base64.b64encode(bits.tobytes()).decode("ascii"),
              "statuses": None if statuses is None
              else base64.b64encode(np.asarray(statuses, dtype=np.uint8).tobytes()).decode("ascii")}
    group = folium.FeatureGroup(name=name, show=True)
    digest = hashlib.sha1(f"{name}/{version}".encode()).hexdigest()
    set_id(group, digest[:32])
    mask = PackMask(config)
    set_id(mask, derived_id(f"{digest}/0"))
    mask.add_to(group)
    return group


def view_groups(pack_frame: gpd.GeoDataFrame, shown: gpd.GeoDataFrame, version: str) -> list[folium.FeatureGroup]:
    """One mask group per map layer (always all three, named as in geo.events.schema.LAYERS) showing the rows of
    `shown` (indexed by event id; routes with their status on the map date) on the pack written from
    `pack_frame`."""
    mask, statuses = view_arrays(pack_frame, shown)
    rows = pack_rows(pack_frame)
    return mask_groups(mask, statuses, rows, version)


def mask_groups(mask: np.ndarray, statuses: np.ndarray, rows: PackRows, version: str) -> list[folium.FeatureGroup]:
    """One mask group per map layer (always all three) showing the pack rows where `mask` is true, the
    lines in `statuses` (geo.map.pack.view_arrays / mask_view), on the pack `version` described by `rows`."""
    groups = []
    for layer, label in LAYERS.items():
        own = mask & (rows.layers == layer)
        has_lines = bool(own[rows.lines].any()) if len(rows.lines) else False
        groups.append(mask_group(own, version, label, statuses if has_lines else None))
    return groups


def embedded_layers(frame: gpd.GeoDataFrame) -> list[folium.FeatureGroup]:
    """The large-data event layers of a self-contained map: a group (not in the layer control) holding
    the pack of `frame`'s located rows, then one mask group per map layer showing all of them."""
    layer = embedded_pack_layer(frame)
    holder = folium.FeatureGroup(name="Event data", control=False, show=True)
    set_id(holder, derived_id("geopack-data"))
    set_id(layer, derived_id(f"geopack-data/{layer.version}"))
    layer.add_to(holder)
    rows = located(frame)
    return [holder, *view_groups(rows, rows, layer.version)]


__all__ = ["DETAILS_NOTE", "NO_STATUS", "SCRIPT", "PackLayer", "PackMask", "embedded_layers",
           "embedded_pack_layer", "layer_options", "mask_group", "mask_groups", "pack_layer", "pack_version",
           "row_texts", "script_json", "view_groups"]
