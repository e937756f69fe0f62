"""An events collection as a validated GeoDataFrame, and a frame back as a collection.

A file loads whole or not at all: any problem raises `DatasetError` with every problem found,
so the app never shows a partial dataset that looks complete.
"""

from __future__ import annotations

import codecs
import json
import math
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pydantic import BaseModel
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.events.nested import compact
from geo.events.schema import EventProperties, Problem, show, validate_collection

PROPERTY_FIELDS: tuple[str, ...] = tuple(EventProperties.model_fields)
CRS = "EPSG:4326"


class DatasetError(Exception):
    """The file is not a valid events dataset; `problems` says exactly why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


MAX_FILE_BYTES = 200_000_000
"""Largest GeoJSON file read whole (200 MB; the bundled one is about 20 KB), by the dashboard, export-html
and the other commands that load a dataset. Checked before reading. `validate`, `convert` and `db import`
read a GeoJSON file of any size feature by feature (geo.io.geojson). GeoParquet, the large-data format, has
its own limit (geo.io.geoparquet.MAX_PARQUET_BYTES)."""

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted (a valid events file nests 7 deep)."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)
_JSON_WHITESPACE = b" \t\r\n"


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {show(text, 40)} is too large for a 64-bit float")
    return value


def _int(text: str) -> int:
    if len(text) > 4000:  # Python refuses to convert more than 4300 digits, with an unhelpful message
        raise ValueError(f"a number has {len(text):,} digits")
    return int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (the second value would silently win)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"the key {show(key, 40)} appears twice in one object")
    return out


STRICT_JSON: dict[str, Any] = {"parse_constant": _reject_constant, "parse_float": _finite_float,
                               "parse_int": _int, "object_pairs_hook": _object}
"""How events JSON is decoded (json.loads / json.JSONDecoder keywords): no NaN or Infinity, no number beyond a
64-bit float or of more than 4,000 digits, no key given twice in one object. `read_json` and the streaming
reader (geo.io.geojson) both decode with exactly these."""

TOO_DEEP = f"not valid JSON: arrays and objects nested more than {MAX_DEPTH} deep"


def bom_message(encoding: str) -> str:
    """Why a file starting with a UTF-16 or UTF-32 byte order mark is refused."""
    return f"the file is {encoding} text (it starts with a {encoding} byte order mark); save it as UTF-8"


def starting_bom(raw: bytes) -> str | None:
    """The encoding a UTF-16/32 byte order mark at the start of `raw` announces, or None."""
    return next((encoding for bom, encoding in _BOMS if raw.startswith(bom)), None)


def nul_message(where: str, offset: int) -> str:
    """Why a file holding a NUL byte is refused (`where`: its line and column, `offset`: its byte)."""
    return (f"NUL byte at {where} (byte {offset}): the file looks like UTF-16 or UTF-32 text, or is not text at "
            f"all; save it as UTF-8")


def empty_message(no_bytes: bool) -> str:
    """Why a file with nothing but JSON white space (or nothing at all) is refused."""
    return "the file is empty" if no_bytes else "the file has nothing but whitespace in it"


def utf8_message(byte: int, where: str, offset: int) -> str:
    """Why a file that is not UTF-8 is refused: the first byte that is not, its line and column, its offset."""
    return (f"not UTF-8 text: byte 0x{byte:02X} at {where} (byte {offset}) is not valid UTF-8 (Latin-1 or "
            f"Windows-1252?); save it as UTF-8")


def json_message(line: int, column: int, message: str) -> str:
    """A JSON syntax error as Python's decoder reports it (`message`), at a line and column of the text."""
    return f"not valid JSON (line {line}, column {column}: {message})"


def position(line: int, column: int) -> str:
    """A place in a file, as messages name it."""
    return f"line {line}, column {column}"


def _too_deep(data: Any, depth: int = 1) -> bool:
    """Whether arrays and objects nest deeper than MAX_DEPTH (checked without recursion), `data` itself being
    at `depth` (1: the top of the document)."""
    stack = [(data, depth)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _position(raw: bytes, offset: int) -> str:
    return position(raw.count(b"\n", 0, offset) + 1, offset - raw.rfind(b"\n", 0, offset))


LIMIT_ADVICE = "split it into smaller files"


def convert_advice(path: Path) -> str:
    """What to do with an events GeoJSON file over MAX_FILE_BYTES: the command that converts it to GeoParquet
    (named by the file's name, never its folder: visitors read this too)."""
    name = Path(path).name
    return (f"convert it to GeoParquet with `python -m geo convert {shlex.quote(name)} "
            f"{shlex.quote(str(Path(name).with_suffix('.parquet')))}` and use that file")


def read_json(path: Path, max_bytes: int | None = MAX_FILE_BYTES, *, advice: str = LIMIT_ADVICE,
              kind: str = "") -> Any:
    """Parse a JSON file strictly, raising DatasetError (one `file` problem) on failure.

    The file must be at most `max_bytes` long (None: no limit), checked before it is read (a file over it
    is refused naming the limit, `kind` of file it is for and `advice`); UTF-8 (a UTF-8 byte order mark is
    accepted and ignored; UTF-16/32 and Latin-1 are not); one JSON value decoded as STRICT_JSON says, nested
    at most MAX_DEPTH deep. geo.io.geojson reads the same files with the same problems, feature by feature.
    """
    file = str(path)

    def fail(message: str) -> DatasetError:
        return DatasetError([Problem(file, "file", message)])

    def too_big(size: int | None) -> DatasetError:
        known = f"{size:,} bytes, " if size is not None else ""
        megabytes = f" ({max_bytes / 1e6:g} MB)" if max_bytes >= 1_000_000 else ""
        return fail(f"the file is {known}over the limit of {max_bytes:,} bytes{megabytes}{kind}; {advice}")

    try:
        size = Path(path).stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise too_big(size)
        with Path(path).open("rb") as stream:  # bounded: a pipe or a growing file says nothing by its size
            raw = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
    except OSError as error:
        raise fail(f"cannot read file: {error.strerror or error}") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise too_big(None)
    encoding = starting_bom(raw)
    if encoding:
        raise fail(bom_message(encoding))
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise fail(nul_message(_position(raw, nul), nul))
    if not raw.removeprefix(codecs.BOM_UTF8).strip(_JSON_WHITESPACE):
        raise fail(empty_message(not raw))
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = bom + error.start  # counted in the file, byte order mark included
        raise fail(utf8_message(raw[offset], _position(raw, offset), offset)) from None
    try:
        data = json.loads(text, **STRICT_JSON)
    except json.JSONDecodeError as error:
        raise fail(json_message(error.lineno, error.colno, error.msg)) from None
    except RecursionError:
        raise fail(TOO_DEEP) from None
    except ValueError as error:
        raise fail(f"not valid JSON: {error}") from None
    if _too_deep(data):
        raise fail(TOO_DEEP)
    return data


EVENTS_KIND = " for a GeoJSON events file"


def _stripped(value: Any, shared: dict[str, str]) -> Any:
    """Text as the models read it (surrounding white space removed), one object for each text `shared` has seen
    (a type, a date or a place is then one string, not one per event); other values unchanged."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    return shared.setdefault(value, value)


def frame_from_collection(data: dict[str, Any], file: str = "<data>", model: type[BaseModel] = EventProperties,
                          validate_one: Callable[[Any, int, str], list[Problem]] | None = None) -> gpd.GeoDataFrame:
    """Validate a parsed FeatureCollection and return it as a GeoDataFrame in EPSG:4326, indexed by id.

    Columns are the fields of `model` (the events' properties unless told otherwise; dates as ISO
    strings, which sort and compare correctly and stay JSON-serialisable; for the events, the nested
    values as JSON text, decoded when a row is read: geo.events.nested) plus `geometry` (None where
    the location is unknown). `validate_one` checks each feature (default: the events contract).
    """
    problems = validate_collection(data, file, validate_one)
    if problems:
        raise DatasetError(problems)
    return frame_from_features(data["features"], model)


def frame_from_features(features: list[dict[str, Any]], model: type[BaseModel] = EventProperties) -> gpd.GeoDataFrame:
    """The frame `frame_from_collection` gives for these features, which must have been found valid already (by
    `validate_collection`, or a geo.io.geojson source's `stream`): they are not checked again. Frames of
    consecutive batches concatenated (`pd.concat`) are the frame of all of them."""
    # Every feature has been validated, so its properties are taken as they are (dates are ISO
    # text by contract) with the model's defaults filled in, rather than validated a second time:
    # that second pass was a third of the load time at 100,000 events.
    defaults = {name: field.get_default(call_default_factory=True) for name, field in model.model_fields.items()}
    rows, geometries, shared = [], [], {}
    for feature in features:
        props = feature["properties"]
        rows.append({name: _stripped(props[name], shared) if name in props else defaults[name] for name in defaults})
        geometries.append(shape(feature["geometry"]) if feature["geometry"] else None)
    columns = pd.DataFrame(rows, columns=list(defaults), dtype=object)
    columns = columns.astype(object).where(columns.notna(), None)
    if model is EventProperties:
        columns = compact(columns)
    frame = gpd.GeoDataFrame(columns, geometry=geometries, crs=CRS)
    return frame.set_index("id", drop=False).rename_axis(None)


def has_location(geometry: BaseGeometry | None) -> bool:
    """Whether an event's geometry places it on the map: present and not empty. The one meaning of
    "located" (the data contract refuses empty coordinates, so for a loaded frame this is `is not None`)."""
    return geometry is not None and not geometry.is_empty


def located_mask(frame: gpd.GeoDataFrame) -> pd.Series:
    """`has_location` for every row of `frame`, as a boolean Series on its index (vectorised)."""
    geometries = frame.geometry.to_numpy()  # (GeoSeries.notna warns whenever an empty geometry is there)
    return pd.Series(shapely.is_geometry(geometries) & ~shapely.is_empty(geometries), index=frame.index)


def records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts, with pandas' missing-value markers turned back into None."""
    out = frame.to_dict("records")
    for row in out:
        for key, value in row.items():
            if isinstance(value, float) and value != value:
                row[key] = None
    return out


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
