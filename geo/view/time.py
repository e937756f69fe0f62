"""The map's date: what is on the map on a day (events begun by then, routes in their status then), the
days the map steps through, and how playing the story steps through them.

A route's status on a day comes from its `status_history` (geo.events.schema.status_on); a route whose
history has not begun by the day is not on the map yet.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.events.schema import status_on


def status_at(row: dict[str, Any], day: dt.date) -> str | None:
    """A route's status on `day` from its status_history; None before its first entry."""
    return status_on(row.get("status_history"), day)


def begun_mask(frame: gpd.GeoDataFrame, day: dt.date) -> np.ndarray:
    """Which rows of `frame` are events known to have begun by `day` (bool per row): their earliest possible
    day, or their latest when only that is known, is on or before it, or they are undated. What a feed up to
    `day` lists; unlike as_of_mask, a route drawn from its first status is not counted before its own event."""
    first = frame["date_start"].fillna(frame["date_end"])
    return (first.isna() | (first.fillna("") <= day.isoformat())).to_numpy(dtype=bool, copy=True)


def as_of_mask(frame: gpd.GeoDataFrame, day: dt.date) -> tuple[np.ndarray, pd.Series]:
    """`as_of` as arrays over `frame`'s rows: which rows are on the map on `day` (bool), and every row's
    status then (routes: the status they had on `day`; other rows: their own)."""
    keep = begun_mask(frame, day)
    histories = frame.loc[frame["status_history"].map(bool), "status_history"]
    status = frame["status"].copy()
    if len(histories):  # a route is on the map once its history has begun, in its status then
        then = pd.Series([status_on(history, day) for history in histories], index=histories.index, dtype=object)
        begun = then[then.notna()]
        keep[frame.index.get_indexer(histories.index)] = histories.index.isin(begun.index)
        status[begun.index] = begun
    return keep, status


def as_of(frame: gpd.GeoDataFrame, day: dt.date) -> gpd.GeoDataFrame:
    """The map on `day`, cumulatively: events known to have begun by then pile up; route lines
    appear once their history starts and take the status they had on that day."""
    keep, status = as_of_mask(frame, day)
    return frame.assign(status=status)[keep]


def map_steps(first: dt.date, last: dt.date) -> list[dt.date]:
    """The map's time steps: the last day of each month from `first` to `last` (the final step is
    `last` itself), so stepping through shows everything known by the end of each month."""
    steps, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        steps.append(min(following - dt.timedelta(days=1), last))
        year, month = following.year, following.month
    return steps


def snap_to_step(day: dt.date | None, steps: list[dt.date]) -> dt.date:
    """The first step on or after `day` (the last step when `day` is None or later than all)."""
    if day is None:
        return steps[-1]
    return next((step for step in steps if step >= day), steps[-1])


PLAY_SECONDS = 30.0  # the whole story, played from its first month to its last


class PlayStep(NamedTuple):
    """One frame of playing the story: move the map on by `stride` steps, after a pause of `pause` seconds."""

    stride: int
    pause: float


def play_step(n_steps: int, frame_seconds: float, target_seconds: float = PLAY_SECONDS) -> PlayStep:
    """How to play `n_steps` map steps in about `target_seconds` when drawing a frame costs `frame_seconds`
    (measured by the page): one step a frame, with a pause filling each frame's share of the time, or several
    steps a frame (no pause) when a frame costs more than its share. A cost that is not a finite number counts
    as nothing; fewer than two steps play in one frame of one step."""
    if n_steps < 2 or not target_seconds > 0:
        return PlayStep(1, 0.0)
    cost = frame_seconds if math.isfinite(frame_seconds) and frame_seconds > 0 else 0.0
    moves = n_steps - 1  # from the first step to the last
    affordable = max(1, math.floor(target_seconds / cost)) if cost else moves  # frames the time allows
    stride = math.ceil(moves / min(affordable, moves))
    return PlayStep(stride, max(0.0, target_seconds / math.ceil(moves / stride) - cost))
