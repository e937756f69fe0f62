"""Reading an events file into a validated GeoDataFrame, and writing a frame back out.

A file loads whole or not at all: any problem raises `DatasetError` with every problem found,
so the app never shows a partial dataset that looks complete.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import mapping, shape

from geo.schema import EventProperties, Problem, validate_collection

PROPERTY_FIELDS: tuple[str, ...] = tuple(EventProperties.model_fields)
CRS = "EPSG:4326"


class DatasetError(Exception):
    """The file is not a valid events dataset; `problems` says exactly why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON")


def read_json(path: Path) -> Any:
    """Parse a JSON file strictly (no NaN/Infinity), raising DatasetError on failure."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise DatasetError([Problem(file, "file", f"cannot read file: {error.strerror or error}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError([Problem(file, "file", f"not UTF-8 text (byte {error.start})")]) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        message = f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        raise DatasetError([Problem(file, "file", message)]) from None
    except (ValueError, RecursionError) as error:
        raise DatasetError([Problem(file, "file", f"not valid JSON: {error}")]) from None


def validate_file(path: Path) -> list[Problem]:
    """Every problem with the file at `path`; empty when it is a valid events dataset."""
    try:
        data = read_json(path)
    except DatasetError as error:
        return error.problems
    return validate_collection(data, str(path))


def frame_from_collection(data: dict[str, Any], file: str = "<data>") -> gpd.GeoDataFrame:
    """Validate a parsed FeatureCollection and return it as a GeoDataFrame in EPSG:4326.

    Columns are the property fields (dates as ISO strings, which sort and compare correctly
    and stay JSON-serialisable) plus `geometry` (None where the location is unknown).
    """
    problems = validate_collection(data, file)
    if problems:
        raise DatasetError(problems)
    rows, geometries = [], []
    for feature in data["features"]:
        props = EventProperties.model_validate(feature["properties"]).model_dump(mode="json")
        rows.append({name: props.get(name) for name in PROPERTY_FIELDS})
        geometries.append(shape(feature["geometry"]) if feature["geometry"] else None)
    columns = pd.DataFrame(rows, columns=list(PROPERTY_FIELDS), dtype=object)
    columns = columns.astype(object).where(columns.notna(), None)
    frame = gpd.GeoDataFrame(columns, geometry=geometries, crs=CRS)
    return frame.set_index("id", drop=False).rename_axis(None)


def records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts, with pandas' missing-value markers turned back into None."""
    out = frame.to_dict("records")
    for row in out:
        for key, value in row.items():
            if isinstance(value, float) and value != value:
                row[key] = None
    return out


def load_events(path: Path) -> gpd.GeoDataFrame:
    """Read, validate and load an events file; raises DatasetError listing every problem."""
    return frame_from_collection(read_json(path), str(path))


def to_feature_collection(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """The frame's rows as a FeatureCollection in the dataset schema (lossless for loaded data)."""
    features = []
    for row in records(frame):
        geometry = row.pop("geometry", None)
        properties = {k: row[k] for k in PROPERTY_FIELDS if row.get(k) not in (None, [], "") or k == "place"}
        features.append({
            "type": "Feature",
            "geometry": mapping(geometry) if geometry is not None else None,
            "properties": properties,
        })
    return {"type": "FeatureCollection", "features": features}


def to_geojson(frame: gpd.GeoDataFrame) -> str:
    """GeoJSON text of exactly the rows in `frame`."""
    return json.dumps(to_feature_collection(frame), ensure_ascii=False, indent=1)


def format_sources(sources: list[dict[str, Any]]) -> str:
    """Sources as one citation string: 'Publisher, "Title" (date) <ref>; ...'."""
    return "; ".join(f'{s["publisher"]}, "{s["title"]}" ({s["published"]}) <{s["ref"]}>' for s in sources or [])


CSV_COLUMNS = (
    "id", "layer", "event_type", "title", "summary", "place", "location_precision",
    "date_start", "date_end", "date_precision", "date_inferred", "date_note", "status",
    "longitude", "latitude", "geometry_wkt", "country_found", "province", "distance_to_border_km",
    "nearest_crossing", "nearest_crossing_km", "sources",
)


def to_csv(frame: gpd.GeoDataFrame) -> str:
    """CSV of exactly the rows in `frame`: one row per event, sources joined with '; ' (geography
    columns are filled when the frame carries geo.geography's analysis)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in records(frame):
        geometry = row.get("geometry")
        point = geometry is not None and geometry.geom_type == "Point"
        writer.writerow({
            **row,
            "longitude": round(geometry.x, 6) if point else "",
            "latitude": round(geometry.y, 6) if point else "",
            "geometry_wkt": geometry.wkt if geometry is not None else "",
            "sources": format_sources(row.get("sources")),
        })
    return buffer.getvalue()
