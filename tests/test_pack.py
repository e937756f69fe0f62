"""geo.map.pack: the binary pack of located events, read back exactly; written once, pruned, served."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiLineString

from geo.events.dataset import frame_from_collection
from geo.events.schema import EVENT_TYPES, LAYERS, LOCATION_PRECISIONS, ROUTE_STATUSES
from geo.map.pack import (
    HEADER,
    IN_USE_SECONDS,
    KEEP,
    MARK_SECONDS,
    NO_DAY,
    NO_STATUS,
    UNUSED_SECONDS,
    dataset_identity,
    in_use,
    located,
    mask_view,
    pack_bytes,
    pack_key,
    pack_rows,
    read_pack,
    row_ids,
    view_arrays,
    write_pack,
)
from geo.view.time import as_of, as_of_mask
from perf.bench import synthetic_collection


@pytest.fixture(scope="module")
def synthetic() -> gpd.GeoDataFrame:
    return frame_from_collection(synthetic_collection(3_000))


def day_number(value: object) -> int:
    return NO_DAY if value is None else dt.date.fromisoformat(str(value)).toordinal() - dt.date(1970, 1, 1).toordinal()


def assert_pack_matches(frame: gpd.GeoDataFrame) -> None:
    rows = located(frame)
    pack = read_pack(pack_bytes(frame))
    is_line = rows.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    points = rows[~is_line]
    np.testing.assert_array_equal(pack.lonlat[~is_line],
                                  shapely.get_coordinates(points.geometry.values).astype(np.float32))
    assert list(pack.event_type) == [list(EVENT_TYPES).index(t) for t in rows["event_type"]]
    assert list(pack.layer) == [list(LAYERS).index(layer) for layer in rows["layer"]]
    assert list(pack.precision) == [LOCATION_PRECISIONS.index(p) for p in rows["location_precision"]]
    assert list(pack.status) == [NO_STATUS if s is None else list(ROUTE_STATUSES).index(s) for s in rows["status"]]
    assert list(pack.date_start) == [day_number(d) for d in rows["date_start"]]
    assert list(pack.date_end) == [day_number(d) for d in rows["date_end"]]
    assert list(pack.line_rows) == list(np.flatnonzero(is_line))
    for k, row in enumerate(pack.line_rows):
        geometry = rows.geometry.iloc[row]
        expected = [shapely.get_coordinates(part).astype(np.float32) for part in shapely.get_parts(geometry)]
        got = pack.line(k)
        assert len(got) == len(expected) and all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
        midpoint = shapely.line_interpolate_point(geometry, 0.5, normalized=True)
        np.testing.assert_allclose(pack.lonlat[row], [midpoint.x, midpoint.y], atol=1e-4)


def test_the_curated_dataset_reads_back_exactly_from_its_pack(events):
    assert_pack_matches(events)
    multi = events.geom_type.eq("MultiPoint")
    assert multi.any()
    extra_pins = int((events.geometry[multi].count_geometries() - 1).sum())
    assert len(read_pack(pack_bytes(events)).lonlat) == int(events.geometry.notna().sum()) + extra_pins


def test_an_event_at_several_crossings_is_one_pack_row_per_point_all_with_its_id(events):
    event_id = "repatriation-mass-2023-10-09"
    points = shapely.get_coordinates(events.geometry[event_id])
    pack, ids, rows = read_pack(pack_bytes(events)), row_ids(events), pack_rows(events)
    mine = [k for k, i in enumerate(ids) if i == event_id]
    assert len(mine) == len(points) == 5 and mine == list(range(mine[0], mine[0] + 5))  # in frame order
    np.testing.assert_array_equal(pack.lonlat[mine], points.astype(np.float32))
    assert set(rows.positions[mine]) == {events.index.get_loc(event_id)}
    assert [events.index[k] for k in rows.positions] == ids  # every pack row maps back to its event
    mask, _ = view_arrays(events, events.loc[[event_id]])
    assert list(np.flatnonzero(mask)) == mine  # choosing the event shows all five pins


def test_a_synthetic_dataset_with_points_and_lines_reads_back_exactly(synthetic):
    assert located(synthetic).geom_type.nunique() == 2
    assert_pack_matches(synthetic)


def test_a_multiline_route_keeps_its_parts_apart(events):
    line = events[events.geom_type == "LineString"].iloc[[0]].copy()
    coords = shapely.get_coordinates(line.geometry.iloc[0])
    line["geometry"] = [MultiLineString([coords[:2], coords[1:] + 0.5])]
    frame = gpd.GeoDataFrame(line, geometry="geometry", crs=events.crs)

    pack = read_pack(pack_bytes(frame))

    assert len(pack.line(0)) == 2 and np.isnan(pack.vertices[2]).all()
    assert_pack_matches(frame)


def test_unknown_dates_become_the_sentinel_and_rows_without_place_are_left_out(events):
    frame = events.copy()
    frame.loc[located(frame).index[0], "date_start"] = None  # the first pack row
    pack = read_pack(pack_bytes(frame))
    assert pack.date_start[0] == NO_DAY
    pins = events.geometry.count_geometries().where(events.geom_type.eq("MultiPoint"), 1)
    assert row_ids(frame) == [i for i in events[events.geometry.notna()]["id"] for _ in range(pins[i])]


def test_a_point_costs_twenty_bytes_so_a_million_events_fit_in_streamlits_limit(synthetic):
    points = located(synthetic)[located(synthetic).geom_type == "Point"]
    size = len(pack_bytes(points))
    assert size == HEADER.size + 4 + 20 * len(points)  # header, the one line offset, 20 bytes a point
    assert HEADER.size + 20 * 1_000_000 + 0.03 * 1_000_000 * (28 + 8 * 20) < 200 * 1024 * 1024


def test_a_pack_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="magic"):
        read_pack(b"NOTAPACK" + bytes(24))
    with pytest.raises(ValueError, match="short"):
        read_pack(b"GEOPACK")


def test_write_pack_writes_once_and_returns_the_url_streamlit_serves(events, tmp_path: Path):
    url = write_pack(events, tmp_path, "v1")
    written = tmp_path / "v1.bin"
    inode = written.stat().st_ino

    assert url == "/app/static/packs/v1.bin"
    assert read_pack(written.read_bytes()).lonlat.shape[0] == len(row_ids(events)) > events.geometry.notna().sum()
    assert write_pack(events, tmp_path, "v1") == url and written.stat().st_ino == inode  # not rewritten
    assert not list(tmp_path.glob("*.tmp"))


def age(pack: Path, seconds: float) -> None:
    """Make `pack` look last marked `seconds` ago."""
    os.utime(pack, ns=(time.time_ns() - int(seconds * 1e9),) * 2)


def test_a_datasets_versions_beyond_its_newest_four_are_removed_once_nobody_has_used_them_for_an_hour(
        events, tmp_path: Path):
    mine = dataset_identity("/srv/border/events.geojson")
    keys = [pack_key(f"{n:064x}", mine) for n in range(KEEP + 3)]
    for n, key in enumerate(keys):
        write_pack(events, tmp_path, key)
        age(tmp_path / f"{key}.bin", IN_USE_SECONDS + (len(keys) - n) * 60)  # older ones marked longer ago
    age(tmp_path / f"{keys[1]}.bin", 60)  # but a server still draws from this old version

    write_pack(events, tmp_path, keys[-1])

    kept = {p.stem for p in tmp_path.glob("*.bin")}
    assert kept == {keys[1], *keys[-KEEP:]}


def test_no_dataset_removes_a_pack_of_another_that_is_in_use(events, tmp_path: Path):
    theirs = pack_key("a" * 64, dataset_identity("/srv/other/events.geojson"))
    write_pack(events, tmp_path, theirs)
    age(tmp_path / f"{theirs}.bin", IN_USE_SECONDS - 60)  # marked within the hour: in use
    mine = dataset_identity("/tmp/bench/synthetic-100000.geojson")
    for n in range(3 * KEEP):  # a bench writing version after version of its own data
        write_pack(events, tmp_path, pack_key(f"{n:064x}", mine))

    assert (tmp_path / f"{theirs}.bin").is_file()


def test_any_pack_nobody_has_used_for_a_day_is_removed(events, tmp_path: Path):
    forgotten = pack_key("b" * 64, dataset_identity("/tmp/gone.geojson"))
    write_pack(events, tmp_path, forgotten)
    age(tmp_path / f"{forgotten}.bin", UNUSED_SECONDS + 60)

    write_pack(events, tmp_path, pack_key("c" * 64, dataset_identity("/srv/border/events.geojson")))

    assert not (tmp_path / f"{forgotten}.bin").exists()


def test_in_use_marks_the_pack_a_server_draws_from_and_says_when_it_has_gone(events, tmp_path: Path):
    url = write_pack(events, tmp_path, pack_key("d" * 64, dataset_identity("/srv/border/events.geojson")))
    pack = tmp_path / Path(url).name
    age(pack, MARK_SECONDS + 60)

    assert in_use(url, tmp_path) and time.time() - pack.stat().st_mtime < 5  # marked again
    pack.unlink()
    assert not in_use(url, tmp_path)


def test_a_key_that_is_not_a_plain_file_name_is_refused(events, tmp_path: Path):
    for key in ("../escape", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="pack key"):
            write_pack(events, tmp_path, key)
    assert pack_key("ab:cd/ef") == "abcdef-f1"
    assert pack_key("ab:cd/ef", dataset_identity("/srv/x.geojson")) == f"{dataset_identity('/srv/x.geojson')}-abcdef-f1"


def test_a_view_is_a_mask_over_pack_rows_with_routes_in_their_status_on_the_map_date(events):
    day = dt.date(2021, 6, 1)
    shown = as_of(events[events["layer"] == "trade_routes"], day)

    mask, statuses = view_arrays(events, shown)

    rows = located(events)
    assert mask.dtype == bool and len(mask) == len(rows)
    assert list(rows.index[mask]) == [i for i in rows.index if i in shown.index]
    lines = rows[rows.geom_type.isin(["LineString", "MultiLineString"])]
    assert len(statuses) == len(lines)
    for code, (event_id, status) in zip(statuses, lines["status"].items(), strict=True):
        now = shown.loc[event_id, "status"] if event_id in shown.index else status
        assert code == (NO_STATUS if now is None else list(ROUTE_STATUSES).index(now))


@pytest.mark.parametrize("day", [dt.date(2020, 3, 1), dt.date(2021, 6, 1), dt.date(2026, 1, 1)])
def test_a_view_from_masks_over_the_dataset_is_the_view_from_the_filtered_frame(events, synthetic, day):
    # The dashboard computes the map from masks over the whole dataset (no filtered copy of every
    # column per rerun); it must show exactly what the filtered frame's view shows.
    for frame in (events, synthetic):
        keep = (frame["layer"] != "worker_locations").to_numpy()
        on_day, status_then = as_of_mask(frame, day)
        rows = pack_rows(frame)
        mask, statuses = mask_view(rows, keep & on_day, status_then)
        expected_mask, expected_statuses = view_arrays(frame, as_of(frame[keep], day))
        assert np.array_equal(mask, expected_mask)
        assert np.array_equal(statuses[mask[rows.lines]], expected_statuses[mask[rows.lines]])
        assert list(located(frame)["layer"]) == list(rows.layers)


def test_the_pack_is_made_from_its_own_columns_of_the_located_rows_only(events):
    from geo.map.pack import PACK_COLUMNS, located, pack_bytes, pack_frame, row_ids

    narrow = pack_frame(events)
    assert list(narrow.columns) == [*PACK_COLUMNS, events.geometry.name]  # no sources, summary, search text
    assert narrow.index.tolist() == located(events).index.tolist()
    assert narrow.geometry.equals(located(events).geometry)
    assert pack_bytes(narrow) == pack_bytes(events) and row_ids(narrow) == row_ids(events)
