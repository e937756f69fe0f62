"""Border geography with places whose answer we know, measured in metres in UTM, never degrees."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from geo.reference.crossings import load_crossings
from geo.reference.geography import analyze, load_geography, utm_for, with_analysis


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

    from geo.reference.geography import TOWNS_PATH

    before = TOWNS_PATH.read_bytes()
    script = TOWNS_PATH.parent.parent / "scripts" / "build_towns.py"
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    assert TOWNS_PATH.read_bytes() == before


def reference_analysis(frame, geography) -> dict[str, dict[str, str | None]]:
    """country_found and province the straightforward way: one row at a time, in its UTM zone, every polygon
    tested and every town measured (what geo.reference.geography vectorises)."""
    import shapely

    from geo.reference.geography import NEAR_BORDER_M

    out = {}
    layers = {zone: (geography.countries.to_crs(zone), geography.towns.to_crs(zone),
                     gpd.GeoSeries([geography.border], crs="EPSG:4326").to_crs(zone).iloc[0])
              for zone in ("EPSG:32651", "EPSG:32652")}
    for index, row in frame[frame.geometry.notna()].iterrows():
        zone = utm_for(row.geometry.representative_point().x)
        geometry = gpd.GeoSeries([row.geometry], crs="EPSG:4326").to_crs(zone).iloc[0]
        countries, towns, border = layers[zone]
        probe = geometry if geometry.geom_type == "Point" else shapely.MultiPoint(shapely.get_coordinates(geometry))
        codes = "/".join(sorted({code for code, polygon in zip(countries["iso_a2"], countries.geometry, strict=True)
                                 if polygon.intersects(probe)})) or None
        if (geometry.geom_type == "Point" and isinstance(row.get("country"), str)
                and round(geometry.distance(border) / 1000, 2) * 1000 <= NEAR_BORDER_M):
            codes = row["country"]
        candidates = towns[towns["country"].isin((codes or "").split("/"))]
        if geometry.geom_type == "Point":
            ends = [geometry]
        else:
            parts = getattr(geometry, "geoms", [geometry])
            ends = [Point(parts[0].coords[0]), Point(parts[-1].coords[-1])]
        names: list[str] = []
        for end in ends if len(candidates) else []:
            name = candidates.at[candidates.distance(end).idxmin(), "province"]
            if name not in names:
                names.append(name)
        out[index] = {"country_found": codes, "province": " / ".join(names) or None}
    return out


def test_the_vectorised_countries_and_route_provinces_equal_a_row_by_row_reference(events, geography):
    import pandas as pd
    from shapely.geometry import MultiLineString

    from geo.events.dataset import frame_from_collection
    from perf.bench import synthetic_collection

    synthetic = frame_from_collection(synthetic_collection(2_000, seed=7))
    synthetic = synthetic[synthetic.geom_type.ne("Point") | (synthetic.index.str[-2:] == "00")]  # routes, a few points
    extra = gpd.GeoDataFrame({"id": ["sea-route", "two-part-route", "north-korean-route"]}, geometry=[
        LineString([(123.0, 38.5), (123.5, 38.0)]),  # in the Yellow Sea: no country, so no province
        MultiLineString([[(129.85571, 42.95044), (129.8, 42.9)], [(130.35689, 42.86736), (130.28308, 42.25559)]]),
        LineString([(125.7, 39.0), (127.5, 39.9)]),
    ], crs="EPSG:4326").set_index("id", drop=False)
    frame = pd.concat([events, synthetic, extra])
    routes = frame[frame.geom_type.isin(["LineString", "MultiLineString"])]
    assert len(routes) > 50 and frame.geometry.isna().any()  # many routes
    result = analyze(frame, geography)
    expected = reference_analysis(frame, geography)
    for index, want in expected.items():
        got = {key: result.at[index, key] for key in want}
        got = {key: None if isinstance(value, float) else value for key, value in got.items()}
        assert got == want, index
    assert result.at["sea-route", "province"] is None
    assert result.at["two-part-route", "province"] == "North Hamgyong / Rason"
    assert result.at["rail-freight-dandong-sinuiju-partial-resumption", "province"] == "Liaoning / P'yŏngan-bukto"


def test_the_geography_is_read_once_while_its_files_and_crossings_stay_the_same(tmp_path):
    import shutil

    from geo.paths import TOWNS_PATH

    crossings = load_crossings()
    assert load_geography(crossings) is load_geography(load_crossings())
    towns = tmp_path / "towns.csv"
    shutil.copy(TOWNS_PATH, towns)
    other = load_geography(crossings, towns_path=towns)  # another file: read
    assert other is not load_geography(crossings) and other.towns.equals(load_geography(crossings).towns)
    fewer = crossings.iloc[1:]
    assert len(load_geography(fewer).crossings) == len(crossings[crossings.geometry.notna()]) - \
        int(crossings.geometry.iloc[:1].notna().sum())
