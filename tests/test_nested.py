"""geo.events.nested: each event's sources, figures, history, via and crossings kept as JSON text in the frame and
decoded only for the rows that are read."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geo.events.dataset import records
from geo.events.nested import NESTED_COLUMNS, NestedArray, compact, nested, nonempty
from geo.io.events_file import load_events
from geo.paths import BUNDLED_EVENTS
from geo.report.details import details_html
from geo.report.table import reader_table

VALUES = [[{"publisher": "Daily NK", "title": "Ten people", "published": "2023-10-10", "ref": "https://x.org/a"}],
          [], None, {"b": 1, "a": [1, 2**70]}, [{"status": "closed", "since": "2020-01-01", "precision": "month"}]]


@pytest.fixture(scope="module")
def curated():
    return load_events(BUNDLED_EVENTS)


def test_the_loaded_frame_keeps_every_nested_column_as_json_text_not_python_lists(curated):
    assert set(NESTED_COLUMNS) == {"sources", "figures", "status_history", "via", "crossings"}
    for name in NESTED_COLUMNS:
        column = curated[name].array
        assert isinstance(column, NestedArray), name
        assert all(isinstance(text, str) for text in column.text.to_pylist())  # one JSON text per row
    first = json.loads(curated["sources"].array.text[0].as_py())
    assert curated["sources"].iloc[0] == first and first[0]["publisher"]


def test_values_come_back_exactly_keys_in_order_big_numbers_and_missing_values_included():
    array = NestedArray.from_values(VALUES)
    assert list(array) == VALUES
    assert [list(value) for value in array if isinstance(value, dict)] == [["b", "a"]]
    assert array.isna().tolist() == [False, False, True, False, False]
    assert array[-1] == VALUES[-1] and array[2] is None


def test_each_read_gives_a_fresh_value_so_a_reader_cannot_change_the_frame(curated):
    sources = curated["sources"].iloc[0]
    sources.append({"publisher": "planted"})
    sources[0]["title"] = "changed"
    again = curated["sources"].iloc[0]
    assert again != sources and all(s["publisher"] != "planted" for s in again)


def _with_unreadable_neighbours(frame: pd.DataFrame, keep: int) -> pd.DataFrame:
    """`frame` whose every row but `keep` holds text that is not JSON in each nested column: any read of another
    row fails."""
    out = frame.copy()
    for name in NESTED_COLUMNS:
        text = out[name].array.text.to_pylist()
        planted = ["{not json" if n != keep else text[n] for n in range(len(text))]
        out[name] = pd.Series(NestedArray(pa.array(planted, type=pa.large_string())), index=out.index)
    return out


def test_a_details_view_decodes_only_its_own_row(curated):
    row = int(np.flatnonzero(curated["status_history"].map(bool).to_numpy())[0])  # a route: history and sources
    planted = _with_unreadable_neighbours(curated, row)
    with pytest.raises(ValueError):
        list(planted["sources"])  # every other row is unreadable
    html = details_html(records(planted.iloc[[row]])[0], archived=False)
    assert html == details_html(records(curated.iloc[[row]])[0], archived=False)
    assert "Sources (" in html and "<li>" in html


def test_the_table_and_the_accessor_decode_only_the_rows_they_show(curated):
    rows = [3, 7]
    planted = pd.concat([_with_unreadable_neighbours(curated, n).iloc[[n]] for n in rows])
    assert reader_table(planted).equals(reader_table(curated.iloc[rows]))
    wide = _with_unreadable_neighbours(curated, 5)
    assert nested(wide, "sources", [5]) == [curated["sources"].iloc[5]]


def test_whether_a_value_is_empty_is_read_from_the_text_without_decoding_it(curated):
    expected = curated["status_history"].map(bool).to_numpy()
    assert expected.any() and not expected.all()
    assert (nonempty(curated["status_history"]) == expected).all()
    planted = NestedArray(pa.array(["[]", "{}", None, "{not json", "[1]"], type=pa.large_string()))
    assert nonempty(pd.Series(planted)).tolist() == [False, False, False, True, True]
    assert pd.Series(planted).map(bool).tolist() == [False, False, False, True, True]  # as readers ask it
    assert nonempty(pd.Series([[], [1], None], dtype=object)).tolist() == [False, True, False]


def test_selecting_rows_copies_text_and_keeps_the_column_nested(curated):
    for selected in (curated.iloc[[2, 0]], curated[curated["layer"] == "trade_routes"], curated.loc[[curated.index[1]]],
                     pd.concat([curated.iloc[:2], curated.iloc[5:6]]), curated.iloc[::7]):
        assert all(isinstance(selected[name].array, NestedArray) for name in NESTED_COLUMNS)
        assert list(selected["sources"]) == [curated["sources"].loc[i] for i in selected.index]


def test_setting_a_cell_changes_only_that_copy(curated):
    copy = curated.iloc[[0, 1]].copy()
    copy.at[copy.index[0], "figures"] = [{"quantity": "people", "value": 3, "source": 0}]
    assert copy["figures"].iloc[0] == [{"quantity": "people", "value": 3, "source": 0}]
    assert curated["figures"].iloc[0] != copy["figures"].iloc[0]


def test_compact_turns_python_values_into_text_and_leaves_other_columns_alone():
    frame = pd.DataFrame({"sources": pd.Series([[{"a": 1}], float("nan")], dtype=object), "title": ["x", "y"]})
    out = compact(frame)
    assert isinstance(out["sources"].array, NestedArray) and out["title"] is not None
    assert out["sources"].tolist() == [[{"a": 1}], None]
    assert compact(out) is out
