"""The timeline charts: each event's span of possible dates and the routes' policy periods, as Vega-Lite.

An event's dates are an interval from its earliest to its latest possible day, so a month-precise
event is a bar across that month and a season-precise one a bar across the season. Policy periods
are the spans of the trade routes' `status_history` (closed, partially resumed, resumed), defined
and sourced by the dataset itself.
"""


from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.events.vocabulary import EVENT_TYPES, ROUTE_STATUSES
from geo.map.style import EVENT_STYLE, STATUS_STYLE
from geo.report.details import when_label

_DAY = "%Y-%m-%d"  # the dataset's dates are ISO days by contract (geo.events.schema)
_ISO = "%Y-%m-%dT%H:%M:%S"  # how dates are written into the charts' data (as Altair wrote them)
_INTERVAL_COLUMNS = ("id", "title", "event_type", "date_start", "date_end", "date_precision", "date_inferred")


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _values(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: datetimes as ISO text, missing values (NaN, NaT) as None."""
    if column.dtype.kind == "M":  # naive datetimes: numpy writes them as ISO text far faster than strftime
        text = np.datetime_as_string(column.to_numpy().astype("datetime64[s]"))
        return pd.Series(text, index=column.index, dtype=object).where(column.notna(), None).tolist()
    if pd.api.types.is_datetime64_any_dtype(column):
        column = column.dt.strftime(_ISO)
    if column.hasnans:
        column = column.astype(object).where(column.notna(), None)
    return column.tolist()


def _records(columns: dict[str, pd.Series]) -> list[dict[str, Any]]:
    """Rows of equally long columns as JSON-ready dicts (what DataFrame.to_dict("records") gives with
    missing values as None, several times faster)."""
    names = list(columns)
    return [dict(zip(names, values, strict=True))
            for values in zip(*(_values(columns[name]) for name in names), strict=True)]


def event_intervals(frame: gpd.GeoDataFrame, horizon: dt.date) -> pd.DataFrame:
    """One row per dated event: `start`/`end` (inclusive days) and `kind`.

    kind is 'span' (both dates known), 'by' (only the latest possible day is known: drawn as a
    mark at that day) or 'from' (only the start is known: drawn up to `horizon`). Undated events
    have no row. Vectorised: 100,000 events take well under a second.
    """
    has_date = frame["date_start"].notna() | frame["date_end"].notna()
    dated = {name: frame[name] if has_date.all() else frame[name][has_date]  # columns, not the whole frame
             for name in _INTERVAL_COLUMNS}
    start, end = dated["date_start"], dated["date_end"]
    kind = pd.Series(np.where(end.isna(), "from", np.where(start.isna(), "by", "span")), index=start.index)
    out = pd.DataFrame({
        "id": dated["id"], "title": dated["title"], "event_type": dated["event_type"],
        "type_label": dated["event_type"].map(EVENT_TYPES),
        "start": pd.to_datetime(start.fillna(end), format=_DAY),
        "end": pd.to_datetime(end.fillna(horizon.isoformat()), format=_DAY) + pd.Timedelta(days=1),
        "kind": kind, "precision": dated["date_precision"], "inferred": dated["date_inferred"].astype(bool),
    })
    out["when"] = _when_labels(dated) if len(start) <= BARS_MAX else ""
    return out.reset_index(drop=True)


def _when_labels(columns: dict[str, pd.Series]) -> list[str]:
    """when_label of each row, given the date columns (missing values as None, as records() gives them)."""
    names = ("date_start", "date_end", "date_precision", "date_inferred")
    return [when_label(row) for row in _records({name: columns[name] for name in names})]


def policy_periods(frame: gpd.GeoDataFrame, horizon: dt.date) -> pd.DataFrame:
    """Each trade route's status spans: route, status, start, end (exclusive), sources."""
    rows = []
    for row in _records({name: frame[name] for name in ("id", "title", "status_history", "sources")}):
        history = row.get("status_history") or []
        for n, change in enumerate(history):
            start = _day(str(change["since"]))
            end = _day(str(history[n + 1]["since"])) if n + 1 < len(history) else horizon + dt.timedelta(days=1)
            rows.append({
                "route": row["title"], "id": row["id"], "status": change["status"],
                "status_label": ROUTE_STATUSES[change["status"]],
                "start": pd.Timestamp(start), "end": pd.Timestamp(end),
                "inferred": bool(change.get("inferred")),
                "sources": "; ".join(sorted({s["publisher"] for s in row["sources"]})),
            })
    return pd.DataFrame(rows, columns=["route", "id", "status", "status_label", "start", "end", "inferred",
                                       "sources"])


BARS_MAX = 400  # above this many events the chart counts them per month instead of one bar each
PERIOD_ROUTES_MAX = 12  # routes whose status periods are drawn (the first in the dataset)

SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.4.1.json"  # what the installed Altair emits
Spec = dict[str, Any]


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return _records({name: frame[name] for name in frame.columns})


def _data(datasets: dict[str, list[dict[str, Any]]], rows: list[dict[str, Any]]) -> Spec:
    """Add `rows` to the spec's top-level `datasets` under a name derived from their content (as Altair
    names them, so new data is a new name) and return the layer's reference to it."""
    name = "data-" + hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:32]
    datasets[name] = rows
    return {"name": name}


def _time_x(field: str, domain: list[str]) -> Spec:
    return {"field": field, "type": "temporal", "title": None, "scale": {"domain": domain},
            "axis": {"format": "%Y-%m"}}


def _colour(field: str, domain: list[str], colours: list[str], title: str | None = None,
            columns: int | None = None) -> Spec:
    """A nominal colour channel; with a `title`, it also gets a legend at the bottom (in `columns`)."""
    channel: Spec = {"field": field, "type": "nominal", "scale": {"domain": domain, "range": colours}}
    if title is not None:
        channel["title"] = title
        channel["legend"] = {"orient": "bottom"} | ({"columns": columns} if columns else {})
    return channel


def _labels(field: str) -> Spec:
    """A y channel of text labels, unsorted and untitled, with room for long names."""
    return {"field": field, "type": "nominal", "title": None, "axis": {"labelLimit": 300, "minExtent": 300}}


def _nominal(*fields: str) -> list[Spec]:
    return [{"field": field, "type": "nominal"} for field in fields]


def _temporal(field: str, fmt: str) -> Spec:
    return {"field": field, "type": "temporal", "format": fmt}


def _spec(datasets: dict[str, list[dict[str, Any]]], **body: Any) -> Spec:
    """A top-level spec: Altair's default view size (as the charts had), `body` and the named datasets."""
    return {"$schema": SCHEMA_URL, "config": {"view": {"continuousWidth": 300, "continuousHeight": 300}},
            **body, "datasets": datasets}


@dataclass(frozen=True)
class Months:
    """Each event of a frame as codes, for counting any subset per month without touching the frame:
    `month` (position in `names`, "YYYY-MM" of its earliest possible day; -1 when undated), `kind`
    (position in `kinds`, its event type) and `day` (days since 1970-01-01 of that earliest day)."""

    month: np.ndarray
    names: np.ndarray
    kind: np.ndarray
    kinds: np.ndarray
    day: np.ndarray

    def count(self, keep: np.ndarray) -> tuple[pd.DataFrame, int, pd.Timestamp, set[str]]:
        """For the rows where `keep` is true: events per month and type (`month`: its first day,
        `type_label`, `size`; by month, then type), how many are dated, the earliest day (NaT if none) and
        the event types of the dated ones."""
        rows = keep & (self.month >= 0)
        n = len(self.kinds)
        sizes = np.bincount(self.month[rows] * n + self.kind[rows], minlength=len(self.names) * n)
        cells = np.flatnonzero(sizes)
        counts = pd.DataFrame({
            "month": pd.to_datetime([self.names[c // n] + "-01" for c in cells], format=_DAY),
            "type_label": [EVENT_TYPES[self.kinds[c % n]] for c in cells], "size": sizes[cells]})
        earliest = pd.Timestamp(int(self.day[rows].min()), unit="D") if rows.any() else pd.NaT
        return counts, int(rows.sum()), earliest, {str(self.kinds[c % n]) for c in cells}


def months_of(frame: gpd.GeoDataFrame) -> Months:
    """The Months of `frame` (about 0.5 s at 1,000,000 events; build it once per dataset version). From
    the ISO text of the days (YYYY-MM-DD), without parsing a date per event."""
    first_days = frame["date_start"].fillna(frame["date_end"]).to_numpy(dtype=object)
    dated = ~pd.isna(first_days)
    text = np.where(dated, first_days, "").astype("U10")
    month, names = pd.factorize(text.astype("U7"), sort=True)
    kind, kinds = pd.factorize(frame["event_type"].to_numpy(), sort=True)
    day = np.zeros(len(frame), dtype=np.int64)
    if dated.any():
        day[dated] = (text[dated].astype("datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    month = np.where(dated, month - (1 if (names == "").any() else 0), -1)
    return Months(month, names[names != ""], kind, kinds, day)


def timeline_charts(frame: gpd.GeoDataFrame | None, all_events: gpd.GeoDataFrame, horizon: dt.date,
                    months: Months | None = None, keep: np.ndarray | None = None) -> tuple[Spec, Spec]:
    """(periods_spec, events_spec): two complete Vega-Lite v6 specs on one time axis, plain JSON-ready
    dicts (dates as ISO text, missing values as null) carrying their rows in top-level `datasets`, for
    `st.vega_lite_chart`. First the policy periods (each route's status over time), then the events as
    bars over their possible dates, coloured by event type, over the shaded closures; above BARS_MAX
    events, their count per month instead.

    `frame` is what the filters show; `all_events` supplies the policy periods (routes' status
    histories), so the context stays visible whatever is filtered. With `months` (`months_of(all_events)`,
    kept per dataset version) and `keep` (which of all_events `frame` holds), the counts come from those
    codes: above BARS_MAX events `frame` is then not read at all, and it may be None (then taken from
    all_events where `keep` is true when needed).
    """
    if months is None:  # counted from `frame` itself
        months, keep = months_of(frame), np.ones(len(frame), dtype=bool)
    monthly, dated, earliest, present = months.count(keep)
    many = dated > BARS_MAX  # then only monthly counts: no per-event intervals are built
    events = None if many else event_intervals(all_events[keep] if frame is None else frame, horizon)
    routes = np.flatnonzero(all_events["status_history"].map(bool).to_numpy())[:PERIOD_ROUTES_MAX]
    periods = policy_periods(all_events.iloc[routes], horizon)  # the first routes, without copying the rest
    starts = [day for day in (earliest, pd.to_datetime(periods["start"]).min()) if pd.notna(day)]
    first = min(starts) if starts else pd.Timestamp(horizon)
    domain = [first.strftime(_ISO), pd.Timestamp(horizon + dt.timedelta(days=1)).strftime(_ISO)]
    shown_types = [t for t in EVENT_TYPES if t in present] or list(EVENT_TYPES)
    type_colours = [EVENT_TYPES[t] for t in shown_types], [EVENT_STYLE[t][0] for t in shown_types]
    status_colours = [ROUTE_STATUSES[s] for s in STATUS_STYLE], [STATUS_STYLE[s]["color"] for s in STATUS_STYLE]

    lane_data: dict[str, list[dict[str, Any]]] = {}
    lanes = _spec(lane_data, data=_data(lane_data, _rows(periods)), mark={"type": "bar", "height": 12}, encoding={
        "x": _time_x("start", domain), "x2": {"field": "end"},
        "y": _labels("route"),
        "color": _colour("status_label", *status_colours, title="Route status"),
        "tooltip": [*_nominal("route", "status_label"), _temporal("start", "%Y-%m-%d"),
                    *_nominal("inferred", "sources")],
    }, height={"step": 26}, title="Policy periods: each trade route's status")

    closed = periods["status"].eq("closed")  # one status, so one label: the span of all closures
    closures = [{"status_label": ROUTE_STATUSES["closed"], "start": periods["start"][closed].min().strftime(_ISO),
                 "end": periods["end"][closed].max().strftime(_ISO)}] if closed.any() else []
    event_data: dict[str, list[dict[str, Any]]] = {}
    shading = {"data": _data(event_data, closures),
               "mark": {"type": "rect", "color": STATUS_STYLE["closed"]["color"], "opacity": 0.07},
               "encoding": {"x": _time_x("start", domain), "x2": {"field": "end"}}}
    type_legend = _colour("type_label", *type_colours, title="Event type", columns=3)
    if many:  # one bar per event stops being readable (and sendable): count per month
        size = {"field": "size", "type": "quantitative"}
        counts = {"data": _data(event_data, _rows(monthly)), "mark": {"type": "bar"}, "encoding": {
            "x": _time_x("month", domain), "y": size | {"title": "events"}, "color": type_legend,
            "tooltip": [_temporal("month", "%Y-%m"), *_nominal("type_label"), size],
        }}
        # fit-x: fitted in height too, Streamlit's 260 px would hold only the 7-row legend and no bars
        return lanes, _spec(event_data, layer=[shading, counts], height=260,
                            autosize={"type": "fit-x", "contains": "padding"},
                            title=f"Events per month of their earliest possible day ({dated:,} events: "
                                  f"too many to draw one bar each); shaded = a trade route closed")
    rows = _rows(events)
    y = _labels("title") | {"sort": {"field": "start"}}
    spans = {"data": _data(event_data, [row for row in rows if row["kind"] != "by"]),
             "mark": {"type": "bar", "height": 10, "cornerRadius": 3}, "encoding": {
                 "x": _time_x("start", domain), "x2": {"field": "end"}, "y": y, "color": type_legend,
                 "tooltip": _nominal("title", "type_label", "when", "precision", "inferred", "id")}}
    by_marks = {"data": _data(event_data, [row for row in rows if row["kind"] == "by"]),
                "mark": {"type": "point", "shape": "triangle-left", "size": 90, "filled": True, "opacity": 1},
                "encoding": {"x": _time_x("start", domain), "y": y, "color": _colour("type_label", *type_colours),
                             "tooltip": _nominal("title", "type_label", "when", "id")}}
    return lanes, _spec(event_data, layer=[shading, spans, by_marks], height={"step": 24},
                        title="Events: bar = earliest to latest possible day; ◀ = known only to be on or before; "
                              "shaded = a trade route closed")
