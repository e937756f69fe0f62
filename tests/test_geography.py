"""Border geography with places whose answer we know, measured in metres in UTM, never degrees."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from geo.crossings import load_crossings
from geo.geography import analyze, load_geography, utm_for, with_analysis


@pytest.fixture(scope="module")
def geography():
    return load_geography(load_crossings())


def probe(geography, *shapes, country=None) -> list[dict]:
    frame = gpd.GeoDataFrame({"country": [country] * len(shapes)}, geometry=list(shapes), crs="EPSG:4326")
    return analyze(frame, geography).to_dict("records")


def test_the_utm_zone_follows_the_longitude():
    assert utm_for(124.4) == "EPSG:32651" and utm_for(130.3) == "EPSG:32652"


def test_a_dandong_point_lies_within_a_few_km_of_the_border(geography):
    [dandong] = probe(geography, Point(124.39472, 40.12917))
    assert dandong["distance_to_border_km"] < 3
    assert dandong["country_found"] == "CN" and dandong["province"] == "Liaoning"


def test_shanghai_is_hundreds_of_km_from_the_border(geography):
    [shanghai] = probe(geography, Point(121.45806, 31.22222))
    assert 800 < shanghai["distance_to_border_km"] < 1300
    assert shanghai["country_found"] == "CN" and shanghai["province"] == "Shanghai"


def test_the_nearest_crossing_to_hunchun_is_quanhe_wonjong(geography):
    [hunchun] = probe(geography, Point(130.35689, 42.86736))
    assert hunchun["nearest_crossing"] == "Tumen River Bridge (Quanhe–Wonjong)"
    assert 30 < hunchun["nearest_crossing_km"] < 45


def test_a_point_on_the_north_korean_bank_is_in_the_dprk(geography):
    [sinuiju] = probe(geography, Point(124.39806, 40.10056))  # GeoNames Sinuiju, across the Yalu from Dandong
    assert sinuiju["country_found"] == "KP" and sinuiju["distance_to_border_km"] < 3
    [namyang] = probe(geography, Point(129.85571, 42.95044))  # GeoNames Namyang, across from Tumen
    assert namyang["country_found"] == "KP"


def test_near_the_river_an_events_own_country_code_wins_over_the_coarse_polygon(geography):
    on_the_line = Point(124.3906, 40.1164)  # the Friendship Bridge, on the border itself
    [without] = probe(geography, on_the_line)
    [with_code] = probe(geography, on_the_line, country="KP")
    assert with_code["country_found"] == "KP" and without["distance_to_border_km"] < 1.5


def test_a_route_across_the_border_belongs_to_both_countries_and_touches_it(geography):
    [route] = probe(geography, LineString([(124.39472, 40.12917), (124.390579, 40.116438), (124.39806, 40.10056)]))
    assert route["country_found"] == "CN/KP" and route["distance_to_border_km"] == 0
    assert route["nearest_crossing"] == "Sino-Korean Friendship Bridge"


def test_events_without_location_get_empty_analysis(events, geography):
    enriched = with_analysis(events, geography)
    unlocated = enriched[enriched.geometry.isna()]
    assert unlocated["distance_to_border_km"].isna().all() and unlocated["nearest_crossing"].isna().all()
    assert enriched.loc["workers-tumen-economic-development-zone", "nearest_crossing"] == "Tumen–Namyang crossing"


def test_the_towns_file_is_exactly_what_its_build_script_writes():
    import subprocess
    import sys

    from geo.geography import TOWNS_PATH

    before = TOWNS_PATH.read_bytes()
    script = TOWNS_PATH.parent.parent / "scripts" / "build_towns.py"
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    assert TOWNS_PATH.read_bytes() == before
