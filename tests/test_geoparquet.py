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

from geo.events.dataset import DatasetError, read_json
from geo.io.events_file import load_events, validate_file
from geo.io.geoparquet import NESTED_FIELDS, read_collection, write_events
from perf.bench import synthetic_collection
from tests.conftest import EVENTS_PATH, ROOT


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
    kinds = {f["geometry"]["type"] for f in original["features"] if f["geometry"]}
    assert kinds >= {"Point", "MultiPoint", "LineString"}  # the event at several crossings goes through too
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
    from geo.io import geoparquet

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


# --- Hostile files: one line each, never a traceback, never the memory they ask for ----------------------------

BOMB_BYTES = 1_000_000
BOMB_ROWS = 4_200
"""A bomb: one dictionary entry this long, used by this many rows, expands to over 4 GB from a file of a few KB."""


def bomb(rows: int, binary: bool = False) -> pa.DictionaryArray:
    """A dictionary-encoded text (or binary) column whose one entry (BOMB_BYTES long) every row uses."""
    entry = b"\x00" * BOMB_BYTES if binary else "x" * BOMB_BYTES
    return pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array([entry]))


def rows_repeated(table: pa.Table, rows: int = BOMB_ROWS) -> pa.Table:
    """`table`'s rows over and over, `rows` in all (a bomb is refused before anything notices the repeated ids)."""
    return table.take(pa.array([n % table.num_rows for n in range(rows)]))


def with_column(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, array)


def write_foreign(table: pa.Table, path: Path) -> None:
    """Write `table` as another tool would: dictionary-encoded, its key/value metadata (geo, border_events)
    kept, but no Arrow schema saying which columns were dictionaries (so they read back as plain text)."""
    with pq.ParquetWriter(path, table.schema, compression="zstd", store_schema=False) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()})


def events_table() -> pa.Table:
    from geo.io.geoparquet import collection_table

    return collection_table(read_json(EVENTS_PATH))


_MEASURED = """
import os, resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str, int]:
    """Run `python <args>` in the project (real process); its exit code, stdout, stderr and peak resident
    memory in MB. Its address space is capped at 3 GB, so a regression fails fast instead of eating the machine.

    The command is started by a small Python process, which reports its peak: Linux counts in a child's peak
    the resident memory of the process it was forked from, and a child forked from this test process (which
    holds the whole suite's imports and data) would report this process's size, not the command's."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        child = subprocess.run([sys.executable, "-c", _MEASURED, peak.name, sys.executable, *args], stdout=out,
                               stderr=err, cwd=ROOT, env={**os.environ, **(env or {})}, check=False)
        out.seek(0)
        err.seek(0)
        return child.returncode, out.read().decode(), err.read().decode(), int(peak.read()) // 1024


def validate_in_a_process(path: Path) -> tuple[str, int]:
    """`python -m geo validate path`: its one output line and its peak memory in MB (it must exit 1)."""
    code, out, err, peak = run_measured(["-m", "geo", "validate", str(path)])
    assert code == 1 and "Traceback" not in err and "Error" not in err, err
    [line] = out.splitlines()
    return line, peak


BOMBED = {  # applied to the events table's rows repeated BOMB_ROWS times
    "a text property": lambda t: with_column(t, "summary", bomb(t.num_rows)),
    "a JSON property": lambda t: with_column(t, "sources", bomb(t.num_rows)),
    "the geometry": lambda t: with_column(t, "geometry", bomb(t.num_rows, binary=True)),
    "a native nested source": lambda t: with_column(t, "sources", pa.ListArray.from_arrays(
        pa.array(range(t.num_rows + 1), pa.int32()), pa.StructArray.from_arrays([bomb(t.num_rows)], ["title"]))),
}


@pytest.mark.parametrize("where", BOMBED)
def test_a_dictionary_bomb_is_refused_in_one_line_before_its_memory_is_spent(tmp_path, where):
    from geo.io.geoparquet import MAX_DECODED_BYTES

    path = tmp_path / "bomb.parquet"
    write_foreign(BOMBED[where](rows_repeated(events_table())), path)
    assert path.stat().st_size < 200_000 and BOMB_ROWS * BOMB_BYTES > MAX_DECODED_BYTES
    line, peak = validate_in_a_process(path)
    assert line.startswith(f"{path}: file: the file's data decode to at least ") and \
        f"over the limit of {MAX_DECODED_BYTES:,}" in line
    assert peak < 600, f"{peak} MB: the bomb was expanded"


def test_a_column_in_an_encoding_whose_decoded_size_is_unknowable_is_refused_by_name(tmp_path):
    path = tmp_path / "delta.parquet"
    events = events_table()
    table = with_column(events, "summary", pa.array(["x" * 100_000] * events.num_rows))
    pq.write_table(table, path, compression="zstd", use_dictionary=False,
                   column_encoding={"summary": "DELTA_BYTE_ARRAY"})
    line, peak = validate_in_a_process(path)
    assert line.startswith(f"{path}: summary: the column is written in the DELTA_BYTE_ARRAY encoding, whose decoded "
                           "size cannot be known before decoding it")
    assert peak < 600


def test_plain_columns_over_the_decoded_limit_are_refused_from_the_footer_alone(tmp_path, monkeypatch):
    from geo.io import geoparquet

    path = tmp_path / "events.parquet"
    write_events(read_json(EVENTS_PATH), path)
    size = sum(pq.ParquetFile(path).metadata.row_group(0).column(n).total_uncompressed_size
               for n in range(pq.ParquetFile(path).metadata.num_columns))
    monkeypatch.setattr(geoparquet, "MAX_DECODED_BYTES", size // 2)
    monkeypatch.setattr(geoparquet.pq.ParquetFile, "read", None)  # refused before any data is read
    [line] = problems_of(path)
    assert line.startswith(f"{path}: file: the file's data take at least ") and f"limit of {size // 2:,}" in line


def test_files_this_project_writes_hold_no_dictionary_so_their_size_is_in_the_footer(tmp_path):
    path = tmp_path / "events.parquet"
    write_events(read_json(EVENTS_PATH), path)
    metadata = pq.ParquetFile(path).metadata
    assert not any(metadata.row_group(0).column(n).has_dictionary_page for n in range(metadata.num_columns))


def test_a_file_geopandas_wrote_with_dictionaries_everywhere_is_measured_and_loads(tmp_path):
    frame = load_events(EVENTS_PATH)
    frame.to_parquet(tmp_path / "geopandas.parquet")
    metadata = pq.ParquetFile(tmp_path / "geopandas.parquet").metadata
    assert metadata.row_group(0).column(0).has_dictionary_page
    pd.testing.assert_frame_equal(load_events(tmp_path / "geopandas.parquet"), frame)


DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(("column", "field"), [("sources", "properties.sources"), ("status_history",
                                               "properties.status_history"), ("__feature__", "__feature__")])
def test_a_json_cell_nested_200000_deep_is_one_problem_naming_the_feature_and_the_field(tmp_path, column, field):
    """In the command line for `sources`; read in this process for the others (the same code, faster)."""
    table = events_table()
    cells = table.column(column).to_pylist() if column in table.column_names else [None] * table.num_rows
    cells[7] = DEEP
    table = with_column(table, column, pa.array(cells, pa.string())) if column in table.column_names \
        else table.append_column(column, pa.array(cells, pa.string()))
    path = tmp_path / "deep.parquet"
    pq.write_table(table, path)
    event = read_json(EVENTS_PATH)["features"][7]["properties"]["id"]
    [line] = validate_in_a_process(path)[:1] if column == "sources" else problems_of(path)
    assert line == f"{path}: feature 7 (id={event}): {field}: not valid JSON text (arrays and objects nested more " \
                   f"than 64 deep)"


def _metadata_cases() -> dict[str, tuple[bytes, bytes, str]]:
    """(metadata key, its value, the start of the one problem line after the file name) per malformed case."""
    geo = json.loads(events_table().schema.metadata[b"geo"])
    not_geo = "geometry: the file's 'geo' metadata is not valid GeoParquet metadata"
    return {
        "geo not JSON": (b"geo", b"{primary_column: geometry", "geometry: the file's 'geo' metadata is not valid JSON"),
        "geo not UTF-8": (b"geo", b'{"primary_column": "\xff"}',
                          "geometry: the file's 'geo' metadata is not valid JSON"),
        "geo nested 200,000 deep": (b"geo", DEEP.encode(), "geometry: the file's 'geo' metadata is not valid JSON "
                                                           "(arrays and objects nested more than 64 deep)"),
        "geo a list": (b"geo", b"[1, 2]", not_geo),
        "geo primary_column a number": (b"geo", json.dumps({**geo, "primary_column": 5}).encode(), not_geo),
        "geo columns a list": (b"geo", json.dumps({**geo, "columns": [1]}).encode(), not_geo),
        "geo column spec a number": (b"geo", json.dumps({**geo, "columns": {"geometry": 5}}).encode(), not_geo),
        "geo encoding a list": (b"geo", json.dumps({**geo, "columns": {"geometry": {"encoding": ["WKB"]}}}).encode(),
                                "geometry: geometry encoding \"['WKB']\" is not supported"),
        "geo crs an odd object": (b"geo", json.dumps({**geo, "columns": {"geometry": {"crs": {"a": [1]}}}}).encode(),
                                  "crs: the geometry is in a CRS that cannot be read"),
        "border_events not JSON": (b"border_events", b"{", "metadata: the file's 'border_events' metadata is not "
                                                          "valid JSON"),
        "border_events nested deep": (b"border_events", DEEP.encode(), "metadata: the file's 'border_events' "
                                                                      "metadata is not valid JSON (arrays and objects"),
        "border_events json_columns a number": (b"border_events", b'{"json_columns": 5}',
                                                "metadata: the file's 'border_events' metadata is not an object"),
        "border_events collection a list": (b"border_events", b'{"collection": []}',
                                            "metadata: the file's 'border_events' metadata is not an object"),
        "pandas not JSON": (b"pandas", b"{'index_columns'", "metadata: the file's 'pandas' metadata is not valid JSON"),
        "pandas nested deep": (b"pandas", DEEP.encode(), "metadata: the file's 'pandas' metadata is not valid JSON "
                                                        "(arrays and objects nested more than 64 deep)"),
    }


@pytest.mark.parametrize("case", _metadata_cases())
def test_malformed_geoparquet_metadata_is_one_problem_naming_the_file_and_the_field(tmp_path, case):
    key, value, says = _metadata_cases()[case]
    table = events_table()
    path = tmp_path / "events.parquet"
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, key: value}), path)
    [line] = problems_of(path)
    assert line.startswith(f"{path}: {says}"), line
    assert validate_file(path)[0].message in line  # validate_file reports it too, without a traceback


def test_malformed_metadata_through_the_command_line_is_one_line_without_a_traceback(tmp_path):
    table = events_table()
    path = tmp_path / "events.parquet"
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"geo": DEEP.encode()}), path)
    line, _ = validate_in_a_process(path)
    assert line.startswith(f"{path}: geometry: the file's 'geo' metadata is not valid JSON")


def test_a_footer_over_its_limit_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    from geo.io import geoparquet

    path = tmp_path / "events.parquet"
    write_events(read_json(EVENTS_PATH), path)
    monkeypatch.setattr(geoparquet, "MAX_FOOTER_BYTES", 1_000)
    monkeypatch.setattr(geoparquet.pq, "ParquetFile", None)  # never reached
    [line] = problems_of(path)
    assert line.startswith(f"{path}: file: the Parquet footer is ") and "over the limit of 1,000" in line


def _problems_read_whole(path: Path) -> list[str]:
    """What reading the file whole and then validating it gives (the reference the batches must equal)."""
    from geo.events.schema import validate_collection

    try:
        collection = read_collection(path)
    except DatasetError as error:
        return [str(p) for p in error.problems]
    return [str(p) for p in validate_collection(collection, str(path))]


def _broken_in_many_batches(path: Path) -> None:
    """A 2,000-event file with unreadable cells in several columns and rows far apart (over the problem limit)."""
    from geo.events.schema import MAX_PROBLEMS

    write_events(rich_collection(), path)
    table = pq.read_table(path)
    sources, geometry = table.column("sources").to_pylist(), table.column("geometry").to_pylist()
    for row in range(5, 2_000, 2_000 // (MAX_PROBLEMS - 10)):
        sources[row] = "[{'publisher': 'single quotes'"
    for row in (1, 999, 1_998):
        geometry[row] = b"\x01\x01\x00"
    table = table.set_column(table.schema.get_field_index("sources"), "sources", pa.array(sources, pa.string()))
    table = table.set_column(table.schema.get_field_index("geometry"), "geometry", pa.array(geometry, pa.binary()))
    pq.write_table(table, path)


@pytest.mark.parametrize("batch", [1, 7, 500, 2_000, 10_000])
def test_a_file_checked_in_batches_gets_exactly_the_problems_of_the_file_read_whole(tmp_path, batch):
    from geo.io.geoparquet import ParquetEvents

    unreadable, invalid = tmp_path / "unreadable.parquet", tmp_path / "invalid.parquet"
    _broken_in_many_batches(unreadable)
    collection = rich_collection()
    for n in range(3, 2_000, 97):  # contract problems in every batch, and an id used again far from the first
        collection["features"][n]["properties"]["layer"] = "no such layer"
    collection["features"][1_900]["properties"]["id"] = collection["features"][2]["properties"]["id"]
    write_events(collection, invalid)
    for path in (unreadable, invalid):
        expected = _problems_read_whole(path)
        handed: list[int] = []
        source = ParquetEvents(path, batch_features=batch)
        found = [str(p) for p in source.stream(lambda features, members, handed=handed: handed.append(len(features)))]
        assert found == expected and len(expected) > 10
        assert sum(handed) < 2_000  # not every feature was handed on: the whole is not valid
    assert "more problems not listed" in _problems_read_whole(unreadable)[-1]


def test_a_valid_file_is_handed_on_in_batches_of_the_same_features_read_whole_gives(tmp_path):
    from geo.io.geoparquet import ParquetEvents

    path = tmp_path / "events.parquet"
    write_events(rich_collection(), path)
    batches: list[list[dict]] = []
    counted: list[int] = []
    source = ParquetEvents(path, batch_features=300, started=counted.append)
    assert source.stream(lambda features, members: batches.append(features)) == []
    assert [len(b) for b in batches] == [300] * 6 + [200] and counted == [2_000] and source.count == 2_000
    whole = read_collection(path)
    assert [f for b in batches for f in b] == whole["features"]
    assert source.members == [(k, None if k == "features" else v) for k, v in whole.items()]
