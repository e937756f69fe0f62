"""`python -m geo export`: GeoPackage, KML, HXL, CSV and GeoJSON of exactly the filtered rows, reopened with
real readers (pyogrio for GeoPackage and KML) and compared with the filtered table."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyogrio
import pytest
from shapely import wkb

from geo.io.csv import CSV_COLUMNS, FORMULA_STARTS, format_sources
from geo.io.events_file import load_events
from geo.io.export import FORMATS, HXL_TAGS, export_bytes
from geo.reference.crossings import load_crossings
from geo.reference.geography import load_geography, with_analysis
from geo.report.markup import escape
from geo.view.filters import Filters, apply_filters
from tests.conftest import EVENTS_PATH
from tests.test_io_table import run_geo

TYPES = ("border_closure", "repatriation", "worker_deployment", "defection")


@pytest.fixture(scope="module")
def shown(events):
    """The real dataset as the dashboard's table shows it for these event types (with its geography columns)."""
    return apply_filters(with_analysis(events, load_geography(load_crossings())), Filters(event_types=TYPES))


def export(tmp_path, fmt, *extra, data=EVENTS_PATH):
    out = tmp_path / f"events{FORMATS[fmt][0]}"
    flags = [arg for t in TYPES for arg in ("--event-type", t)]
    done = run_geo("export", fmt, "--data", data, "--out", out, *flags, *extra)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    return out


def test_the_geopackage_reopens_in_pyogrio_with_exactly_the_filtered_rows_and_properties(tmp_path, shown):
    out = export(tmp_path, "gpkg")
    assert pyogrio.list_layers(out)[0][0] == "events"
    table = pyogrio.read_dataframe(out, layer="events")
    assert 0 < len(table) == len(shown) and list(table["id"]) == list(shown["id"])
    for name in ("event_type", "layer", "title", "summary", "place", "location_precision", "date_precision",
                 "country_found", "province"):
        assert table[name].fillna("").tolist() == shown[name].fillna("").tolist(), name
    for name in ("date_start", "date_end"):
        assert [d.date().isoformat() if d == d else None for d in table[name]] == shown[name].tolist()
    assert table["sources"].tolist() == [format_sources(s) for s in shown["sources"]]
    assert [json.loads(s) for s in table["sources_json"]] == [[{k: str(v) for k, v in s.items()} for s in row]
                                                              for row in shown["sources"]]
    distances = shown["distance_to_border_km"].astype(float).tolist()
    assert table["distance_to_border_km"].tolist() == pytest.approx(distances, nan_ok=True)
    # Geometries: the same points and lines, and no geometry where the location is unknown.
    for got, want in zip(table.geometry, shown.geometry, strict=True):
        assert (got is None) == (want is None) and (want is None or got.equals_exact(want, 1e-9))
    assert table.geometry.isna().sum() == shown.geometry.isna().sum() > 0


def test_the_kml_reopens_in_pyogrio_with_names_time_spans_and_sources(tmp_path, shown):
    out = export(tmp_path, "kml")
    table = pyogrio.read_dataframe(out)
    assert list(table["event_id"]) == list(shown["id"]) and list(table["Name"]) == list(shown["title"])
    assert table["sources"].tolist() == [format_sources(s) for s in shown["sources"]]
    begins = [d.date().isoformat() if d == d else None for d in table["begin"]]
    ends = [d.date().isoformat() if d == d else None for d in table["end"]]
    assert begins == shown["date_start"].tolist() and ends == shown["date_end"].tolist()
    # The description is the details panel: every source's publisher, HTML-escaped.
    assert all(all(escape(s["publisher"]) in description for s in sources)
               for sources, description in zip(shown["sources"], table["description"], strict=True))
    for got, want in zip(table.geometry, shown.geometry, strict=True):
        assert (got is None) == (want is None)
        if want is not None:
            assert got.geom_type.removeprefix("Multi") == want.geom_type.removeprefix("Multi")
            assert got.distance(want) < 1e-5


def test_kml_descriptions_escape_dataset_text_so_nothing_from_the_data_becomes_markup(tmp_path, collection):
    hostile = '<script>alert("x")</script> & <b onmouseover=alert(1)>'
    props = collection["features"][0]["properties"]
    props["title"], props["summary"] = hostile, hostile
    props["sources"][0]["publisher"] = hostile
    data = tmp_path / "hostile.geojson"
    data.write_text(json.dumps(collection), encoding="utf-8")
    kml = export_bytes(load_events(data), "kml")
    placemark = ET.fromstring(kml).find(".//{http://www.opengis.net/kml/2.2}Placemark")
    name = placemark.findtext("{http://www.opengis.net/kml/2.2}name")
    description = placemark.findtext("{http://www.opengis.net/kml/2.2}description")
    assert name == hostile  # the name is plain text, XML-escaped in the file
    assert "<script" not in description and "<b onmouseover" not in description
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in description


def test_the_hxl_csv_has_hashtags_as_its_second_header_row_and_the_filtered_rows_below(tmp_path, shown):
    out = export(tmp_path, "hxl")
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1] == [HXL_TAGS[c] for c in CSV_COLUMNS] and all(tag.startswith("#") for tag in rows[1])
    assert [row[0] for row in rows[2:]] == list(shown["id"])
    plain = list(csv.reader(export(tmp_path, "csv").open(encoding="utf-8", newline="")))
    assert rows[2:] == plain[1:]  # the HXL file is the CSV download plus the hashtag row


def test_csv_and_hxl_cells_that_would_start_a_formula_are_written_as_text(tmp_path, collection):
    formulas = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1)", "=cmd|'/c calc'!A0"]
    for feature, formula in zip(collection["features"], formulas, strict=False):
        feature["properties"]["title"] = formula
    data = tmp_path / "formulas.geojson"
    data.write_text(json.dumps(collection), encoding="utf-8")
    for fmt in ("csv", "hxl"):
        out = tmp_path / f"formulas-{fmt}.csv"
        assert run_geo("export", fmt, "--data", data, "--out", out).returncode == 0
        rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
        titles = [row[CSV_COLUMNS.index("title")] for row in rows[2 if fmt == "hxl" else 1:]][:len(formulas)]
        assert titles == ["'" + f for f in formulas]
        # Nothing starts a formula anywhere (a leading tab or CR never survives: the loader strips text).
        assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)


def test_export_bytes_for_the_dashboard_are_the_files_the_command_writes(tmp_path, shown):
    for fmt in ("kml", "hxl", "csv", "geojson"):
        assert export_bytes(shown, fmt) == export(tmp_path, fmt).read_bytes(), fmt
    gpkg = tmp_path / "bytes.gpkg"
    gpkg.write_bytes(export_bytes(shown, "gpkg"))
    reopened, written = pyogrio.read_dataframe(gpkg), pyogrio.read_dataframe(export(tmp_path, "gpkg"))
    assert reopened.drop(columns="geometry").equals(written.drop(columns="geometry"))
    assert [wkb.dumps(g) if g else None for g in reopened.geometry] == \
        [wkb.dumps(g) if g else None for g in written.geometry]


def test_a_dashboard_link_filters_the_export_like_export_html(tmp_path, events):
    out = tmp_path / "view.geojson"
    done = run_geo("export", "geojson", "--out", out, "--view", "?types=defection,repatriation,nonsense")
    assert done.returncode == 0 and "notice:" in done.stderr and "nonsense" in done.stderr, done.stderr
    ids = [f["properties"]["id"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]]
    assert ids == list(events[events["event_type"].isin(["defection", "repatriation"])]["id"])


def test_an_invalid_dataset_is_reported_and_nothing_is_exported(tmp_path, collection):
    collection["features"][3]["properties"]["sources"] = []
    data = tmp_path / "bad.geojson"
    data.write_text(json.dumps(collection), encoding="utf-8")
    done = run_geo("export", "gpkg", "--data", data, "--out", tmp_path / "out.gpkg")
    assert done.returncode == 1 and not (tmp_path / "out.gpkg").exists()
    assert "feature 3" in done.stdout and "sources" in done.stdout and "Traceback" not in done.stderr
    assert io.StringIO(done.stdout).readline().startswith(str(data))


def test_geojson_and_csv_exports_are_the_text_of_geo_dataset_for_any_number_of_rows(shown):
    from geo.events.dataset import frame_from_collection, to_geojson
    from geo.io.csv import to_csv
    from geo.io.export import CHUNK_ROWS
    from perf.bench import synthetic_collection

    synthetic = frame_from_collection(synthetic_collection(2 * CHUNK_ROWS + 7))  # three chunks, the last short
    for frame in (shown, shown.iloc[:0], shown.iloc[:1], synthetic):
        assert export_bytes(frame, "geojson").decode("utf-8") == to_geojson(frame)
        assert export_bytes(frame, "csv").decode("utf-8") == to_csv(frame)
        header, _, body = to_csv(frame).partition("\r\n")
        assert export_bytes(frame, "hxl").decode("utf-8").split("\r\n", 2)[::2] == [header, body]


def test_every_placemark_reads_back_as_its_event_name_details_dates_and_data(shown):
    from geo.events.dataset import records
    from geo.io.export import KML_DATA
    from geo.report.details import details_html

    kml = ET.fromstring(export_bytes(shown, "kml"))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    placemarks = kml.findall(".//k:Placemark", ns)
    assert len(placemarks) == len(shown) > 0
    for placemark, row in zip(placemarks, records(shown), strict=True):
        assert placemark.findtext("k:name", namespaces=ns) == row["title"]
        # no "archived text" link: its address only resolves inside the app, not in a file opened elsewhere
        assert placemark.findtext("k:description", namespaces=ns) == details_html(row, archived=False)
        assert placemark.findtext("k:TimeSpan/k:begin", namespaces=ns) == row["date_start"]
        assert placemark.findtext("k:styleUrl", namespaces=ns) == f"#{row['event_type']}"
        data = {item.get("name"): item.findtext("k:value", namespaces=ns)
                for item in placemark.findall("k:ExtendedData/k:Data", ns)}
        assert set(data) <= set(KML_DATA) and data["event_id"] == row["id"]
        assert data["sources"] == format_sources(row["sources"])
        assert (placemark.find("k:Point", ns) is not None) == (row["geometry"] is not None
                                                                and row["geometry"].geom_type == "Point")


def test_text_exports_are_written_in_pieces_never_as_one_string_of_the_whole_file(shown):
    from geo.events.dataset import frame_from_collection
    from geo.io.export import CHUNK_ROWS, write_text
    from perf.bench import synthetic_collection

    synthetic = frame_from_collection(synthetic_collection(2 * CHUNK_ROWS + 7))
    for frame in (shown, synthetic):
        for fmt in ("kml", "geojson", "csv", "hxl"):
            pieces: list[str] = []
            write_text(frame, fmt, pieces.append)
            whole = "".join(pieces)
            if fmt in ("kml", "geojson"):  # event by event
                assert len(pieces) > len(frame), fmt
                assert frame is shown or max(map(len, pieces)) < len(whole) / 200, fmt
            elif frame is synthetic:  # CHUNK_ROWS rows at a time
                assert len(pieces) > 3 and max(map(len, pieces)) < len(whole) / 2, fmt


def test_an_export_past_its_size_limit_stops_and_leaves_no_file(tmp_path, shown):
    from geo.io.export import ExportTooLarge, write_export

    for fmt in FORMATS:
        path = tmp_path / f"events-{fmt}{FORMATS[fmt][0]}"
        size = write_export(shown, fmt, path)
        assert size == path.stat().st_size > 0
        path.unlink()
        assert write_export(shown, fmt, path, max_bytes=size) == size
        with pytest.raises(ExportTooLarge):
            write_export(shown, fmt, tmp_path / f"small-{fmt}{FORMATS[fmt][0]}", max_bytes=size // 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"events-{fmt}{FORMATS[fmt][0]}" for fmt in FORMATS)


MASS_REPATRIATION = "repatriation-mass-2023-10-09"


def test_an_event_at_several_crossings_keeps_every_point_and_names_them_in_each_format(tmp_path, shown):
    from shapely import wkt

    want = shown.geometry[MASS_REPATRIATION]
    crossings = shown.loc[MASS_REPATRIATION, "crossings"]
    assert want.geom_type == "MultiPoint" and len(want.geoms) == len(crossings) == 5
    gpkg = pyogrio.read_dataframe(export(tmp_path, "gpkg"), layer="events").set_index("id")
    assert gpkg.geometry[MASS_REPATRIATION].equals_exact(want, 1e-9)
    assert json.loads(gpkg.loc[MASS_REPATRIATION, "crossings_json"]) == crossings
    kml = pyogrio.read_dataframe(export(tmp_path, "kml")).set_index("event_id")
    assert kml.geometry[MASS_REPATRIATION].geom_type == "MultiPoint"
    assert kml.geometry[MASS_REPATRIATION].equals_exact(want, 1e-6)
    for fmt in ("csv", "hxl"):
        rows = list(csv.DictReader(export(tmp_path, fmt).read_text(encoding="utf-8").splitlines()))
        row = next(r for r in rows if r["id"] == MASS_REPATRIATION)
        assert wkt.loads(row["geometry_wkt"]).equals_exact(want, 1e-6) and row["longitude"] == row["latitude"] == ""
        assert row["crossings"].split("; ") == crossings
    geojson = json.loads(export(tmp_path, "geojson").read_text(encoding="utf-8"))
    feature = next(f for f in geojson["features"] if f["properties"]["id"] == MASS_REPATRIATION)
    assert feature["geometry"]["type"] == "MultiPoint" and feature["properties"]["crossings"] == crossings
    assert HXL_TAGS["crossings"] == "#loc+crossings"
