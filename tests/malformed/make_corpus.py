"""Regenerates the malformed-input corpus in this folder, and its README, from data/events.geojson.

Run `.venv/bin/python tests/malformed/make_corpus.py`; tests/test_malformed.py checks every file.
Each case starts from a valid feature of the real dataset and breaks one thing.
"""

from __future__ import annotations

import codecs
import copy
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent
ROOT = OUT.parent.parent
real = json.loads((ROOT / "data" / "events.geojson").read_text(encoding="utf-8"))
WORKER = real["features"][4]   # workers-tumen-economic-development-zone: a city-level Point
ROUTE = real["features"][2]    # road-freight-rason-hunchun-resumption: a LineString with status history
SHANGHAI = real["features"][6]  # disappearance: an incident Point with dates

rows = []


def dumps(data):
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=True) + "\n"


def fc(*features, **extra):
    return {"type": "FeatureCollection", **extra, "features": list(features)}


def write(name, content, field, what):
    data = content if isinstance(content, bytes) else (content if isinstance(content, str) else dumps(content))
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    assert len(raw) < 20_000, (name, len(raw))
    (OUT / name).write_bytes(raw)
    rows.append((name, field, what))


def worker(**props):
    f = copy.deepcopy(WORKER)
    f["properties"].update(props)
    return f


def route(**props):
    f = copy.deepcopy(ROUTE)
    f["properties"].update(props)
    return f


def without(feature, *keys, where="properties"):
    f = copy.deepcopy(feature)
    for key in keys:
        (f[where] if where else f).pop(key)
    return f


def with_geometry(feature, geometry):
    f = copy.deepcopy(feature)
    f["geometry"] = geometry
    return f


valid_text = dumps(fc(WORKER))

# --- Not JSON, or not UTF-8 ---------------------------------------------------------------
write("not_json.geojson", "This is a list of events, not JSON.\nDandong, 2020-01: border closed.\n", "file",
      "plain text")
write("truncated.geojson", valid_text[: len(valid_text) // 2], "file", "valid JSON cut off half way")
write("empty.geojson", b"", "file", "zero bytes")
write("whitespace_only.geojson", " \n\t\r\n   \n", "file", "only spaces, tabs and newlines")
write("trailing_comma.geojson", valid_text.replace('"place": "Tumen",', '"place": "Tumen",,'), "file",
      "a doubled comma inside an object")
write("single_quotes.geojson", valid_text.replace('"FeatureCollection"', "'FeatureCollection'"), "file",
      "a string in single quotes (JavaScript, not JSON)")
write("comments.geojson", "// exported from the spreadsheet\n" + valid_text, "file", "a // comment line")
write("trailing_data.geojson", valid_text + "]\n", "file", "a stray `]` after the document")
write("utf16_bom.geojson", valid_text.encode("utf-16"), "file", "UTF-16 little-endian with a byte order mark")
write("utf16_no_bom.geojson", valid_text.encode("utf-16-le"), "file",
      "UTF-16 little-endian without a byte order mark (NUL bytes)")
write("utf16_be_bom.geojson", codecs.BOM_UTF16_BE + valid_text.encode("utf-16-be"), "file",
      "UTF-16 big-endian with a byte order mark")
write("utf32_bom.geojson", valid_text[:2000].encode("utf-32"), "file", "UTF-32 with a byte order mark")
latin = dumps(fc(worker(summary="Workers walk to the café of the économie zone in Tumen, Jilin.")))
write("latin1.geojson", latin.encode("latin-1", errors="replace"), "file",
      "Latin-1 bytes (é as 0xE9)")
cp1252 = dumps(fc(worker(summary="Workers walk to the “economic development zone” in Tumen.")))
write("windows1252.geojson", cp1252.encode("cp1252", errors="replace"), "file",
      "Windows-1252 curly quotes (0x93, 0x94)")
write("utf8_bom_truncated.geojson", codecs.BOM_UTF8 + valid_text[: len(valid_text) // 3].encode("utf-8"), "file",
      "a UTF-8 byte order mark (accepted) before truncated JSON: line and column count from after the mark")
write("nan_token.geojson", valid_text.replace("129.84199", "NaN"), "file", "`NaN` as a longitude")
write("infinity_token.geojson", valid_text.replace("42.96562", "Infinity"), "file", "`Infinity` as a latitude")
write("negative_infinity_token.geojson", valid_text.replace("129.84199", "-Infinity"), "file",
      "`-Infinity` as a longitude")
write("number_overflow.geojson", valid_text.replace("42.96562", "4.296562e400"), "file",
      "a number beyond a 64-bit float (would parse as infinity)")
write("integer_too_many_digits.geojson", valid_text.replace("42.96562", "4" * 5000), "file",
      "a 5,000-digit integer (beyond Python's int parsing limit)")
write("duplicate_key.geojson", valid_text.replace('"layer": "worker_locations",',
                                                  '"layer": "worker_locations",\n   "layer": "incidents",'),
      "file", "`layer` given twice in one object (the second would silently win)")
nested = copy.deepcopy(WORKER)
nested["properties"]["via"] = json.loads("[" * 100 + "]" * 100)
write("deeply_nested_100.geojson", dumps(fc(nested)), "file", "100 nested arrays inside `via`")

# --- Not a FeatureCollection -------------------------------------------------------------
write("top_level_array.geojson", [WORKER], "document", "an array of features at top level")
write("top_level_null.geojson", "null\n", "document", "the JSON value null")
write("top_level_string.geojson", '"FeatureCollection"\n', "document", "a string at top level")
write("bare_feature.geojson", WORKER, "type", "one Feature instead of a FeatureCollection")
write("bare_geometry.geojson", WORKER["geometry"], "type", "one Point geometry instead of a FeatureCollection")
write("type_lowercase.geojson", {**fc(WORKER), "type": "featurecollection"}, "type", "`type` in the wrong case")
write("features_missing.geojson", {"type": "FeatureCollection"}, "features", "no `features` member")
write("features_object.geojson", {"type": "FeatureCollection", "features": {"0": WORKER}}, "features",
      "`features` is an object, not a list")
write("crs_member.geojson", fc(WORKER, crs={"type": "name", "properties": {"name": "EPSG:3857"}}), "crs",
      "a `crs` member (not RFC 7946)")

# --- Features that are not Features --------------------------------------------------------
write("null_feature.geojson", fc(WORKER, None), "feature", "`null` in the features list")
write("feature_is_string.geojson", fc("workers-tumen-economic-development-zone"), "feature",
      "a string in the features list")
write("feature_type_wrong.geojson", fc({**WORKER, "type": "feature"}), "type",
      "a feature whose `type` is 'feature'")
write("feature_id_list.geojson", fc({**WORKER, "id": ["workers-tumen"]}), "id",
      "the Feature's own `id` member is a list")
write("properties_missing.geojson", fc(without(WORKER, "properties", where=None)), "properties",
      "a feature without `properties`")
write("properties_null.geojson", fc({**WORKER, "properties": None}), "properties", "`properties: null`")
write("geometry_missing.geojson", fc(without(WORKER, "geometry", where=None)), "geometry",
      "a feature without a `geometry` member (null is required to say 'no location')")

# --- Wrong types -------------------------------------------------------------------------
write("id_number.geojson", fc(worker(id=42)), "properties.id", "`id` is a number")
write("sources_string.geojson", fc(worker(sources="The Asia Business Daily")), "properties.sources",
      "`sources` is a string, not a list of sources")
write("date_number.geojson", fc(worker(date_end=20230223)), "properties.date_end",
      "`date_end` is the number 20230223")
write("date_zero.geojson", fc(worker(date_end=0)), "properties.date_end",
      "`date_end` is 0 (pydantic alone would read 1970-01-01)")
write("layer_list.geojson", fc(worker(layer=["worker_locations"])), "properties.layer", "`layer` is a list")
write("date_inferred_string.geojson", fc(worker(date_inferred="yes")), "properties.date_inferred",
      "`date_inferred` is the string 'yes' (pydantic alone would read true)")
write("title_object.geojson", fc(worker(title={"en": "Workers in Tumen"})), "properties.title",
      "`title` is an object")
write("via_string.geojson", fc(route(via="Hunchun - Rason")), "properties.via", "`via` is a string")
write("status_history_object.geojson", fc(route(status_history={"status": "resumed", "since": "2023-02-23"})),
      "properties.status_history", "`status_history` is an object, not a list")

# --- Geometry ----------------------------------------------------------------------------
write("empty_coordinates.geojson", fc(with_geometry(WORKER, {"type": "Point", "coordinates": []})),
      "geometry.coordinates", "a Point with `coordinates: []`")
write("coordinates_too_deep.geojson",
      fc(with_geometry(WORKER, {"type": "Point", "coordinates": [[129.84199, 42.96562]]})),
      "geometry.coordinates", "a Point whose coordinates are nested one level too deep")
write("coordinates_too_flat.geojson",
      fc(with_geometry(ROUTE, {"type": "LineString", "coordinates": [130.35689, 42.86736, 130.5225, 42.5678]})),
      "geometry.coordinates", "a LineString given as one flat list of numbers")
write("coordinates_as_strings.geojson",
      fc(with_geometry(WORKER, {"type": "Point", "coordinates": ["129.84199", "42.96562"]})),
      "geometry.coordinates", "numbers written as strings (pydantic alone would accept them)")
write("coordinates_booleans.geojson", fc(with_geometry(WORKER, {"type": "Point", "coordinates": [True, False]})),
      "geometry.coordinates", "booleans as coordinates (pydantic alone would read 1.0, 0.0)")
write("linestring_one_position.geojson",
      fc(with_geometry(ROUTE, {"type": "LineString", "coordinates": [[130.35689, 42.86736]]})),
      "geometry.coordinates", "a LineString with a single position")
write("mixed_dimensions.geojson",
      fc(with_geometry(ROUTE, {"type": "LineString",
                               "coordinates": [[130.35689, 42.86736], [130.5225, 42.5678, 15.0]]})),
      "geometry.coordinates", "a line mixing 2- and 3-value positions (shapely cannot build it)")
write("polygon_for_point.geojson",
      fc(with_geometry(WORKER, {"type": "Polygon", "coordinates": [
          [[129.8, 42.9], [129.9, 42.9], [129.9, 43.0], [129.8, 43.0], [129.8, 42.9]]]})),
      "geometry", "a Polygon where a Point is expected")
write("unclosed_ring.geojson",
      fc(with_geometry(WORKER, {"type": "Polygon", "coordinates": [
          [[129.8, 42.9], [129.9, 42.9], [129.9, 43.0], [129.8, 43.0]]]})),
      "geometry", "a Polygon whose ring does not end where it starts")
write("geometry_string.geojson", fc(with_geometry(WORKER, "POINT (129.84199 42.96562)")), "geometry",
      "WKT text instead of a GeoJSON geometry")
write("longitude_out_of_range.geojson",
      fc(with_geometry(WORKER, {"type": "Point", "coordinates": [309.84199, 42.96562]})),
      "geometry.coordinates", "longitude 309.8")
write("latitude_out_of_range.geojson",
      fc(with_geometry(WORKER, {"type": "Point", "coordinates": [129.84199, -142.96562]})),
      "geometry.coordinates", "latitude -143.0 (longitude also above 90, so not a swap)")
write("swapped_lat_lon.geojson", fc(with_geometry(WORKER, {"type": "Point", "coordinates": [42.96562, 129.84199]})),
      "geometry.coordinates", "[latitude, longitude] instead of [longitude, latitude]")
write("swapped_lat_lon_in_line.geojson",
      fc(with_geometry(ROUTE, {"type": "LineString",
                               "coordinates": [[130.35689, 42.86736], [42.5678, 130.5225], [130.28308, 42.25559]]})),
      "geometry.coordinates[1]", "the second vertex of a route swapped")
write("line_on_point_layer.geojson",
      fc(with_geometry(WORKER, {"type": "LineString", "coordinates": [[129.84, 42.96], [129.85, 42.97]]})),
      "geometry", "a LineString on the worker_locations layer")
write("city_precision_without_geometry.geojson", fc(with_geometry(WORKER, None)), "geometry",
      "city precision but `geometry: null`")

# --- Vocabulary and rules ----------------------------------------------------------------
write("duplicate_ids.geojson", fc(SHANGHAI, worker(id=SHANGHAI["properties"]["id"])), "properties.id",
      "two features with the same id")
write("unknown_layer.geojson", fc(worker(layer="rumours")), "properties.layer", "layer 'rumours'")
write("unknown_event_type.geojson", fc(worker(event_type="kidnap")), "properties.event_type",
      "event_type 'kidnap'")
write("unknown_location_precision.geojson", fc(worker(location_precision="street")),
      "properties.location_precision", "location_precision 'street'")
write("unknown_date_precision.geojson", fc(worker(date_precision="week")), "properties.date_precision",
      "date_precision 'week'")
write("unknown_status.geojson", fc(route(status="reopened")), "properties.status", "status 'reopened'")
write("unknown_property.geojson", fc(worker(sumary="a typo for summary")), "properties.sumary",
      "a misspelt property name")
write("date_does_not_parse.geojson", fc(worker(date_end="2023-02-30")), "properties.date_end",
      "30 February")
write("date_not_iso.geojson", fc(worker(date_end="23/02/2023")), "properties.date_end", "a DD/MM/YYYY date")
write("date_with_time.geojson", fc(worker(date_end="2023-02-23T09:00:00Z")), "properties.date_end",
      "a timestamp instead of a day")
write("date_year_0023.geojson", fc(worker(date_end="0023-02-23")), "properties.date_end",
      "year 0023, a typo (dates must fall in 1900-2100; the app's date widgets cannot show such years)")
write("date_year_9999.geojson", fc(worker(date_start="2023-01-01", date_end="9999-12-31")), "properties.date_end",
      "year 9999 (the month-by-month map steps would run past year 9999)")
write("end_before_start.geojson", fc(worker(date_start="2023-03-01", date_precision="month")),
      "properties.date_end", "date_end (2023-02-23) before date_start (2023-03-01)")
history = copy.deepcopy(ROUTE["properties"]["status_history"])
write("status_history_out_of_order.geojson", fc(route(status="closed", status_history=history[::-1])),
      "properties.status_history[1].since", "status_history entries in reverse date order")
write("status_not_last_history_entry.geojson", fc(route(status="closed")), "properties.status",
      "status differs from the last status_history entry")
write("status_history_entry_invalid.geojson",
      fc(route(status_history=[history[0], {"status": "open", "since": "soon", "precision": "day"}])),
      "properties.status_history[1].status", "a history entry with an unknown status and an unparseable date")
write("route_without_status.geojson", fc(without(ROUTE, "status", "status_history")), "properties.status",
      "a route line without a status")
write("inferred_without_note.geojson", fc(without(WORKER, "date_note")), "properties.date_note",
      "date_inferred true but no date_note")
write("precision_without_dates.geojson", fc(without(worker(date_precision="day"), "date_end")),
      "properties.date_precision", "date_precision 'day' but no date at all")
write("point_without_place.geojson", fc(worker(place="")), "properties.place", "a located point with no place name")
write("empty_sources.geojson", fc(worker(sources=[])), "properties.sources", "`sources: []`")
source = copy.deepcopy(WORKER["properties"]["sources"][0])
write("source_without_publisher.geojson", fc(worker(sources=[{k: v for k, v in source.items() if k != "publisher"}])),
      "properties.sources[0].publisher", "a source with no publisher")
write("source_date_unparseable.geojson", fc(worker(sources=[{**source, "published": "February 2023"}])),
      "properties.sources[0].published", "a source's publication date in words")
write("id_not_a_slug.geojson", fc(worker(id="Workers in Tumen!")), "properties.id", "an id with capitals and spaces")
write("country_lowercase.geojson", fc(worker(country="cn")), "properties.country", "country 'cn'")
write("title_blank.geojson", fc(worker(title="   ")), "properties.title", "a title of spaces only")

# --- Hostile text ------------------------------------------------------------------------
write("long_title.geojson", fc(worker(title="Tumen " * 2500)), "properties.title",
      "a 15,000-character title (limit 300)")
write("long_property_name.geojson", fc(worker(**{"k" * 5000: "x"})), "properties[",
      "a 5,000-character property name (echoed cut to 40 characters)")
write("newline_in_id.geojson", fc(worker(id="workers-tumen\nFAKE: feature 0: properties.id: ok")), "properties.id",
      "an id containing a newline and a fake problem line (must stay on one line)")
write("control_chars_in_key.geojson", fc(worker(**{"evil\r\nkey\u2028\x1b[31m": "x"})), "properties[",
      "a property name with CR, LF, U+2028 and an ANSI escape")
write("lone_surrogate.geojson", valid_text.replace('"Tumen",', '"Tumen \\ud800",'), "properties.place",
      "a `\\ud800` escape: an unpaired UTF-16 surrogate, not Unicode text")


GENERATED = [  # made by tests/test_malformed.py in a temporary folder: too big to commit
    ("deeply_nested_100000.geojson", "file", "100,000 nested arrays (200 KB)"),
    ("long_summary_100000.geojson", "properties.summary", "a valid feature whose summary is 100,000 characters"),
    ("oversize.geojson", "file", "a sparse file one byte over `MAX_FILE_BYTES` (200 MB): refused before reading"),
]

README = """# Malformed inputs

Every `.geojson` file here is an events file that must be **rejected**: `python -m geo validate FILE`
exits 1 and prints one line per problem, each starting with the file path and naming a field (`file`
for problems reading or parsing it, else the feature index and id and the property path); `load_events`
raises `DatasetError`; the dashboard shows the problems instead of a traceback. `tests/test_malformed.py`
runs every file in this folder (add a file and it becomes a case, which must then be listed below),
and checks that the field in the second column is named by one of the lines.

Made by `make_corpus.py` (run it to regenerate this folder and this README) from features of
`data/events.geojson`, each with one thing broken. Decisions the corpus pins down:

- A UTF-8 byte order mark is **accepted** and ignored (editors on Windows add one); line and column
  numbers count from after it. UTF-16 and UTF-32 (with or without a byte order mark), Latin-1 and
  Windows-1252 are rejected with a hint to save as UTF-8. `test_malformed.py` checks that the
  bundled dataset with a UTF-8 byte order mark is valid.
- JSON is read strictly: no `NaN`/`Infinity`, no number beyond a 64-bit float, no key twice in one
  object (the second value would silently win), nesting at most 64 deep (`geo.events.dataset.MAX_DEPTH`).
- Files over `geo.events.dataset.MAX_FILE_BYTES` (200 MB) are refused before they are read.
- Text with HTML or `<script>` in it is valid data (escaping it is the display's job), so it is not in this corpus.
- A value from the data echoed in a message is cut to 80 characters, and control characters and
  line breaks in it are escaped, so one problem is always one line.

| file | field named | what is wrong |
|---|---|---|
""" + "".join(f"| `{name}` | `{field}` | {what} |\n" for name, field, what in rows) + """
Generated at test time by `test_malformed.py` (too big to commit), and checked the same way:

| file | field named | what is wrong |
|---|---|---|
""" + "".join(f"| `{name}` | `{field}` | {what} |\n" for name, field, what in GENERATED)

if __name__ == "__main__":
    (OUT / "README.md").write_text(README, encoding="utf-8")
    print(f"{len(rows)} files and README.md written to {OUT}")
