"""An events GeoParquet file written a batch of features at a time, so `convert` holds one batch, not the file.

Each batch becomes a table by `geo.io.geoparquet.collection_table` (the one definition of the layout) and is
written as its own row group under one schema fixed before the first batch: one column per property of the
events contract in its order (text, booleans, nested values as JSON text), then the null list, the feature
members and the WKB geometry. The GeoParquet `geo` metadata (geometry types seen) and the collection's other
members are only known at the end, so the schema is not stored in the file (Parquet's key-value metadata,
written with the footer, carries them; Arrow reads it as the schema's metadata). Columns are encoded as
`geo.io.geoparquet.write_table` encodes them. `read_collection` gives back exactly what it gives for
`write_events`' file of the same collection; the one visible difference is that a property no event uses is an
all-null column instead of no column.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geo.events.schema import EventProperties
from geo.io.geoparquet import (
    EVENTS_FORMAT,
    GEOMETRY,
    MEMBERS,
    META_KEY,
    NESTED_FIELDS,
    NULLS,
    collection_table,
    geo_metadata,
    json_text,
)


def events_schema() -> pa.Schema:
    """The columns of a batch-written events file (see the module docstring)."""
    def kind(name: str, annotation: Any) -> pa.DataType:
        return pa.bool_() if annotation is bool and name not in NESTED_FIELDS else pa.string()

    fields = [pa.field(name, kind(name, field.annotation)) for name, field in EventProperties.model_fields.items()]
    return pa.schema([*fields, pa.field(NULLS, pa.string()), pa.field(MEMBERS, pa.string()),
                      pa.field(GEOMETRY, pa.binary())])


class ParquetBatches:
    """Writes valid events to `path` batch by batch: `write(batch, members)` (a geo.io.geojson Sink), then
    `finish(members)` with the collection's members in order. Raises ValueError for a batch that does not fit
    the schema (events that were not validated)."""

    def __init__(self, path: Path):
        self.schema = events_schema()
        # as geo.io.geoparquet.write_table writes (zstd, no dictionaries: sizes in the footer for its read checks)
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd", use_dictionary=False,
                                        store_schema=False)
        self._samples: dict[tuple[int, bool], Any] = {}  # one geometry of each type (with or without Z)

    def write(self, batch: list[dict[str, Any]], members: Any = None) -> None:
        if not batch:
            return
        table = collection_table({"type": "FeatureCollection", "features": batch})
        unknown = set(table.column_names) - set(self.schema.names)
        if unknown:
            raise ValueError(f"properties outside the events contract: {', '.join(sorted(unknown))}")
        columns = []
        for field in self.schema:
            column = table.column(field.name) if field.name in table.column_names else None
            if column is None or (column.type != field.type and column.null_count == len(column)):
                column = pa.nulls(len(table), field.type)
            elif column.type != field.type:
                raise ValueError(f"property {field.name} holds {column.type}, not {field.type}")
            columns.append(column)
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))
        geometries = shapely.from_wkb(np.asarray(table.column(GEOMETRY).to_numpy(zero_copy_only=False)))
        present = geometries[geometries != None]  # noqa: E711 (element-wise)
        for geometry, type_id, has_z in zip(present, shapely.get_type_id(present), shapely.has_z(present),
                                            strict=True):
            self._samples.setdefault((int(type_id), bool(has_z)), geometry)

    def finish(self, members: list[tuple[str, Any]]) -> None:
        """Write the metadata (geometry types, the collection's other members) and close the file."""
        extra = {key: value for key, value in members if key not in ("type", "features")}
        samples = np.array(list(self._samples.values()) or [None], dtype=object)
        self._writer.add_key_value_metadata({
            "geo": json_text(geo_metadata(samples)),
            META_KEY.decode(): json_text({"format": EVENTS_FORMAT, "json_columns": list(NESTED_FIELDS),
                                          "collection": extra}),
        })
        self._writer.close()

    def __enter__(self) -> ParquetBatches:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._writer.is_open:
            self._writer.close()
