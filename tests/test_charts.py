"""The timeline charts: date-precision intervals, policy periods, the charts' Vega-Lite specs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
from jsonschema import Draft7Validator

from geo.events.dataset import read_json
from geo.events.schema import EVENT_TYPES
from geo.map.style import STATUS_STYLE
from geo.report.charts import (
    BARS_MAX,
    event_intervals,
    months_of,
    policy_periods,
    sealed_spans,
    timeline_charts,
)
from geo.view.filters import by_event_types
from tests.conftest import EVENTS_PATH

HORIZON = dt.date(2023, 3, 31)
VEGA_LITE_SCHEMA = Path(alt.__file__).parent / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"


def interval(events, event_id):
    frame = event_intervals(events, HORIZON).set_index("id")
    return frame.loc[event_id]


def test_a_month_precise_event_spans_its_whole_month(events):
    row = interval(events, "disappearance-shanghai-garment-workers-2022-02")
    assert (row["start"], row["end"], row["kind"]) == (pd.Timestamp("2022-02-01"), pd.Timestamp("2022-03-01"), "span")


def test_a_season_precise_event_spans_the_season(events):
    row = interval(events, "rail-freight-dandong-sinuiju-partial-resumption")
    assert row["start"] == pd.Timestamp("2022-12-01") and row["end"] == pd.Timestamp("2023-02-24")
    assert row["precision"] == "season" and row["inferred"]


def test_an_event_known_only_by_its_latest_day_is_a_mark_at_that_day(events):
    row = interval(events, "escapes-small-scale")
    assert row["kind"] == "by" and row["start"] == pd.Timestamp("2023-02-23")


def test_undated_events_have_no_interval(events, collection, write_json):
    from geo.io.events_file import load_events

    # A founding-article event known only by its latest day (precision 'unknown'), made undated.
    [props] = [f["properties"] for f in collection["features"]
               if f["properties"]["id"] == "detention-escapees-to-be-repatriated"]
    assert props["date_precision"] == "unknown" and "date_start" not in props
    props.pop("date_end")
    frame = load_events(write_json(collection))
    assert props["id"] in frame.index
    intervals = set(event_intervals(frame, HORIZON)["id"])
    assert props["id"] not in intervals and "escapes-small-scale" in intervals  # its dated neighbour still has one


def test_policy_periods_come_from_the_routes_histories_with_their_sources(events):
    periods = policy_periods(events, HORIZON)
    rail = periods[periods["id"] == "rail-freight-dandong-sinuiju-partial-resumption"]
    assert list(rail["status"]) == ["closed", "partially_resumed"] * 4  # the trains ran and stopped four times
    assert rail.iloc[0]["end"] == rail.iloc[1]["start"] == pd.Timestamp("2021-04-17")
    assert rail.iloc[-1]["start"] == pd.Timestamp("2022-09-26") and "Yonhap" in rail.iloc[-1]["note"]
    routes = {f["properties"]["id"]: f["properties"] for f in read_json(EVENTS_PATH)["features"]
              if f["properties"].get("status_history")}
    assert set(periods["id"]) == set(routes)  # every route with a history, and nothing else
    for route_id, route in routes.items():
        rows = periods[periods["id"] == route_id]
        assert list(rows["status"]) == [change["status"] for change in route["status_history"]]
        publishers = {source["publisher"] for source in route["sources"]}
        assert set(rows.iloc[0]["sources"].split("; ")) == publishers and rows["sources"].nunique() == 1
    assert "The Asia Business Daily (Asia Economy)" in rail.iloc[0]["sources"].split("; ")  # the founding article


def test_the_border_closure_is_no_row_of_its_own_but_the_first_status_of_every_route(events):
    periods = policy_periods(events, dt.date(2026, 3, 31))
    assert "border-closure-2020-01" not in set(periods["id"])
    firsts = periods.groupby("id").first()
    assert set(firsts["status"]) == {"closed"} and set(firsts["start"]) == {pd.Timestamp("2020-01-01")}
    assert not periods[periods["end"] > pd.Timestamp("2026-03-31")]["status"].eq("closed").any()  # none for ever


def test_the_shading_is_where_every_route_was_closed_not_the_span_of_any_one_closure(events):
    periods = policy_periods(events, dt.date(2026, 3, 31))
    spans = [(row["start"][:10], row["end"][:10]) for row in sealed_spans(periods)]
    assert spans[0] == ("2020-01-01", "2020-03-23")  # until trucks crossed the Friendship Bridge again
    assert ("2022-04-29", "2022-09-26") in spans  # the trains' five-month halt, the trucks not yet back
    assert spans[-1][1] <= "2022-09-26"  # nothing shaded once the trains ran again, though passengers waited
    _, events_chart = timeline_charts(events, events, dt.date(2026, 3, 31))
    shading = layers(events_chart)[0]
    assert shading["rows"] == sealed_spans(periods) and "every trade route closed" in events_chart["title"]
    reopened = periods.assign(status="resumed")
    assert sealed_spans(reopened) == [] and sealed_spans(periods.iloc[:0]) == []


def test_the_chart_follows_the_filters_and_keeps_the_policy_context(events):
    only = by_event_types(events, ["disappearance"])
    periods_chart, events_chart = timeline_charts(only, events, HORIZON)
    spec = json.dumps(events_chart)
    assert "Over 20 garment workers" in spec and "Construction workers defect" not in spec
    assert "partially_resumed" in json.dumps(periods_chart)


def layers(spec: dict) -> list[dict]:
    """Each layer of a spec (the spec itself when it has none) with its rows from the named datasets."""
    return [layer | {"rows": spec["datasets"][layer["data"]["name"]]} for layer in spec.get("layer", [spec])]


def many_events(events, copies: int = 7):
    """The curated events repeated `copies` times: more than BARS_MAX, so the chart counts them."""
    frame = pd.concat([events] * copies)
    assert len(frame) > BARS_MAX
    return frame


def test_both_timeline_specs_are_valid_vega_lite_and_plain_json_even_with_missing_values(events):
    validator = Draft7Validator(json.loads(VEGA_LITE_SCHEMA.read_text(encoding="utf-8")))
    gaps = events.copy()
    gaps.loc[gaps.index[::5], "date_precision"] = float("nan")  # missing values must become null, not NaN
    gaps.loc[gaps.index[::3], "date_inferred"] = None
    for frame in (events, gaps, by_event_types(events, []), many_events(events)):
        for spec in timeline_charts(frame, events, HORIZON):
            assert spec["$schema"] == alt.SCHEMA_URL
            assert not [error.message for error in validator.iter_errors(spec)]
            assert json.loads(json.dumps(spec, allow_nan=False)) == spec  # only JSON types: no Timestamp, NaN, numpy
    _, bars = timeline_charts(gaps, events, HORIZON)
    [spans] = [layer for layer in layers(bars) if layer["mark"]["type"] == "bar"]
    assert None in {row["precision"] for row in spans["rows"]}
    assert "2022-02-01T00:00:00" in {row["start"] for row in spans["rows"]}  # dates as ISO text


def test_the_specs_draw_lanes_then_shading_bars_and_marks_sorted_by_start(events):
    periods_chart, events_chart = timeline_charts(events, events, HORIZON)
    assert periods_chart["height"] == {"step": 26} and periods_chart["mark"]["type"] == "rule"
    assert periods_chart["encoding"]["color"]["legend"]["orient"] == "bottom"
    rail = [row for row in layers(periods_chart)[0]["rows"]
            if row["id"] == "rail-freight-dandong-sinuiju-partial-resumption"]
    assert [(row["status"], row["start"], row["end"]) for row in rail[-3:]] == [
        ("partially_resumed", "2022-01-16T00:00:00", "2022-04-29T00:00:00"),
        ("closed", "2022-04-29T00:00:00", "2022-09-26T00:00:00"),
        ("partially_resumed", "2022-09-26T00:00:00", "2023-04-01T00:00:00")]
    shading, spans, by_marks = layers(events_chart)
    assert events_chart["height"] == {"step": 24}
    marks = shading["mark"]["type"], spans["mark"]["type"], by_marks["mark"]["shape"]
    assert marks == ("rect", "bar", "triangle-left")
    assert spans["encoding"]["y"]["sort"] == by_marks["encoding"]["y"]["sort"] == {"field": "start"}
    legend = spans["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["columns"] == 3
    assert {row["kind"] for row in spans["rows"]} <= {"span", "from"}
    assert {row["kind"] for row in by_marks["rows"]} == {"by"}
    assert len(spans["rows"]) + len(by_marks["rows"]) == len(event_intervals(events, HORIZON))


def test_above_bars_max_the_events_chart_counts_events_per_month(events):
    frame = many_events(events)
    _, events_chart = timeline_charts(frame, events, HORIZON)
    shading, counts = layers(events_chart)
    assert shading["mark"]["type"] == "rect" and counts["mark"] == {"type": "bar"}
    assert events_chart["height"] == 260 and f"{len(frame):,} events" in events_chart["title"]
    assert counts["encoding"]["x"]["field"] == "month" and counts["encoding"]["y"]["field"] == "size"
    assert sum(row["size"] for row in counts["rows"]) == len(event_intervals(frame, HORIZON))
    assert {row["month"][8:] for row in counts["rows"]} == {"01T00:00:00"}  # the first day of each month
    february_2022 = event_intervals(frame, HORIZON)["start"].dt.strftime("%Y-%m").eq("2022-02").sum()
    assert sum(row["size"] for row in counts["rows"] if row["month"].startswith("2022-02")) == february_2022 > 0
    assert "Over 20 garment workers" not in json.dumps(events_chart)  # counts, not one bar per event


def test_monthly_counts_from_the_iso_text_match_counting_parsed_dates():
    frame = pd.DataFrame({"date_start": ["2022-02-28", "2022-02-01", None, "2022-02-14", "2021-12-01", None],
                          "date_end": [None, None, "2021-12-31", None, None, None],
                          "event_type": ["defection", "escape", "defection", "defection", "defection", "escape"]})
    counts, dated, earliest, present = months_of(frame).count(np.ones(len(frame), dtype=bool))
    assert [(m.strftime("%Y-%m-%d"), label, n) for m, label, n in counts.itertuples(index=False)] == [
        ("2021-12-01", EVENT_TYPES["defection"], 2), ("2022-02-01", EVENT_TYPES["defection"], 2),
        ("2022-02-01", EVENT_TYPES["escape"], 1)]
    assert dated == 5 and earliest == pd.Timestamp("2021-12-01") and present == {"defection", "escape"}


def test_the_chart_from_codes_and_a_mask_is_the_chart_of_the_filtered_frame(events):
    # The dashboard keeps the dataset's months as codes (one Months per version) and hands the timeline a
    # mask instead of a filtered copy of every column.
    frame = many_events(events)
    months = months_of(frame)
    for keep in (frame["layer"].ne("incidents").to_numpy(), frame["event_type"].eq("disappearance").to_numpy()):
        assert timeline_charts(None, frame, HORIZON, months, keep) == timeline_charts(frame[keep], frame, HORIZON)


def test_route_status_reads_by_line_pattern_as_well_as_colour_as_on_the_map(events):
    periods_chart, _ = timeline_charts(events, events, HORIZON)
    colour, pattern = periods_chart["encoding"]["color"], periods_chart["encoding"]["strokeDash"]
    assert colour["field"] == pattern["field"] and colour["title"] == pattern["title"]  # one legend for both
    assert colour["scale"]["domain"] == pattern["scale"]["domain"] == ["Closed", "Partially resumed", "Resumed",
                                                                        "Unknown"]
    assert colour["scale"]["range"] == [style["color"] for style in STATUS_STYLE.values()]
    closed, partial, resumed, _ = pattern["scale"]["range"]
    assert closed == [10, 8] and partial == [2, 8] and resumed == [1, 0]  # dashed, dotted, solid as on the map
    assert len({tuple(d) for d in pattern["scale"]["range"]}) == 4  # each status its own pattern


def tooltips(spec: dict) -> list[dict]:
    return [entry for layer in spec.get("layer", [spec]) for entry in layer["encoding"].get("tooltip", [])]


def test_tooltips_and_titles_are_in_plain_words(events):
    for frame in (events, many_events(events)):
        for spec in timeline_charts(frame, events, HORIZON):
            for entry in tooltips(spec):
                assert entry.get("title") and "_" not in entry["title"] and entry["field"] != "id"
            text = json.dumps([spec.get("title"), [e["title"] for e in tooltips(spec)]])
            assert "status_label" not in text and "inferred false" not in text.lower()
    periods_chart, events_chart = timeline_charts(events, events, HORIZON)
    assert {e["title"] for e in tooltips(periods_chart)} == {"Route", "Status", "Since", "Date inferred", "Report",
                                                             "Sources"}
    assert {e["title"] for e in tooltips(events_chart)} == {"Event", "Type", "Date", "Date known to", "Date inferred"}
    _, spans, _ = layers(events_chart)
    rail = [r for r in spans["rows"] if r["id"] == "rail-freight-dandong-sinuiju-partial-resumption"]
    assert [(r["known_to"], r["inferred_words"]) for r in rail] == [("season", "yes")]


# --- China's monthly trade under the timeline (trade_chart), from the real data/trade_monthly.csv ---------------
def trade_layers(spec: dict) -> dict[str, list[dict]]:
    """The trade chart's rows by mark: 'rect' (months with no figure), 'bar' (figures), 'rule' (the map date)."""
    return {layer["mark"]["type"]: spec["datasets"][layer["data"]["name"]] if "name" in layer["data"]
            else layer["data"]["values"] for layer in spec["layer"]}


def test_the_trade_bars_are_the_files_figures_and_months_without_one_stay_gaps():
    import csv

    from geo.paths import TRADE_PATH
    from geo.reference.trade import load_trade
    from geo.report.charts import TRADE_FLOWS, trade_chart

    with TRADE_PATH.open(encoding="utf-8-sig", newline="") as file:
        raw = {row["month"]: row for row in csv.DictReader(file)}  # the file's own text, not the loader's frame
    spec = trade_chart(load_trade(TRADE_PATH), dt.date(2022, 4, 15), ["2019-01-01T00:00:00", "2026-04-01T00:00:00"])
    rows = trade_layers(spec)
    drawn: dict[str, dict[str, float]] = {}
    for bar in rows["bar"]:
        drawn.setdefault(bar["start"][:7], {})[bar["flow"]] = bar["high"] - bar["low"]
    gaps = {gap["start"][:7] for gap in rows["rect"]}
    names = {label: name for name, (label, _) in TRADE_FLOWS.items()}
    for month, row in raw.items():
        given = {name: int(row[name]) for name in TRADE_FLOWS if row.get(name)}
        if not given:
            assert month in gaps and month not in drawn, month  # a gap, never a zero bar
            continue
        assert month not in gaps
        bars = {names[label]: height for label, height in drawn[month].items()}
        for name, height in bars.items():
            assert abs(height - given[name] / 1e6) < 1e-6, (month, name)
        if row["china_exports_usd"] and row["china_imports_usd"]:
            assert set(bars) == {"china_exports_usd", "china_imports_usd"}  # stacked, never summed by us
        elif row.get("total_usd"):
            assert set(bars) == {"total_usd"}
    assert gaps and drawn
    assert rows["rule"] == [{"day": "2022-04-15T00:00:00", "label": "Map date", "day_words": "2022-04-15"}]


def test_the_trade_chart_is_valid_vega_lite_on_the_timelines_time_axis(events):
    from geo.reference.trade import load_trade
    from geo.report.charts import time_domain, trade_chart

    periods, _ = timeline_charts(events, events, HORIZON)
    spec = trade_chart(load_trade(), HORIZON, time_domain(periods))
    validator = Draft7Validator(json.loads(VEGA_LITE_SCHEMA.read_text(encoding="utf-8")))
    assert not [error.message for error in validator.iter_errors(spec)]
    assert json.loads(json.dumps(spec, allow_nan=False)) == spec
    assert {tuple(layer["encoding"]["x"]["scale"]["domain"]) for layer in spec["layer"]} == {
        tuple(periods["encoding"]["x"]["scale"]["domain"])}
    assert "map date" not in json.dumps(trade_chart(load_trade(), None, time_domain(periods))["layer"])
    # Streamlit sizes a chart to "fit" by default, which squeezed the plot under its two-row legend to 0 px
    # (seen in Chromium): the bars keep their height and only the width is fitted.
    assert spec["height"] == 160 and spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_the_trade_tooltips_say_month_figures_source_and_kind_in_plain_words():
    from geo.reference.trade import figure_kind, load_trade, millions
    from geo.report.charts import trade_chart

    series = load_trade()
    rows = trade_layers(trade_chart(series, None, ["2019-01-01T00:00:00", "2026-04-01T00:00:00"]))
    for layer in trade_chart(series, HORIZON, ["2019-01-01T00:00:00", "2026-04-01T00:00:00"])["layer"]:
        for entry in layer["encoding"].get("tooltip", []):
            assert entry["title"] and "_" not in entry["title"]
    first = series[series["china_exports_usd"].notna()].iloc[0]
    [bar, *_] = [bar for bar in rows["bar"] if bar["start"].startswith(f"{first['start']:%Y-%m}")]
    assert bar["month_label"] == f"{first['start']:%B %Y}"
    assert bar["china_exports_usd_words"] == millions(int(first["china_exports_usd"]))
    assert bar["source"] == f"{first['source_title']}, published {first['published']:%Y-%m-%d}"
    assert bar["kind"] == (figure_kind(first["note"]).capitalize() or "As reported")
    assert {gap["china_exports_usd_words"] for gap in rows["rect"]} == {"no cited figure"}


def test_the_route_history_kept_per_version_gives_the_same_timeline_as_one_worked_out_at_each_filter(events):
    from geo.report.charts import route_history

    last = dt.date(2026, 12, 31)
    keep = (events["layer"] != "trade_routes").to_numpy()
    kept = route_history(events, last)
    assert timeline_charts(events[keep], events, last, routes=kept) == timeline_charts(events[keep], events, last)
    assert kept.sealed == sealed_spans(kept.periods) and len(kept.rows) == len(kept.periods) > 0
