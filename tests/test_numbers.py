"""Numbers of people become the schema's figures, with the source's qualifier; years and distances do not."""

from __future__ import annotations

import pytest

from geo.ingest.numbers import figures_in


@pytest.mark.parametrize(("phrase", "figure"), [
    ("Beijing forcibly returned more than 500 North Koreans.", {"value": 500, "qualifier": "more than"}),
    ("About 100 workers were repatriated.", {"value": 100, "qualifier": "about"}),
    ("At least 20 defectors were caught.", {"value": 20, "qualifier": "at least"}),
    ("Up to 2,000 workers went home.", {"value": 2000, "qualifier": "up to"}),
    ("Fewer than 50 tourists came.", {"value": 50, "qualifier": "fewer than"}),
    ("Laos sent back nine North Koreans.", {"value": 9, "qualifier": "exactly"}),
    ("It involved between 2,000 and 3,000 workers.", {"value": 2000, "value_max": 3000, "qualifier": "exactly"}),
    ("탈북민 600여 명이 북송됐다.", {"value": 600, "qualifier": "more than"}),
])
def test_numbers_of_people_become_figures_with_the_sources_qualifier(phrase, figure):
    assert figures_in(phrase) == [{"quantity": "people", **figure, "source": 0}]


def test_a_year_or_a_distance_is_not_a_number_of_people():
    assert figures_in("In 2023 people crossed 1,420 kilometres of border.") == []
