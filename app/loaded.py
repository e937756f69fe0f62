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
from typing import TypeVar

import geopandas as gpd
import numpy as np
import streamlit as st

from geo.events.dataset import DatasetError, located_mask
from geo.events.schema import LAYERS
from geo.io.prepared import Prepared, prepare
from geo.map.pack import PackRows, in_use, pack_rows, row_ids, write_pack
from geo.reference.crossings import load_crossings
from geo.reference.places import load_places
from geo.report.charts import Months, months_of, timeline_charts
from geo.store import changelog, data_spec, open_store
from geo.view import link
from geo.view.filters import located
from geo.view.time import as_of_mask

VERSIONS_KEPT = 2  # dataset versions kept in memory: the current one, and the one sessions may still be showing
MAP_DATES_KEPT = 8
TIMELINES_KEPT = 64
CHANGE_LOGS_KEPT = 4
PARTS = 8  # more than the parts a version keeps once each (prepared, placement, default view, months, points pack)

T = TypeVar("T")


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
        self._once, self._map_dates = Kept(PARTS), Kept(MAP_DATES_KEPT)
        self._timelines, self._change_logs = Kept(TIMELINES_KEPT), Kept(CHANGE_LOGS_KEPT)
        self.event_scripts: dict[tuple, str] = {}
        """Each event's map script, filled by geo.map.layerscript.scripted_layers: a filter change then joins
        ready-made scripts instead of rendering pins."""

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

    def timeline_specs(self, view_key: str, keep: np.ndarray, last: dt.date) -> tuple[dict, dict]:
        """The timeline's two Vega-Lite specs for one set of filters (`view_key`, geo.view.link.cache_key: the
        events where `keep` is true) up to `last` (geo.report.charts.timeline_charts)."""
        return self._timelines.get((view_key, last),
                                   lambda: timeline_charts(None, self.frame, last, self.months(), keep))

    def points_pack(self, key: str) -> tuple[str, list[str], PackRows]:
        """The located events as one binary file served by Streamlit, which the browser loads once
        (geo.map.pack): (its URL, the id of each pack row, where each pack row comes from in the dataset).
        `key`: geo.map.pack.pack_key of this dataset. Written again when its file has gone (removed by hand,
        a full disk)."""
        def compute() -> tuple[str, list[str], PackRows]:
            with st.spinner("Preparing the map's points…"):
                everything = located(self.frame)
                return write_pack(everything, key=key), row_ids(everything), pack_rows(self.frame)

        pack = self._once.get(("points_pack", key), compute)
        if not in_use(pack[0]):
            self._once.drop(("points_pack", key))
            pack = self._once.get(("points_pack", key), compute)
        return pack

    def changes(self, history_stamp: str) -> tuple[list[changelog.Change], str | None]:
        """The dataset's change log and any problem reading it, read again only when `history_stamp` (the
        store's history_stamp) changes. Raises geo.store.StoreError when the store cannot be read now."""
        def compute() -> tuple[list[changelog.Change], str | None]:
            try:
                return open_store(data_spec(self.spec)).history(), None
            except changelog.ChangeLogError as error:
                return [], str(error)

        return self._change_logs.get(history_stamp, compute)


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

