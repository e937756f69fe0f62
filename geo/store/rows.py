"""How an event feature is laid out in the PostGIS tables, and back, exactly.

One row in `events` per feature (its scalar properties as typed columns, `via` and `crossings` as jsonb, the
geometry (a Point, MultiPoint, LineString or MultiLineString) as
`geometry(Geometry, 4326)`), one row per source in `sources`, per status change in `status_history`, per
figure in `figures`, each numbered by its position. `keys` keeps the property names a feature (or source,
status change, figure) has, in their order, so an absent property stays absent, an explicit null stays
null, an empty list stays empty and the JSON comes back byte for byte. A feature the columns cannot hold
exactly (coordinates with altitudes or written as integers, a geometry with a bbox, a NUL character in its
text, a number given as text) is also kept whole, as given, in `raw`, and read from there.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

EVENT_SCALARS = ("layer", "event_type", "title", "summary", "place", "place_text", "evidence", "country",
                 "location_precision", "location_note", "date_start", "date_end", "date_precision",
                 "date_inferred", "date_note", "status", "matches")
EVENT_JSON = ("via", "crossings")
CHILDREN = {  # property -> (table, columns)
    "sources": ("sources", ("publisher", "title", "published", "ref", "author", "note", "original",
                            "attributed_to", "claim", "url")),
    "status_history": ("status_history", ("status", "since", "precision", "inferred", "note")),
    "figures": ("figures", ("quantity", "value", "value_max", "qualifier", "source")),
}
EVENT_COLUMNS = ("id", "position", *EVENT_SCALARS, *EVENT_JSON, "geom", "keys", "raw")
_AT = {key: {column: 1 + n for n, column in enumerate(columns)} for key, (_, columns) in CHILDREN.items()}
FEATURE_KEYS = ["type", "geometry", "properties"]
SRID = 4326


def _cell(value: Any) -> Any:
    """A property value as a column takes it: text without NUL (PostgreSQL text cannot hold one)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _value(value: Any) -> Any:
    """A column's value as the JSON had it: dates back to ISO text."""
    return value.isoformat() if type(value) is dt.date else value


def _plain(coordinates: Any) -> Any:
    """shapely's tuples as GeoJSON's lists."""
    return [_plain(c) for c in coordinates] if isinstance(coordinates, (tuple, list)) else coordinates


def geometry_json(geometry: shapely.Geometry | None) -> dict[str, Any] | None:
    """A shapely geometry as a GeoJSON geometry object (exact doubles, lists not tuples)."""
    if geometry is None:
        return None
    out = mapping(geometry)
    return {"type": out["type"], "coordinates": _plain(out["coordinates"])}


def _child_rows(items: Any, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    rows = []
    for n, item in enumerate(items if isinstance(items, list) else []):
        item = item if isinstance(item, dict) else {}
        rows.append((n, *(_cell(item.get(c)) for c in columns), [k for k in item if k in columns]))
    return rows


def feature_from_rows(event: dict[str, Any], children: dict[str, list[tuple[Any, ...]]],
                      geometry: shapely.Geometry | None) -> dict[str, Any]:
    """The feature a row of `events` (column name -> value), its child rows (property -> rows of
    (position, *columns, keys), in position order) and its shapely geometry stand for."""
    if event.get("raw") is not None:
        raw = event["raw"]
        return json.loads(raw) if isinstance(raw, str) else raw
    props: dict[str, Any] = {}
    for key in event["keys"]:
        if key == "id":
            props[key] = event["id"]
        elif key in CHILDREN:
            at = _AT[key]
            props[key] = [{k: _value(row[at[k]]) for k in row[-1]} for row in children.get(key, ())]
        else:
            props[key] = _value(event[key])
    return {"type": "Feature", "geometry": geometry_json(geometry), "properties": props}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def feature_rows(features: list[dict[str, Any]], positions: list[int]
                 ) -> list[tuple[tuple[Any, ...], dict[str, list[tuple[Any, ...]]]]]:
    """For each valid feature, its `events` row (EVENT_COLUMNS; jsonb as text, `geom` as hex EWKB) and child rows
    (property -> rows of (position, *columns, keys)); `raw` is set when the columns alone would not give the
    feature back exactly. Geometries are converted in one vectorised pass."""
    shapes = [shape(f["geometry"]) if f.get("geometry") else None for f in features]
    stored = shapely.force_2d(np.array(shapes, dtype=object)) if shapes else np.array([], dtype=object)
    ewkb = shapely.to_wkb(shapely.set_srid(stored, SRID), hex=True, include_srid=True) if shapes else []
    out = []
    for feature, position, geometry, hexed in zip(features, positions, stored, ewkb, strict=True):
        props = feature["properties"]
        children = {key: _child_rows(props.get(key), columns) for key, (_, columns) in CHILDREN.items()}
        event = {"id": props["id"], "keys": list(props),
                 **{c: _cell(props.get(c)) for c in EVENT_SCALARS}, **{c: props.get(c) for c in EVENT_JSON}}
        back = feature_from_rows({**event, "raw": None}, children, geometry)
        exact = list(feature) == FEATURE_KEYS and _dumps(back) == _dumps(feature)
        row = (props["id"], position, *(event[c] for c in EVENT_SCALARS),
               *(None if event[c] is None else _dumps(event[c]) for c in EVENT_JSON), hexed,
               event["keys"], None if exact else _dumps(feature))
        out.append((row, children))
    return out
