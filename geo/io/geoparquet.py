"""Events as GeoParquet: the large-data format (a million events in tens of MB, read in seconds).

An events GeoParquet file holds one row per feature, in file order, and one column per property
(text and booleans as themselves, nested values — sources, figures, status_history, via — as JSON
text), with the geometry as ISO WKB in EPSG:4326 and GeoParquet 1.1 `geo` metadata. `read_collection`
turns such a file back into the very FeatureCollection dict `geo.events.dataset.read_json` gives for the
GeoJSON it came from, so it is validated by the same `validate_collection` with the same messages.
A property missing from a feature is a null cell; one given as JSON null is listed in `__nulls__`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

from geo.events.dataset import MAX_DEPTH, DatasetError, to_feature_collection
from geo.events.nested import NESTED_COLUMNS, json_text, json_value
from geo.events.schema import (
    MAX_PROBLEMS,
    EventProperties,
    Problem,
    nested_deeper_than,
    validate_collection,
)
from geo.io.atomic import write_atomically
from geo.io.geojson import CleanSoFar, Sink, Validator, _Features

GEOMETRY = "geometry"
NULLS = "__nulls__"
"""Column listing, per row, the properties given as JSON null (a null cell otherwise means 'absent')."""
MEMBERS = "__feature__"
"""Column holding a feature's members other than type, geometry and properties (e.g. a feature `id`)."""
RESERVED = (GEOMETRY, NULLS, MEMBERS)
META_KEY = b"border_events"
"""Schema metadata: which columns hold JSON text, and the collection's members other than features."""
EVENTS_FORMAT = 1
MAX_PARQUET_BYTES = 4_000_000_000
"""Largest events GeoParquet file read (4 GB; a million events take about 60 MB). Checked before reading."""
MAX_ROWS = 20_000_000
"""Most rows read from one file (checked in its footer before any data is read)."""
MAX_DECODED_BYTES = 4_000_000_000
"""Most bytes the file's data may take once decompressed and decoded (4 GB; a million events with full
sources take about 2 GB, a million synthetic bench events about 0.5 GB). Checked before the data is read:
from the footer for plainly encoded columns, and for dictionary-encoded text by reading the dictionary and
its indices (a few bytes per row), never the values they expand to."""
MAX_FOOTER_BYTES = 64_000_000
"""Largest Parquet footer (the schema, the key/value metadata and each column chunk's description) read;
checked from the file's last 8 bytes before it is parsed."""


NESTED_FIELDS: tuple[str, ...] = NESTED_COLUMNS
"""The event properties whose values are lists or objects (stored as JSON text)."""


# --- writing --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while building many objects at once (it rescans the growing heap
    again and again: reading 100,000 events took 2.5 times as long with it on); restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@functools.cache
def _wgs84_projjson() -> dict[str, Any]:
    from pyproj import CRS

    return CRS.from_epsg(4326).to_json_dict()


def geo_metadata(geometries: np.ndarray, column: str = GEOMETRY) -> dict[str, Any]:
    """GeoParquet 1.1 `geo` metadata for one WKB geometry column in EPSG:4326."""
    present = geometries[geometries != None]  # noqa: E711 (element-wise)
    kinds = sorted(set(shapely.get_type_id(present).tolist())) if len(present) else []
    names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
             7: "GeometryCollection"}
    has_z = bool(len(present)) and bool(shapely.has_z(present).any())
    types = [names[k] + (" Z" if has_z else "") for k in kinds if k in names]
    return {"version": "1.1.0", "primary_column": column,
            "columns": {column: {"encoding": "WKB", "geometry_types": types, "crs": _wgs84_projjson()}}}


def wkb_column(geometries: np.ndarray) -> pa.Array:
    """Geometries (shapely objects or None) as an ISO WKB binary column (null where None)."""
    return pa.array(shapely.to_wkb(geometries, flavor="iso", output_dimension=3), type=pa.binary())


def _column(values: list[Any]) -> tuple[pa.Array, bool]:
    """Present values (None: absent) as text, booleans, or JSON text; and whether it is JSON."""
    present = [v for v in values if v is not None]
    if all(type(v) is str for v in present):
        return pa.array(values, type=pa.string()), False
    if all(type(v) is bool for v in present):
        return pa.array(values, type=pa.bool_()), False
    return pa.array([None if v is None else json_text(v) for v in values], type=pa.string()), True


_ABSENT = object()


def collection_table(collection: dict[str, Any], geometries: np.ndarray | None = None) -> pa.Table:
    """The Arrow table of an events FeatureCollection (see the module docstring for the layout).

    `geometries` (shapely objects, one per feature) may be given when they are already at hand; otherwise
    they are read from each feature's GeoJSON geometry. Raises ValueError for a geometry GEOS cannot read."""
    features = collection["features"]
    properties = [f.get("properties") or {} for f in features]
    names = [n for n in EventProperties.model_fields if any(n in p for p in properties)]
    names += list(dict.fromkeys(n for p in properties for n in p if n not in EventProperties.model_fields
                                and n not in RESERVED))
    if geometries is None:
        texts = np.array([None if f.get("geometry") is None else orjson.dumps(f["geometry"]) for f in features],
                         dtype=object)
        geometries = shapely.from_geojson(texts)
    columns: dict[str, pa.Array] = {}
    json_columns = []
    for name in names:
        values = [p.get(name, _ABSENT) for p in properties]
        array, as_json = _column([None if v is _ABSENT else v for v in values])
        columns[name] = array
        if as_json:
            json_columns.append(name)
    nulls = [[n for n, v in p.items() if v is None] for p in properties]
    if any(nulls):
        columns[NULLS] = pa.array([json_text(n) if n else None for n in nulls], type=pa.string())
    members = [{k: v for k, v in f.items() if k not in ("type", "geometry", "properties")} for f in features]
    if any(members):
        columns[MEMBERS] = pa.array([json_text(m) if m else None for m in members], type=pa.string())
    columns[GEOMETRY] = wkb_column(np.asarray(geometries, dtype=object))
    table = pa.table(columns)
    extra = {k: v for k, v in collection.items() if k not in ("type", "features")}
    meta = {b"geo": json_text(geo_metadata(np.asarray(geometries, dtype=object))).encode(),
            META_KEY: json_text({"format": EVENTS_FORMAT, "json_columns": json_columns,
                                 "collection": extra}).encode()}
    return table.replace_schema_metadata(meta)


def write_events(data: gpd.GeoDataFrame | dict[str, Any], path: Path) -> None:
    """Write an events frame (as `geo.io.events_file.load_events` gives) or FeatureCollection dict to `path` as
    GeoParquet, losslessly and atomically: `read_collection(path)` gives back the collection (for a frame:
    `geo.events.dataset.to_feature_collection(frame)`), features in the same order."""
    if isinstance(data, gpd.GeoDataFrame):
        frame = data.to_crs("EPSG:4326") if data.crs is not None and data.crs != "EPSG:4326" else data
        with gc_paused():
            table = collection_table(to_feature_collection(frame), np.asarray(frame.geometry.array, dtype=object))
    else:
        with gc_paused():
            table = collection_table(data)
    write_atomically(Path(path), lambda temporary: write_table(table, temporary))


def write_table(table: pa.Table, path: Path) -> None:
    """Write `table` as Parquet the way this project reads it fastest and checks it cheapest: zstd, no
    dictionary encoding (every text column plain, so its decoded size is in the footer; `checked_table`
    then has nothing to measure, and reading is twice as fast)."""
    pq.write_table(table, path, compression="zstd", use_dictionary=False)


# --- reading --------------------------------------------------------------------------------------------------


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _is_wgs84(crs: Any) -> tuple[bool, str]:
    """Whether a GeoParquet `crs` value means WGS84 lon/lat, and its name for a message."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if crs is None:
        return False, "an undefined CRS (crs: null)"
    try:
        parsed = CRS.from_user_input(crs)
    except (CRSError, TypeError, ValueError):
        return False, "a CRS that cannot be read"
    name = parsed.to_string() if parsed.to_epsg() is None else f"EPSG:{parsed.to_epsg()}"
    return parsed.equals(CRS.from_epsg(4326), ignore_axis_order=True), name


def _python(column: pa.ChunkedArray) -> list[Any]:
    """A column's values as JSON-like Python values (dates and times as ISO text)."""
    values = column.to_pylist()
    if pa.types.is_temporal(column.type):
        values = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
    return values


class _Problems:
    """Problems of one file in the order reading it whole lists them — field by field in `fields`' order (a field
    not named there after them), each field's row by row — however many batches it is read in: at most MAX_PROBLEMS
    listed and the rest counted."""

    def __init__(self, file: str, fields: Iterable[str] = ()):
        self.file, self.found = file, 0
        self._fields: dict[str, list[Problem]] = {field: [] for field in fields}

    def add(self, field: str, message: str, index: int | None = None, feature_id: Any = None) -> None:
        self.found += 1
        listed = self._fields.setdefault(field, [])
        if len(listed) < MAX_PROBLEMS:  # each field's first MAX_PROBLEMS hold the first MAX_PROBLEMS of all
            fid = feature_id if isinstance(feature_id, str) else None
            listed.append(Problem(self.file, field, message, index, fid))

    def all(self) -> list[Problem]:
        listed = [problem for problems in self._fields.values() for problem in problems][:MAX_PROBLEMS]
        if self.found > len(listed):
            return listed + [Problem(self.file, "features", f"{self.found - len(listed)} more problems not listed "
                                                             f"(only the first {MAX_PROBLEMS} are)")]
        return listed


def _fail(file: str, field: str, message: str) -> Exception:
    return DatasetError([Problem(file, field, message)])


def _open(path: Path, file: str) -> pq.ParquetFile:
    """The Parquet file at `path`, its size, footer and row count within limits (DatasetError otherwise)."""
    try:
        size = Path(path).stat().st_size
        with Path(path).open("rb") as handle:
            handle.seek(max(size - 8, 0))
            tail = handle.read(8)
    except OSError as error:
        raise _fail(file, "file", f"cannot read file: {error.strerror or error}") from None
    if size > MAX_PARQUET_BYTES:
        raise _fail(file, "file", f"the file is {size:,} bytes, over the limit of {MAX_PARQUET_BYTES:,} bytes "
                                  f"({MAX_PARQUET_BYTES / 1e9:g} GB) for a GeoParquet events file; split it")
    if size == 0:
        raise _fail(file, "file", "the file is empty")
    footer = int.from_bytes(tail[:4], "little") if len(tail) == 8 else 0
    if tail[4:] == b"PARE":
        raise _fail(file, "file", "the file is encrypted Parquet, which cannot be read here; write it unencrypted")
    if tail[4:] == b"PAR1" and footer > MAX_FOOTER_BYTES:
        raise _fail(file, "file", f"the Parquet footer is {footer:,} bytes, over the limit of {MAX_FOOTER_BYTES:,} "
                                  f"({MAX_FOOTER_BYTES / 1e6:g} MB); far more metadata or row groups than events "
                                  f"need")
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException, ValueError) as error:
        raise _fail(file, "file", f"not a readable Parquet file ({_first_line(error)})") from None
    if parquet.metadata.num_rows > MAX_ROWS:
        raise _fail(file, "file", f"the file has {parquet.metadata.num_rows:,} rows, over the limit of "
                                  f"{MAX_ROWS:,}; split it")
    return parquet


_FIXED_BYTES = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8}
_PLAIN_TEXT = {"PLAIN", "RLE", "BIT_PACKED", "DELTA_LENGTH_BYTE_ARRAY"}
"""Encodings of a text (BYTE_ARRAY) column whose decoded size the footer bounds: its uncompressed pages hold
every value in full (RLE and BIT_PACKED encode only the nulls and nesting)."""
_DICTIONARY = {"PLAIN_DICTIONARY", "RLE_DICTIONARY"}
_OVERHEAD = 9  # decoded bytes per value beyond its own: an offset (or a list's offset) and a validity bit


def _leaves(kind: pa.DataType) -> int:
    """How many Parquet leaf columns an Arrow field of this type is stored as."""
    if pa.types.is_struct(kind):
        return sum(_leaves(kind.field(n).type) for n in range(kind.num_fields))
    if pa.types.is_map(kind):
        return _leaves(kind.key_type) + _leaves(kind.item_type)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _leaves(kind.value_type)
    return 1


def _encoded_sizes(parquet: pq.ParquetFile, file: str) -> tuple[int, dict[str, list[str]], int]:
    """From the footer alone: the decoded bytes of the columns whose size the footer bounds, the columns
    holding dictionary-encoded text (each with the paths of those leaves), whose size must be measured, and
    the uncompressed bytes of those columns (what measuring them decompresses: a dictionary page can be a
    decompression bomb of its own).
    DatasetError for a column nested deeper than MAX_DEPTH, or text in an encoding whose decoded size
    nothing bounds (DELTA_BYTE_ARRAY repeats a prefix of the value before it: a few bytes can stand for a
    value of any length)."""
    metadata = parquet.metadata
    for leaf in range(metadata.num_columns):
        path = metadata.schema.column(leaf).path
        if path.count(".") >= 2 * MAX_DEPTH:  # a list takes two parts of a path (list.element)
            raise _fail(file, path[:200], f"the column is nested more than {MAX_DEPTH} deep")
    tops = [field.name for field in parquet.schema_arrow for _ in range(_leaves(field.type))]
    if len(tops) != metadata.num_columns:
        raise _fail(file, "file", "the Parquet schema does not match its columns")
    sizes: dict[str, int] = {}
    measured: dict[str, list[str]] = {}
    for leaf, top in enumerate(tops):
        column = metadata.schema.column(leaf)
        width = _FIXED_BYTES.get(column.physical_type, column.length if column.physical_type ==
                                 "FIXED_LEN_BYTE_ARRAY" else None)
        for group in range(metadata.num_row_groups):
            chunk = metadata.row_group(group).column(leaf)
            values = max(chunk.num_values, metadata.row_group(group).num_rows)
            encodings = set(chunk.encodings)
            if width is None and not encodings <= _PLAIN_TEXT | _DICTIONARY:
                odd = ", ".join(sorted(encodings - _PLAIN_TEXT - _DICTIONARY))
                raise _fail(file, column.path[:200], f"the column is written in the {odd} encoding, whose decoded "
                                                     f"size cannot be known before decoding it; write the file with "
                                                     f"plain or dictionary encoding (GeoDataFrame.to_parquet does)")
            if width is None and (chunk.has_dictionary_page or encodings & _DICTIONARY):
                if column.path not in measured.setdefault(top, []):
                    measured[top].append(column.path)
            sizes[top] = sizes.get(top, 0) + values * (width + _OVERHEAD if width is not None else _OVERHEAD) \
                + (chunk.total_uncompressed_size if width is None else 0)
    return (sum(size for top, size in sizes.items() if top not in measured), measured,
            sum(size for top, size in sizes.items() if top in measured))


def _decoded_bytes(array: pa.Array) -> int:
    """The bytes `array` takes once every dictionary in it is expanded, computed from the dictionaries and
    their indices (never by expanding them)."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        lengths = pc.binary_length(array.dictionary)
        used = pc.take(lengths, array.indices.drop_null())
        return int(pc.sum(used).as_py() or 0) + len(array) * _OVERHEAD
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind) \
            or pa.types.is_fixed_size_list(kind):
        return len(array) * _OVERHEAD + _decoded_bytes(array.flatten())
    if pa.types.is_struct(kind):
        return len(array) * _OVERHEAD + sum(_decoded_bytes(child) for child in array.flatten())
    return array.nbytes


def checked_table(path: Path, file: str, parquet: pq.ParquetFile | None = None) -> pa.Table:
    """The whole table in the Parquet file at `path` (opened already as `parquet`, or opened here), read
    only once its decoded size is known to be within MAX_DECODED_BYTES (and its size, footer, rows and
    nesting within their limits): DatasetError, one line naming the file (and the column), otherwise.
    A column holding dictionary-encoded text is measured first by reading its text as dictionaries, so a
    small file whose dictionary expands to gigabytes is refused at the cost of the dictionary and a few
    bytes per row."""
    parquet = parquet or _open(path, file)
    known, dictionary_encoded, uncompressed = _encoded_sizes(parquet, file)

    def refuse(size: int, what: str) -> Exception:
        return _fail(file, "file", f"the file's data {what} {size:,} bytes, over the limit of {MAX_DECODED_BYTES:,} "
                                   f"({MAX_DECODED_BYTES / 1e9:g} GB): a compressed or dictionary-encoded file that "
                                   f"expands far beyond its size; split it")

    if known + uncompressed > MAX_DECODED_BYTES:  # measuring decompresses the dictionaries first: bombs of their own
        raise refuse(known + uncompressed, "take at least")
    total = known
    try:
        as_dictionaries = pq.ParquetFile(path, read_dictionary=[leaf for leaves in dictionary_encoded.values()
                                                                for leaf in leaves]) if dictionary_encoded else None
        for top in dictionary_encoded:  # one column at a time: the memory of one column's dictionaries at most
            as_read = as_dictionaries.read(columns=[top], use_threads=False)
            total += sum(_decoded_bytes(chunk) for chunk in as_read.column(0).chunks)
            del as_read
            if total > MAX_DECODED_BYTES:
                raise refuse(total, "decode to at least")
        return parquet.read()
    except (OSError, pa.ArrowException, ValueError, KeyError, RecursionError) as error:
        raise _fail(file, "file", f"cannot read the Parquet data ({_first_line(error)[:200]})") from None


def _metadata_json(schema: pa.Schema, key: bytes, file: str, field: str) -> Any:
    """The JSON value the file's key/value metadata holds under `key` (None when absent); DatasetError naming
    the key when it is not UTF-8 JSON nested at most MAX_DEPTH deep."""
    raw = (schema.metadata or {}).get(key)
    if raw is None:
        return None
    name = key.decode("ascii", "replace")
    try:
        text = raw.decode("utf-8")
        if nested_deeper_than(text, MAX_DEPTH):
            raise ValueError(f"arrays and objects nested more than {MAX_DEPTH} deep")
        return json_value(text)
    except (ValueError, RecursionError) as error:
        raise _fail(file, field, f"the file's {name!r} metadata is not valid JSON ({_first_line(error)[:200]})") \
            from None


def _geometry_column(schema: pa.Schema, file: str) -> str:
    """The name of the file's WKB geometry column in WGS84, or a DatasetError saying why not."""
    if b"geo" not in (schema.metadata or {}):
        raise _fail(file, "geometry", "not GeoParquet: the file has no 'geo' metadata naming its geometry "
                                      "column and CRS (write it with `python -m geo convert` or "
                                      "GeoDataFrame.to_parquet)")
    geo = _metadata_json(schema, b"geo", file, "geometry")
    column = geo.get("primary_column") if isinstance(geo, dict) else None
    spec = geo.get("columns", {}).get(column) if isinstance(column, str) and isinstance(geo.get("columns"), dict) \
        else None
    if not isinstance(spec, dict):
        raise _fail(file, "geometry", "the file's 'geo' metadata is not valid GeoParquet metadata (it needs a "
                                      "primary_column named under columns)")
    if column not in schema.names:
        raise _fail(file, "geometry", f"the geometry column {column[:200]!r} named in the 'geo' metadata is missing")
    if spec.get("encoding", "WKB") != "WKB":
        raise _fail(file, "geometry", f"geometry encoding {str(spec.get('encoding'))[:80]!r} is not supported; "
                                      f"write the geometry as WKB")
    if not (pa.types.is_binary(schema.field(column).type) or pa.types.is_large_binary(schema.field(column).type)):
        raise _fail(file, "geometry", f"the geometry column {column!r} is {schema.field(column).type}, not WKB")
    if "crs" in spec:  # absent means OGC:CRS84, which is WGS84 lon/lat
        wgs84, name = _is_wgs84(spec["crs"])
        if not wgs84:
            raise _fail(file, "crs", f"the geometry is in {name[:200]}; events files must be in WGS84 "
                                     f"longitude/latitude (EPSG:4326)")
    return column


def _geojson_geometries(raw: list[Any], ids: list[Any], problems: _Problems, first: int = 0) -> list[Any]:
    """WKB cells as GeoJSON geometry dicts (None for a null cell); a cell that is not WKB is a problem (`first`:
    the file's row of the first cell)."""
    wkb = np.array(raw, dtype=object)
    geometries = shapely.from_wkb(wkb, on_invalid="ignore")
    for index in np.flatnonzero((wkb != None) & (geometries == None)):  # noqa: E711 (element-wise)
        problems.add("geometry", "not valid WKB geometry", first + int(index), ids[index])
    texts = shapely.to_geojson(geometries)
    return [None if text is None else orjson.loads(text) for text in texts]


def _without_nulls(value: Any) -> Any:
    """A native Parquet struct has every field in every row; a null field there means 'not given'."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _pandas_index(schema: pa.Schema, file: str) -> list[str]:
    """Columns that hold a pandas index (GeoDataFrame.to_parquet writes one), which are not properties."""
    pandas = _metadata_json(schema, b"pandas", file, "metadata")
    index = pandas.get("index_columns", []) if isinstance(pandas, dict) else []
    return [name for name in index if isinstance(name, str)] if isinstance(index, list) else []


def read_collection(path: Path) -> dict[str, Any]:
    """Read an events GeoParquet file (as `write_events` writes it) into a FeatureCollection dict, exactly
    what `geo.events.dataset.read_json` gives for the equivalent GeoJSON; nothing is validated against the events
    contract here. Raises `geo.events.dataset.DatasetError` — one line per problem naming the file (and the row and
    field where known) — when the file is not readable GeoParquet: too big, not Parquet, no geometry column,
    not WGS84, a cell that is not valid WKB or (in a JSON column) not valid JSON text."""
    with gc_paused():
        layout = _Layout.of(path)
        problems = layout.problems()
        features = layout.features(0, layout.table.num_rows, problems)
        if problems.found:
            raise DatasetError(problems.all())
        return layout.collection(features)


@dataclasses.dataclass(frozen=True)
class _Layout:
    """An events GeoParquet file's table (read within checked_table's limits) and how its columns are read."""

    file: str
    table: pa.Table
    geometry: str
    names: list[str]
    """The property columns, in order."""
    json_names: set[str]
    extra: dict[str, Any]
    """The collection's members other than its type and features."""

    @classmethod
    def of(cls, path: Path) -> _Layout:
        """The file at `path` checked and read; DatasetError (one problem) when it cannot be."""
        file = str(path)
        parquet = _open(path, file)
        schema = parquet.schema_arrow
        geometry = _geometry_column(schema, file)
        meta = _metadata_json(schema, META_KEY, file, "metadata") or {}
        if not isinstance(meta, dict) or not isinstance(meta.get("json_columns", []), list) \
                or not isinstance(meta.get("collection", {}), dict):
            raise _fail(file, "metadata", f"the file's {META_KEY.decode()!r} metadata is not an object with a "
                                          f"json_columns list and a collection object")
        json_columns = {name for name in meta.get("json_columns", []) if isinstance(name, str)}
        extra = {k: v for k, v in meta.get("collection", {}).items() if k not in ("type", "features")}
        index_columns = _pandas_index(schema, file)
        table = checked_table(path, file, parquet)
        names = [n for n in table.column_names if n not in (geometry, NULLS, MEMBERS, *index_columns)]
        textual = {n for n in names if pa.types.is_string(table.schema.field(n).type)
                   or pa.types.is_large_string(table.schema.field(n).type)}
        json_names = {n for n in textual if n in json_columns or (not meta and n in NESTED_FIELDS)}
        return cls(file, table, geometry, names, json_names, extra)

    def problems(self) -> _Problems:
        """An empty list of this file's problems, ordered as reading the file whole orders them."""
        return _Problems(self.file, [*(f"properties.{n}" for n in self.names if n in self.json_names),
                                     NULLS, MEMBERS, "geometry"])

    def members(self) -> list[tuple[str, Any]]:
        """The collection's members in order, `features` standing for the features (as geo.io.geojson gives)."""
        return [("type", "FeatureCollection"), *self.extra.items(), ("features", None)]

    def collection(self, features: list[Any]) -> dict[str, Any]:
        return {"type": "FeatureCollection", **self.extra, "features": features}

    def features(self, first: int, stop: int, problems: _Problems) -> list[dict[str, Any]]:
        """The features of rows `first` to `stop` (not included), as GeoJSON dicts; each cell that cannot be read
        is added to `problems` (and read as missing)."""
        table = self.table.slice(first, stop - first)
        ids = _python(table.column("id")) if "id" in self.names else [None] * table.num_rows
        columns = []
        for name in self.names:
            column = table.column(name)
            values = _python(column)
            if name in self.json_names:
                values = _decoded(values, too_deep_rows(column), f"properties.{name}", ids, problems, first)
            elif pa.types.is_nested(column.type):  # native lists and structs (GeoDataFrame.to_parquet writes them)
                values = [_without_nulls(value) for value in values]
            columns.append(values)
        nulls, members = (_decoded(_python(table.column(name)), too_deep_rows(table.column(name)), name, ids,
                                   problems, first) if name in table.column_names else None
                          for name in (NULLS, MEMBERS))
        geometries = _geojson_geometries(_python(table.column(self.geometry)), ids, problems, first)
        features = []
        for row, cells in enumerate(zip(*columns, strict=True) if columns else ((),) * table.num_rows):
            properties = {name: value for name, value in zip(self.names, cells, strict=True) if value is not None}
            if nulls is not None and isinstance(nulls[row], list):
                properties.update(dict.fromkeys((n for n in nulls[row] if isinstance(n, str)), None))
            feature: dict[str, Any] = {"type": "Feature"}
            if members is not None and isinstance(members[row], dict):
                feature.update({k: v for k, v in members[row].items() if k not in ("type", "geometry", "properties")})
            feature["geometry"] = geometries[row]
            feature["properties"] = properties
            features.append(feature)
        return features


PARQUET_BATCH_FEATURES = 20_000
"""Rows of a GeoParquet events file turned into features at a time (about 60 MB of Python objects)."""


class ParquetEvents:
    """An events GeoParquet file as a geo.io.geojson EventsSource: its table read once (checked_table), then
    turned into features and checked a batch at a time, so only one batch of features is ever held as Python
    objects; `started` is told how many there are once the table is read. `stream` gives exactly the problems
    `read_collection` and then `validate_collection` give the file read whole (a cell that cannot be read:
    those problems alone)."""

    def __init__(self, path: Path, batch_features: int | None = None, started: Callable[[int], None] | None = None):
        self.path, self.file, self.started = Path(path), str(path), started
        self.batch_features = batch_features or PARQUET_BATCH_FEATURES
        self.members: list[tuple[str, Any]] = []
        self.count = 0

    def stream(self, sink: Sink | None = None, validate_one: Validator | None = None) -> list[Problem]:
        """See geo.io.geojson.EventsSource.stream."""
        try:
            layout = _Layout.of(self.path)
        except DatasetError as error:
            return error.problems
        self.members, self.count = layout.members(), layout.table.num_rows
        if self.started:
            self.started(self.count)
        unreadable = layout.problems()
        validate = CleanSoFar(validate_one)

        def features() -> Iterator[dict[str, Any]]:
            for first in range(0, self.count, self.batch_features):
                batch = layout.features(first, min(first + self.batch_features, self.count), unreadable)
                yield from batch  # each is checked as it is asked for; the batch is handed on once all were
                if sink is not None and validate.clean and not unreadable.found:
                    sink(batch, self.members)

        with gc_paused():
            problems = validate_collection(layout.collection(_Features(features())), self.file, validate)
        return unreadable.all() if unreadable.found else problems


def too_deep_rows(column: pa.ChunkedArray) -> set[int]:
    """The rows of a JSON text column whose cell nests arrays and objects more than MAX_DEPTH deep, found
    before any is parsed: brackets counted for the whole column at once, and only a cell with more than
    MAX_DEPTH of them scanned (`nested_deeper_than`)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return set()
    brackets = pc.add(pc.count_substring(column, "["), pc.count_substring(column, "{"))
    many = np.flatnonzero(pc.fill_null(pc.greater(brackets, MAX_DEPTH), False).to_numpy(zero_copy_only=False))
    return {int(row) for row in many if nested_deeper_than(column[int(row)].as_py(), MAX_DEPTH)}


def _decoded(values: Iterable[Any], too_deep: set[int], field: str, ids: list[Any], problems: _Problems,
             first: int = 0) -> list[Any]:
    """JSON text cells decoded (None stays None); a cell that is not valid JSON text, or whose rows are in
    `too_deep` (never parsed), is a problem (`first`: the file's row of the first cell)."""
    out = []
    for index, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            if index in too_deep:
                raise ValueError(f"arrays and objects nested more than {MAX_DEPTH} deep")
            out.append(json_value(value))
        except (ValueError, TypeError, RecursionError) as error:
            problems.add(field, f"not valid JSON text ({_first_line(error)[:200]})", first + index, ids[index])
            out.append(None)
    return out
