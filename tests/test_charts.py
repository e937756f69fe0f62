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
from geo.report.charts import (
    BARS_MAX,
    event_intervals,
    months_of,
    policy_periods,
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
    assert list(rail["status"]) == ["closed", "partially_resumed"]
    assert rail.iloc[0]["end"] == rail.iloc[1]["start"] == pd.Timestamp("2022-12-01")
    routes = {f["properties"]["id"]: f["properties"] for f in read_json(EVENTS_PATH)["features"]
              if f["properties"].get("status_history")}
    assert set(periods["id"]) == set(routes)  # every route with a history, and nothing else
    for route_id, route in routes.items():
        rows = periods[periods["id"] == route_id]
        assert list(rows["status"]) == [change["status"] for change in route["status_history"]]
        publishers = {source["publisher"] for source in route["sources"]}
        assert set(rows.iloc[0]["sources"].split("; ")) == publishers and rows["sources"].nunique() == 1
    assert "The Asia Business Daily (Asia Economy)" in rail.iloc[0]["sources"].split("; ")  # the founding article


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
    assert periods_chart["height"] == {"step": 26} and periods_chart["mark"] == {"type": "bar", "height": 12}
    assert periods_chart["encoding"]["color"]["legend"] == {"orient": "bottom"}
    rail = [row for row in layers(periods_chart)[0]["rows"]
            if row["id"] == "rail-freight-dandong-sinuiju-partial-resumption"]
    assert [(row["status"], row["start"], row["end"]) for row in rail] == [
        ("closed", "2020-01-01T00:00:00", "2022-12-01T00:00:00"),
        ("partially_resumed", "2022-12-01T00:00:00", "2023-04-01T00:00:00")]
    shading, spans, by_marks = layers(events_chart)
    assert events_chart["height"] == {"step": 24}
    marks = shading["mark"]["type"], spans["mark"]["type"], by_marks["mark"]["shape"]
    assert marks == ("rect", "bar", "triangle-left")
    assert spans["encoding"]["y"]["sort"] == by_marks["encoding"]["y"]["sort"] == {"field": "start"}
    assert spans["encoding"]["color"]["legend"] == {"orient": "bottom", "columns": 3}
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
