"""Prepare an events dataset once — validate, analyse, derive — and keep the result for the next start.

`prepare(spec)` (a file path, or a postgresql:// URL: geo.store) gives the validated frame joined with its
border geography (geo.reference.geography) and two derived columns the filters use (`independent_sources`,
`search_text`). The result is kept as a GeoParquet file in a cache folder, named by the dataset's digest
(the sha256 of an events file's bytes; for a database, its version digest, read with the content in one
snapshot), PREPARED_FORMAT and a short hash of the reference files the analysis reads, so a changed dataset,
changed reference data or a new format all miss the cache. A cache file that cannot be read is ignored and
rebuilt; it is never trusted, and is read within the limits of any GeoParquet file
(geo.io.geoparquet.checked_table: its decoded size known before it is decoded, its JSON cells nested at most
geo.events.dataset.MAX_DEPTH deep before they are parsed), so a damaged or planted copy costs no more memory than a
real one. Writes are atomic, so a reader never sees half a file.

The events' nested values (geo.events.nested) are kept as the JSON text they are and read back as that text, each
cell checked to open and close as a list or object but parsed only when its row is read; `search_text` is one
Arrow string array. A million events then take about 2 GB once read, not 3.7 GB.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo.events.dataset import MAX_DEPTH
from geo.events.nested import NestedArray
from geo.events.schema import nested_deeper_than
from geo.io.atomic import write_atomically
from geo.io.geoparquet import (
    checked_table,
    gc_paused,
    geo_metadata,
    json_text,
    too_deep_rows,
    wkb_column,
    write_table,
)
from geo.paths import BASEMAP_PATH, CACHE_DIR, CROSSINGS_PATH, TOWNS_PATH

PREPARED_FORMAT = 2
"""Version of the cached layout and of what `prepare` computes; raise it when either changes."""
REFERENCE_FILES = (BASEMAP_PATH, CROSSINGS_PATH, TOWNS_PATH)
"""The reference data the analysis depends on: editing any of them misses the cache."""
DERIVED_COLUMNS = ("independent_sources", "search_text")
DERIVED_ROWS = 50_000
"""Rows whose derived columns are computed at a time (their sources decoded, their search text built as Python
strings): at 1,000,000 events, all at once cost about 0.5 GB more at the first open's peak."""
SEARCH_TEXT_DTYPE = pd.StringDtype("pyarrow", np.nan)
"""search_text is kept in one Arrow array (a few bytes a row beyond its text, not a Python string each), which
pandas searches in Arrow (`str.contains`)."""
CACHE_ENV = "BORDER_CACHE"
KEPT_FILES = 8
"""Prepared copies kept in the cache folder; older ones (of earlier versions of a dataset) are removed."""
META_KEY = b"border_prepared"
_CACHE_NAME = re.compile(r"[0-9a-f]{64}-f[0-9]+-r[0-9a-f]{12}\.parquet")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Prepared:
    """A prepared events dataset: `frame` as `load_events` gives it, with geo.reference.geography's analysis columns and
    DERIVED_COLUMNS; `digest` the dataset's digest (a file's: the sha256 of its bytes); `path` the file, or
    the database URL without its password; `from_cache` whether it was read from a prepared copy rather than
    validated and analysed now."""

    frame: gpd.GeoDataFrame
    digest: str
    path: Path | str
    from_cache: bool


_builds = 0


def builds() -> int:
    """How many times this process validated and analysed a file in `prepare` (its cache misses)."""
    return _builds


def file_digest(path: Path) -> str:
    """sha256 (hex) of the file's bytes, read in 1 MB chunks."""
    hasher = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def reference_digest(files: tuple[Path, ...] = REFERENCE_FILES) -> str:
    """A short hash (12 hex digits) of the reference files' names and bytes."""
    hasher = hashlib.sha256()
    for file in files:
        hasher.update(file.name.encode() + b"\0" + file_digest(file).encode() + b"\0")
    return hasher.hexdigest()[:12]


def default_cache_dir() -> Path:
    """$BORDER_CACHE, else `<project root>/.cache/prepared/`."""
    return Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV) else CACHE_DIR / "prepared"


def cache_path(digest: str, cache_dir: Path | None = None) -> Path:
    """Where the prepared copy of a file with this content digest is kept."""
    return (cache_dir or default_cache_dir()) / f"{digest}-f{PREPARED_FORMAT}-r{reference_digest()}.parquet"


def with_derived(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`frame` with DERIVED_COLUMNS (re)computed: independent_sources (int, geo.events.evidence) and search_text
    (the casefolded text geo.view.filters.by_text searches, as SEARCH_TEXT_DTYPE)."""
    from geo.events.evidence import independent_witnesses
    from geo.view.filters import search_text

    base = frame.drop(columns=[c for c in DERIVED_COLUMNS if c in frame.columns])
    witnesses, texts = [], []
    for first in range(0, len(base), DERIVED_ROWS):  # a slice at a time: its sources decoded, its texts as objects
        part = base.iloc[first:first + DERIVED_ROWS]
        witnesses.append(np.fromiter(map(independent_witnesses, part["sources"]), dtype=np.int64, count=len(part)))
        texts.append(pa.array(search_text(part).to_numpy(dtype=object), type=pa.large_string()))
    return base.assign(
        independent_sources=pd.Series(np.concatenate(witnesses) if witnesses else np.zeros(0, np.int64),
                                      index=base.index),
        search_text=pd.Series(pd.array(pa.chunked_array(texts, type=pa.large_string()), dtype=SEARCH_TEXT_DTYPE),
                              index=base.index))


def prepare(path: Path | str, *, cache_dir: Path | None = None,
            progress: Callable[[str], None] | None = None) -> Prepared:
    """The prepared events dataset `path` names (a file: GeoJSON, or GeoParquet by suffix; or a postgresql://
    URL), from the cache when an intact copy of this exact content (digest) is there, else validated, analysed
    and saved there for next time.

    `cache_dir` defaults to `default_cache_dir()`. `progress` receives short messages for the user while it
    works. Raises geo.events.dataset.DatasetError listing every problem when the data is not a valid events dataset
    (an invalid one is never cached), and geo.store.StoreError when a database cannot be used. A cache that
    cannot be written (read-only folder, full disk) only means the next start prepares again."""
    from geo.store import is_database_url, open_store

    say = progress or (lambda message: None)
    store = open_store(path) if is_database_url(path) else None
    path = store.label if store else Path(path)
    digest = store.digest() if store else file_digest(path)
    cached = cache_path(digest, cache_dir)
    with one_preparer(cached.parent):  # several servers seeing a new version at once: one prepares, the rest read
        return _prepare_or_read(path, store, digest, cached, say)


def _prepare_or_read(path: Path | str, store: Any, digest: str, cached: Path,
                     say: Callable[[str], None]) -> Prepared:
    """`prepare`'s work, under `one_preparer`: read the intact prepared copy, else prepare and keep it."""
    global _builds
    from geo.events.dataset import frame_from_collection
    from geo.io.events_file import load_events
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis

    if cached.is_file():
        say("Reading the prepared copy…")
        with gc_paused():
            frame = read_prepared(cached, digest)
        if frame is not None:
            return Prepared(frame, digest, path, True)
        say(f"The prepared copy could not be read; preparing the {'database' if store else 'file'} again…")
    say(f"Reading {store.name if store else path.name}…")
    with gc_paused():
        if store:  # the content and its digest from one snapshot: the cache is named by what it holds
            data, digest = store.read()
            cached = cache_path(digest, cached.parent)
            count = len(data["features"]) if isinstance(data, dict) and isinstance(data.get("features"), list) else 0
            say(f"Validating {count:,} events…")
            frame = frame_from_collection(data, str(path))
            del data
        else:  # GeoParquet a batch at a time (geo.io.events_file.load_events)
            frame = load_events(path, progress=say)
    _builds += 1
    say("Measuring distances to the border…")
    frame = with_derived(with_analysis(frame, load_geography(load_crossings())))
    say("Saving a prepared copy for next time…")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_prepared(frame, cached, digest)
        _prune(cached)
    except OSError:
        pass
    return Prepared(frame, digest, path, False)


@contextmanager
def one_preparer(cache_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on `cache_dir`'s `.preparing.lock` (waiting for another process's), so servers that
    start together, or see a new version at the same moment, prepare it once and the others then read the copy.
    Without a writable cache folder there is no lock: each prepares on its own, as before."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle = open(cache_dir / ".preparing.lock", "a+")  # noqa: SIM115 (held across the yield below)
    except OSError:
        handle = None
    if handle is None:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the cached copy --------------------------------------------------------------------------------------------

_INDEX = "__index__"


def _kind(values: np.ndarray) -> tuple[str, str]:
    """How an object column is stored: ('text'|'bool'|'float'|'int'|'json', missing marker 'none'|'nan')."""
    missing = pd.isna(values)
    none = np.fromiter((v is None for v in values), dtype=bool, count=len(values)) if missing.any() else missing
    if none.any() and (missing & ~none).any():
        return "json", "none"  # both None and NaN: kept apart as JSON null and the text NaN
    marker = "nan" if (missing & ~none).any() else "none"
    types = set(map(type, values[~missing]))
    if types <= {str}:
        return "text", marker
    if types == {bool}:
        return "bool", marker
    if types <= {float, np.float64}:
        return "float", marker
    if types <= {int, np.int64} and all(-(2**63) <= v < 2**63 for v in values[~missing]):
        return "int", marker
    return "json", marker


_ARRAYS = ("nested", "arrow_text")  # kinds decoded to a pandas extension array, not to Python objects
_ARROW = {"text": pa.string(), "bool": pa.bool_(), "float": pa.float64(), "int": pa.int64(), "json": pa.string()}


def _encode(series: pd.Series) -> tuple[pa.Array, dict[str, str]]:
    if isinstance(series.array, NestedArray):  # kept as the JSON text it already is
        return series.array.text, {"kind": "nested"}
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return pa.array(series.array), {"kind": "arrow_text", "na": "nan" if series.dtype.na_value is not pd.NA
                                        else "na"}
    if series.dtype != object:
        return pa.array(series, from_pandas=True), {"kind": "native", "dtype": str(series.dtype)}
    values = series.to_numpy(dtype=object)
    kind, missing = _kind(values)
    if kind == "json":
        cells = [None if v is None else "NaN" if isinstance(v, float) and v != v else json_text(v) for v in values]
        return pa.array(cells, type=pa.string()), {"kind": kind, "missing": missing}
    return pa.array(values, type=_ARROW[kind], from_pandas=True), {"kind": kind, "missing": missing}


def _json_cell(text: str) -> Any:
    """A stored JSON cell's value (the text NaN is a float NaN, as `_encode` wrote it)."""
    return float("nan") if text == "NaN" else orjson.loads(text)


def _decode(column: pa.ChunkedArray, spec: dict[str, str]) -> Any:
    kind = spec["kind"]
    if kind in ("nested", "arrow_text") and not pa.types.is_string(column.type) \
            and not pa.types.is_large_string(column.type):
        raise ValueError(f"a {kind} column holds {column.type}")
    if kind == "nested":  # the text as it is: each cell is decoded only when read (geo.events.nested)
        if too_deep_rows(column):
            raise ValueError(f"a JSON cell nested more than {MAX_DEPTH} deep")
        if not _bracketed(column):
            raise ValueError("a JSON cell that is not a whole list or object")
        return NestedArray(column)
    if kind == "arrow_text":
        return pd.array(column.combine_chunks(), dtype=pd.StringDtype("pyarrow", np.nan if spec.get("na") == "nan"
                                                                      else pd.NA))
    if kind == "native":
        return column.to_pandas().astype(spec["dtype"]).to_numpy()
    if kind == "json" and too_deep_rows(column):
        raise ValueError(f"a JSON cell nested more than {MAX_DEPTH} deep")
    nulls = np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False)) if column.null_count else []
    shared = _shared_values(column) if kind in ("text", "json") else None
    if shared is not None:  # few distinct values: each decoded once, rows point at the same object
        words, rows = shared
        if kind == "json":
            words = [None if text is None else _json_cell(text) for text in words]
        values = np.array([*words, None], dtype=object)[rows]
    else:
        values = column.to_numpy(zero_copy_only=False)
        if values.dtype != object:
            values = values.astype(object)  # numbers and booleans as Python objects, as the frame held them
        if kind == "json":
            present = np.flatnonzero(~column.is_null().to_numpy(zero_copy_only=False))
            values[present] = np.fromiter(map(_json_cell, values[present]), dtype=object, count=len(present))
    if len(nulls):
        values[nulls] = float("nan") if spec.get("missing") == "nan" else None
    return values


def _bracketed(column: pa.ChunkedArray) -> bool:
    """Whether every cell of a nested column is text that opens and closes as a list or an object: checked in
    Arrow for the whole column at once (parsing a million cells took about 3 s), so a cut or overwritten cell
    is caught; the cells are parsed only when their rows are read."""
    present = pc.drop_null(column)
    opens = pc.or_(pc.starts_with(present, "["), pc.starts_with(present, "{"))
    closes = pc.or_(pc.ends_with(present, "]"), pc.ends_with(present, "}"))
    return bool(pc.all(pc.and_(opens, closes)).as_py() is not False)


SHARE_AT_MOST = 0.5  # distinct values per row below which a text or JSON column is decoded value by value


def _shared_values(column: pa.ChunkedArray) -> tuple[list[Any], np.ndarray] | None:
    """(the distinct values, each row's position among them; a null's is len(values)) when a column has
    few distinct values, else None. At 1,000,000 events a type, a date or a repeated source list is then
    one Python object per distinct value, not one per row (the frame is shared and never modified)."""
    if len(column) < 1000:
        return None
    encoded = column.combine_chunks().dictionary_encode()
    if len(encoded.dictionary) > SHARE_AT_MOST * len(column):
        return None
    rows = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy(zero_copy_only=False)
    return encoded.dictionary.to_pylist(), rows


def write_prepared(frame: gpd.GeoDataFrame, path: Path, digest: str) -> None:
    """Write a prepared frame to `path` atomically as GeoParquet, every column stored so that
    `read_prepared` restores it exactly (values, their Python types, missing markers, dtypes, order)."""
    names = list(frame.columns)
    geometry = frame.geometry.name
    columns: dict[str, pa.Array] = {}
    specs: dict[str, dict[str, str]] = {}
    index = pd.Series(frame.index, dtype=frame.index.dtype)
    columns[_INDEX], specs[_INDEX] = _encode(index)
    geometries = np.asarray(frame.geometry.array, dtype=object)
    for name in names:
        if name == geometry:
            columns[name] = wkb_column(geometries)
        else:
            columns[name], specs[name] = _encode(frame[name])
    meta = {"format": PREPARED_FORMAT, "digest": digest, "columns": names, "geometry": geometry, "specs": specs,
            "crs": frame.crs.to_string() if frame.crs is not None else None, "index_name": frame.index.name,
            "index_is_id": "id" in names and frame.index.dtype == object and frame["id"].dtype == object
            and bool((frame.index.to_numpy() == frame["id"].to_numpy()).all())}
    table = pa.table(columns).replace_schema_metadata({
        b"geo": json.dumps(geo_metadata(geometries, geometry)).encode(), META_KEY: json_text(meta).encode()})
    write_atomically(path, lambda temporary: write_table(table, temporary))


def read_prepared(path: Path, digest: str) -> gpd.GeoDataFrame | None:
    """The frame kept at `path` for content `digest`, or None when the file is missing, unreadable,
    truncated, of another format or digest, over a size or nesting limit (without spending the memory), or
    otherwise not exactly what `write_prepared` wrote."""
    try:
        table = checked_table(path, str(path))
        text = table.schema.metadata[META_KEY].decode("utf-8")
        if nested_deeper_than(text, MAX_DEPTH):
            return None
        meta = json.loads(text)
        if meta["format"] != PREPARED_FORMAT or meta["digest"] != digest:
            return None
        specs, geometry = meta["specs"], meta["geometry"]
        decoded = {"id": _decode(table.column("id"), specs["id"])} if meta.get("index_is_id") is True else {}
        index = pd.Index(decoded["id"] if decoded else _decode(table.column(_INDEX), specs[_INDEX]),  # ids once
                         name=meta["index_name"], dtype=object if decoded or specs[_INDEX]["kind"] != "native"
                         else None)
        data = {name: gpd.GeoSeries(shapely.from_wkb(table.column(name).to_numpy(zero_copy_only=False)),
                                    index=index, crs=meta["crs"]) if name == geometry
                else pd.Series(decoded[name] if name in decoded else _decode(table.column(name), specs[name]),
                               index=index,
                               dtype=specs[name].get("dtype", None if specs[name]["kind"] in _ARRAYS else object),
                               copy=False)
                for name in meta["columns"]}
        return gpd.GeoDataFrame(data, geometry=geometry, crs=meta["crs"], copy=False)
    except Exception:  # noqa: BLE001 — any failure means the copy is not trusted; the caller rebuilds it
        return None


def _prune(kept: Path) -> None:
    """Remove the oldest prepared copies beyond KEPT_FILES (only files named as this module names them)."""
    copies = [p for p in kept.parent.iterdir() if _CACHE_NAME.fullmatch(p.name) and p != kept]
    copies.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in copies[KEPT_FILES - 1:]:
        old.unlink(missing_ok=True)
