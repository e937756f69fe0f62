"""The events frame out to the formats GIS and humanitarian users open directly: GeoPackage, KML, HXL CSV,
CSV and GeoJSON. Each export holds exactly the rows it is given (the dashboard's filtered table, or the CLI's),
every property of each, and the events with no location too (without a geometry, never a guessed point).

- GeoPackage (`.gpkg`, one layer `events` written by pyogrio): one column per property, dates as
  date-times (QGIS's temporal controller reads them), sources as a citation text and, with figures,
  status history and route places, as JSON text (`*_json`) so nothing is lost.
- KML (Google Earth): a Placemark per event with its title as name, the details panel's HTML (every
  dataset text escaped) as description, a TimeSpan from date_start to date_end, the event-type colour, and
  the properties as ExtendedData.
- HXL: the CSV download with a row of HXL hashtags under the header.
- CSV and GeoJSON: geo.events.dataset's downloads (CSV cells that would start a formula are written as text).

Every text format is written streaming: CHUNK_ROWS rows at a time to a `write(text)` function (a file when
`write_export` writes one), never as one tree or one string of the whole file, so writing 100,000 events
holds a chunk of rows in memory, not the file. `write_export(..., max_bytes=...)` stops as soon as the file
would pass that size (ExportTooLarge) and leaves nothing behind.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import geopandas as gpd
import pandas as pd

from geo.events.dataset import PROPERTY_FIELDS, has_location, records, to_feature_collection
from geo.events.evidence import figure_columns, figures_text
from geo.events.nested import NESTED_COLUMNS
from geo.io.atomic import write_atomically
from geo.io.csv import CSV_COLUMNS, format_sources, to_csv
from geo.map.style import EVENT_STYLE
from geo.report.details import details_html

FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "kml": (".kml", "application/vnd.google-earth.kml+xml"),
    "hxl": (".csv", "text/csv"),
    "csv": (".csv", "text/csv"),
    "geojson": (".geojson", "application/geo+json"),
}
"""Each export format: its file suffix and MIME type."""

FORMAT_NAMES: dict[str, str] = {"gpkg": "GeoPackage", "kml": "KML", "hxl": "HXL CSV", "csv": "CSV",
                                "geojson": "GeoJSON"}
"""Each export format as a reader calls it."""
FORMAT_OPENED_IN: dict[str, str] = {"gpkg": "QGIS", "kml": "Google Earth"}
"""The program a reader opens a format in, where naming it helps them choose."""

GPKG_LAYER = "events"
NESTED = tuple(sorted(NESTED_COLUMNS, key=lambda name: name not in ("sources", "figures")))
"""The properties exported again as `<name>_json` columns: every nested one, the evidence first."""
ANALYSIS = ("country_found", "province", "distance_to_border_km", "nearest_crossing", "nearest_crossing_km")
TEXT_FIELDS = tuple(f for f in PROPERTY_FIELDS if f not in (*NESTED, "matches", "date_inferred"))
KML_NS = "http://www.opengis.net/kml/2.2"

HXL_TAGS: dict[str, str] = {
    "id": "#event+id", "layer": "#event+layer", "event_type": "#event+type", "title": "#event+name",
    "summary": "#description", "place": "#loc+name", "crossings": "#loc+crossings",
    "location_precision": "#geo+precision",
    "date_start": "#date+start", "date_end": "#date+end", "date_precision": "#date+precision",
    "date_inferred": "#date+inferred", "date_note": "#description+date", "status": "#status",
    "longitude": "#geo+lon", "latitude": "#geo+lat", "geometry_wkt": "#geo+wkt", "country_found": "#country+code",
    "province": "#adm1+name", "distance_to_border_km": "#geo+distance+border", "nearest_crossing": "#loc+name+crossing",
    "nearest_crossing_km": "#geo+distance+crossing", "figure_low": "#affected+min", "figure_high": "#affected+max",
    "figures": "#affected+description", "sources": "#meta+source",
}
"""The HXL hashtag of each CSV column (HXL 1.1 core hashtags: #event, #loc, #geo, #date, #meta, …)."""


CHUNK_ROWS = 1000
"""Rows turned into text at a time by the streaming writers."""

Write = Callable[[str], object]
"""Where a streaming writer sends its text, piece by piece (e.g. a text file's `write`)."""


class ExportError(ValueError):
    """An unknown export format; the message lists the known ones."""


class ExportTooLarge(Exception):
    """The export would be larger than the `max_bytes` it was allowed; nothing was written."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        super().__init__(f"the export would be larger than {max_bytes:,} bytes")

    def __reduce__(self) -> tuple[type, tuple[int]]:  # pickled as its limit (it comes back from a child process)
        return type(self), (self.max_bytes,)


def check_format(fmt: str) -> None:
    """Raise ExportError unless `fmt` is one of FORMATS."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")


def flat_table(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per event with only plain columns: text, numbers, booleans, dates as datetime64 (missing: NaT),
    `sources` as one citation text, `figures` as text with figure_low/figure_high, and the nested
    properties again as JSON text (`sources_json`, `figures_json`, `status_history_json`, `via_json`,
    `crossings_json`);
    geography columns when the frame carries geo.reference.geography's analysis."""
    rows = records(frame)
    out: dict[str, list[Any]] = {name: [row.get(name) for row in rows] for name in TEXT_FIELDS}
    out["date_inferred"] = [bool(row.get("date_inferred")) for row in rows]
    for name in ("date_start", "date_end"):
        out[name] = pd.to_datetime(pd.Series(out[name], dtype=object), format="%Y-%m-%d")
    out.update(figure_columns(row.get("figures") for row in rows))
    out["figures"] = ["; ".join(figures_text(row.get("figures"), row.get("sources") or [])) or None for row in rows]
    out["sources"] = [format_sources(row.get("sources")) for row in rows]
    for name in NESTED:
        out[f"{name}_json"] = [json.dumps(row.get(name) or [], ensure_ascii=False, default=str) for row in rows]
    for name in ANALYSIS:
        if name in frame.columns:
            out[name] = [row.get(name) for row in rows]
    table = pd.DataFrame(out)
    return gpd.GeoDataFrame(table, geometry=list(frame.geometry), crs=frame.crs or "EPSG:4326")


def write_gpkg(frame: gpd.GeoDataFrame, target: Path | io.BytesIO) -> None:
    """The events as the GeoPackage layer `events` (mixed points, multipoints and lines, null geometries kept)."""
    import pyogrio

    pyogrio.write_dataframe(flat_table(frame), target, layer=GPKG_LAYER, driver="GPKG", geometry_type="Unknown",
                            promote_to_multi=False)  # a Point stays a Point beside an event's MultiPoint


def _kml_color(hex_rgb: str, alpha: str = "ff") -> str:
    """A '#rrggbb' colour as KML's aabbggrr."""
    return alpha + hex_rgb[5:7] + hex_rgb[3:5] + hex_rgb[1:3]


def _coordinates(line: Any) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y, *_ in line.coords)


def _xml_text(text: str) -> str:
    """Text as XML element content: &, < and > escaped (as ElementTree writes it)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _element(tag: str, text: str | None) -> str:
    """`<tag>text</tag>` with the text escaped (`<tag />` without text, as ElementTree writes it)."""
    return f"<{tag}>{_xml_text(text)}</{tag}>" if text else f"<{tag} />"


def _kml_geometry(geometry: Any) -> str:
    """A Point, LineString, or MultiGeometry of Points or of LineStrings; nothing for a missing or empty
    geometry."""
    if not has_location(geometry):
        return ""
    if geometry.geom_type == "Point":
        return f"<Point>{_element('coordinates', f'{geometry.x:.6f},{geometry.y:.6f}')}</Point>"
    if geometry.geom_type == "MultiPoint":
        points = "".join(f"<Point>{_element('coordinates', f'{point.x:.6f},{point.y:.6f}')}</Point>"
                         for point in geometry.geoms)
        return f"<MultiGeometry>{points}</MultiGeometry>"
    if geometry.geom_type == "LineString":
        return f"<LineString>{_element('coordinates', _coordinates(geometry))}</LineString>"
    lines = "".join(f"<LineString>{_element('coordinates', _coordinates(line))}</LineString>"
                    for line in geometry.geoms)  # MultiLineString
    return f"<MultiGeometry>{lines}</MultiGeometry>"


KML_DATA = ("event_id", "layer", "event_type", "place", "location_precision", "date_start", "date_end",
            "date_precision", "date_inferred", "status", "sources")
"""The properties a KML Placemark carries as ExtendedData (its name is the title, its description the details;
the id is `event_id`, as KML readers keep `id` for the Placemark's own XML id)."""


def _chunks(frame: gpd.GeoDataFrame) -> Iterator[gpd.GeoDataFrame]:
    """The frame CHUNK_ROWS rows at a time, in order; one empty chunk for an empty frame."""
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        yield frame.iloc[start:start + CHUNK_ROWS]


def _kml_value(value: Any) -> str:
    """An ExtendedData value as text (booleans as KML's true/false)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _kml_placemark(row: dict[str, Any]) -> str:
    """One event as a Placemark: name, escaped HTML description (the details panel), TimeSpan, style and
    ExtendedData, then its geometry (none when the location is unknown). Every text is XML-escaped, and the
    description's dataset text HTML-escaped before that (geo.report.details), so no text from the data becomes
    markup."""
    parts = ["<Placemark>", _element("name", row["title"]), _element("description", details_html(row, archived=False))]
    start, end = row.get("date_start"), row.get("date_end")
    if start or end:
        parts += ["<TimeSpan>", _element("begin", start) if start else "", _element("end", end) if end else "",
                  "</TimeSpan>"]
    parts.append(_element("styleUrl", f"#{row['event_type']}"))
    values = {**row, "sources": format_sources(row["sources"]), "event_id": row["id"]}
    data = "".join(f'<Data name="{name}">{_element("value", _kml_value(value))}</Data>'
                   for name in KML_DATA if (value := values.get(name)) is not None and value != "")
    parts += [f"<ExtendedData>{data}</ExtendedData>" if data else "<ExtendedData />",
              _kml_geometry(row.get("geometry")), "</Placemark>"]
    return "".join(parts)


def write_kml(frame: gpd.GeoDataFrame, write: Write) -> None:
    """KML 2.2 text, streamed: the document's name and one Style per event type, then one Placemark per row,
    in order (see `_kml_placemark`)."""
    write(f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{KML_NS}"><Document>'
          f'{_element("name", "North Korea–China border events")}')
    for event_type, (colour, _) in EVENT_STYLE.items():
        color = _element("color", _kml_color(colour))
        write(f'<Style id="{event_type}"><IconStyle>{color}</IconStyle><LineStyle>{color}'
              f'{_element("width", "4")}</LineStyle></Style>')
    for chunk in _chunks(frame):
        for row in records(chunk):
            write(_kml_placemark(row))
    write("</Document></kml>\n")


def write_geojson(frame: gpd.GeoDataFrame, write: Write) -> None:
    """GeoJSON text of exactly the rows in `frame`, streamed feature by feature; the same text as
    geo.events.dataset.to_geojson (its features, `json.dumps(..., ensure_ascii=False, indent=1)` layout)."""
    opened = False
    for chunk in _chunks(frame):
        for feature in to_feature_collection(chunk)["features"]:
            text = json.dumps(feature, ensure_ascii=False, indent=1).replace("\n", "\n  ")  # at depth 2
            write(("," if opened else '{\n "type": "FeatureCollection",\n "features": [') + "\n  " + text)
            opened = True
    write("\n ]\n}" if opened else '{\n "type": "FeatureCollection",\n "features": []\n}')


def write_csv(frame: gpd.GeoDataFrame, write: Write, *, hxl: bool = False) -> None:
    """The CSV download (geo.io.csv.to_csv: spreadsheet-safe cells), streamed chunk by chunk; with `hxl`,
    HXL hashtags as a second header row."""
    for number, chunk in enumerate(_chunks(frame)):
        header, _, body = to_csv(chunk).partition("\r\n")
        if number == 0:
            write(header + "\r\n")
            if hxl:
                write(",".join(HXL_TAGS.get(column, "") for column in CSV_COLUMNS) + "\r\n")
        write(body)


def write_text(frame: gpd.GeoDataFrame, fmt: str, write: Write) -> None:
    """Stream the rows of `frame` in text format `fmt` (every one of FORMATS but gpkg) to `write`."""
    if fmt == "kml":
        write_kml(frame, write)
    elif fmt == "geojson":
        write_geojson(frame, write)
    else:
        write_csv(frame, write, hxl=fmt == "hxl")


def export_bytes(frame: gpd.GeoDataFrame, fmt: str) -> bytes:
    """The rows of `frame` (a loaded events frame, filtered or not) in format `fmt` (one of FORMATS), as the
    bytes of the file; raises ExportError for an unknown format."""
    check_format(fmt)
    if fmt == "gpkg":
        buffer = io.BytesIO()
        write_gpkg(frame, buffer)
        return buffer.getvalue()
    text = io.StringIO()
    write_text(frame, fmt, text.write)
    return text.getvalue().encode("utf-8")


class _CappedFile:
    """`write(text)` into a binary file as UTF-8, raising ExportTooLarge once more than `max_bytes` would
    have been written (None: no limit)."""

    def __init__(self, handle: BinaryIO, max_bytes: int | None):
        self.handle, self.max_bytes, self.written = handle, max_bytes, 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.written += len(data)
        if self.max_bytes is not None and self.written > self.max_bytes:
            raise ExportTooLarge(self.max_bytes)
        self.handle.write(data)


def write_export(frame: gpd.GeoDataFrame, fmt: str, path: Path, *, max_bytes: int | None = None) -> int:
    """The file `export_bytes` gives, written to `path` atomically (a reader sees the old file or the whole
    new one) and streamed (text formats never held whole in memory); its size in bytes.

    Raises ExportTooLarge, leaving `path` as it was, when the file would be larger than `max_bytes` (None:
    no limit): text formats stop writing as soon as they pass it, a GeoPackage is measured once GDAL wrote it."""
    check_format(fmt)
    if fmt == "gpkg":
        def write(temporary: Path) -> None:
            named = temporary.with_name(temporary.name + ".gpkg")  # GDAL wants the .gpkg suffix, and makes the file
            try:
                write_gpkg(frame, named)
                if max_bytes is not None and named.stat().st_size > max_bytes:
                    raise ExportTooLarge(max_bytes)
                os.replace(named, temporary)
            finally:
                named.unlink(missing_ok=True)
    else:
        def write(temporary: Path) -> None:
            with temporary.open("wb") as handle:
                write_text(frame, fmt, _CappedFile(handle, max_bytes).write)
    write_atomically(Path(path), write)
    return Path(path).stat().st_size
