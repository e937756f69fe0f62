"""The table on screen reads in words: readable column names, labels instead of ids, yes/no, no id column."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo.events.evidence import FIGURE_COLUMNS
from geo.report.table import READER_COLUMNS, reader_table


@pytest.fixture(scope="module")
def measured(events):
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis

    return with_analysis(events, load_geography(load_crossings()))


def test_the_table_has_readable_column_names_and_no_id_column(measured):
    table = reader_table(measured)
    assert list(table.columns) == list(READER_COLUMNS) and len(table) == len(measured)
    assert {"Title", "Type", "Place", "From", "To", "Date known to", "Location known to", "Status", "Country",
            "Province", "Km to border", "Nearest crossing", "Sources", "Independent witnesses",
            "Lowest figure", "Highest figure"} <= set(table.columns)
    assert not [c for c in table.columns if "_" in c or c.lower() == "id"]
    assert not set(FIGURE_COLUMNS) & set(table.columns)  # the machine names stay in the downloads


def test_every_value_a_reader_sees_is_in_words(measured):
    table = reader_table(measured)
    text = table[[c for c in table.columns if pd.api.types.is_string_dtype(table[c])]].astype(str)
    assert {"Title", "Type", "Place", "Status", "Date inferred"} <= set(text.columns)
    ids = set(measured["id"]) | set(measured["event_type"]) | {"partially_resumed", "trade_routes"}
    assert not {value for column in text for value in text[column] if value in ids}
    assert not [value for column in text for value in text[column] if re.fullmatch(r"[a-z]+(_[a-z]+)+", value)]
    assert set(table["Date inferred"]) == {"yes", "no"}
    assert set(table["Location known to"]) <= {"exact", "city", "region", "country", "not known"}
    assert set(table["Date known to"]) <= {"day", "month", "season", "year", "not known"}


def test_one_event_reads_as_the_details_say_it(measured):
    table = reader_table(measured).set_index(measured.index)
    rail = table.loc["rail-freight-dandong-sinuiju-partial-resumption"]
    assert (rail["Type"], rail["Status"], rail["Date known to"], rail["Date inferred"]) == (
        "Rail freight resumption", "Partially resumed", "season", "yes")
    assert rail["Place"] == "Dandong – Sino-Korean Friendship Bridge – Sinuiju"
    assert (rail["From"], rail["To"]) == ("2022-12-01", "2023-02-23") and rail["Sources"] == 4
    shanghai = table.loc["disappearance-shanghai-garment-workers-2022-02"]
    assert shanghai["Country"] == "China" and shanghai["Km to border"] > 500
    unlocated = table[measured["country"].eq("CN").to_numpy() & measured.geometry.isna().to_numpy()]
    assert (unlocated["Place"] == "location unknown (in China)").all() and len(unlocated) > 0


def test_the_table_works_without_the_border_analysis_and_shows_nothing_for_nothing(events):
    table = reader_table(events.iloc[:0])
    assert list(table.columns) == list(READER_COLUMNS) and table.empty
    plain = reader_table(events)
    assert plain["Country"].eq("").all() and plain["Km to border"].isna().all()
    assert pd.api.types.is_numeric_dtype(plain["Km to border"])
