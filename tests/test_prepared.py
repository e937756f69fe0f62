"""Preparing an events file once: the same frame from the cache as fresh, and a cache that is never trusted blindly."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.events.dataset import DatasetError
from geo.events.evidence import independent_witnesses
from geo.io.events_file import load_events
from geo.io.geoparquet import write_events
from geo.io.prepared import (
    DERIVED_COLUMNS,
    PREPARED_FORMAT,
    REFERENCE_FILES,
    builds,
    cache_path,
    default_cache_dir,
    file_digest,
    prepare,
    reference_digest,
)
from geo.reference.crossings import load_crossings
from geo.reference.geography import ANALYSIS_COLUMNS, load_geography, with_analysis
from perf.bench import synthetic_collection
from tests.conftest import EVENTS_PATH, ROOT


def assert_same_frame(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame) -> None:
    """Every column, every row: the same values of the same Python types, missing markers included
    (None stays None, NaN stays NaN), the same dtypes and index, and equal geometry."""
    assert list(got.columns) == list(want.columns)
    assert list(got.index) == list(want.index) and got.index.dtype == want.index.dtype
    assert dict(got.dtypes) == dict(want.dtypes)
    assert got.crs == want.crs
    for column in want.columns:
        if column == want.geometry.name:
            for a, b in zip(got.geometry, want.geometry, strict=True):
                assert (a is None and b is None) or (a.wkb == b.wkb and a.equals(b)), column
            continue
        for a, b in zip(got[column], want[column], strict=True):
            if isinstance(b, float) and math.isnan(b):
                assert isinstance(a, float) and math.isnan(a), column
            else:
                assert type(a) is type(b) and a == b, (column, a, b)


def copy_of_curated(tmp_path: Path, name: str = "events.geojson") -> Path:
    path = tmp_path / name
    shutil.copyfile(EVENTS_PATH, path)
    return path


def test_a_prepared_frame_is_the_loaded_frame_with_its_analysis_and_the_derived_columns(tmp_path):
    from geo.view.filters import search_text

    prepared = prepare(copy_of_curated(tmp_path), cache_dir=tmp_path / "cache")
    expected = with_analysis(load_events(EVENTS_PATH), load_geography(load_crossings()))
    assert not prepared.from_cache and prepared.digest == file_digest(EVENTS_PATH)
    assert list(prepared.frame.columns) == [*expected.columns, *DERIVED_COLUMNS]
    assert_same_frame(prepared.frame[list(expected.columns)], expected)
    assert list(prepared.frame["independent_sources"]) == [independent_witnesses(s) for s in expected["sources"]]
    assert prepared.frame["independent_sources"].dtype == "int64"
    assert list(prepared.frame["search_text"]) == list(search_text(expected))
    assert set(ANALYSIS_COLUMNS) <= set(prepared.frame.columns)


def test_a_second_prepare_reads_the_cache_without_validating(tmp_path):
    path = copy_of_curated(tmp_path)
    first = prepare(path, cache_dir=tmp_path / "cache")
    before = builds()
    second = prepare(path, cache_dir=tmp_path / "cache")
    assert second.from_cache and builds() == before
    assert second.digest == first.digest and second.path == path
    assert_same_frame(second.frame, first.frame)


def test_the_cached_frame_equals_the_fresh_one_for_synthetic_routes_and_unknown_locations(tmp_path):
    collection = synthetic_collection(3_000)
    path = tmp_path / "synthetic.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    started = time.perf_counter()
    fresh = prepare(path, cache_dir=tmp_path / "cache")
    cold = time.perf_counter() - started
    started = time.perf_counter()
    cached = prepare(path, cache_dir=tmp_path / "cache")
    warm = time.perf_counter() - started
    assert not fresh.from_cache and cached.from_cache
    assert fresh.frame.geometry.isna().any() and fresh.frame.geom_type.eq("LineString").sum() > 50
    assert_same_frame(cached.frame, fresh.frame)
    assert warm * 3 < cold  # generous: about 20 times faster here


def test_a_parquet_events_file_prepares_to_the_same_frame_as_its_geojson(tmp_path):
    write_events(load_events(EVENTS_PATH), tmp_path / "events.parquet")
    from_parquet = prepare(tmp_path / "events.parquet", cache_dir=tmp_path / "cache")
    from_json = prepare(copy_of_curated(tmp_path), cache_dir=tmp_path / "cache")
    assert not from_parquet.from_cache and not from_json.from_cache  # different bytes, different copies
    assert_same_frame(from_parquet.frame, from_json.frame)


def test_editing_the_dataset_misses_the_cache(tmp_path, collection):
    path = copy_of_curated(tmp_path)
    prepare(path, cache_dir=tmp_path / "cache")
    collection["features"][0]["properties"]["title"] = "An edited title"
    path.write_text(json.dumps(collection), encoding="utf-8")
    edited = prepare(path, cache_dir=tmp_path / "cache")
    assert not edited.from_cache and edited.frame["title"].iloc[0] == "An edited title"
    assert len(list((tmp_path / "cache").glob("*.parquet"))) == 2


def test_the_cache_name_holds_the_content_digest_the_format_and_the_reference_data(tmp_path):
    digest = file_digest(EVENTS_PATH)
    name = cache_path(digest, tmp_path).name
    assert name == f"{digest}-f{PREPARED_FORMAT}-r{reference_digest()}.parquet"
    assert {p.name for p in REFERENCE_FILES} == {"basemap.geojson", "crossings.geojson", "towns.csv"}
    copies = []
    for source in REFERENCE_FILES:
        copies.append(tmp_path / source.name)
        shutil.copyfile(source, copies[-1])
    assert reference_digest(tuple(copies)) == reference_digest()
    with copies[2].open("a", encoding="utf-8") as towns:
        towns.write("Newtown,CN,Jilin,42.0,129.0,1\n")
    assert reference_digest(tuple(copies)) != reference_digest()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_cache_file_is_ignored_rebuilt_and_replaced(tmp_path, damage):
    path = copy_of_curated(tmp_path)
    fresh = prepare(path, cache_dir=tmp_path / "cache")
    cached = cache_path(fresh.digest, tmp_path / "cache")
    data = cached.read_bytes()
    damaged = {"garbage": b"PAR1 not really parquet PAR1", "truncated": data[: len(data) // 2], "empty": b""}[damage]
    cached.write_bytes(damaged)
    messages: list[str] = []
    before = builds()
    again = prepare(path, cache_dir=tmp_path / "cache", progress=messages.append)
    assert not again.from_cache and builds() == before + 1
    assert "The prepared copy could not be read; preparing the file again…" in messages
    assert_same_frame(again.frame, fresh.frame)
    assert cached.read_bytes() != damaged
    assert prepare(path, cache_dir=tmp_path / "cache").from_cache  # replaced by a good copy


def test_a_cache_file_of_another_dataset_under_this_name_is_not_trusted(tmp_path, collection):
    path = copy_of_curated(tmp_path)
    digest = file_digest(path)
    other = tmp_path / "other.geojson"
    collection["features"] = collection["features"][:3]
    other.write_text(json.dumps(collection), encoding="utf-8")
    shutil.copyfile(cache_path(prepare(other, cache_dir=tmp_path / "c").digest, tmp_path / "c"),
                    cache_path(digest, tmp_path / "c"))  # a renamed copy: right name, wrong content
    prepared = prepare(path, cache_dir=tmp_path / "c")
    assert not prepared.from_cache and len(prepared.frame) == len(load_events(EVENTS_PATH))


def test_progress_messages_say_what_is_happening(tmp_path):
    path = copy_of_curated(tmp_path)
    messages: list[str] = []
    prepare(path, cache_dir=tmp_path / "cache", progress=messages.append)
    count = len(load_events(EVENTS_PATH))
    assert messages == ["Reading events.geojson…", f"Validating {count:,} events…",
                        "Measuring distances to the border…", "Saving a prepared copy for next time…"]
    messages.clear()
    prepare(path, cache_dir=tmp_path / "cache", progress=messages.append)
    assert messages == ["Reading the prepared copy…"]


def test_an_invalid_file_raises_every_problem_and_is_never_cached(tmp_path, collection):
    collection["features"][0]["properties"]["layer"] = "nope"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        prepare(path, cache_dir=tmp_path / "cache")
    assert len(caught.value.problems) == 1 and caught.value.problems[0].field == "properties.layer"
    assert not list((tmp_path / "cache").glob("*.parquet"))  # at most the preparers' lock is there


def test_a_cache_folder_that_cannot_be_written_only_means_preparing_again(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    path = copy_of_curated(tmp_path)
    first = prepare(path, cache_dir=blocker / "cache")
    second = prepare(path, cache_dir=blocker / "cache")
    assert not first.from_cache and not second.from_cache and len(second.frame) == len(first.frame)


def test_the_default_cache_folder_is_border_cache_else_the_projects_dot_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("BORDER_CACHE")
    assert default_cache_dir() == ROOT / ".cache" / "prepared"
    assert ".cache/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_frame_is_a_geodataframe_in_wgs84_indexed_by_id(tmp_path):
    prepared = prepare(copy_of_curated(tmp_path), cache_dir=tmp_path / "cache")
    cached = prepare(prepared.path, cache_dir=tmp_path / "cache").frame
    assert isinstance(cached, gpd.GeoDataFrame) and cached.crs.to_epsg() == 4326
    assert list(cached.index) == list(cached["id"]) and cached.index.name is None
    pd.testing.assert_frame_equal(cached, prepared.frame)


def test_repeated_values_in_the_cached_copy_are_one_object_each_not_one_per_row(tmp_path):
    # At 1,000,000 events a copy of each type, date or source list per row cost gigabytes; the frame is
    # shared and never modified, so equal values read back as one object.
    path = tmp_path / "synthetic.geojson"
    path.write_text(json.dumps(synthetic_collection(3_000)), encoding="utf-8")
    prepare(path, cache_dir=tmp_path / "cache")
    cached = prepare(path, cache_dir=tmp_path / "cache").frame
    for column in ("event_type", "layer", "location_precision", "sources"):
        values = list(cached[column])
        distinct = {json.dumps(v, sort_keys=True) for v in values}
        assert len({id(v) for v in values}) == len(distinct), column


# --- A damaged or planted copy is rebuilt without first spending the memory it asks for ----------------------

def _cached_table(tmp_path: Path):
    """(the dataset, the prepared frame, its cached copy's path and table)."""
    import pyarrow.parquet as pq

    path = copy_of_curated(tmp_path)
    fresh = prepare(path, cache_dir=tmp_path / "cache")
    cached = cache_path(fresh.digest, tmp_path / "cache")
    return path, fresh, cached, pq.read_table(cached)


def _prepare_in_a_process(path: Path, cache: Path) -> tuple[str, int]:
    from tests.test_geoparquet import run_measured

    code, out, err, peak = run_measured(["-c", "import sys; from pathlib import Path; from geo.io.prepared import "
                                         "prepare; p = prepare(sys.argv[1], cache_dir=Path(sys.argv[2])); "
                                         "print(p.from_cache, len(p.frame))", str(path), str(cache)])
    assert code == 0 and "Traceback" not in err, err
    return out.strip(), peak


def test_a_planted_dictionary_bomb_in_the_cache_is_rebuilt_without_expanding_it(tmp_path):
    from tests.test_geoparquet import BOMB_BYTES, BOMB_ROWS, bomb, rows_repeated, with_column, write_foreign

    path, fresh, cached, table = _cached_table(tmp_path)
    _, rebuilt_peak = _prepare_in_a_process(path, tmp_path / "clean")  # what a rebuild costs anyway
    write_foreign(with_column(rows_repeated(table), "summary", bomb(BOMB_ROWS)), cached)
    assert cached.stat().st_size < 200_000
    said, peak = _prepare_in_a_process(path, tmp_path / "cache")
    assert said == f"False {len(fresh.frame)}"
    # Measuring the bomb costs its one dictionary entry and a few bytes a row; expanding it, over 4,000 MB.
    assert peak < rebuilt_peak + 100, f"{peak} MB against {rebuilt_peak} MB for a rebuild ({BOMB_BYTES:,} per row)"
    assert prepare(path, cache_dir=tmp_path / "cache").from_cache  # replaced by a good copy


def _deep_cell(table):
    import pyarrow as pa

    from tests.test_geoparquet import DEEP, with_column

    cells = table.column("sources").to_pylist()
    cells[3] = DEEP
    return with_column(table, "sources", pa.array(cells, pa.string()))


def _cut_cell(table):
    import pyarrow as pa

    from tests.test_geoparquet import with_column

    cells = table.column("sources").to_pylist()
    cells[3] = cells[3][: len(cells[3]) // 2]
    return with_column(table, "sources", pa.array(cells, pa.string()))


def _metadata(key: bytes, value: bytes):
    return lambda table: table.replace_schema_metadata({**table.schema.metadata, key: value})


@pytest.mark.parametrize("damage", {
    "a JSON cell nested 200,000 deep": _deep_cell,
    "a JSON cell cut in half": _cut_cell,
    "border_prepared nested 200,000 deep": _metadata(b"border_prepared", b"[" * 200_000),
    "border_prepared not JSON": _metadata(b"border_prepared", b"{format: 1"),
    "border_prepared specs a list": _metadata(b"border_prepared", b'{"format": 1, "digest": "", "specs": []}'),
}.items(), ids=lambda item: item[0])
def test_a_cached_copy_with_malformed_metadata_or_cells_is_ignored_and_rebuilt(tmp_path, damage):
    import pyarrow.parquet as pq

    path, fresh, cached, table = _cached_table(tmp_path)
    pq.write_table(damage[1](table), cached)
    again = prepare(path, cache_dir=tmp_path / "cache")
    assert not again.from_cache
    assert_same_frame(again.frame, fresh.frame)
    assert prepare(path, cache_dir=tmp_path / "cache").from_cache


def test_the_prepared_copy_keeps_nested_values_and_search_text_as_arrow_text_read_back_without_parsing(tmp_path):
    from geo.events.nested import NESTED_COLUMNS, NestedArray
    from geo.io.prepared import SEARCH_TEXT_DTYPE

    path = copy_of_curated(tmp_path)
    fresh = prepare(path, cache_dir=tmp_path / "cache")
    again = prepare(path, cache_dir=tmp_path / "cache")
    assert again.from_cache
    for ready in (fresh, again):
        assert all(isinstance(ready.frame[name].array, NestedArray) for name in NESTED_COLUMNS)
        assert ready.frame["search_text"].dtype == SEARCH_TEXT_DTYPE
    for name in NESTED_COLUMNS:  # the very text, not text parsed and written again
        assert again.frame[name].array.text.equals(fresh.frame[name].array.text)
    assert list(again.frame["sources"]) == list(fresh.frame["sources"])


def test_a_cached_frame_indexes_its_rows_by_the_very_id_strings_of_its_id_column(tmp_path):
    path = copy_of_curated(tmp_path)
    prepare(path, cache_dir=tmp_path / "cache")
    frame = prepare(path, cache_dir=tmp_path / "cache").frame
    assert frame.index.dtype == object and frame.index.tolist() == frame["id"].tolist()
    assert all(a is b for a, b in zip(frame.index, frame["id"], strict=True))  # one string per id, not two


def test_two_servers_seeing_a_new_version_at_once_prepare_it_once_and_the_other_reads_the_copy(tmp_path):
    import subprocess
    import sys

    data = tmp_path / "events.geojson"
    shutil.copy(EVENTS_PATH, data)
    read = ("import sys; from geo.io.prepared import prepare; "
            "from pathlib import Path; print(prepare(sys.argv[1], cache_dir=Path(sys.argv[2])).from_cache)")
    command = [sys.executable, "-c", read, str(data), str(tmp_path / "cache")]
    both = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    answers = sorted(process.communicate(timeout=300)[0].strip() for process in both)
    assert answers == ["False", "True"], answers  # one prepared it, the other waited and read its copy
    assert all(process.returncode == 0 for process in both)
