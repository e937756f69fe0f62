"""The dataset as the pages use it: one LoadedDataset per version of the store, shared by every session.

`loaded_dataset(spec, stamp)` is the one Streamlit cache entry per dataset stamp (a file's mtime and size, a
database's revision and version; geo.store): a change made anywhere gets a new stamp, so a new entry, at the next
rerun, and no page ever clears another's cache. Each entry prepares its dataset once (geo.io.prepared) and derives,
when first asked and at most once, what the pages show of it: placement and bounds, the default view, the map-date
masks, the timeline's months and specs, the points pack, each event's map script, the change log. Everything it
hands out is shared by every session and must never be modified. The computations are geo/'s; this module only
keeps their results.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from geo.events.dataset import DatasetError, located_mask, records
from geo.events.schema import LAYERS
from geo.io.prepared import Prepared, prepare
from geo.map.layerscript import content_keys
from geo.map.pack import PackRows, in_use, pack_frame, pack_rows, row_ids, write_pack
from geo.paths import TRADE_PATH
from geo.reference.crossings import load_crossings
from geo.reference.places import load_places
from geo.reference.trade import TradeError, load_trade
from geo.report.charts import Months, months_of, route_history, timeline_charts, trade_chart
from geo.report.crossings_table import crossings_table
from geo.report.details import details_html, event_list_html, publish_archive
from geo.report.feed import feed_rows
from geo.report.table import reader_table
from geo.store import changelog, data_spec, open_store
from geo.view import link
from geo.view.time import as_of_mask, begun_mask

VERSIONS_KEPT = 2  # dataset versions kept in memory: the current one, and the one sessions may still be showing
MAP_DATES_KEPT = 8
TIMELINES_KEPT = 64
CHANGE_LOGS_KEPT = 4
SCRIPTS_KEPT = 20_000  # events' map scripts kept on this server, across versions (COMPACT_ABOVE events each)
WHOLE_TABLES_MAX = 20_000  # up to this many events the reader's table and the feed are made once for all of them
DETAILS_KEPT = 256  # events' details panels kept per version: readers look at a few events each
PARTS = 12  # more than the parts a version keeps once each (prepared, placement, default view, months, points pack,
# route history, script keys, reader table, feed)

T = TypeVar("T")


def arrow_ready(spec: dict) -> dict:
    """A Vega-Lite spec whose named `datasets` are already Arrow IPC bytes: what st.vega_lite_chart turns rows into
    at every call (about 15 ms a chart, paid on each rerun) is then done once, when the spec is kept. The rows it
    had and the Arrow bytes hold the same table (Streamlit's own conversion)."""
    if "datasets" not in spec:
        return spec
    return {**spec, "datasets": {name: rows if isinstance(rows, bytes) else convert_anything_to_arrow_bytes(rows)
                                 for name, rows in spec["datasets"].items()}}


class Kept:
    """Values computed once per key and kept, at most `size` of them (the least recently used is dropped
    first). Thread-safe: sessions asking for the same key at once wait for one computation."""

    def __init__(self, size: int) -> None:
        self._size, self._values, self._computing = size, OrderedDict(), {}
        self._lock = threading.Lock()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for `key`, computed by `compute()` first if there is none. An exception is not kept."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
                self._computing.pop(key, None)
        return value

    def drop(self, key: Hashable) -> None:
        """Forget the value of `key` (it is computed again when next asked for)."""
        with self._lock:
            self._values.pop(key, None)


class LoadedDataset:
    """One version of the dataset named by `spec` (a file path or a postgresql:// URL) and what the pages derive
    from it, each computed when first asked for and kept for as long as this version is."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._once, self._map_dates, self._begun = Kept(PARTS), Kept(MAP_DATES_KEPT), Kept(MAP_DATES_KEPT)
        self._timelines, self._change_logs = Kept(TIMELINES_KEPT), Kept(CHANGE_LOGS_KEPT)
        self._details, self._event_lists = Kept(DETAILS_KEPT), Kept(TIMELINES_KEPT)

    @property
    def is_prepared(self) -> bool:
        """Whether `prepared` has already been answered on this server (then it answers at once)."""
        return "prepared" in self._once

    def prepared(self, progress: Callable[[str], None] | None = None) -> tuple[Prepared | None, list[str]]:
        """The validated, analysed dataset (geo.io.prepared: read from its prepared copy on disk when this exact
        content was prepared before, by this server or an earlier one), or None and the validator's messages.
        `progress` receives short messages while it works, if this call is the one that prepares. Raises
        geo.store.StoreError or OSError when the store cannot be read now (nothing is kept: the next call tries
        again)."""
        def outcome() -> tuple[Prepared | None, list[str]]:
            try:
                return prepare(data_spec(self.spec), progress=progress), []
            except DatasetError as error:
                return None, [str(problem) for problem in error.problems]

        return self._once.get("prepared", outcome)

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """The prepared events (only once `prepared` has answered with a dataset)."""
        ready, _ = self.prepared()
        return ready.frame

    def placement(self) -> tuple[np.ndarray, tuple[float, float, float, float] | None]:
        """Which events have a location (bool per row) and the bounds of those, or None."""
        def compute() -> tuple[np.ndarray, tuple | None]:
            placed = located_mask(self.frame).to_numpy()
            return placed, (tuple(self.frame.geometry[placed].total_bounds) if placed.any() else None)

        return self._once.get("placement", compute)

    def default_view(self) -> link.View:
        """The view of the whole dataset (every type, its full date range): what a plain link opens."""
        return self._once.get("default_view", lambda: link.dataset_view(self.frame, list(LAYERS)))

    def months(self) -> Months:
        """Every event's month and type as codes (geo.report.charts.Months), so the timeline counts any filter's
        events without copying them."""
        return self._once.get("months", lambda: months_of(self.frame))

    def map_date(self, day: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """geo.view.time.as_of_mask of the whole dataset on `day`: which events are on the map then and every
        event's status then (the last MAP_DATES_KEPT days asked for are kept)."""
        return self._map_dates.get(day, lambda: as_of_mask(self.frame, day))

    def begun(self, day: dt.date) -> np.ndarray:
        """geo.view.time.begun_mask of the whole dataset on `day`: the events known to have begun by then, as
        the feed lists them (the last MAP_DATES_KEPT days asked for are kept)."""
        return self._begun.get(day, lambda: begun_mask(self.frame, day))

    def timeline_specs(self, view_key: str, keep: np.ndarray, last: dt.date) -> tuple[dict, dict]:
        """The timeline's two Vega-Lite specs for one set of filters (`view_key`, geo.view.link.cache_key: the
        events where `keep` is true) up to `last` (geo.report.charts.timeline_charts)."""
        routes = self._once.get(("route_history", last), lambda: route_history(self.frame, last))
        return self._timelines.get((view_key, last), lambda: tuple(
            arrow_ready(spec) for spec in timeline_charts(None, self.frame, last, self.months(), keep, routes)))

    def script_keys(self) -> np.ndarray:
        """Each event's content digest (geo.map.layerscript.content_keys): the keys of its map script in
        `event_scripts`, which every version shares."""
        return self._once.get("script_keys", lambda: content_keys(self.frame))

    def reader_rows(self, rows: np.ndarray) -> pa.Table | pd.DataFrame:
        """The reader's table (geo.report.table.reader_table) of the events at these positions, in that order. Up to
        WHOLE_TABLES_MAX events it is taken from the whole dataset's table, made once per version as Arrow (what
        st.dataframe sends as it is); above, made for these rows only, so memory stays bounded."""
        if len(self.frame) > WHOLE_TABLES_MAX:
            return reader_table(self.frame.iloc[rows])
        whole = self._once.get("reader_table", lambda: pa.Table.from_pandas(reader_table(self.frame),
                                                                          preserve_index=False))
        return whole.take(np.asarray(rows, dtype=np.int64))

    def feed(self, shown: np.ndarray, limit: int) -> tuple[pd.DataFrame, list[str]]:
        """geo.report.feed.feed_rows of the events where `shown` is true, at most `limit`. Up to WHOLE_TABLES_MAX
        events the whole dataset's feed is made once per version, newest first, and a rerun only picks its rows."""
        if len(self.frame) > WHOLE_TABLES_MAX:
            return feed_rows(self.frame, shown, limit)

        def whole() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
            table, ids = feed_rows(self.frame, np.ones(len(self.frame), dtype=bool), len(self.frame))
            return table, np.asarray(ids, dtype=object), self.frame.index.get_indexer(ids)

        table, ids, positions = self._once.get("feed", whole)
        picked = np.flatnonzero(np.asarray(shown, dtype=bool)[positions])[:limit]
        return table.iloc[picked].reset_index(drop=True), list(ids[picked])

    def details(self, event_id: str, trade: pd.DataFrame | None) -> str:
        """The details panel of one event (geo.report.details.details_html, with the month's trade from `trade`),
        made once per event and trade series and kept (the last DETAILS_KEPT): a rerun that shows the same
        event copies nothing out of the frame."""
        # Each entry keeps its series alive, so no later series can reuse its id while the entry is kept.
        return self._details.get((event_id, id(trade)), lambda: (
            trade, details_html(records(self.frame.loc[[event_id]])[0], trade=trade)))[1]

    def event_list(self, rows: np.ndarray) -> str:
        """The HTML list of the events at these positions (geo.report.details.event_list_html), made once per set
        of rows and kept (the last TIMELINES_KEPT)."""
        return self._event_lists.get(np.asarray(rows, dtype=np.int64).tobytes(),
                                     lambda: event_list_html(records(self.frame.iloc[rows])))

    def points_pack(self, key: str) -> tuple[str, list[str], PackRows]:
        """The located events as one binary file served by Streamlit, which the browser loads once
        (geo.map.pack): (its URL, the id of each pack row, where each pack row comes from in the dataset).
        `key`: geo.map.pack.pack_key of this dataset. Written again when its file has gone (removed by hand,
        a full disk)."""
        def compute() -> tuple[str, list[str], PackRows]:
            with st.spinner("Preparing the map's points…"):
                everything = pack_frame(self.frame)  # the located rows, only the columns the pack reads
                return write_pack(everything, key=key), row_ids(everything), pack_rows(self.frame)

        pack = self._once.get(("points_pack", key), compute)
        if not in_use(pack[0]):
            self._once.drop(("points_pack", key))
            pack = self._once.get(("points_pack", key), compute)
        return pack

    def archived_texts(self) -> int:
        """Serve this version's stored source texts as "archived text" (geo.report.details.publish_archive: copied
        under ./static, which Streamlit serves), once per version so newly kept articles are served too; returns
        how many are served."""
        return self._once.get("archived_texts", publish_archive)

    def changes(self, history_stamp: str) -> tuple[list[changelog.Change], str | None]:
        """The dataset's change log and any problem reading it, read again only when `history_stamp` (the
        store's history_stamp) changes. Raises geo.store.StoreError when the store cannot be read now."""
        def compute() -> tuple[list[changelog.Change], str | None]:
            try:
                return open_store(data_spec(self.spec)).history(), None
            except changelog.ChangeLogError as error:
                return [], str(error)

        return self._change_logs.get(history_stamp, compute)


class EventScripts(dict):
    """Each event's map script by (content digest, status, pin or line), filled by
    geo.map.layerscript.scripted_layers and shared by every dataset version: a filter change joins ready-made
    scripts, and a new version (an append) renders only the events it changed. Emptied when it reaches
    SCRIPTS_KEPT entries (a few KB each), so it stays bounded."""

    def __setitem__(self, key: tuple, script: str) -> None:
        if len(self) >= SCRIPTS_KEPT:
            self.clear()
        super().__setitem__(key, script)


event_scripts = EventScripts()


@st.cache_resource(max_entries=VERSIONS_KEPT, show_spinner=False)
def loaded_dataset(spec: str, stamp: str) -> LoadedDataset:
    """The one LoadedDataset of this store (`spec`) at this stamp (its `stamp()`), shared by every session and
    page. Nothing is read here: each part is read or computed when first asked for."""
    return LoadedDataset(spec)


_reference = Kept(2)


def places() -> gpd.GeoDataFrame:
    """The reference towns (geo.reference.places), read once per server; never modified."""
    return _reference.get("places", load_places)


def crossings() -> gpd.GeoDataFrame:
    """The border crossings (geo.reference.crossings), read once per server; never modified."""
    return _reference.get("crossings", load_crossings)


_crossing_tables = Kept(MAP_DATES_KEPT)


def crossings_on(day: dt.date) -> pd.DataFrame:
    """The crossings' table on `day` (geo.report.crossings_table), made once per day asked for (the last
    MAP_DATES_KEPT are kept); never modified."""
    return _crossing_tables.get(day, lambda: crossings_table(crossings(), day))


_trade = Kept(2)


def trade_series(path: Path = TRADE_PATH) -> tuple[pd.DataFrame | None, list[str]]:
    """China's monthly trade with North Korea (geo.reference.trade), read again only when the file changes: (the
    series, []) or (None, the validator's one-line problems). Never modified."""
    try:
        status = path.stat()
    except OSError as error:
        return None, [f"{path}: file: cannot read: {error.strerror or error}"]

    def compute() -> tuple[pd.DataFrame | None, list[str]]:
        try:
            return load_trade(path), []
        except TradeError as error:
            return None, [str(problem) for problem in error.problems]

    return _trade.get((str(path), status.st_mtime_ns, status.st_size), compute)


_trade_charts = Kept(MAP_DATES_KEPT)


def trade_chart_on(day: dt.date, domain: list[str]) -> dict | None:
    """The trade chart (geo.report.charts.trade_chart) with its line at `day` on the time axis `domain`, made once
    per file version, day and axis (14 ms each: not at every rerun of the map's part); None when the file failed
    its checks. Never modified."""
    series, _ = trade_series()
    if series is None:
        return None
    # Each entry keeps its series alive, so no later series can reuse its id while the entry is kept.
    return _trade_charts.get((id(series), day, tuple(domain)),
                             lambda: (series, arrow_ready(trade_chart(series, day, domain))))[1]
