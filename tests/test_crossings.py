"""The border crossings registry: valid, complete, on the border, every status sourced."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.events.dataset import DatasetError, read_json
from geo.map.style import UNCERTAINTY_RADIUS_M
from geo.reference.crossings import CROSSINGS_PATH, crossing_status_at, load_crossings, validate_crossings
from tests.conftest import EVENTS_PATH

ROOT = Path(__file__).resolve().parent.parent
BASEMAP_PATH = ROOT / "data" / "basemap.geojson"
PLACES_PATH = ROOT / "data" / "places.geojson"

NAMED_CROSSINGS = {
    "dandong-sinuiju-friendship-bridge": ("Dandong", "Sinuiju"),
    "dandong-sinuiju-new-yalu-river-bridge": ("Dandong", "Sinuiju"),
    "quanhe-wonjong-tumen-river-bridge": ("Quanhe", "Wonjong"),
    "tumen-namyang": ("Tumen", "Namyang"),
    "jian-manpo": ("Ji'an", "Manpo"),
    "changbai-hyesan": ("Changbai", "Hyesan"),
    "nanping-musan": ("Nanping", "Musan"),
    "sanhe-hoeryong": ("Sanhe", "Hoeryong"),
    "kaishantun-sambong": ("Kaishantun", "Sambong"),
    "linjiang-chunggang": ("Linjiang", "Chunggang"),
}
# Crossings the dataset's dated events report open again (trains, trucks, exports, workers crossing), and the
# status each ends in; every other one is closed from January 2020 and of unknown status once the border
# reopened to people (late August 2023), or, for the New Yalu River Bridge, never opened.
REOPENED = {"dandong-sinuiju-friendship-bridge": "resumed", "quanhe-wonjong-tumen-river-bridge": "resumed",
            "changbai-hyesan": "resumed", "tumen-namyang": "partially_resumed", "nanping-musan": "partially_resumed"}
MAX_BORDER_DISTANCE_M = 3000


@pytest.fixture(scope="module")
def crossings() -> gpd.GeoDataFrame:
    return load_crossings()


@pytest.fixture(scope="module")
def basemap() -> gpd.GeoDataFrame:
    return gpd.read_file(BASEMAP_PATH)


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(read_json(CROSSINGS_PATH))


def _utm(lon: float) -> str:
    return "EPSG:32651" if lon < 126 else "EPSG:32652"


def _metres(geometry: Any, point: Point) -> float:
    """Distance from `point` to `geometry` in metres, in the UTM zone of the point."""
    crs = _utm(point.x)
    projected = gpd.GeoSeries([geometry, point], crs="EPSG:4326").to_crs(crs)
    return float(projected.iloc[0].distance(projected.iloc[1]))


def test_the_registry_file_validates_with_no_problems() -> None:
    assert validate_crossings(read_json(CROSSINGS_PATH), str(CROSSINGS_PATH)) == []


def test_the_registry_is_rfc7946_without_a_crs_member(document: dict[str, Any]) -> None:
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document


def test_it_loads_as_a_wgs84_frame_indexed_by_id(crossings: gpd.GeoDataFrame) -> None:
    assert crossings.crs.to_epsg() == 4326
    assert list(crossings.index) == list(crossings["id"])
    assert crossings.index.is_unique


def test_the_ten_named_crossings_are_present_with_a_kind(crossings: gpd.GeoDataFrame) -> None:
    assert set(NAMED_CROSSINGS) <= set(crossings.index)
    for cid in NAMED_CROSSINGS:
        assert crossings.loc[cid, "kind"] in ("rail", "road", "both")


@pytest.mark.parametrize("cid", sorted(NAMED_CROSSINGS))
def test_both_sides_are_named_in_english_korean_and_chinese(crossings: gpd.GeoDataFrame, cid: str) -> None:
    china, dprk = crossings.loc[cid, "china_side"], crossings.loc[cid, "dprk_side"]
    assert (china["en"], dprk["en"]) == NAMED_CROSSINGS[cid]
    for side in (china, dprk):
        assert any("\uac00" <= ch <= "\ud7a3" for ch in side["ko"]), f"{cid}: {side['ko']!r} is not Hangul"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in side["zh"]), f"{cid}: {side['zh']!r} is not Chinese"


def test_every_located_crossing_lies_within_3_km_of_the_china_dprk_border(
    crossings: gpd.GeoDataFrame, basemap: gpd.GeoDataFrame
) -> None:
    border = basemap.loc[basemap["kind"] == "border"].geometry.iloc[0]
    china = basemap.loc[basemap["iso_a2"] == "CN"].geometry.iloc[0]
    dprk = basemap.loc[basemap["iso_a2"] == "KP"].geometry.iloc[0]
    western_end = min(border.coords, key=lambda xy: xy[0])
    located = crossings[crossings.geometry.notna()]
    assert len(located) >= 7
    for cid, point in located.geometry.items():
        if point.x < western_end[0]:
            # Downstream of the 1:10m land border the Yalu is an estuary: the crossing must span it,
            # lying within 3 km of both countries' shores.
            assert _metres(china, point) <= MAX_BORDER_DISTANCE_M, cid
            assert _metres(dprk, point) <= MAX_BORDER_DISTANCE_M, cid
        elif crossings.at[cid, "location_precision"] == "city":  # drawn at its town: within the town's disc
            assert _metres(border, point) <= UNCERTAINTY_RADIUS_M["city"], cid
        else:
            assert _metres(border, point) <= MAX_BORDER_DISTANCE_M, cid


def test_only_the_new_yalu_bridge_lies_beyond_the_end_of_the_land_border(
    crossings: gpd.GeoDataFrame, basemap: gpd.GeoDataFrame
) -> None:
    border = basemap.loc[basemap["kind"] == "border"].geometry.iloc[0]
    western_end = min(x for x, _ in border.coords)
    located = crossings[crossings.geometry.notna()]
    assert list(located.index[located.geometry.x < western_end]) == ["dandong-sinuiju-new-yalu-river-bridge"]


def test_both_bridges_in_places_have_exactly_the_same_coordinates(crossings: gpd.GeoDataFrame) -> None:
    places = {f["properties"]["name"]: f["geometry"]["coordinates"] for f in read_json(PLACES_PATH)["features"]}
    linked = crossings[crossings["place"].notna() & (crossings["location_precision"] == "exact")]
    assert set(linked.index) == {"dandong-sinuiju-friendship-bridge", "quanhe-wonjong-tumen-river-bridge"}
    for cid, row in linked.iterrows():
        assert [row.geometry.x, row.geometry.y] == places[row["place"]], cid


def test_every_located_crossing_cites_where_its_coordinate_comes_from(crossings: gpd.GeoDataFrame) -> None:
    for cid, row in crossings.iterrows():
        source = row["coordinate_source"]
        if row.geometry is None:
            assert source is None, cid
            assert "null" in row["note"], f"{cid}: a crossing without a location must say why"
        else:
            assert source["url"].startswith("http") and source["note"], cid


def test_every_crossing_and_every_status_change_has_a_source(crossings: gpd.GeoDataFrame) -> None:
    for cid, row in crossings.iterrows():
        assert row["sources"], cid
        for change in row["status_history"]:
            assert change["sources"], f"{cid}: status change {change['status']} since {change['since']}"
            for source in change["sources"]:
                assert source["publisher"] and source["title"] and source["published"] and source["ref"]


def test_every_crossing_was_closed_from_january_2020_citing_the_seed(crossings: gpd.GeoDataFrame) -> None:
    for cid, row in crossings.iterrows():
        closure = [c for c in row["status_history"] if c["since"] == "2020-01-01"]
        assert len(closure) == 1 and closure[0]["status"] == "closed", cid
        assert closure[0]["sources"][0]["ref"] == "seeds/000_c849781cc78fe4c5.txt"


def test_only_the_crossings_reported_open_again_are_marked_reopened(crossings: gpd.GeoDataFrame) -> None:
    for cid, row in crossings.iterrows():
        statuses = {row["status"]} | {c["status"] for c in row["status_history"]}
        if cid not in REOPENED:
            assert statuses <= {"closed", "unknown"}, cid
    assert {cid: crossings.loc[cid, "status"] for cid in REOPENED} == REOPENED


def test_a_crossing_no_report_reopens_is_of_unknown_status_once_the_border_reopened_to_people(
    crossings: gpd.GeoDataFrame,
) -> None:
    for cid in set(crossings.index) - set(REOPENED) - {"dandong-sinuiju-new-yalu-river-bridge"}:
        row = crossings.loc[cid]
        assert crossing_status_at(row, "2023-08-26") == "closed", cid
        assert crossing_status_at(row, "2026-03-31") == "unknown", cid
        assert row["status_history"][-1]["sources"][0]["publisher"] == "The Korea Herald"


def test_the_status_on_a_day_follows_the_history(crossings: gpd.GeoDataFrame) -> None:
    bridge = crossings.loc["dandong-sinuiju-friendship-bridge"]
    assert crossing_status_at(bridge, dt.date(2019, 6, 1)) == "unknown"
    assert crossing_status_at(bridge, "2020-01-01") == "closed"
    assert crossing_status_at(bridge, dt.date(2022, 1, 15)) == "closed"
    assert crossing_status_at(bridge, dt.date(2022, 1, 16)) == "partially_resumed"  # the first train of 2022
    assert crossing_status_at(bridge, dt.date(2022, 6, 1)) == "closed"  # trains halted from 29 April
    assert crossing_status_at(bridge, dt.date(2022, 9, 26)) == "partially_resumed"
    assert crossing_status_at(bridge, dt.date(2026, 3, 12)) == "resumed"  # passenger trains too
    quanhe = crossings.loc["quanhe-wonjong-tumen-river-bridge"]
    assert crossing_status_at(quanhe, "2023-02-15") == "closed"
    assert crossing_status_at(quanhe, "2023-02-16") == "resumed"  # Nikkei Asia's report
    hyesan = crossings.loc["changbai-hyesan"]
    assert [crossing_status_at(hyesan, day) for day in ("2023-09-30", "2023-10-01", "2025-01-01")] == [
        "unknown", "partially_resumed", "resumed"]  # imports from late 2023, exports from January 2025
    assert crossing_status_at(crossings.loc["dandong-sinuiju-new-yalu-river-bridge"], "2015-06-01") == "unknown"


def test_every_change_after_the_closure_cites_the_sources_of_the_event_it_follows(
    crossings: gpd.GeoDataFrame,
) -> None:
    """Each later status change cites pages the events dataset already cites (no source of its own)."""
    cited = {(s["publisher"], s["ref"]) for f in read_json(EVENTS_PATH)["features"] for s in f["properties"]["sources"]}
    for cid, row in crossings.iterrows():
        for change in row["status_history"]:
            if change["since"] > "2020-01-01":
                assert {(s["publisher"], s["ref"]) for s in change["sources"]} <= cited, (cid, change["since"])


def _feature(document: dict[str, Any], cid: str) -> tuple[int, dict[str, Any]]:
    for index, feature in enumerate(document["features"]):
        if feature["properties"]["id"] == cid:
            return index, feature
    raise KeyError(cid)


def test_a_malformed_copy_yields_one_problem_line_per_defect_naming_the_field(
    document: dict[str, Any], tmp_path: Path
) -> None:
    swapped, changa = _feature(document, "changbai-hyesan")
    changa["geometry"]["coordinates"].reverse()
    unsourced, jian = _feature(document, "jian-manpo")
    del jian["properties"]["sources"]
    wrong_kind, linjiang = _feature(document, "linjiang-chunggang")
    linjiang["properties"]["kind"] = "ferry"
    copied = copy.deepcopy(document["features"][0])
    document["features"].append(copied)
    path = tmp_path / "crossings.geojson"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    problems = validate_crossings(read_json(path), str(path))
    lines = [str(p) for p in problems]

    assert len(problems) == 4, lines
    by_index = {p.index: p for p in problems}
    assert by_index[swapped].field == "geometry.coordinates"
    assert "swapped" in by_index[swapped].message
    assert by_index[unsourced].field == "properties.sources"
    assert by_index[wrong_kind].field == "properties.kind"
    duplicate = by_index[len(document["features"]) - 1]
    assert duplicate.field == "properties.id" and "duplicate" in duplicate.message
    for line, problem in zip(lines, problems, strict=True):
        assert line.startswith(f"{path}: feature {problem.index} (id=") and problem.field in line

    with pytest.raises(DatasetError) as error:
        load_crossings(path)
    assert len(error.value.problems) == 4


def test_a_status_change_without_a_source_is_named_down_to_its_entry(document: dict[str, Any]) -> None:
    index, bridge = _feature(document, "quanhe-wonjong-tumen-river-bridge")
    bridge["properties"]["status_history"][1]["sources"] = []
    problems = validate_crossings(document, "crossings.geojson")
    assert [(p.index, p.field) for p in problems] == [(index, "properties.status_history[1].sources")]


def test_a_located_crossing_without_a_coordinate_source_is_rejected(document: dict[str, Any]) -> None:
    index, bridge = _feature(document, "tumen-namyang")
    bridge["properties"]["coordinate_source"] = None
    problems = validate_crossings(document, "crossings.geojson")
    assert len(problems) == 1 and problems[0].index == index
    assert "coordinate_source" in problems[0].message


def test_a_status_that_disagrees_with_its_history_is_rejected(document: dict[str, Any]) -> None:
    index, bridge = _feature(document, "sanhe-hoeryong")
    bridge["properties"]["status"] = "resumed"
    problems = validate_crossings(document, "crossings.geojson")
    assert [(p.index, p.field) for p in problems] == [(index, "properties")]
    assert "last status_history entry" in problems[0].message


def test_a_line_geometry_is_reported_once(document: dict[str, Any]) -> None:
    index, bridge = _feature(document, "changbai-hyesan")
    bridge["geometry"] = {"type": "LineString", "coordinates": [[128.17, 41.40], [128.18, 41.41]]}
    problems = validate_crossings(document, "crossings.geojson")
    assert [(p.index, p.field) for p in problems] == [(index, "geometry")]


def test_the_three_ports_with_no_bridge_coordinate_are_drawn_at_their_towns_at_town_precision(
        crossings: gpd.GeoDataFrame) -> None:
    places = {f["properties"]["name"]: f for f in read_json(PLACES_PATH)["features"]}
    at_town = crossings[crossings["location_precision"] == "city"]
    assert set(at_town.index) == {"nanping-musan", "sanhe-hoeryong", "kaishantun-sambong"}
    for cid, row in at_town.iterrows():
        town = places[row["place"]]
        assert [row.geometry.x, row.geometry.y] == town["geometry"]["coordinates"], cid
        source = town["properties"]["source"]
        assert source == row["coordinate_source"]["title"] and "GeoNames" in source
        assert row["dprk_side"]["en"].startswith(row["place"][:4]), cid  # the town the port is named after
        assert row["sources"], f"{cid}: cites the page that names the port"
    assert crossings.geometry.notna().all()
