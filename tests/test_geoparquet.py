"""GeoParquet events files: lossless both ways, validated like GeoJSON, and clear about broken files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from geo.bench import synthetic_collection
from geo.dataset import DatasetError, load_events, read_json, validate_file
from geo.geoparquet import NESTED_FIELDS, read_collection, write_events
from tests.conftest import EVENTS_PATH


def rich_collection(n: int = 2_000) -> dict:
    """Synthetic events (routes, unknown locations, points) plus figures, explicit nulls and a feature id."""
    collection = synthetic_collection(n)
    features = collection["features"]
    for k, feature in enumerate(features[::50]):
        feature["properties"]["figures"] = [{"quantity": "people repatriated", "value": 100 + k, "value_max": 600,
                                             "qualifier": "more than", "source": 0}]
    features[3]["properties"]["place_text"] = None
    features[4]["properties"]["country"] = "CN"
    features[5]["id"] = "feature-level-id"
    return collection


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        read_collection(path)
    return [str(p) for p in caught.value.problems]


def test_the_curated_dataset_goes_to_parquet_and_back_to_geojson_unchanged(tmp_path):
    original = read_json(EVENTS_PATH)
    write_events(original, tmp_path / "events.parquet")
    again = read_collection(tmp_path / "events.parquet")
    assert len(again["features"]) == len(original["features"])
    for before, after in zip(original["features"], again["features"], strict=True):
        assert after["properties"] == before["properties"]  # every property, nested ones included
        assert after["geometry"] == before["geometry"]
        if before["geometry"]:
            assert shapely.from_geojson(json.dumps(after["geometry"])).equals(
                shapely.from_geojson(json.dumps(before["geometry"])))
    assert again == original


def test_a_synthetic_collection_with_routes_unknown_locations_and_figures_round_trips(tmp_path):
    original = rich_collection()
    kinds = {f["geometry"]["type"] if f["geometry"] else None for f in original["features"]}
    assert kinds == {"Point", "LineString", None}
    write_events(copy.deepcopy(original), tmp_path / "synthetic.parquet")
    again = read_collection(tmp_path / "synthetic.parquet")
    assert again == original
    assert again["features"][3]["properties"]["place_text"] is None  # given as null, not dropped
    assert again["features"][5]["id"] == "feature-level-id"


def test_a_parquet_file_loads_as_the_same_frame_as_its_geojson(tmp_path):
    frame = load_events(EVENTS_PATH)
    write_events(frame, tmp_path / "from-frame.parquet")
    write_events(read_json(EVENTS_PATH), tmp_path / "from-json.PARQUET")
    for name in ("from-frame.parquet", "from-json.PARQUET"):
        pd.testing.assert_frame_equal(load_events(tmp_path / name), frame)
        assert validate_file(tmp_path / name) == []


def test_the_file_is_standard_geoparquet_in_wgs84_with_one_column_per_property_in_file_order(tmp_path):
    write_events(read_json(EVENTS_PATH), tmp_path / "events.parquet")
    frame = gpd.read_parquet(tmp_path / "events.parquet")
    assert frame.crs.to_epsg() == 4326
    ids = [f["properties"]["id"] for f in read_json(EVENTS_PATH)["features"]]
    assert list(frame["id"]) == ids
    assert {"layer", "event_type", "sources", "via", "date_start"} <= set(frame.columns)
    assert json.loads(frame.loc[0, "sources"])[0]["publisher"]  # nested values are JSON text
    schema = pq.read_schema(tmp_path / "events.parquet")
    assert all(schema.field(name).type == pa.string() for name in NESTED_FIELDS if name in schema.names)
    assert schema.field("geometry").type == pa.binary()


def test_invalid_data_gets_the_same_messages_from_parquet_as_from_geojson(collection, write_json, tmp_path):
    collection["features"][1]["properties"]["event_type"] = "kidnap"
    collection["features"][2]["properties"]["sources"] = []
    collection["features"][4]["geometry"]["coordinates"] = [42.9, 129.8]
    geojson = write_json(collection, "bad.geojson")
    parquet = tmp_path / "bad.parquet"
    write_events(collection, parquet)
    from_json = [str(p).replace(str(geojson), "FILE") for p in validate_file(geojson)]
    from_parquet = [str(p).replace(str(parquet), "FILE") for p in validate_file(parquet)]
    assert len(from_json) == 3 and from_parquet == from_json


@pytest.mark.parametrize("content", [b"", b"this is not parquet at all", b"PAR1\x00\x00garbage PAR1"])
def test_a_file_that_is_not_parquet_is_one_problem_naming_the_file(tmp_path, content):
    path = tmp_path / "broken.parquet"
    path.write_bytes(content)
    [line] = problems_of(path)
    assert line.startswith(f"{path}: file: ")


def test_a_truncated_parquet_file_is_one_problem_naming_the_file(tmp_path):
    path = tmp_path / "events.parquet"
    write_events(read_json(EVENTS_PATH), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    [line] = problems_of(path)
    assert line.startswith(f"{path}: file: not a readable Parquet file")


def test_a_parquet_file_without_a_geometry_column_says_so(tmp_path):
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"id": ["a"], "layer": ["incidents"]}), plain)
    [line] = problems_of(plain)
    assert line.startswith(f"{plain}: geometry: not GeoParquet")
    named = tmp_path / "named.parquet"
    write_events(read_json(EVENTS_PATH), named)
    table = pq.read_table(named).drop_columns(["geometry"])
    pq.write_table(table, named)
    [line] = problems_of(named)
    assert line == f"{named}: geometry: the geometry column 'geometry' named in the 'geo' metadata is missing"


def test_a_parquet_file_in_another_crs_is_one_problem_naming_the_crs(tmp_path):
    path = tmp_path / "utm.parquet"
    load_events(EVENTS_PATH).to_crs("EPSG:32651").to_parquet(path)
    [line] = problems_of(path)
    assert line.startswith(f"{path}: crs: the geometry is in EPSG:32651; events files must be in WGS84")


def test_a_nested_cell_that_is_not_json_names_the_feature_and_the_field(tmp_path):
    path = tmp_path / "events.parquet"
    write_events(read_json(EVENTS_PATH), path)
    table = pq.read_table(path)
    sources = table.column("sources").to_pylist()
    sources[3] = "[{'publisher': 'single quotes'"
    geometry = table.column("geometry").to_pylist()
    geometry[0] = b"\x01\x01\x00"
    table = table.set_column(table.schema.get_field_index("sources"), "sources", pa.array(sources, pa.string()))
    table = table.set_column(table.schema.get_field_index("geometry"), "geometry", pa.array(geometry, pa.binary()))
    pq.write_table(table, path)
    ids = [f["properties"]["id"] for f in read_json(EVENTS_PATH)["features"]]
    lines = problems_of(path)
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}: feature 3 (id={ids[3]}): properties.sources: not valid JSON text")
    assert lines[1] == f"{path}: feature 0 (id={ids[0]}): geometry: not valid WKB geometry"
    assert validate_file(path)[0].field == "properties.sources"  # validate_file reports them too, no traceback


def test_a_parquet_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from geo import geoparquet

    path = tmp_path / "events.parquet"
    write_events(read_json(EVENTS_PATH), path)
    monkeypatch.setattr(geoparquet, "MAX_PARQUET_BYTES", 1_000)
    [line] = problems_of(path)
    assert line.startswith(f"{path}: file: the file is ") and "over the limit of 1,000 bytes" in line


def test_a_parquet_file_is_several_times_smaller_than_its_geojson(tmp_path):
    collection = synthetic_collection(5_000)
    geojson = tmp_path / "s.geojson"
    geojson.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    write_events(collection, tmp_path / "s.parquet")
    assert (tmp_path / "s.parquet").stat().st_size * 4 < geojson.stat().st_size


def test_a_file_geopandas_wrote_from_the_loaded_frame_loads_back_as_the_same_frame(tmp_path):
    frame = load_events(EVENTS_PATH)
    frame.to_parquet(tmp_path / "geopandas.parquet")  # native nested columns and a pandas index column
    assert validate_file(tmp_path / "geopandas.parquet") == []
    pd.testing.assert_frame_equal(load_events(tmp_path / "geopandas.parquet"), frame)
