"""An events file by its suffix (geo.io.events_file): GeoParquet for .parquet/.geoparquet, else GeoJSON."""

from __future__ import annotations

import pytest

from geo.events.dataset import DatasetError
from geo.io.events_file import load_events
from tests.conftest import EVENTS_PATH


def test_load_events_and_validate_file_read_geoparquet_by_its_suffix(events, tmp_path):
    import pandas as pd

    from geo.io.events_file import is_parquet, validate_file
    from geo.io.geoparquet import write_events

    for name in ("events.parquet", "EVENTS.PARQUET", "events.geoparquet"):
        write_events(events, tmp_path / name)
        assert is_parquet(tmp_path / name) and validate_file(tmp_path / name) == []
        pd.testing.assert_frame_equal(load_events(tmp_path / name), events)
    assert not is_parquet(EVENTS_PATH)


def test_a_geojson_file_named_parquet_is_one_problem_not_a_traceback(tmp_path):
    from geo.io.events_file import validate_file

    wrong = tmp_path / "events.parquet"
    wrong.write_bytes(EVENTS_PATH.read_bytes())
    [problem] = validate_file(wrong)
    assert str(problem).startswith(f"{wrong}: file: not a readable Parquet file")
    with pytest.raises(DatasetError):
        load_events(wrong)


def test_a_geojson_file_over_the_limit_is_refused_naming_the_command_that_converts_it(tmp_path, monkeypatch):
    from geo.io import events_file

    path = tmp_path / "my events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    monkeypatch.setattr(events_file, "MAX_FILE_BYTES", 1_000)
    with pytest.raises(DatasetError) as raised:
        load_events(path)
    assert [str(p) for p in raised.value.problems] == [
        f"{path}: file: the file is {path.stat().st_size:,} bytes, over the limit of 1,000 bytes for a GeoJSON events "
        "file; convert it to GeoParquet with `python -m geo convert 'my events.geojson' 'my events.parquet'` and "
        "use that file"]
    assert events_file.validate_file(path) == []  # read feature by feature, whatever its size


def test_a_geoparquet_file_loaded_a_batch_at_a_time_is_the_frame_of_the_whole_file(tmp_path, monkeypatch):
    import pandas as pd

    from geo.events.dataset import frame_from_collection
    from geo.io import geoparquet
    from perf.bench import synthetic_collection

    path = tmp_path / "events.parquet"
    geoparquet.write_events(synthetic_collection(1_000), path)
    whole = frame_from_collection(geoparquet.read_collection(path), str(path))
    monkeypatch.setattr(geoparquet, "PARQUET_BATCH_FEATURES", 130)  # eight batches
    told: list[str] = []
    batched = load_events(path, progress=told.append)
    pd.testing.assert_frame_equal(batched, whole)
    assert batched.index.dtype == object and told == ["Validating 1,000 events…"]
    assert batched.loc["synthetic-000500", "sources"] == whole.loc["synthetic-000500", "sources"]
