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
from geo.reference.trade import EXPORTS, IMPORTS, TOTAL, figure_kind, millions
from geo.report.details import when_label
from geo.report.table import DATE_KNOWN_TO

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
    out["known_to"] = out["precision"].map(DATE_KNOWN_TO).fillna("not known")
    out["inferred_words"] = np.where(out["inferred"], "yes", "no")
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
                "inferred": bool(change.get("inferred")), "inferred_words": "yes" if change.get("inferred") else "no",
                "sources": "; ".join(sorted({s["publisher"] for s in row["sources"]})),
                "note": change.get("note") or "",
            })
    return pd.DataFrame(rows, columns=["route", "id", "status", "status_label", "start", "end", "inferred",
                                       "inferred_words", "sources", "note"])


def sealed_spans(periods: pd.DataFrame) -> list[dict[str, str]]:
    """The spans (`start`, `end` exclusive, ISO text) in which every route whose history had begun was closed:
    the border shut to all the traffic the routes carry. Not the span of any one closure: a route that runs
    again ends the shading, though another stays closed."""
    bounds = np.array(sorted(set(periods["start"]) | set(periods["end"])), dtype="datetime64[ns]")
    if len(bounds) < 2:
        return []
    start, end = (periods[name].to_numpy(dtype="datetime64[ns]") for name in ("start", "end"))
    closed = periods["status"].to_numpy() == "closed"
    firsts = bounds[:-1, None]
    covering = (start[None, :] <= firsts) & (end[None, :] > firsts)  # each span between bounds × each period
    sealed = covering.any(axis=1) & ~(covering & ~closed[None, :]).any(axis=1)
    spans: list[dict[str, str]] = []
    for first, after in zip(bounds[:-1][sealed], bounds[1:][sealed], strict=True):
        first_text, after_text = (pd.Timestamp(day).strftime(_ISO) for day in (first, after))
        if spans and spans[-1]["end"] == first_text:
            spans[-1]["end"] = after_text
        else:
            spans.append({"status_label": ROUTE_STATUSES["closed"], "start": first_text, "end": after_text})
    return spans


@dataclass(frozen=True)
class RouteHistory:
    """What the timeline draws of the routes, whatever the filters: each route's status periods (`policy_periods`
    of the first PERIOD_ROUTES_MAX routes), as chart rows, and the spans when every route was closed."""

    periods: pd.DataFrame
    rows: list[dict[str, Any]]
    sealed: list[dict[str, str]]


def route_history(all_events: gpd.GeoDataFrame, horizon: dt.date) -> RouteHistory:
    """The RouteHistory of `all_events` up to `horizon`: one per dataset version and horizon is enough."""
    routes = np.flatnonzero(all_events["status_history"].map(bool).to_numpy())[:PERIOD_ROUTES_MAX]
    periods = policy_periods(all_events.iloc[routes], horizon)  # the first routes, without copying the rest
    return RouteHistory(periods, _rows(periods), sealed_spans(periods))


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
        channel["legend"] = {"orient": "bottom", "labelLimit": 320, "titleLimit": 640} | (
            {"columns": columns} if columns else {})
    return channel


def _labels(field: str) -> Spec:
    """A y channel of text labels, unsorted and untitled, with room for long names."""
    return {"field": field, "type": "nominal", "title": None, "axis": {"labelLimit": 300, "minExtent": 300}}


def _nominal(**fields: str) -> list[Spec]:
    """Tooltip entries: each field (keyword) under the title a reader reads (value)."""
    return [{"field": field, "type": "nominal", "title": title} for field, title in fields.items()]


def _temporal(field: str, fmt: str, title: str) -> Spec:
    return {"field": field, "type": "temporal", "format": fmt, "title": title}


def dash(status: str) -> list[int]:
    """The status's line pattern on the map (geo.map.style.STATUS_STYLE's dash_array) as a Vega-Lite strokeDash:
    closed dashed, partially resumed dotted, resumed solid."""
    pattern = STATUS_STYLE[status]["dash_array"]
    return [int(n) for n in pattern.split()] if pattern else [1, 0]


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
                    months: Months | None = None, keep: np.ndarray | None = None,
                    routes: RouteHistory | None = None) -> tuple[Spec, Spec]:
    """(periods_spec, events_spec): two complete Vega-Lite v6 specs on one time axis, plain JSON-ready
    dicts (dates as ISO text, missing values as null) carrying their rows in top-level `datasets`, for
    `st.vega_lite_chart`. First the policy periods (each route's status over time), then the events as
    bars over their possible dates, coloured by event type, over the spans when every route was closed
    (shaded); above BARS_MAX events, their count per month instead.

    `frame` is what the filters show; `all_events` supplies the policy periods (routes' status
    histories), so the context stays visible whatever is filtered. With `months` (`months_of(all_events)`,
    kept per dataset version) and `keep` (which of all_events `frame` holds), the counts come from those
    codes: above BARS_MAX events `frame` is then not read at all, and it may be None (then taken from
    all_events where `keep` is true when needed). `routes`: `route_history(all_events, horizon)`, when kept.
    """
    if months is None:  # counted from `frame` itself
        months, keep = months_of(frame), np.ones(len(frame), dtype=bool)
    monthly, dated, earliest, present = months.count(keep)
    many = dated > BARS_MAX  # then only monthly counts: no per-event intervals are built
    events = None if many else event_intervals(all_events[keep] if frame is None else frame, horizon)
    routes = route_history(all_events, horizon) if routes is None else routes
    periods = routes.periods
    starts = [day for day in (earliest, pd.to_datetime(periods["start"]).min()) if pd.notna(day)]
    first = min(starts) if starts else pd.Timestamp(horizon)
    domain = [first.strftime(_ISO), pd.Timestamp(horizon + dt.timedelta(days=1)).strftime(_ISO)]
    shown_types = [t for t in EVENT_TYPES if t in present] or list(EVENT_TYPES)
    type_colours = [EVENT_TYPES[t] for t in shown_types], [EVENT_STYLE[t][0] for t in shown_types]
    status_colours = [ROUTE_STATUSES[s] for s in STATUS_STYLE], [STATUS_STYLE[s]["color"] for s in STATUS_STYLE]

    lane_data: dict[str, list[dict[str, Any]]] = {}
    # Status by line pattern as well as colour (as the map draws routes), in one legend: colour and pattern share
    # the field and the title.
    pattern = {"field": "status_label", "type": "nominal", "title": "Route status", "legend": {"orient": "bottom"},
               "scale": {"domain": status_colours[0], "range": [dash(s) for s in STATUS_STYLE]}}
    lanes = _spec(lane_data, data=_data(lane_data, routes.rows),
                  mark={"type": "rule", "strokeWidth": 9, "strokeCap": "butt"}, encoding={
        "x": _time_x("start", domain), "x2": {"field": "end"},
        "y": _labels("route"),
        "color": _colour("status_label", *status_colours, title="Route status"),
        "strokeDash": pattern,
        "tooltip": [*_nominal(route="Route", status_label="Status"), _temporal("start", "%Y-%m-%d", "Since"),
                    *_nominal(inferred_words="Date inferred", note="Report", sources="Sources")],
    }, height={"step": 26}, title="Policy periods: each trade route's status (dashed = closed, dotted = partially "
                                  "resumed, solid = resumed)")

    event_data: dict[str, list[dict[str, Any]]] = {}
    shading = {"data": _data(event_data, routes.sealed),
               "mark": {"type": "rect", "color": STATUS_STYLE["closed"]["color"], "opacity": 0.07},
               "encoding": {"x": _time_x("start", domain), "x2": {"field": "end"}}}
    type_legend = _colour("type_label", *type_colours, title="Event type", columns=3)
    if many:  # one bar per event stops being readable (and sendable): count per month
        size = {"field": "size", "type": "quantitative"}
        counts = {"data": _data(event_data, _rows(monthly)), "mark": {"type": "bar"}, "encoding": {
            "x": _time_x("month", domain), "y": size | {"title": "Events"}, "color": type_legend,
            "tooltip": [_temporal("month", "%Y-%m", "Month"), *_nominal(type_label="Type"), size | {"title": "Events"}],
        }}
        # fit-x: fitted in height too, Streamlit's 260 px would hold only the 7-row legend and no bars
        return lanes, _spec(event_data, layer=[shading, counts], height=260,
                            autosize={"type": "fit-x", "contains": "padding"},
                            title=f"Events per month of their earliest possible day ({dated:,} events: "
                                  f"too many to draw one bar each); shaded = every trade route closed")
    rows = _rows(events)
    y = _labels("title") | {"sort": {"field": "start"}}
    spans = {"data": _data(event_data, [row for row in rows if row["kind"] != "by"]),
             "mark": {"type": "bar", "height": 10, "cornerRadius": 3}, "encoding": {
                 "x": _time_x("start", domain), "x2": {"field": "end"}, "y": y, "color": type_legend,
                 "tooltip": _nominal(title="Event", type_label="Type", when="Date", known_to="Date known to",
                                     inferred_words="Date inferred")}}
    by_marks = {"data": _data(event_data, [row for row in rows if row["kind"] == "by"]),
                "mark": {"type": "point", "shape": "triangle-left", "size": 90, "filled": True, "opacity": 1},
                "encoding": {"x": _time_x("start", domain), "y": y, "color": _colour("type_label", *type_colours),
                             "tooltip": _nominal(title="Event", type_label="Type", when="Date",
                                                 inferred_words="Date inferred")}}
    return lanes, _spec(event_data, layer=[shading, spans, by_marks], height={"step": 24},
                        title="Events: bar = earliest to latest possible day; ◀ = known only to be on or before; "
                              "shaded = every trade route closed")


# --- China's monthly trade with North Korea, under the timeline (geo.reference.trade) ----------------------------
TRADE_FLOWS: dict[str, tuple[str, str]] = {
    EXPORTS: ("China's exports to North Korea", "#0072B2"),
    IMPORTS: ("China's imports from North Korea", "#E69F00"),
    TOTAL: ("Total trade (the page gives no split)", "#8C8C8C"),
}
"""Each dollar column the bars draw: its name for readers and its colour (colour-blind safe, as the map's)."""
NO_FIGURE = "no cited figure"
_GAP_LABEL, _GAP_COLOUR = "No cited figure", "#E6E6E6"
_MAP_DATE_COLOUR = "#333333"


def trade_bars(series: pd.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(bars, gaps) of the series: one bar row per figure drawn (`start`/`end` of its month, `flow` label, `low`/
    `high` in US$ million, stacked exports under imports; a month the page gives as a total only is one total bar),
    and one gap row per month with no figure at all. A missing figure is never drawn as zero. Each row carries its
    tooltip words: month, each figure (or 'no cited figure'), source, and whether the figures are preliminary or
    revised."""
    columns = [name for name in TRADE_FLOWS if name in series.columns]
    bars, gaps = [], []
    for row in _records({name: series[name] for name in series.columns}):
        figures = {name: row[name] for name in columns if row[name] is not None}
        words = {
            "month_label": f"{pd.Timestamp(row['start']):%B %Y}",
            "start": row["start"], "end": row["end"],
            **{f"{name}_words": millions(row[name]) or NO_FIGURE for name in columns},
            "source": (f"{row['source_title']}, published {pd.Timestamp(row['published']):%Y-%m-%d}"
                       if row.get("source_title") and row.get("published") else NO_FIGURE),
            "kind": figure_kind(row.get("note")).capitalize() or "As reported",
        }
        if not figures:
            gaps.append(words | {"flow": _GAP_LABEL, "kind": NO_FIGURE})
            continue
        drawn = [EXPORTS, IMPORTS] if EXPORTS in figures and IMPORTS in figures else \
            [TOTAL] if TOTAL in figures else list(figures)[:1]
        low = 0.0
        for name in drawn:
            high = low + figures[name] / 1e6
            bars.append(words | {"flow": TRADE_FLOWS[name][0], "low": low, "high": high})
            low = high
    return bars, gaps


def time_domain(spec: Spec) -> list[str]:
    """The time axis's [first, last) of a timeline spec (timeline_charts' periods or events spec), so a chart drawn
    beside it shares its axis."""
    for part in [spec, *spec.get("layer", [])]:
        domain = part.get("encoding", {}).get("x", {}).get("scale", {}).get("domain")
        if domain:
            return list(domain)
    raise ValueError("the spec has no time axis with a set domain")


def trade_chart(series: pd.DataFrame, map_day: dt.date | None, domain: list[str]) -> Spec:
    """China's monthly trade with North Korea (geo.reference.trade's frame) as bars in US$ million on the time axis
    `domain` (time_domain of the timeline beside it), with a rule at the map date. Months with no cited figure are
    pale grey bands, never zero bars. A complete Vega-Lite v6 spec for `st.vega_lite_chart`."""
    bars, gaps = trade_bars(series)
    columns = [name for name in TRADE_FLOWS if name in series.columns]
    flows = [TRADE_FLOWS[name] for name in columns] + [(_GAP_LABEL, _GAP_COLOUR)]
    colour = _colour("flow", [label for label, _ in flows], [c for _, c in flows], title="China's trade with "
                     "North Korea, as China's customs reported it", columns=2)
    tooltip = [*_nominal(month_label="Month"),
               *[{"field": f"{name}_words", "type": "nominal", "title": TRADE_FLOWS[name][0]} for name in columns],
               *_nominal(source="Source", kind="Figures")]
    x = _time_x("start", domain)
    data: dict[str, list[dict[str, Any]]] = {}
    layers: list[Spec] = [
        {"data": _data(data, _rows(pd.DataFrame(gaps))) if gaps else {"values": []},
         "mark": {"type": "rect", "opacity": 0.6, "clip": True},
         "encoding": {"x": x, "x2": {"field": "end"}, "color": colour, "tooltip": tooltip}},
        {"data": _data(data, _rows(pd.DataFrame(bars))) if bars else {"values": []},
         "mark": {"type": "bar", "clip": True},
         "encoding": {"x": x, "x2": {"field": "end"},
                      "y": {"field": "low", "type": "quantitative", "title": None,
                            "axis": {"minExtent": 300, "format": ",.0f"}},
                      "y2": {"field": "high"}, "color": colour, "tooltip": tooltip}},
    ]
    if map_day is not None:
        layers.append({"data": {"values": [{"day": pd.Timestamp(map_day).strftime(_ISO), "label": "Map date",
                                            "day_words": f"{map_day:%Y-%m-%d}"}]},
                       "mark": {"type": "rule", "color": _MAP_DATE_COLOUR, "strokeWidth": 2},
                       "encoding": {"x": _time_x("day", domain),
                                    "tooltip": _nominal(label="Line", day_words="Date")}})
    # fit-x: Streamlit's default "fit" squeezes the plot to nothing under a two-row legend
    return _spec(data, layer=layers, height=160, autosize={"type": "fit-x", "contains": "padding"},
                 title="China's trade with North Korea per month, US$ million (pale grey: no cited figure for that "
                       "month; dark line: the map date)")
