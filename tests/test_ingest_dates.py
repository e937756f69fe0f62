"""Dates in an article's words resolve against its publication date as a reader would: weekdays, relative
words, days and months without a year, parts of months and ranges; nothing is dated after publication."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.ingest.dates import find_dates, resolve_date

PUBLISHED = dt.date(2023, 2, 23)


def first_date(text: str, published: dt.date) -> tuple[str | None, str | None, str]:
    [found, *_] = find_dates(text, published)
    g = found.guess
    return (g.start and g.start.isoformat(), g.end and g.end.isoformat(), g.precision)


@pytest.mark.parametrize(("phrase", "expected"), [
    ("It began since January 2020.", ("2020-01-01", "2020-01-31", "month", False)),
    ("It happened in February last year.", ("2022-02-01", "2022-02-28", "month", True)),
    ("Trains ran since last winter.", ("2022-12-01", "2023-02-23", "season", True)),
    ("On the 23rd, officials spoke.", ("2023-02-23", "2023-02-23", "day", True)),
    ("On the 25th, officials spoke.", ("2023-01-25", "2023-01-25", "day", True)),
    # A month without a year is the latest one on or before publication: nothing is dated after it.
    ("It is held in March.", ("2022-03-01", "2022-03-31", "month", True)),
    ("Trucks recently returned.", (None, "2023-02-23", "unknown", True)),
])
def test_relative_dates_resolve_against_the_publication_date(phrase, expected):
    guess, _ = resolve_date(phrase, PUBLISHED, None)
    start = guess.start.isoformat() if guess.start else None
    assert (start, guess.end.isoformat(), guess.precision, guess.inferred) == expected


def test_the_same_year_refers_back_to_the_year_last_mentioned():
    _, year = resolve_date("in February last year", PUBLISHED, None)
    guess, _ = resolve_date("In the winter of the same year they left.", PUBLISHED, year)
    assert (guess.start, guess.end) == (dt.date(2022, 12, 1), dt.date(2023, 2, 23))


@pytest.mark.parametrize(("phrase", "published", "expected"), [
    ("They were sent back on Monday.", dt.date(2023, 10, 13), ("2023-10-09", "2023-10-09", "day")),  # a Friday
    ("They were sent back on Friday.", dt.date(2023, 10, 13), ("2023-10-13", "2023-10-13", "day")),
    ("They were sent back last Friday.", dt.date(2023, 10, 13), ("2023-10-06", "2023-10-06", "day")),
    ("At a Thursday briefing, he spoke.", dt.date(2023, 10, 13), ("2023-10-12", "2023-10-12", "day")),
])
def test_a_weekday_is_the_latest_such_day_on_or_before_publication(phrase, published, expected):
    assert first_date(phrase, published) == expected


@pytest.mark.parametrize(("phrase", "expected"), [
    ("It happened last month.", ("2023-09-01", "2023-09-30", "month")),
    ("It happened earlier this month.", ("2023-10-01", "2023-10-13", "month")),
    ("It happened last week.", ("2023-10-02", "2023-10-08", "day")),
    ("It happened earlier this week.", ("2023-10-09", "2023-10-13", "day")),
    ("It happened yesterday.", ("2023-10-12", "2023-10-12", "day")),
    ("It happened this year.", ("2023-01-01", "2023-10-13", "year")),
    ("It happened last year.", ("2022-01-01", "2022-12-31", "year")),
    ("지난달 송환됐다.", ("2023-09-01", "2023-09-30", "month")),
    ("去年被遣返。", ("2022-01-01", "2022-12-31", "year")),
])
def test_last_month_last_week_yesterday_and_this_year_resolve_against_publication(phrase, expected):
    assert first_date(phrase, dt.date(2023, 10, 13)) == expected


@pytest.mark.parametrize(("phrase", "published", "expected"), [
    ("A large repatriation was carried out on Oct. 9.", dt.date(2023, 10, 16), ("2023-10-09", "2023-10-09", "day")),
    ("It was carried out on October 9.", dt.date(2023, 10, 16), ("2023-10-09", "2023-10-09", "day")),
    ("It was carried out on 9 October.", dt.date(2023, 10, 16), ("2023-10-09", "2023-10-09", "day")),
    ("It was carried out on Dec. 20.", dt.date(2024, 1, 10), ("2023-12-20", "2023-12-20", "day")),
    ("It was carried out in November.", dt.date(2024, 1, 10), ("2023-11-01", "2023-11-30", "month")),
    ("It was carried out in January.", dt.date(2024, 1, 10), ("2024-01-01", "2024-01-10", "month")),
    ("1월 9일 송환됐다.", dt.date(2024, 1, 10), ("2024-01-09", "2024-01-09", "day")),
    ("16일 단둥에 도착했다.", dt.date(2022, 1, 16), ("2022-01-16", "2022-01-16", "day")),
])
def test_a_day_or_month_without_a_year_is_the_latest_one_on_or_before_publication(phrase, published, expected):
    assert first_date(phrase, published) == expected


@pytest.mark.parametrize(("phrase", "expected"), [
    ("Construction began in early June 2012.", ("2012-06-01", "2012-06-10", "day")),
    ("Construction began in mid-October 2011.", ("2011-10-11", "2011-10-20", "day")),
    ("Construction began in late February 2020.", ("2020-02-21", "2020-02-29", "day")),
    ("It was built between April 1937 and May 1943.", ("1937-04-01", "1943-05-31", "month")),
    ("Between 11 and 14 January 2024, they struck.", ("2024-01-11", "2024-01-14", "day")),
])
def test_early_mid_and_late_months_and_ranges_are_read_as_spans(phrase, expected):
    assert first_date(phrase, dt.date(2024, 3, 1)) == expected
