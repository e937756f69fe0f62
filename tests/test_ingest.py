"""The founding article becomes the right candidates; dates resolve from the article's own words; any
article, however malformed, is read in time linear in its length, under a size limit and a time budget."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import time
from pathlib import Path

import pytest

from geo.budget import Abandoned
from geo.ingest.candidates import (
    MAX_ARTICLE_CHARS,
    ArticleTooLong,
    IngestTimeout,
    candidates_from_text,
    candidates_within,
)
from geo.ingest.dates import resolve_date
from geo.ingest.rules import EVENT_RULES, KEYWORD_GAP
from geo.ingest.sentences import MAX_SENTENCE_CHARS, split_sentences
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
    from geo.reference.gazetteer import load_gazetteer

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


# Limits: reading is linear in the text, refuses over-long articles, and runs under a wall-clock budget.

TAIL = "\nTrucks resumed between Rason and Hunchun."  # a real sentence after the pathological one


def _filling(word: str) -> str:
    """`word` repeated (no full stop anywhere) so that, with TAIL, the text is exactly MAX_ARTICLE_CHARS long."""
    size = MAX_ARTICLE_CHARS - len(TAIL)
    return (word * (size // len(word) + 1))[:size] + TAIL


@pytest.mark.parametrize(("word", "expected"), [
    ("shut ", {"road_freight_resumption"}),
    ("border ", {"road_freight_resumption"}),
    ("workers ", {"road_freight_resumption"}),
    ("resumed train ", {"rail_freight_resumption", "road_freight_resumption"}),
])
def test_a_200kb_sentence_with_no_period_is_read_in_under_two_seconds(word, expected):
    text = _filling(word)
    assert len(text) == MAX_ARTICLE_CHARS
    started = time.perf_counter()
    collection = candidates_within(text, PUBLISHED, "E", "t", "x")  # process start-up included
    elapsed = time.perf_counter() - started
    assert elapsed < 2, f"{word!r} x {len(text) // len(word):,} took {elapsed:.2f} s"
    features = [f["properties"] for f in collection["features"]]
    assert {p["event_type"] for p in features} == expected  # the whole text was read, to its last line
    assert {p["place"] for p in features if p["event_type"] == "road_freight_resumption"} == {"Rason", "Hunchun"}


@pytest.mark.parametrize("text", [
    "[Image " * 28_000,  # an unclosed caption tag, over and over
    "Workers were detained " + "Pyongyang " * 19_990,  # a capital named 20,000 times in one sentence
    "Trucks resum" + "e" * 190_000 + "d.",  # one 190,000-letter word
    ("북한 노동자들이 신의주와 丹东에서 workers dispatched to 단둥 " * 5_000)[:MAX_ARTICLE_CHARS],
    "x\n" * (MAX_ARTICLE_CHARS // 2),  # 100,000 short lines, each joined to the last (hard-wrapped text)
    ("in March " * 22_222)[:MAX_ARTICLE_CHARS],  # a date expression every nine characters
    ("2023 more than 500 workers went home " * 5_500)[:MAX_ARTICLE_CHARS],  # dates, figures and a rule, over and over
    ("열차 운행 재개 600여 명 송환 " * 11_000)[:MAX_ARTICLE_CHARS],
])
def test_other_pathological_articles_are_read_in_under_two_seconds(text):
    started = time.perf_counter()
    candidates_from_text(text, PUBLISHED, "E", "t", "x")
    assert time.perf_counter() - started < 2


def test_a_sentence_longer_than_the_limit_is_read_as_windows_broken_at_spaces():
    sentence = "Trucks resumed at Hunchun " * 300 + "and workers were dispatched to Dandong"
    parts = split_sentences(sentence)
    assert len(parts) > 1 and all(len(p) <= MAX_SENTENCE_CHARS and not caption for p, caption in parts)
    assert " ".join(p for p, _ in parts) == sentence  # nothing lost, no word cut
    found = {(f["properties"]["event_type"], f["properties"]["place"])
             for f in candidates_from_text(sentence, PUBLISHED, "E", "t", "x")["features"]}
    assert {("road_freight_resumption", "Hunchun"), ("worker_deployment", "Dandong")} <= found


def test_the_bounded_keyword_gap_reads_the_founding_article_as_the_unbounded_rules_did():
    gap = f"[^.]{{0,{KEYWORD_GAP}}}"
    assert all("[^.]*" not in rule.pattern for rule in EVENT_RULES.values())
    unbounded = {name: re.compile(rule.pattern.replace(gap, "[^.]*"), rule.flags)
                 for name, rule in EVENT_RULES.items()}
    # Every English gap is the constant (Korean and Chinese pairs have their own, CJK_KEYWORD_GAP).
    assert sum(rule.pattern.count("[^.]*") for rule in unbounded.values()) == sum(
        rule.pattern.count("[^.]{0,") for rule in EVENT_RULES.values()) > 8
    for sentence, _ in split_sentences(SEED.read_text(encoding="utf-8")):
        assert ([t for t, r in EVENT_RULES.items() if r.search(sentence)]
                == [t for t, r in unbounded.items() if r.search(sentence)]), sentence
    # ... and the rules do stop at the gap: keywords further apart are not a pair.
    assert EVENT_RULES["border_closure"].search("shut " + "x" * (KEYWORD_GAP - 2) + " border")
    assert not EVENT_RULES["border_closure"].search("shut " + "x" * (KEYWORD_GAP - 1) + " border")


def test_an_article_over_the_size_limit_is_refused_with_the_limit_in_the_message():
    text = "Workers were detained in Dandong. " * (MAX_ARTICLE_CHARS // 34 + 1)
    for read in (candidates_from_text, candidates_within):
        with pytest.raises(ArticleTooLong, match=f"{len(text):,} characters long; the limit is 200,000") as error:
            read(text, PUBLISHED, "E", "t", "x")
        assert isinstance(error.value, ValueError) and (error.value.size, error.value.limit) == (len(text), 200_000)
    # At the limit exactly, the article is read.
    assert candidates_from_text("x" * MAX_ARTICLE_CHARS, PUBLISHED, "E", "t", "x")["features"] == []


def test_candidates_within_gives_what_reading_in_process_gives(candidates):
    collection = candidates_within(SEED.read_text(encoding="utf-8"), PUBLISHED, "The Asia Business Daily",
                                   "North Korea seals border for 3 years", "seeds/000_c849781cc78fe4c5.txt")
    assert [f["properties"] | {"geometry": f["geometry"]} for f in collection["features"]] == candidates


def test_a_reading_over_its_budget_raises_ingest_timeout_and_leaves_no_process_behind(children):
    started = children
    with pytest.raises(IngestTimeout, match=r"longer than 0\.05 s"):
        candidates_within(SEED.read_text(encoding="utf-8"), PUBLISHED, "E", "t", "x", seconds=0.05)
    [child] = started
    assert child.returncode == -signal.SIGKILL  # killed, and reaped: no zombie either
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)
    children = Path(f"/proc/{os.getpid()}/task")
    if children.is_dir():
        assert all(str(child.pid) not in (t / "children").read_text().split() for t in children.iterdir()
                   if (t / "children").exists())


def test_reading_an_article_stops_as_soon_as_nobody_wants_its_candidates():
    started = time.perf_counter()
    with pytest.raises(Abandoned):
        candidates_within("North Korean workers staged a strike in Hunchun. " * 3000, dt.date(2023, 2, 23), "E", "t",
                          "x", still_wanted=lambda: time.perf_counter() - started < 0.3)
    assert time.perf_counter() - started < 2
