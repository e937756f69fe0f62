"""The curated dataset itself, loading it, and exporting exactly what is shown."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from shapely.geometry import Point

from geo.events.dataset import DatasetError, to_feature_collection, to_geojson
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
    assert pd.isna(events.loc["border-closure-2020-01", "status"])  # the closure is each route's first status
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


def test_an_event_is_located_when_its_geometry_is_present_and_not_empty(events):
    from shapely.geometry import LineString

    from geo.events.dataset import has_location, located_mask

    assert has_location(Point(124.4, 40.1)) and not has_location(None)
    assert not has_location(Point()) and not has_location(LineString())  # an empty one places nothing
    frame = events[events.geometry.notna()].iloc[:4].copy()
    frame.loc[frame.index[1], "geometry"] = None
    frame.loc[frame.index[2], "geometry"] = Point()
    assert located_mask(frame).tolist() == [has_location(g) for g in frame.geometry] == [True, False, False, True]
    assert located_mask(events).equals(events.geometry.notna())  # the contract refuses empty geometries


def test_each_distinct_text_is_one_object_however_many_events_hold_it():
    from geo.events.dataset import frame_from_features
    from perf.bench import synthetic_collection

    parsed = json.loads(json.dumps(synthetic_collection(2_000)))  # as read from a file: a new string per value
    frame = frame_from_features(parsed["features"])
    for name in ("layer", "event_type", "date_precision", "location_precision", "place"):
        values = frame[name].dropna().tolist()
        assert len({id(value) for value in values}) == len(set(values)) < len(values) / 10, name
