"""app/loaded.py: one loaded dataset per store stamp, shared by the pages, each part computed once and bounded."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time

import numpy as np
import pyarrow as pa
import pytest

from app.loaded import MAP_DATES_KEPT, Kept, LoadedDataset, arrow_ready, crossings, loaded_dataset, places
from geo.events.schema import LAYERS
from geo.io.prepared import file_digest
from geo.map.layers import COMPACT_ABOVE
from geo.map.pack import PACK_DIR, dataset_identity, pack_key
from geo.report.charts import months_of, timeline_charts
from geo.store import append_features, encode, open_store
from geo.view import link
from geo.view.time import as_of_mask
from perf.bench import synthetic_collection
from tests.conftest import ROOT


@pytest.fixture
def data(tmp_path, monkeypatch, collection):
    """A copy of the bundled dataset, prepared into a cache folder of its own."""
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "events.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def test_a_kept_value_is_computed_once_and_the_least_recently_used_goes_first():
    kept, computed = Kept(2), []

    def compute(key):
        return lambda: computed.append(key) or key.upper()

    assert [kept.get(k, compute(k)) for k in ("a", "b", "a", "c", "a", "b")] == ["A", "B", "A", "C", "A", "B"]
    assert computed == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came
    assert "a" in kept and "c" not in kept


def test_sessions_asking_for_one_key_at_once_wait_for_one_computation():
    kept, computed = Kept(2), []

    def slow() -> str:
        computed.append(1)
        time.sleep(0.2)
        return "value"

    answers = []
    threads = [threading.Thread(target=lambda: answers.append(kept.get("key", slow))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["value"] * 4 and computed == [1]


def test_a_failed_computation_is_not_kept_and_the_next_ask_tries_again():
    kept = Kept(2)

    def failing() -> str:
        raise OSError("not now")

    with pytest.raises(OSError):
        kept.get("key", failing)
    assert "key" not in kept and kept.get("key", lambda: "now") == "now"


def test_a_dataset_is_prepared_once_and_its_parts_are_what_geo_computes(data):
    loaded = LoadedDataset(str(data))
    assert not loaded.is_prepared
    messages = []
    ready, problems = loaded.prepared(messages.append)
    assert problems == [] and messages and loaded.is_prepared
    assert loaded.prepared(messages.append)[0] is ready, "prepared once: later calls share it"
    assert ready.digest == file_digest(data)
    frame = ready.frame

    placed, bounds = loaded.placement()
    assert placed.tolist() == frame.geometry.notna().tolist()
    assert bounds == tuple(frame.geometry[placed].total_bounds)
    assert loaded.default_view() == link.dataset_view(frame, list(LAYERS))
    assert loaded.months() is loaded.months()  # and the timeline specs below, counted from it, are geo's
    day = loaded.default_view().filters.until
    on_day, status = loaded.map_date(day)
    expected_on_day, expected_status = as_of_mask(frame, day)
    assert on_day.tolist() == expected_on_day.tolist() and list(status) == list(expected_status)
    assert loaded.map_date(day) is loaded.map_date(day) and loaded.placement() is loaded.placement()
    keep = frame["event_type"].eq("disappearance").to_numpy()
    specs = loaded.timeline_specs("types=disappearance", keep, day)
    assert specs == tuple(arrow_ready(spec) for spec in timeline_charts(None, frame, day, months_of(frame), keep))
    assert all(isinstance(rows, bytes) for spec in specs for rows in spec["datasets"].values())
    assert loaded.timeline_specs("types=disappearance", keep, day) is specs


def test_map_dates_are_kept_up_to_their_bound(data):
    loaded = LoadedDataset(str(data))
    loaded.prepared()
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=31 * n) for n in range(MAP_DATES_KEPT + 1)]
    first = loaded.map_date(days[0])
    for day in days[1:]:
        loaded.map_date(day)
    assert loaded.map_date(days[-1]) is loaded.map_date(days[-1])
    assert loaded.map_date(days[0]) is not first, "the oldest map date was dropped"


def test_an_invalid_dataset_gives_the_validators_messages_and_keeps_them(data, collection):
    collection["features"][2]["properties"]["sources"] = []
    data.write_text(json.dumps(collection), encoding="utf-8")
    loaded = LoadedDataset(str(data))
    ready, problems = loaded.prepared()
    assert ready is None and len(problems) == 1 and "properties.sources" in problems[0]
    assert loaded.is_prepared, "its problems are known: the next run shows them without a progress box"


def test_a_store_that_cannot_be_read_keeps_nothing_and_is_read_again(data):
    moved = data.with_name("elsewhere.geojson")
    data.rename(moved)
    loaded = LoadedDataset(str(data))
    with pytest.raises(OSError):
        loaded.prepared()
    assert not loaded.is_prepared
    moved.rename(data)
    assert loaded.prepared()[1] == []


def test_the_change_log_is_read_again_only_when_its_stamp_changes(data, collection):
    loaded = LoadedDataset(str(data))
    store = open_store(data)
    assert loaded.changes(store.history_stamp()) == ([], None)
    extra = dict(collection["features"][6], properties=dict(collection["features"][6]["properties"], id="later"))
    append_features(data, [extra], editor="alice")
    [change] = loaded.changes(store.history_stamp())[0]
    assert change.editor == "alice" and change.added == ("later",)


def test_each_store_stamp_is_one_shared_entry_and_a_write_makes_a_new_one(data, collection):
    store = open_store(data)
    before = loaded_dataset(str(data), store.stamp())
    assert loaded_dataset(str(data), store.stamp()) is before
    before.prepared()
    extra = dict(collection["features"][6], properties=dict(collection["features"][6]["properties"], id="later"))
    append_features(data, [extra], editor="alice")
    after = loaded_dataset(str(data), store.stamp())
    assert after is not before
    assert len(after.prepared()[0].frame) == len(before.prepared()[0].frame) + 1


def test_a_points_pack_that_has_gone_is_written_again(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "events.geojson"
    data.write_bytes(encode(synthetic_collection(COMPACT_ABOVE + 10)))
    loaded = LoadedDataset(str(data))
    key = pack_key(loaded.prepared()[0].digest, dataset_identity(str(data)))
    pack = PACK_DIR / f"{key}.bin"
    try:
        url, ids, _ = loaded.points_pack(key)
        assert pack.is_file() and url.endswith(pack.name) and len(ids) == loaded.placement()[0].sum()
        assert loaded.points_pack(key)[0] == url
        pack.unlink()
        assert loaded.points_pack(key)[0] == url and pack.is_file()
    finally:
        pack.unlink(missing_ok=True)


def test_the_reference_data_is_read_once_per_server():
    assert places() is places() and crossings() is crossings()
    assert len(places()) and crossings().geometry.notna().any()


def test_no_page_clears_a_cache_the_other_pages_share():
    clears = re.compile(r"\bst\.cache_(data|resource)\.clear\(")
    for page in [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py"))]:
        assert not clears.search(page.read_text(encoding="utf-8")), page.name


def test_the_trade_series_is_read_once_per_file_version_and_a_broken_one_gives_its_problems(tmp_path):
    from app.loaded import trade_series
    from geo.paths import TRADE_PATH

    path = tmp_path / "trade_monthly.csv"
    path.write_bytes(TRADE_PATH.read_bytes())
    series, problems = trade_series(path)
    assert problems == [] and series["month"].iloc[0] == "2019-01"
    assert trade_series(path)[0] is series  # kept, not read again
    text = path.read_text(encoding="utf-8").replace("\n2019-02,", "\n2019/02,", 1)
    path.write_text(text, encoding="utf-8")
    broken, problems = trade_series(path)
    assert broken is None and problems and problems[0].startswith(f"{path}: line 3: month: not a month")
    assert trade_series(tmp_path / "gone.csv") == (None, [f"{tmp_path / 'gone.csv'}: file: cannot read: "
                                                          "No such file or directory"])


def test_the_trade_chart_is_made_once_per_map_date_and_is_the_files_chart():
    import datetime as dt

    from app.loaded import arrow_ready, trade_chart_on, trade_series
    from geo.report.charts import trade_chart

    domain = ["2020-01-01T00:00:00", "2026-03-13T00:00:00"]
    day = dt.date(2022, 5, 31)
    first = trade_chart_on(day, domain)
    assert first == arrow_ready(trade_chart(trade_series()[0], day, domain))
    assert trade_chart_on(day, domain) is first  # the same map date again: not made again
    assert trade_chart_on(dt.date(2023, 5, 31), domain) != first  # another date: its own line


def test_a_spec_made_arrow_ready_holds_the_same_rows_as_its_json(events):
    import pyarrow as pa

    from geo.report.charts import timeline_charts

    periods, _ = timeline_charts(events, events, dt.date(2026, 12, 31))
    ready = arrow_ready(periods)
    assert ready.keys() == periods.keys() and periods["datasets"] and ready is not periods
    for name, rows in periods["datasets"].items():
        table = pa.ipc.open_stream(ready["datasets"][name]).read_all()
        assert table.num_rows == len(rows) and set(table.column_names) >= set(rows[0])
    assert all(isinstance(rows, list) for rows in periods["datasets"].values())  # the spec given is not changed


def test_the_feed_and_the_table_taken_from_the_whole_versions_equal_those_made_for_the_shown_rows(data):
    from geo.report.feed import feed_rows
    from geo.report.table import reader_table

    loaded = LoadedDataset(str(data))
    frame = loaded.frame if loaded.prepared()[0] else None
    for shown in (frame["layer"].eq("incidents").to_numpy(), frame["date_start"].isna().to_numpy(),
                  np.ones(len(frame), dtype=bool)):
        table, ids = loaded.feed(shown, 7)
        expected_table, expected_ids = feed_rows(frame, shown, 7)
        assert ids == expected_ids and table.equals(expected_table)
        rows = np.flatnonzero(shown)[::-1]
        assert loaded.reader_rows(rows).to_pandas().equals(
            pa.Table.from_pandas(reader_table(frame.iloc[rows]), preserve_index=False).to_pandas())
    assert loaded.feed(np.zeros(len(frame), dtype=bool), 7)[1] == []
