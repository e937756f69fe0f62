"""The story's caption: what changed on the map in the months since the one shown before, in one plain line."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from geo.report.story import month_caption, months_label, route_name
from geo.view.time import as_of_mask

OCTOBER_2023 = ("October 2023: 3 events began — China sends hundreds of detained North Koreans back across the "
                "border after the Asian Games; Hundreds more North Koreans reported held in Chinese detention, "
                "awaiting return; 1 more.")


def everything(events) -> np.ndarray:
    return np.ones(len(events), dtype=bool)


def test_october_2023_counts_its_three_events_and_names_the_first_two_by_date(events):
    # By hand from data/events.geojson: 9 Oct repatriation after the Asian Games, 10–27 Oct detention awaiting
    # return, 24–28 Oct Air Koryo's regular Beijing flights; no route changed status that month.
    assert month_caption(events, everything(events), dt.date(2023, 9, 30), dt.date(2023, 10, 31)) == OCTOBER_2023


def test_a_routes_change_of_status_is_told_by_the_places_it_joins_and_what_runs_on_it(events):
    # The Sinuiju–Dandong trucks partly resumed from November 2023, the month's only change.
    assert (month_caption(events, everything(events), dt.date(2023, 10, 31), dt.date(2023, 11, 30))
            == "November 2023: Route partly resumed: Dandong–Sinuiju road freight.")
    assert (month_caption(events, everything(events), dt.date(2026, 2, 28), dt.date(2026, 3, 31))
            == "March 2026: Route resumed: Dandong–Sinuiju passenger trains.")


def test_the_first_month_tells_the_border_closing_and_every_route_appearing_closed(events):
    """The closure is an event of the month, and the first status of each route: not a route of its own."""
    caption = month_caption(events, everything(events), None, dt.date(2020, 1, 31))
    assert caption.startswith("January 2020: 4 events began — North Korea seals its border with China; ")
    assert caption.endswith("Routes closed: Dandong–Sinuiju rail freight, Hunchun–Rason road freight, Dandong–Sinuiju "
                            "road freight and 1 more route.")
    assert "border crossings" not in caption


def test_a_month_with_nothing_new_says_so(events):
    assert (month_caption(events, everything(events), dt.date(2021, 4, 30), dt.date(2021, 5, 31))
            == "May 2021: nothing new reported.")


def test_a_play_stride_of_several_months_tells_them_all_at_once(events):
    caption = month_caption(events, everything(events), dt.date(2022, 11, 30), dt.date(2023, 2, 28))
    assert caption.startswith("December 2022–February 2023: 7 events began — Construction workers defect en masse; ")
    assert caption.endswith("5 more. Route resumed: Hunchun–Rason road freight.")  # the trains: since September


def test_stepping_back_or_starting_again_tells_only_the_month_shown(events):
    keep = everything(events)
    for since in (None, dt.date(2026, 3, 31), dt.date(2023, 10, 31)):
        assert month_caption(events, keep, since, dt.date(2023, 10, 31)) == OCTOBER_2023


def test_the_caption_follows_the_filters(events):
    repatriations = (events["event_type"] == "repatriation").to_numpy()
    assert (month_caption(events, repatriations, dt.date(2023, 9, 30), dt.date(2023, 10, 31))
            == "October 2023: 1 event began — China sends hundreds of detained North Koreans back across the border "
               "after the Asian Games.")
    no_routes = (events["layer"] != "trade_routes").to_numpy()
    assert (month_caption(events, no_routes, dt.date(2023, 10, 31), dt.date(2023, 11, 30))
            == "November 2023: nothing new reported.")


def test_the_page_can_pass_its_own_cached_map_dates(events):
    asked: list[dt.date] = []

    def cached(day: dt.date):
        asked.append(day)
        return as_of_mask(events, day)

    caption = month_caption(events, everything(events), dt.date(2023, 9, 30), dt.date(2023, 10, 31), cached)
    assert caption == OCTOBER_2023 and asked == [dt.date(2023, 9, 30), dt.date(2023, 10, 31)]


def test_a_long_title_is_cut_after_a_whole_word(events):
    caption = month_caption(events, everything(events), dt.date(2025, 6, 30), dt.date(2025, 7, 31))
    assert caption == ("July 2025: 2 events began — Pyongyang–Beijing passenger trains reported agreed to restart "
                       "(planned from August 2025; did not…; North Korea posts a twice-weekly Pyongyang–Shanghai "
                       "flight schedule, with a Pyongyang–Beijing…")


@pytest.mark.parametrize(("first", "last", "words"), [
    (dt.date(2023, 10, 1), dt.date(2023, 10, 31), "October 2023"),
    (dt.date(2023, 9, 1), dt.date(2023, 10, 31), "September–October 2023"),
    (dt.date(2022, 12, 1), dt.date(2023, 1, 31), "December 2022–January 2023"),
])
def test_months_read_as_words(first, last, words):
    assert months_label(first, last) == words


def test_a_route_without_places_is_named_by_its_title():
    assert route_name({"title": "A ferry line", "via": None, "event_type": "border_reopening"}) == "A ferry line"
    assert route_name({"title": "x", "via": [["Ji'an", "bridge", "Manpo"]], "event_type": "unclassified"}) == \
        "Ji'an–Manpo route"
