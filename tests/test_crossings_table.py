"""geo.report.crossings_table: the "Crossings on this date" table and the words for a crossing's status, on the
real registry (data/crossings.geojson)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest

from geo.reference.crossings import load_crossings
from geo.report.crossings_table import COLUMNS, NOT_ON_MAP, crossings_table, since_label, status_change_at


@pytest.fixture(scope="module")
def crossings() -> gpd.GeoDataFrame:
    return load_crossings()


def test_in_mid_2023_the_table_names_the_two_crossings_open_again_and_since_when(crossings):
    table = crossings_table(crossings, dt.date(2023, 6, 30))
    assert tuple(table.columns) == COLUMNS
    assert len(table) == len(crossings)
    open_again = table[table["Status"] != "Closed"].set_index("Crossing")
    assert open_again[["Status", "Since"]].to_dict("index") == {
        "Sino-Korean Friendship Bridge (Dandong–Sinuiju)": {"Status": "Partially resumed",
                                                            "Since": "26 September 2022"},
        "Tumen River Bridge (Quanhe–Wonjong)": {"Status": "Resumed", "Since": "by 16 February 2023 (inferred)"},
    }
    closed = table[table["Status"] == "Closed"]
    assert set(closed["Since"]) == {"January 2020"} and len(closed) == len(crossings) - 2
    assert set(closed["Sources"]) == {"The Asia Business Daily (Asia Economy)"}
    assert set(open_again["Sources"]) == {  # the reports of the restart in force, earliest first as cited
        "Yonhap News Agency; The Asia Business Daily (Asia Economy)",
        "Nikkei Asia; KBS World (German service); The Asia Business Daily (Asia Economy)"}


def test_a_crossing_reads_in_both_towns_names_in_korean_and_chinese_and_its_kind(crossings):
    table = crossings_table(crossings, dt.date(2023, 6, 30)).set_index("Crossing")
    bridge = table.loc["Sino-Korean Friendship Bridge (Dandong–Sinuiju)"]
    assert (bridge["Korean"], bridge["Chinese"], bridge["Kind"]) == ("단둥–신의주", "丹东–新义州", "Rail and road")
    assert table.loc["Tumen–Namyang crossing", "Korean"] == "투먼–남양"  # the name already says both towns


def test_the_crossings_run_west_to_east_so_the_dandong_bridges_come_first(crossings):
    table = crossings_table(crossings, dt.date(2023, 6, 30))
    assert list(table["Crossing"][:2]) == ["New Yalu River Bridge (Dandong–Sinuiju)",
                                           "Sino-Korean Friendship Bridge (Dandong–Sinuiju)"]
    assert table["Crossing"].iloc[-1] == "Tumen River Bridge (Quanhe–Wonjong)"  # the Tumen's mouth, furthest east


def test_a_crossing_with_no_coordinate_is_listed_last_as_not_on_the_map(crossings):
    unplaced = crossings.copy()
    unplaced.loc["dandong-sinuiju-friendship-bridge", "geometry"] = None
    table = crossings_table(unplaced, dt.date(2023, 6, 30))
    assert len(table) == len(crossings)
    assert table["Crossing"].iloc[-1] == "Sino-Korean Friendship Bridge (Dandong–Sinuiju)" + NOT_ON_MAP
    assert table["Status"].iloc[-1] == "Partially resumed"


def test_before_a_crossings_history_starts_its_status_is_unknown_with_no_date_or_source(crossings):
    table = crossings_table(crossings, dt.date(2010, 1, 1))
    assert set(table["Status"]) == {"Unknown"} and set(table["Since"]) == {""} and set(table["Sources"]) == {""}


def test_no_cell_shows_an_internal_word(crossings):
    cells = " ".join(crossings_table(crossings, dt.date(2023, 6, 30)).astype(str).to_numpy().ravel())
    for internal in (*crossings.index, "partially_resumed", "seeds/", ".txt", "None", "nan"):
        assert internal not in cells


@pytest.mark.parametrize(("change", "label"), [
    ({"since": "2023-02-23", "precision": "day"}, "23 February 2023"),
    ({"since": "2020-01-01", "precision": "month"}, "January 2020"),
    ({"since": "2022-12-01", "precision": "season", "inferred": True}, "winter 2022–23 (inferred)"),
    ({"since": "2023-01-15", "precision": "season"}, "winter 2022–23"),
    ({"since": "2023-07-01", "precision": "season"}, "summer 2023"),
    ({"since": "2014-01-01", "precision": "year"}, "2014"),
    ({"since": "2023-02-23", "precision": "unknown"}, "by 23 February 2023"),
])
def test_a_status_date_is_told_no_more_precisely_than_it_is_known(change, label):
    assert since_label(change) == label


def test_the_status_in_force_is_the_last_change_on_or_before_the_day(crossings):
    bridge = crossings.loc["dandong-sinuiju-friendship-bridge"]
    assert status_change_at(bridge, dt.date(2021, 5, 1))["status"] == "closed"
    assert status_change_at(bridge, dt.date(2022, 12, 1))["status"] == "partially_resumed"
    assert status_change_at(bridge, dt.date(2019, 12, 31)) is None
