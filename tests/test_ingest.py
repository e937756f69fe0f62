"""The founding article becomes the right candidates; dates resolve from the article's own words."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.ingest import candidates_from_text, resolve_date, split_sentences
from tests.conftest import ROOT

SEED = ROOT / "seeds" / "000_c849781cc78fe4c5.txt"
PUBLISHED = dt.date(2023, 2, 23)


@pytest.fixture(scope="module")
def candidates() -> list[dict]:
    collection = candidates_from_text(SEED.read_text(encoding="utf-8"), PUBLISHED, "The Asia Business Daily",
                                      "North Korea seals border for 3 years", "seeds/000_c849781cc78fe4c5.txt")
    return [f["properties"] | {"geometry": f["geometry"]} for f in collection["features"]]


def test_the_founding_article_yields_the_six_places_with_canonical_names(candidates):
    places = {c["place"] for c in candidates if c["place"]}
    assert {"Dandong", "Hunchun", "Rason", "Tumen", "Yanbian", "Shanghai"} <= places
    tumen = next(c for c in candidates if c["place"] == "Tumen")
    assert tumen["place_text"] == "Duman City" and tumen["geometry"]["type"] == "Point"


def test_no_candidate_is_placed_at_pyongyang(candidates):
    from geo.gazetteer import load_gazetteer

    assert all(c["place"] != "Pyongyang" for c in candidates)
    # The gazetteer does find Pyongyang in the article: it is the actor rule that keeps it off the map.
    assert "Pyongyang" in {m.place.name for m in load_gazetteer().find(SEED.read_text(encoding="utf-8"))}


def test_a_headline_repeating_the_body_gives_one_candidate(candidates):
    # Three sentences speak of repatriation with no place, country or date of their own: one candidate.
    undated = [c for c in candidates if c["event_type"] == "repatriation" and not c["place"]
               and not c.get("country") and not c.get("date_start")]
    assert len(undated) == 1
    assert undated[0]["evidence"].startswith('Source says "Repatriation planned')


def test_the_border_closure_is_dated_january_2020_without_a_point(candidates):
    closure = [c for c in candidates if c["event_type"] == "border_closure" and c.get("date_start") == "2020-01-01"]
    assert closure and closure[0]["date_end"] == "2020-01-31" and closure[0]["geometry"] is None
    assert closure[0]["date_precision"] == "month" and not closure[0]["date_inferred"]


def test_the_truck_route_resumption_is_found_at_rason_and_hunchun(candidates):
    trucks = {c["place"] for c in candidates if c["event_type"] == "road_freight_resumption"}
    assert {"Rason", "Hunchun"} <= trucks


def test_the_shanghai_disappearance_is_february_of_the_year_before_publication(candidates):
    [gone] = [c for c in candidates if c["event_type"] == "disappearance" and c["place"] == "Shanghai"]
    assert (gone["date_start"], gone["date_end"], gone["date_precision"]) == ("2022-02-01", "2022-02-28", "month")
    assert gone["date_inferred"] and "February last year" in gone["date_note"]
    assert "Shanghai disappeared collectively" in gone["evidence"]


def test_the_planned_repatriation_is_a_candidate(candidates):
    assert any(c["event_type"] == "repatriation" and "Two Sessions" in c["evidence"] for c in candidates)


def test_every_candidate_cites_the_article_and_keeps_its_sentence(candidates):
    for c in candidates:
        assert c["sources"][0]["ref"] == "seeds/000_c849781cc78fe4c5.txt"
        assert c["sources"][0]["published"] == "2023-02-23" and c["evidence"]
        assert c["evidence"] not in c["summary"]  # the summary is ours, the sentence is evidence


@pytest.mark.parametrize(("phrase", "expected"), [
    ("It began since January 2020.", ("2020-01-01", "2020-01-31", "month", False)),
    ("It happened in February last year.", ("2022-02-01", "2022-02-28", "month", True)),
    ("Trains ran since last winter.", ("2022-12-01", "2023-02-23", "season", True)),
    ("On the 23rd, officials spoke.", ("2023-02-23", "2023-02-23", "day", True)),
    ("On the 25th, officials spoke.", ("2023-01-25", "2023-01-25", "day", True)),
    ("It is held in March.", ("2023-03-01", "2023-03-31", "month", True)),
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


def test_an_actor_capital_or_a_country_alone_gets_no_point():
    collection = candidates_from_text("Pyongyang said defections rose in North Korea. "
                                      "Beijing denied any detention at the border.",
                                      PUBLISHED, "Example", "t", "https://example.org/a")
    assert collection["features"] and all(f["geometry"] is None for f in collection["features"])
    placed = candidates_from_text("Three workers were detained in Pyongyang.", PUBLISHED, "E", "t", "x")
    assert placed["features"][0]["properties"]["place"] == "Pyongyang"


def test_captions_are_read_separately():
    parts = split_sentences("Platform at Dandong Station [Image source=Yonhap News]\nTrucks resumed. Then trains.")
    assert parts == [("Platform at Dandong Station", True), ("Trucks resumed.", False), ("Then trains.", False)]
