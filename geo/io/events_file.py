"""An events file on disk, GeoJSON or GeoParquet by its suffix: read whole, checked, streamed, loaded.

The one place that tells the two formats apart by a file's name, so that geo.events.dataset (the validated
frame) imports no format, and each format (geo.io.geojson, geo.io.geoparquet) knows only itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.events.dataset import (
    EVENTS_KIND,
    MAX_FILE_BYTES,
    DatasetError,
    convert_advice,
    frame_from_collection,
    frame_from_features,
    read_json,
)
from geo.events.schema import Problem
from geo.io.geojson import EventsFile, EventsSource

PARQUET_SUFFIXES = (".parquet", ".geoparquet")
"""File name endings read as GeoParquet (geo.io.geoparquet); any other events file is read as GeoJSON."""


def is_parquet(path: Path) -> bool:
    """Whether `path` names a GeoParquet events file (by its suffix, in any case)."""
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


def read_events_file(path: Path) -> Any:
    """The parsed FeatureCollection in an events file, not yet validated: GeoParquet for a `.parquet` file
    (geo.io.geoparquet.read_collection, no size limit beyond that module's), else strict JSON (`read_json`,
    at most MAX_FILE_BYTES; a larger file is refused with the command that converts it to GeoParquet).
    Raises DatasetError when the file cannot be read as either."""
    if is_parquet(path):
        from geo.io.geoparquet import read_collection  # pyarrow loads only when a GeoParquet file is read

        return read_collection(path)
    return read_json(path, MAX_FILE_BYTES, advice=convert_advice(path), kind=EVENTS_KIND)


def events_source(path: Path) -> EventsSource:
    """The events file at `path` as a source: GeoParquet by its suffix (its table read whole, its features made a
    batch at a time: geo.io.geoparquet.ParquetEvents), any other file as GeoJSON read feature by feature."""
    if is_parquet(path):
        from geo.io.geoparquet import ParquetEvents

        return ParquetEvents(path)
    return EventsFile(path)


def validate_file(path: Path) -> list[Problem]:
    """Every problem with the events file at `path` (GeoJSON, or GeoParquet by suffix); empty when valid.
    A GeoJSON file of any size is read feature by feature (geo.io.geojson), with the problems `load_events`
    gives it when it is within MAX_FILE_BYTES."""
    try:
        return events_source(path).stream()
    except DatasetError as error:
        return error.problems


def load_events(path: Path, progress: Callable[[str], None] | None = None) -> gpd.GeoDataFrame:
    """Read, validate and load an events file (GeoJSON, or GeoParquet by suffix); raises DatasetError
    listing every problem. A GeoParquet file is read into Arrow once and turned into events, checked and
    framed a batch at a time (geo.io.geoparquet.ParquetEvents): a million events never exist at once as
    Python dicts. `progress` is told "Validating N events…" once their number is known."""
    say = progress or (lambda message: None)
    if not is_parquet(path):
        data = read_events_file(path)
        count = len(data["features"]) if isinstance(data, dict) and isinstance(data.get("features"), list) else 0
        say(f"Validating {count:,} events…")
        return frame_from_collection(data, str(path))
    from geo.io.geoparquet import ParquetEvents

    pieces: list[gpd.GeoDataFrame] = []
    source = ParquetEvents(path, started=lambda count: say(f"Validating {count:,} events…"))
    problems = source.stream(lambda batch, members: pieces.append(frame_from_features(batch)))
    if problems:
        raise DatasetError(problems)
    if len(pieces) <= 1:
        return pieces[0] if pieces else frame_from_features([])
    frame = pd.concat(pieces)
    frame.index = pd.Index(frame.index, dtype=object)  # as one frame's (pandas would infer its own text dtype)
    return frame
