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
- CSV and GeoJSON: geo.dataset's downloads (CSV cells that would start a formula are written as text).
"""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.dataset import CSV_COLUMNS, PROPERTY_FIELDS, format_sources, records, to_csv, to_geojson
from geo.details import details_html
from geo.evidence import figure_span, figures_text
from geo.geoparquet import write_atomically
from geo.style import EVENT_STYLE

FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "kml": (".kml", "application/vnd.google-earth.kml+xml"),
    "hxl": (".csv", "text/csv"),
    "csv": (".csv", "text/csv"),
    "geojson": (".geojson", "application/geo+json"),
}
"""Each export format: its file suffix and MIME type."""

GPKG_LAYER = "events"
NESTED = ("sources", "figures", "status_history", "via")
ANALYSIS = ("country_found", "province", "distance_to_border_km", "nearest_crossing", "nearest_crossing_km")
TEXT_FIELDS = tuple(f for f in PROPERTY_FIELDS if f not in (*NESTED, "matches", "date_inferred"))
KML_NS = "http://www.opengis.net/kml/2.2"

HXL_TAGS: dict[str, str] = {
    "id": "#event+id", "layer": "#event+layer", "event_type": "#event+type", "title": "#event+name",
    "summary": "#description", "place": "#loc+name", "location_precision": "#geo+precision",
    "date_start": "#date+start", "date_end": "#date+end", "date_precision": "#date+precision",
    "date_inferred": "#date+inferred", "date_note": "#description+date", "status": "#status",
    "longitude": "#geo+lon", "latitude": "#geo+lat", "geometry_wkt": "#geo+wkt", "country_found": "#country+code",
    "province": "#adm1+name", "distance_to_border_km": "#geo+distance+border", "nearest_crossing": "#loc+name+crossing",
    "nearest_crossing_km": "#geo+distance+crossing", "figure_low": "#affected+min", "figure_high": "#affected+max",
    "figures": "#affected+description", "sources": "#meta+source",
}
"""The HXL hashtag of each CSV column (HXL 1.1 core hashtags: #event, #loc, #geo, #date, #meta, …)."""


class ExportError(ValueError):
    """An unknown export format; the message lists the known ones."""


def check_format(fmt: str) -> None:
    """Raise ExportError unless `fmt` is one of FORMATS."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")


def flat_table(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per event with only plain columns: text, numbers, booleans, dates as datetime64 (missing: NaT),
    `sources` as one citation text, `figures` as text with figure_low/figure_high, and the nested
    properties again as JSON text (`sources_json`, `figures_json`, `status_history_json`, `via_json`);
    geography columns when the frame carries geo.geography's analysis."""
    rows = records(frame)
    out: dict[str, list[Any]] = {name: [row.get(name) for row in rows] for name in TEXT_FIELDS}
    out["date_inferred"] = [bool(row.get("date_inferred")) for row in rows]
    for name in ("date_start", "date_end"):
        out[name] = pd.to_datetime(pd.Series(out[name], dtype=object), format="%Y-%m-%d")
    spans = [figure_span(row.get("figures")) for row in rows]
    out["figure_low"] = pd.array([s[0] if s else None for s in spans], dtype="Int64")
    out["figure_high"] = pd.array([s[1] if s else None for s in spans], dtype="Int64")
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
    """The events as the GeoPackage layer `events` (mixed points and lines, null geometries kept)."""
    import pyogrio

    pyogrio.write_dataframe(flat_table(frame), target, layer=GPKG_LAYER, driver="GPKG", geometry_type="Unknown")


def _kml_color(hex_rgb: str, alpha: str = "ff") -> str:
    """A '#rrggbb' colour as KML's aabbggrr."""
    return alpha + hex_rgb[5:7] + hex_rgb[3:5] + hex_rgb[1:3]


def _coordinates(line: Any) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y, *_ in line.coords)


def _kml_geometry(parent: ET.Element, geometry: Any) -> None:
    if geometry is None or geometry.is_empty:
        return
    if geometry.geom_type == "Point":
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = f"{geometry.x:.6f},{geometry.y:.6f}"
    elif geometry.geom_type == "LineString":
        ET.SubElement(ET.SubElement(parent, "LineString"), "coordinates").text = _coordinates(geometry)
    else:  # MultiLineString
        multi = ET.SubElement(parent, "MultiGeometry")
        for line in geometry.geoms:
            ET.SubElement(ET.SubElement(multi, "LineString"), "coordinates").text = _coordinates(line)


KML_DATA = ("event_id", "layer", "event_type", "place", "location_precision", "date_start", "date_end",
            "date_precision", "date_inferred", "status", "sources")
"""The properties a KML Placemark carries as ExtendedData (its name is the title, its description the details;
the id is `event_id`, as KML readers keep `id` for the Placemark's own XML id)."""


def to_kml(frame: gpd.GeoDataFrame) -> str:
    """KML 2.2 text: one Placemark per row, in order, with name, escaped HTML description (the details panel),
    TimeSpan, event-type style and ExtendedData. Text is XML-escaped by ElementTree, and the description's
    dataset text HTML-escaped before that, so no text from the data becomes markup."""
    ET.register_namespace("", KML_NS)
    kml = ET.Element("kml", xmlns=KML_NS)
    document = ET.SubElement(kml, "Document")
    ET.SubElement(document, "name").text = "North Korea–China border events"
    for event_type, (colour, _) in EVENT_STYLE.items():
        style = ET.SubElement(document, "Style", id=event_type)
        ET.SubElement(ET.SubElement(style, "IconStyle"), "color").text = _kml_color(colour)
        line = ET.SubElement(style, "LineStyle")
        ET.SubElement(line, "color").text = _kml_color(colour)
        ET.SubElement(line, "width").text = "4"
    for row in records(frame):
        placemark = ET.SubElement(document, "Placemark")
        ET.SubElement(placemark, "name").text = row["title"]
        ET.SubElement(placemark, "description").text = details_html(row)
        if row.get("date_start") or row.get("date_end"):
            span = ET.SubElement(placemark, "TimeSpan")
            if row.get("date_start"):
                ET.SubElement(span, "begin").text = row["date_start"]
            if row.get("date_end"):
                ET.SubElement(span, "end").text = row["date_end"]
        ET.SubElement(placemark, "styleUrl").text = f"#{row['event_type']}"
        data = ET.SubElement(placemark, "ExtendedData")
        for name in KML_DATA:
            value = {"sources": format_sources(row["sources"]), "event_id": row["id"]}.get(name, row.get(name))
            if value is None or value == "":
                continue
            item = ET.SubElement(data, "Data", name=name)
            ET.SubElement(item, "value").text = str(value).lower() if isinstance(value, bool) else str(value)
        _kml_geometry(placemark, row.get("geometry"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="unicode") + "\n"


def to_hxl(frame: gpd.GeoDataFrame) -> str:
    """The CSV download (geo.dataset.to_csv: spreadsheet-safe cells) with HXL hashtags as a second header row."""
    header, _, body = to_csv(frame).partition("\r\n")
    tags = ",".join(HXL_TAGS.get(column, "") for column in CSV_COLUMNS)
    return f"{header}\r\n{tags}\r\n{body}"


def export_bytes(frame: gpd.GeoDataFrame, fmt: str) -> bytes:
    """The rows of `frame` (a loaded events frame, filtered or not) in format `fmt` (one of FORMATS), as the
    bytes of the file; raises ExportError for an unknown format."""
    check_format(fmt)
    if fmt == "gpkg":
        buffer = io.BytesIO()
        write_gpkg(frame, buffer)
        return buffer.getvalue()
    text = {"kml": to_kml, "hxl": to_hxl, "csv": to_csv, "geojson": to_geojson}[fmt](frame)
    return text.encode("utf-8")


def write_export(frame: gpd.GeoDataFrame, fmt: str, path: Path) -> None:
    """export_bytes written to `path` atomically (a reader sees the old file or the whole new one)."""
    check_format(fmt)
    if fmt == "gpkg":
        def write(temporary: Path) -> None:
            named = temporary.with_name(temporary.name + ".gpkg")  # GDAL wants the .gpkg suffix, and makes the file
            try:
                write_gpkg(frame, named)
                os.replace(named, temporary)
            finally:
                named.unlink(missing_ok=True)
    else:
        data = export_bytes(frame, fmt)

        def write(temporary: Path) -> None:
            temporary.write_bytes(data)
    write_atomically(Path(path), write)
