"""Date labels never claim more precision than the data has."""

from geo.events.dates import date_label


def test_a_month_is_shown_as_the_month():
    assert date_label("2022-02-01", "2022-02-28", "month") == "2022-02"


def test_an_inferred_date_says_so():
    assert date_label("2022-02-01", "2022-02-28", "month", inferred=True) == "2022-02 (inferred)"


def test_an_unknown_start_reads_on_or_before():
    assert date_label(None, "2023-02-23", "unknown") == "on or before 2023-02-23"


def test_a_season_is_a_range_not_a_day():
    assert date_label("2022-12-01", "2023-02-23", "season") == "season 2022-12 – 2023-02-23"


def test_a_long_span_at_month_precision_shows_both_months():
    assert date_label("2020-01-01", "2023-02-23", "month") == "2020-01 – 2023-02"


def test_no_dates_at_all_is_date_unknown():
    assert date_label(None, None, "unknown") == "date unknown"
