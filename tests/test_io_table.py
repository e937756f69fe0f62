"""`python -m geo import-table`: a spreadsheet of events (CSV or XLSX) in, a valid events file out, a line per row."""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
import time

import openpyxl
import pytest

from geo.events.dataset import read_json
from geo.io.cells import CellError, date_span
from geo.io.events_file import load_events, validate_file
from geo.reference.gazetteer import load_gazetteer
from tests.conftest import EVENTS_PATH, ROOT

RUNNER = ("import argparse, sys; from geo.cli.tables import add_commands; p = argparse.ArgumentParser(prog='geo'); "
          "add_commands(p.add_subparsers(dest='command', required=True)); a = p.parse_args(); sys.exit(a.run(a))")


def run_geo(*args: object) -> subprocess.CompletedProcess:
    """The io commands as a user runs them: a fresh Python process, the project's parser setup."""
    return subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


HEADER = ["Date", "Event type", "Place", "Lat", "Lon", "Source", "URL", "Notes"]
ROWS = [
    ["2023-02-10", "defection", "Dandong", "40.1292", "124.3947", "Daily NK", "https://www.dailynk.com/a", "Left"],
    ["2023-02", "Detention", "Sinuijiu", "", "", "Radio Free Asia", "https://www.rfa.org/b", ""],
    ["2023", "repatriation", "Yanbian", "", "", "", "https://www.hrw.org/c", ""],
    ["2023-03-01", "escape", "somewhere near the river", "", "", "Daily NK", "https://www.dailynk.com/d", ""],
    ["2023-04-02", "worker_strike", "珲春", "", "", "Yonhap", "https://en.yna.co.kr/e", ""],
]


def write_csv(path, rows, header=HEADER):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def test_a_spreadsheet_with_usual_column_names_becomes_an_events_file_that_validates(tmp_path):
    sheet, out = write_csv(tmp_path / "events.csv", ROWS), tmp_path / "events.geojson"
    done = run_geo("import-table", sheet, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert validate_file(out) == [] and "Traceback" not in done.stderr
    features = read_json(out)["features"]
    assert [f["properties"]["event_type"] for f in features] == ["defection", "detention", "repatriation", "escape",
                                                                  "worker_strike"]
    lines = done.stdout.splitlines()
    assert len(lines) == len(ROWS) and all(line.startswith(f"{sheet}: row {n}: imported as ")
                                           for n, line in enumerate(lines, 2))
    dandong, sinuiju, yanbian, unknown, hunchun = features
    gazetteer = load_gazetteer()
    # Given coordinates are kept; within 3 km of the gazetteer's Dandong they stand for the town.
    assert dandong["geometry"]["coordinates"] == [124.3947, 40.1292]
    assert dandong["properties"]["place"] == "Dandong" and dandong["properties"]["location_precision"] == "city"
    # A misspelt town and a Chinese name are located through the gazetteer, at its point and precision.
    for feature, name in ((sinuiju, "Sinuiju"), (hunchun, "Hunchun")):
        place = gazetteer.places[name]
        assert feature["geometry"]["coordinates"] == [place.lon, place.lat]
        assert feature["properties"]["location_precision"] == "city" and feature["properties"]["place"] == name
    assert sinuiju["properties"]["date_start"] == "2023-02-01" and sinuiju["properties"]["date_end"] == "2023-02-28"
    assert sinuiju["properties"]["date_precision"] == "month"
    # A region has no point; its publisher is read from the link.
    assert yanbian["geometry"] is None and yanbian["properties"]["location_precision"] == "region"
    assert yanbian["properties"]["sources"][0]["publisher"] == "hrw.org"


def test_a_row_that_cannot_be_located_gets_no_geometry_never_a_guessed_point(tmp_path):
    sheet, out = write_csv(tmp_path / "events.csv", ROWS[3:4]), tmp_path / "out.geojson"
    assert run_geo("import-table", sheet, "--out", out).returncode == 0
    [feature] = read_json(out)["features"]
    assert feature["geometry"] is None and feature["properties"]["place"] == ""
    assert feature["properties"]["location_precision"] == "unknown"
    assert feature["properties"]["place_text"] == "somewhere near the river"
    assert "not in the project's gazetteer" in feature["properties"]["location_note"]
    assert load_events(out).geometry.isna().all()


BAD_ROWS = [
    ["03/04/2023", "defection", "Dandong", "40.1", "124.4", "Daily NK", "https://www.dailynk.com/a", ""],
    ["2023-02-10", "riot", "Dandong", "", "", "Daily NK", "https://www.dailynk.com/b", ""],
    ["2023-02-10", "defection", "Dandong", "124.39", "40.12", "Daily NK", "https://www.dailynk.com/c", ""],
    ["2023-02-10", "defection", "Dandong", "40.1", "", "Daily NK", "https://www.dailynk.com/d", ""],
    ["2023-02-10", "defection", "Dandong", "", "", "Daily NK", "", ""],
    ["2023-02-10", "defection", "Dandong", "", "", "Daily NK", "https://www.dailynk.com/f", "x" * 6000],
]


def test_every_bad_row_is_one_line_naming_the_file_the_row_and_the_column_and_nothing_is_written(tmp_path):
    sheet, out = write_csv(tmp_path / "bad.csv", [ROWS[0], *BAD_ROWS]), tmp_path / "out.geojson"
    done = run_geo("import-table", sheet, "--out", out)
    assert done.returncode == 1 and not out.exists() and "Traceback" not in done.stderr
    problems = [line for line in done.stdout.splitlines() if "imported as" not in line]
    expected = [(3, "Date", "ambiguous"), (4, "Event type", "'riot' is not an event type"),
                (5, "Lat", "latitude and longitude look swapped"), (6, "Lon", "empty while latitude is given"),
                (7, "URL", "no link to the report"), (8, "Notes", "at most 5000 characters")]
    assert len(problems) == len(expected), problems
    for line, (row, column, words) in zip(problems, expected, strict=True):
        assert re.fullmatch(rf"{re.escape(str(sheet))}: row {row}: {column}: .*{re.escape(words)}.*", line), line
    assert "Nothing was written" in done.stderr


def test_skip_invalid_writes_the_good_rows_and_still_lists_the_bad_ones(tmp_path):
    sheet, out = write_csv(tmp_path / "bad.csv", [ROWS[0], *BAD_ROWS[:2]]), tmp_path / "out.geojson"
    done = run_geo("import-table", sheet, "--out", out, "--skip-invalid")
    assert done.returncode == 0 and validate_file(out) == []
    assert len(read_json(out)["features"]) == 1 and sum(": row " in line for line in done.stdout.splitlines()) == 3


def test_map_overrides_the_guessed_columns_and_a_map_to_no_column_is_a_usage_error(tmp_path):
    header = ["Datum", "Art", "Ort", "Breite", "Länge", "Quelle", "Link"]
    rows = [["2023-02-10", "defection", "Tumen", "42.96562", "129.84199", "Daily NK", "https://www.dailynk.com/a"]]
    sheet, out = write_csv(tmp_path / "de.csv", rows, header), tmp_path / "out.geojson"
    maps = ["Datum=date", "Art=event_type", "Ort=place", "Breite=latitude", "Länge=longitude", "Quelle=publisher",
            "Link=url"]
    done = run_geo("import-table", sheet, "--out", out, *[arg for m in maps for arg in ("--map", m)])
    assert done.returncode == 0, done.stdout + done.stderr
    [feature] = read_json(out)["features"]
    assert feature["geometry"]["coordinates"] == [129.84199, 42.96562] and feature["properties"]["place"] == "Tumen"
    wrong = run_geo("import-table", sheet, "--out", out, "--map", "Breitengrad=latitude")
    assert wrong.returncode == 2 and "no column 'Breitengrad'" in wrong.stderr and "Traceback" not in wrong.stderr


def test_an_xlsx_workbook_with_real_date_cells_imports_exactly_like_the_same_csv(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in ROWS:
        cells: list[object] = list(row)
        if len(row[0]) == 10:
            cells[0] = dt.datetime.fromisoformat(row[0])  # Excel stores a day as a date-time
        cells[3:5] = [float(v) if v else None for v in row[3:5]]
        book.active.append(cells)
    book.save(tmp_path / "events.xlsx")
    write_csv(tmp_path / "events.csv", ROWS)
    for name in ("events.xlsx", "events.csv"):
        assert run_geo("import-table", tmp_path / name, "--out", tmp_path / f"{name}.geojson").returncode == 0
    from_xlsx, from_csv = (read_json(tmp_path / f"events.{s}.geojson")["features"] for s in ("xlsx", "csv"))
    assert from_xlsx == [{**f, "properties": {**f["properties"], "summary": f["properties"]["summary"].replace(
        "events.csv", "events.xlsx")}} for f in from_csv]


def test_files_that_are_not_spreadsheets_are_refused_in_one_line(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Date,Place\n2023-01-01,Tümen\n".encode("latin-1"))
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    for name, words in (("latin.csv", "not UTF-8 text"), ("broken.xlsx", "not a readable XLSX workbook"),
                        ("old.xls", "save the sheet as .xlsx")):
        done = run_geo("import-table", tmp_path / name, "--out", tmp_path / "out.geojson")
        [line] = done.stdout.splitlines()
        assert done.returncode == 1 and line.startswith(f"{tmp_path / name}: file: ") and words in line
    assert not (tmp_path / "out.geojson").exists()


def test_dates_are_read_at_their_precision_and_ambiguous_ones_refused():
    assert date_span("2023-02") == (dt.date(2023, 2, 1), dt.date(2023, 2, 28), "month")
    assert date_span("15 February 2023") == (dt.date(2023, 2, 15), dt.date(2023, 2, 15), "day")
    assert date_span(2021) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31), "year")
    assert date_span("15-02-2023", day_first=True)[0] == dt.date(2023, 2, 15)
    for bad in ("03/04/2023", "2023-02-30", "0023-01-01", "soon"):
        with pytest.raises(CellError):
            date_span(bad)


def thousand_rows() -> list[list[str]]:
    """1,000 rows made from the curated dataset: its types, places, dates and sources; a third with
    coordinates, a third with only the place's name, a third with its Chinese or Korean name or none."""
    gazetteer = load_gazetteer()
    events = [f["properties"] for f in read_json(EVENTS_PATH)["features"]
              if f["properties"].get("place") in gazetteer.places and f["properties"].get("date_start")]
    rows = []
    for n in range(1000):
        p = events[n % len(events)]
        place = gazetteer.places[p["place"]]
        source = p["sources"][0]
        lat, lon = (str(place.lat), str(place.lon)) if n % 3 == 0 and place.lon is not None else ("", "")
        name = {0: p["place"], 1: p["place"], 2: ("丹东" if n % 2 else "no such place")}[n % 3]
        rows.append([p["date_start"], p["event_type"], name, lat, lon, source["publisher"], source["ref"],
                     f"Row {n}: {p['title']}"])
    return rows


def test_a_thousand_row_spreadsheet_imports_in_under_five_seconds_with_a_report_line_per_row(tmp_path):
    sheet, out = write_csv(tmp_path / "big.csv", thousand_rows()), tmp_path / "big.geojson"
    started = time.perf_counter()
    done = run_geo("import-table", sheet, "--out", out)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert seconds < 5, f"{seconds:.2f} s"
    assert len(done.stdout.splitlines()) == 1000 and validate_file(out) == []
    frame = load_events(out)
    assert len(frame) == 1000 and 0 < frame.geometry.isna().sum() < 1000
    print(f"1,000 rows imported in {seconds:.2f} s (whole command, fresh process)")
