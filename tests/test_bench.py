"""`python -m geo bench`: synthetic data in the real schema, and a run that reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo.events.dataset import frame_from_collection
from geo.events.schema import EVENT_TYPES, LAYERS, validate_collection
from geo.map import layers
from geo.view.filters import apply_filters
from perf import bench

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def synthetic() -> dict:
    return bench.synthetic_collection(500)


def test_synthetic_data_is_valid_and_deterministic(synthetic):
    assert validate_collection(synthetic, "<synthetic>") == []
    assert json.dumps(synthetic) == json.dumps(bench.synthetic_collection(500))
    assert json.dumps(synthetic) != json.dumps(bench.synthetic_collection(500, seed=1))
    ids = [f["properties"]["id"] for f in synthetic["features"]]
    assert ids[0] == "synthetic-000000" and len(set(ids)) == 500


def test_synthetic_data_covers_every_layer_type_and_geometry(synthetic):
    features = synthetic["features"]
    props = [f["properties"] for f in features]
    assert {p["layer"] for p in props} == set(LAYERS)
    assert {p["event_type"] for p in props} == set(EVENT_TYPES) - {"unclassified"}  # an import-only type
    assert {(p["layer"], p["event_type"]) for p in props} == set(bench.PAIRS)
    kinds = [f["geometry"]["type"] if f["geometry"] else None for f in features]
    unlocated, lines = kinds.count(None), kinds.count("LineString")
    assert 5 <= unlocated <= 60 and 3 <= lines <= 40 and kinds.count("Point") == 500 - unlocated - lines
    assert all(p["location_precision"] == "unknown" for p, k in zip(props, kinds, strict=True) if k is None)
    routes = [p for p, k in zip(props, kinds, strict=True) if k == "LineString"]
    assert all(p["layer"] == "trade_routes" and p["status"] == p["status_history"][-1]["status"] for p in routes)
    assert {p["date_precision"] for p in props} == {"day", "month", "season", "year"}
    assert any(p.get("date_inferred") for p in props)
    assert {p["location_precision"] for p in props} == {"exact", "city", "region", "unknown"}
    for feature in features:
        if feature["geometry"]:
            for lon, lat in _positions(feature["geometry"]):
                west, south, east, north = bench.REGION
                assert west <= lon <= east and south <= lat <= north
        start, end = feature["properties"]["date_start"], feature["properties"]["date_end"]
        assert "2019-01-01" <= start <= end <= "2024-12-31"
    points = [f["geometry"]["coordinates"] for f in features if f["geometry"] and f["geometry"]["type"] == "Point"]
    assert sum(124 <= lon <= 131 and 40 <= lat <= 43.5 for lon, lat in points) > 0.6 * len(points)


def _positions(geometry: dict) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]


def test_bench_command_prints_a_table_then_one_json_object():
    result = subprocess.run(
        [sys.executable, "-m", "geo", "bench", "--events", "300", "1000", "--naive-max", "1000", "--repeat", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert any(line.split()[:3] == ["events", "drawn", "load"] for line in lines)
    assert [line.split()[0] for line in lines if line.split()[0] in ("300", "1,000")] == ["300", "1,000"]
    assert any(line.startswith("machine: ") for line in lines)
    report = json.loads(lines[-1])
    assert set(report) >= {"machine", "sizes", "targets", "met"}
    assert report["targets"] == {"rebuild_100k_s_max": 1.0, "bytes_per_feature_max": 100,
                                 "naive_speedup_min": 50, "floor_ratio_max": 5}
    assert report["machine"]["cpu_count"] >= 1 and report["serializer"]
    assert [s["events"] for s in report["sizes"]] == [300, 1000]
    for size in report["sizes"]:
        for key in ("load_s", "filter_s", "build_s", "rebuild_s", "bytes", "bytes_per_feature", "naive_build_s",
                    "naive_bytes_per_feature", "floor_s", "floor_bytes_per_feature", "naive_over_ours",
                    "ours_over_floor", "drawn"):
            assert isinstance(size[key], (int, float)) and size[key] > 0, (size["events"], key, size[key])
        assert size["rebuild_s"] == pytest.approx(size["filter_s"] + size["build_s"], abs=2e-6)
    assert "rebuild_100k_s_max" not in report["met"]  # not measured: no 100k size
    assert all(isinstance(v, bool) for v in report["met"].values())
    assert "progress" not in result.stdout and "bench: 300 events: done" in result.stderr


def test_bench_command_refuses_bad_sizes():
    result = subprocess.run([sys.executable, "-m", "geo", "bench", "--events", "0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "at least 1" in result.stderr


def test_naive_map_sends_more_bytes_per_feature_than_the_compact_layer(synthetic, monkeypatch):
    """Measured, not assumed: the same 300-event filter drawn both ways, serialised as the bench does.

    The detailed map (one pin, disc, popup and tooltip per event, used below the compact threshold) is
    richer than the naive one on purpose, so the compact layer that large datasets get is compared."""
    monkeypatch.setattr(layers, "COMPACT_ABOVE", 0)
    small = {"type": "FeatureCollection", "features": synthetic["features"][:300]}
    shown = apply_filters(frame_from_collection(small), bench.FILTER)
    drawn = int(shown.geometry.notna().sum())
    _, serialize = bench._serializer()
    ours, naive = serialize(layers.event_layers(shown)), serialize(bench.naive_layers(shown))
    floor = len(bench.floor_json(shown))
    assert drawn > 50
    assert naive / drawn > ours / drawn > floor / drawn


def test_floor_takes_first_vertex_of_lines(synthetic):
    frame = frame_from_collection(synthetic)
    rows = json.loads(bench.floor_json(frame))
    located = frame[frame.geometry.notna()]
    assert len(rows) == len(located)
    line = next(f for f in synthetic["features"] if f["geometry"] and f["geometry"]["type"] == "LineString")
    row = next(r for r in rows if r[2] == line["properties"]["id"])
    assert row == [*line["geometry"]["coordinates"][0], line["properties"]["id"], line["properties"]["event_type"]]


def test_the_memory_measure_reports_a_first_open_and_a_restart_from_the_prepared_copy(tmp_path):
    import io

    out = io.StringIO()
    report = bench.memory(300, workdir=tmp_path, out=out)
    first, restart = report["first_open"], report["restart"]
    assert not first["from_cache"] and restart["from_cache"] and first["events"] == restart["events"] == 300
    for stage in (first, restart):
        assert 0 < stage["rss_before_mb"] <= stage["peak_loading_mb"] <= stage["peak_mb"]
        assert stage["shown"] > 0 and stage["frame_deep_mb"] >= 0 and isinstance(stage["columns_mb"], dict)
    assert (tmp_path / "synthetic-300-seed0.parquet").is_file()  # kept for the next run
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("first_open") and lines[2].startswith("restart") and json.loads(lines[-1]) == report
