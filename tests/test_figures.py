"""Figures keep their source's own qualifier and span: the words a claim states a number with ("some 60 to 70",
"nearly 50", "an estimated over 100", "600여 명") are read, and a figure coded otherwise is named, with its
event, its source and the words. Run over the real dataset and over features built here."""

from __future__ import annotations

from typing import Any

import pytest

from geo.events.dataset import read_json
from geo.events.evidence import figure_claim
from geo.events.figures import Reading, figure_problem, figure_problems, read_figures, unchecked_figures
from geo.events.schema import validate_collection
from tests.conftest import EVENTS_PATH


@pytest.mark.parametrize("words, reading", [
    ("some 60 to 70 people queued", Reading(60, 70, "about", "some 60 to 70")),
    ("nearly 50 North Koreans", Reading(50, None, "nearly", "nearly 50")),
    ("almost 50 were returned", Reading(50, None, "nearly", "almost 50")),
    ("an estimated over 100 workers", Reading(100, None, "more than", "over 100")),
    ("an estimated one or two thousand workers", Reading(1000, 2000, "about", "an estimated one or two thousand")),
    ("between 2,000 and 3,000 workers", Reading(2000, 3000, "exactly", "between 2,000 and 3,000")),
    ("300–400 left by bus", Reading(300, 400, "exactly", "300–400")),
    ("at least 406 people", Reading(406, None, "at least", "at least 406")),
    ("up to 200 of them", Reading(200, None, "up to", "up to 200")),
    ("fewer than 100 workers remained", Reading(100, None, "fewer than", "fewer than 100")),
    ("100 or more trucks a day", Reading(100, None, "at least", "100 or more")),
    ("around three-thousand workers", Reading(3000, None, "about", "around three-thousand")),
    ("a total of 2,600 since then", Reading(2600, None, "exactly", "2,600")),
    ("some ten buses", Reading(10, None, "about", "some ten")),
    ("600여 명이 송환됐다", Reading(600, None, "more than", "600여")),
    ("약 200명", Reading(200, None, "about", "약 200")),
    ("최소 28명", Reading(28, None, "at least", "최소 28")),
])
def test_a_number_is_read_with_the_qualifier_and_span_its_words_give_it(words: str, reading: Reading):
    assert read_figures(words) == [reading]


@pytest.mark.parametrize("words", [
    "on 9 October 2023", "at about 7:30 p.m.", "Oct. 14", "on 29 August and 18 September", "in 2024", "14 or 15 July",
])
def test_days_times_and_years_are_not_read_as_numbers_of_anything(words: str):
    assert read_figures(words) == []


def figure(value: int, qualifier: str = "exactly", value_max: int | None = None, source: int = 0) -> dict[str, Any]:
    made = {"quantity": "people", "value": value, "qualifier": qualifier, "source": source}
    return made | ({"value_max": value_max} if value_max is not None else {})


def test_a_figure_that_drops_its_words_qualifier_is_named_with_those_words():
    assert figure_problem(figure(60, value_max=70), "Some 60 to 70 people queued") == (
        "coded 'exactly 60 to 70', but the words say 'Some 60 to 70' (about, a range to 70)")
    assert figure_problem(figure(60, "about", 70), "Some 60 to 70 people queued") is None


def test_a_range_coded_as_one_number_or_one_number_coded_as_a_range_is_named():
    assert figure_problem(figure(1000, "about"), "an estimated one or two thousand workers")
    assert figure_problem(figure(500, "more than", 600), "more than 500 were returned")


def test_one_agreeing_mention_is_enough_when_a_claim_states_the_number_twice():
    words = "speaks of 'the 600' returned, and elsewhere of 'over 600'"
    assert figure_problem(figure(600), words) is None and figure_problem(figure(600, "more than"), words) is None
    assert figure_problem(figure(600, "about"), words)


def test_a_number_the_words_do_not_state_is_left_unchecked_not_called_wrong():
    properties = {"id": "x", "sources": [{"claim": "about half of them were sent back"}],
                  "figures": [figure(100, "about")]}
    assert figure_problems(properties) == [] and unchecked_figures(properties) == ["x: figure 0 (people)"]


def test_a_source_without_a_claim_is_compared_with_the_events_evidence():
    properties = {"id": "x", "evidence": "Some 120 North Korean workers were repatriated",
                  "sources": [{"publisher": "NK News"}], "figures": [figure(120)]}
    assert figure_problems(properties) == [
        "x: figure 0 (people), source 0 (NK News): coded 'exactly 120', but the words say 'Some 120' (about)"]


def test_a_feature_built_at_run_time_with_the_fact_checks_lost_qualifiers_is_caught(collection: dict[str, Any]):
    """The three kinds the fact-check found ('some 60 to 70' and an estimate coded exact, 'nearly 50' coded
    'about'), on a feature that passes the schema, each named with feature, figure, source and words."""
    built = collection["features"][0]
    built["properties"] |= {
        "id": "built-with-lost-qualifiers",
        "sources": [
            {"publisher": "KBS News", "title": "t", "published": "2024-12-27", "ref": "https://example.org/a",
             "claim": "Some 60 to 70 people queued at Dandong customs."},
            {"publisher": "Daily NK", "title": "t", "published": "2024-06-01", "ref": "https://example.org/b",
             "claim": "An estimated one or two thousand new workers, the source estimated."},
            {"publisher": "International IDEA", "title": "t", "published": "2023-10-31", "ref": "https://example.org/c",
             "claim": "Cites HRW that nearly 50 North Koreans were returned in July 2021."}],
        "figures": [figure(60, value_max=70, source=0), figure(1000, value_max=2000, source=1),
                    figure(50, "about", source=2)]}
    collection["features"] = [built]
    assert validate_collection(collection, "built.geojson") == []
    assert figure_problems(built["properties"]) == [
        "built-with-lost-qualifiers: figure 0 (people), source 0 (KBS News): coded 'exactly 60 to 70', but the "
        "words say 'Some 60 to 70' (about, a range to 70)",
        "built-with-lost-qualifiers: figure 1 (people), source 1 (Daily NK): coded 'exactly 1,000 to 2,000', but "
        "the words say 'An estimated one or two thousand' (about, a range to 2,000)",
        "built-with-lost-qualifiers: figure 2 (people), source 2 (International IDEA): coded 'about 50', but the "
        "words say 'nearly 50' (nearly)"]


def test_nearly_is_a_qualifier_the_schema_accepts_and_the_details_read_before_the_number():
    assert figure_claim(figure(50, "nearly")) == "nearly 50"


def dataset() -> list[dict[str, Any]]:
    return [feature["properties"] for feature in read_json(EVENTS_PATH)["features"]]


def test_every_figure_of_the_dataset_keeps_its_sources_qualifier_and_span():
    problems = [problem for properties in dataset() for problem in figure_problems(properties)]
    assert problems == [], "figures that do not say what their source's words say:\n" + "\n".join(problems)


FACT_CHECKED = {  # issue 24's findings 3 and 5: each of these figures is compared with its source's words
    "repatriation-dandong-sinuiju-2021-07-14": 50,
    "worker-return-dandong-buses-2024-12-26": 60,
    "worker-deployment-jilin-via-tumen-nanping-2024": 1000,
    "repatriation-mass-2023-10-09": 2600,
    "repatriation-hrw-tally-2024-2025": 28,
}


@pytest.mark.parametrize("event_id, value", sorted(FACT_CHECKED.items()))
def test_the_figures_the_fact_check_found_are_compared_with_their_sources_words(event_id: str, value: int):
    properties = next(p for p in dataset() if p["id"] == event_id)
    figures = [f for f in properties["figures"] if f["value"] == value]
    assert figures and not [name for name in unchecked_figures(properties)
                            if any(f"figure {properties['figures'].index(f)} " in name for f in figures)]
    assert figure_problems(properties) == []
