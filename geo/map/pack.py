"""A compact binary "pack" of a dataset's located events, written once per dataset version.

The large-data map layer (static/js/geopack.js) fetches this file once and then filters on the client:
a rerun sends only a bit mask over the pack's rows (`geo.map.canvas.mask_group`), not the points.

Layout (all little-endian; every section starts at a multiple of 4 bytes; n rows, m route lines,
v line vertices):

    offset  size     field
    0       8        magic b"GEOPACK\\0"
    8       4        uint32 format version (FORMAT_VERSION)
    12      4        uint32 n: rows, the located events in frame order
    16      4        uint32 m: rows that are route lines (LineString / MultiLineString)
    20      4        uint32 v: line vertices, part separators included
    24      8        reserved, zero
    32      8n       float32 lon, lat per row (interleaved); a line's midpoint along its length. An event
                     at several places (a MultiPoint) is one row per point, all with its id (`row_ids`)
    ...     n        uint8 event type: index in geo.events.schema.EVENT_TYPES
    ...     n        uint8 layer: index in geo.events.schema.LAYERS
    ...     n        uint8 location precision: index in geo.events.schema.LOCATION_PRECISIONS
    ...     n        uint8 route status: index in geo.events.schema.ROUTE_STATUSES, NO_STATUS (255) for none
    ...     4n       int32 date_start as days since 1970-01-01, NO_DAY (-2**31) when unknown
    ...     4n       int32 date_end, likewise
    ...     4m       uint32 row of each line
    ...     4(m+1)   uint32 offsets: line k's vertices are [offsets[k], offsets[k+1])
    ...     8v       float32 lon, lat per vertex; a NaN pair separates the parts of a MultiLineString

A pack costs 36 bytes, plus 20 per point and 28 per line plus 8 per vertex (and 8 per extra part).
1,000,000 events of which 3 % are 20-vertex lines take about 25 MB, far below Streamlit's 200 MB
limit on static files.

`pack_bytes` writes it and `read_pack` reads it (the only Python reader; the only JavaScript reader is
`readPack` in static/js/geopack.js). Rows are numbered in pack order; `row_ids` maps a row number back
to the event id.

Where packs live, and for how long
    `static/packs/<dataset>-<version>-f<format>.bin` (Streamlit serves only the app's own static folder, and
    refuses a symlink out of it, so packs cannot live in the prepared-data cache): `<dataset>` is
    `dataset_identity` of the dataset's name (its path, or its database URL without the password), `<version>`
    the dataset's digest. Several servers and datasets share the folder, so a pack has an owner and a lease:
    a server marks the pack it draws from (`in_use`: its file's mtime, at least every MARK_SECONDS) and
    rebuilds it if it has gone. Writing a pack removes (1) packs of the same dataset beyond its newest
    KEEP that nobody has marked for IN_USE_SECONDS, and (2) any pack nobody has marked for UNUSED_SECONDS.
    No dataset's packs are ever removed by another's while in use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.events.dataset import located_mask
from geo.events.schema import EVENT_TYPES, LAYERS, LOCATION_PRECISIONS, ROUTE_STATUSES
from geo.io.atomic import write_bytes_atomically
from geo.paths import STATIC_DIR

MAGIC = b"GEOPACK\0"
FORMAT_VERSION = 1
HEADER = struct.Struct("<8sIIII8x")
NO_STATUS = 255
NO_DAY = -(2**31)
KEEP = 4
"""Packs of one dataset kept: its newest few versions, so sessions still showing an older one keep working."""
MARK_SECONDS = 10 * 60
"""How often a server marks the pack it draws from as in use."""
IN_USE_SECONDS = 60 * 60
"""A pack marked this recently is in use by some server: never removed."""
UNUSED_SECONDS = 24 * 60 * 60
"""A pack nobody has marked for this long is removed, whichever dataset it belongs to."""
PACK_DIR = STATIC_DIR / "packs"
PACK_URL = "/app/static/packs"  # Streamlit serves ./static at /app/static/ (enableStaticServing)
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_EPOCH = dt.date(1970, 1, 1).toordinal()
_LINES = ("LineString", "MultiLineString")
_MULTIPOINT = 4  # shapely's type id of a MultiPoint


@dataclass(frozen=True)
class Pack:
    """A pack read back: one entry per row unless said otherwise."""

    lonlat: np.ndarray  # float32 (n, 2)
    event_type: np.ndarray  # uint8 codes
    layer: np.ndarray
    precision: np.ndarray
    status: np.ndarray  # NO_STATUS for points and lines without a status
    date_start: np.ndarray  # int32 days since 1970-01-01, NO_DAY when unknown
    date_end: np.ndarray
    line_rows: np.ndarray  # uint32 (m,)
    line_offsets: np.ndarray  # uint32 (m + 1,)
    vertices: np.ndarray  # float32 (v, 2), NaN rows between parts

    def line(self, k: int) -> list[np.ndarray]:
        """The parts of line k, each a (points, 2) float32 array."""
        chunk = self.vertices[self.line_offsets[k]:self.line_offsets[k + 1]]
        breaks = np.flatnonzero(np.isnan(chunk[:, 0]))
        parts = (part[~np.isnan(part[:, 0])] for part in np.split(chunk, breaks))
        return [part for part in parts if len(part)]


def _located_positions(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The frame position of each pack row: every located row once, a MultiPoint's once per point."""
    keep = np.flatnonzero(located_mask(frame).to_numpy())
    geometry = frame.geometry.values[keep]
    multi = shapely.get_type_id(geometry) == _MULTIPOINT
    return np.repeat(keep, np.where(multi, shapely.get_num_geometries(geometry), 1)) if multi.any() else keep


def located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows a pack holds: those with a geometry, in frame order (`frame` itself when that is all); an event
    at several places (a MultiPoint) is one row per point, each a Point with the event's id and properties,
    so each is a pin of its own, as on the small-data map (geo.map.layers)."""
    keep = located_mask(frame)
    rows = frame if keep.all() else frame[keep]
    multi = shapely.get_type_id(rows.geometry.values) == _MULTIPOINT
    if not multi.any():
        return rows
    out = rows.iloc[_located_positions(rows)].copy()
    out.geometry = shapely.get_parts(rows.geometry.values) if multi.all() else np.concatenate(
        [shapely.get_parts(g) if m else [g] for g, m in zip(rows.geometry.values, multi, strict=True)])
    return out


PACK_COLUMNS = ("id", "event_type", "layer", "location_precision", "status", "date_start", "date_end")
"""The columns a pack and its row ids are made of (with the geometry)."""


def pack_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`located(frame)` with only PACK_COLUMNS and the geometry: what `write_pack` and `row_ids` need, without
    copying every other column of the located rows (at 1,000,000 events, about 0.5 GB for a moment)."""
    return located(frame[[name for name in PACK_COLUMNS if name in frame.columns] + [frame.geometry.name]])


def _codes(values: pd.Series, names: tuple[str, ...], column: str, missing: int | None = None) -> np.ndarray:
    index = {name: n for n, name in enumerate(names)}
    codes = values.map(index)
    if missing is not None:
        codes = codes.where(values.notna(), missing)
    if codes.isna().any():
        bad = sorted(set(values[codes.isna()].astype(str)))[:5]
        raise ValueError(f"{column}: values not in the schema: {', '.join(bad)}")
    return codes.to_numpy(dtype=np.uint8)


def _days(values: pd.Series) -> np.ndarray:
    """ISO dates (or date objects) as int32 days since 1970-01-01; NO_DAY where unknown."""
    out = np.full(len(values), NO_DAY, dtype=np.int32)
    present = values.notna().to_numpy()
    if present.any():
        out[present] = [dt.date.fromisoformat(str(v)[:10]).toordinal() - _EPOCH for v in values[present]]
    return out


def _line_vertices(geometry: shapely.Geometry) -> np.ndarray:
    parts = shapely.get_parts(geometry)
    pieces: list[np.ndarray] = []
    for n, part in enumerate(parts):
        if n:
            pieces.append(np.full((1, 2), np.nan))
        pieces.append(shapely.get_coordinates(part))
    return np.concatenate(pieces) if pieces else np.empty((0, 2))


def pack_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """The located rows of `frame` (a prepared events frame) as a pack (layout in the module docstring).

    A MultiPoint is one row per point (`located`). Raises ValueError for a geometry other than Point, MultiPoint,
    LineString or MultiLineString, or a code not in the schema.
    """
    rows = pack_frame(frame)
    kinds = rows.geom_type.to_numpy()
    is_line = np.isin(kinds, _LINES)
    if not np.all(is_line | (kinds == "Point")):
        raise ValueError(f"unsupported geometry types: {sorted(set(kinds[~is_line & (kinds != 'Point')]))}")
    geometry = rows.geometry.values
    lonlat = np.zeros((len(rows), 2), dtype=np.float64)
    points = ~is_line
    if points.any():
        lonlat[points] = shapely.get_coordinates(geometry[points])
    line_geoms = geometry[is_line]
    if len(line_geoms):
        lonlat[is_line] = shapely.get_coordinates(shapely.line_interpolate_point(line_geoms, 0.5, normalized=True))
    chunks = [_line_vertices(g) for g in line_geoms]
    offsets = np.zeros(len(chunks) + 1, dtype=np.uint32)
    offsets[1:] = np.cumsum([len(c) for c in chunks])
    vertices = np.concatenate(chunks) if chunks else np.empty((0, 2))
    status = rows["status"] if "status" in rows else pd.Series([None] * len(rows), index=rows.index)
    codes = np.concatenate([
        _codes(rows["event_type"], tuple(EVENT_TYPES), "event_type"),
        _codes(rows["layer"], tuple(LAYERS), "layer"),
        _codes(rows["location_precision"], LOCATION_PRECISIONS, "location_precision"),
        _codes(status, tuple(ROUTE_STATUSES), "status", NO_STATUS),
    ])
    return b"".join([
        HEADER.pack(MAGIC, FORMAT_VERSION, len(rows), len(chunks), len(vertices)),
        lonlat.astype("<f4").tobytes(),
        codes.tobytes(),  # 4n bytes: the next section stays aligned
        _days(rows["date_start"]).astype("<i4").tobytes(),
        _days(rows["date_end"]).astype("<i4").tobytes(),
        np.flatnonzero(is_line).astype("<u4").tobytes(),
        offsets.astype("<u4").tobytes(),
        vertices.astype("<f4").tobytes(),
    ])


def read_pack(data: bytes) -> Pack:
    """Parse a pack; raises ValueError when it is not one or not this format version."""
    if len(data) < HEADER.size:
        raise ValueError("too short for a pack header")
    magic, version, n, m, v = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("not a pack (bad magic)")
    if version != FORMAT_VERSION:
        raise ValueError(f"pack format {version}, this code reads {FORMAT_VERSION}")
    at = HEADER.size

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal at
        array = np.frombuffer(data, dtype=dtype, count=count, offset=at)
        at += array.nbytes
        return array

    lonlat = take("<f4", 2 * n).reshape(n, 2)
    codes = take("u1", 4 * n).reshape(4, n)
    start, end = take("<i4", n), take("<i4", n)
    line_rows, offsets = take("<u4", m), take("<u4", m + 1)
    vertices = take("<f4", 2 * v).reshape(v, 2)
    if at != len(data):
        raise ValueError(f"pack has {len(data) - at} unexpected trailing bytes")
    return Pack(lonlat, codes[0], codes[1], codes[2], codes[3], start, end, line_rows, offsets, vertices)


def row_ids(frame: gpd.GeoDataFrame) -> list[str]:
    """The event id of each pack row of `frame` (row number -> id)."""
    return [str(i) for i in pack_frame(frame)["id"]]


def dataset_identity(name: str) -> str:
    """A short, stable, file-name-safe token for a dataset (12 hex digits of the sha256 of its name: its path, or
    its database URL without the password): the owner part of its pack keys."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def pack_key(version: str, identity: str = "") -> str:
    """A pack file key for one version (e.g. the digest) of one dataset (`dataset_identity`), changing with the
    pack format too: `<identity>-<version>-f<format>` (without an identity, `<version>-f<format>`)."""
    version = f"{re.sub(r'[^A-Za-z0-9]', '', version)[:24]}-f{FORMAT_VERSION}"
    return f"{identity}-{version}" if identity else version


def _owner(key: str) -> str:
    """The dataset part of a pack key (the whole key for one made without an identity)."""
    head, _, rest = key.partition("-")
    return head if rest.count("-") == 1 else key


def write_pack(frame: gpd.GeoDataFrame, directory: Path = PACK_DIR, key: str = "") -> str:
    """Write `<key>.bin` into `directory` unless it is already there (then mark it in use), prune packs as the
    module docstring says, and return the URL path Streamlit serves it at (`/app/static/packs/<key>.bin`).

    `key` names the dataset and version (see `pack_key`); the file appears atomically (temp file + rename),
    so a browser never fetches half a pack. Raises ValueError for a key that is not a plain file name.
    """
    if not _KEY.fullmatch(key):
        raise ValueError(f"pack key must be letters, digits, '.', '_' or '-': {key!r}")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{key}.bin"
    try:
        os.utime(target)  # in use again: the newest, so not pruned
    except FileNotFoundError:  # never written, or another server pruned it just now
        write_bytes_atomically(target, pack_bytes(frame), 0o600)
    _prune(directory, target)
    return f"{PACK_URL}/{target.name}"


def _prune(directory: Path, kept: Path) -> None:
    """Remove the packs nobody uses any more (module docstring); never `kept`, never one marked recently."""
    now = time.time()
    ages: dict[Path, float] = {}
    for pack in directory.glob("*.bin"):
        try:
            ages[pack] = now - pack.stat().st_mtime
        except FileNotFoundError:  # removed by another server meanwhile
            continue
    owner = _owner(kept.stem)
    same = sorted((p for p in ages if _owner(p.stem) == owner), key=ages.get)
    for pack, age in ages.items():
        beyond_newest = pack in same[KEEP:]
        if pack != kept and (age > UNUSED_SECONDS or (beyond_newest and age > IN_USE_SECONDS)):
            pack.unlink(missing_ok=True)


def in_use(url: str, directory: Path = PACK_DIR) -> bool:
    """Whether the pack `write_pack` returned `url` for is still there; if so, mark it in use (at most every
    MARK_SECONDS), so no server prunes it while this one draws from it. False: write it again."""
    pack = directory / Path(url).name
    try:
        age = time.time() - pack.stat().st_mtime
    except FileNotFoundError:
        return False
    if age > MARK_SECONDS:
        try:
            os.utime(pack)
        except FileNotFoundError:
            return False
    return True


def view_arrays(pack_frame: gpd.GeoDataFrame, shown: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """What a filtered view shows of a pack: (mask over pack rows, uint8 status per pack line).

    `pack_frame` is the frame the pack was written from; `shown` the rows on the map now, indexed by
    event id (e.g. `geo.view.time.as_of(...)`, whose routes take their status on the map date). A line absent
    from `shown` keeps its packed status.
    """
    rows = located(pack_frame)
    mask = rows.index.isin(shown.index)
    lines = rows[rows.geom_type.isin(_LINES)]
    status = lines["status"].copy()
    common = lines.index.intersection(shown.index)
    if len(common):
        status.loc[common] = shown.loc[common, "status"]
    return mask, _codes(status, tuple(ROUTE_STATUSES), "status", NO_STATUS)


@dataclass(frozen=True)
class PackRows:
    """How a dataset frame's pack (written from its located rows, in order) maps back to the frame:
    `positions[k]` is the frame row (0-based position) of pack row k, `layers[k]` its layer, and
    `lines` the pack rows that are route lines. Lets a view be computed as masks over the frame."""

    positions: np.ndarray
    layers: np.ndarray
    lines: np.ndarray


def pack_rows(frame: gpd.GeoDataFrame) -> PackRows:
    """The PackRows of the pack `write_pack(located(frame))` writes."""
    positions = _located_positions(frame)
    rows = frame.iloc[positions]
    return PackRows(positions, rows["layer"].to_numpy(), np.flatnonzero(rows.geom_type.isin(_LINES).to_numpy()))


def mask_view(rows: PackRows, keep: np.ndarray, status: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """`view_arrays` from arrays over the dataset frame: `keep` (bool per frame row: on the map now) and
    `status` (per frame row: its status on the map date, e.g. from `geo.view.time.as_of_mask`). Returns
    (mask over pack rows, uint8 status per pack line)."""
    line_status = pd.Series(status.to_numpy()[rows.positions[rows.lines]])
    return keep[rows.positions], _codes(line_status, tuple(ROUTE_STATUSES), "status", NO_STATUS)
