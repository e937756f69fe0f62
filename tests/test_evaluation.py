"""The ingest reads articles it was not tuned to: a labelled set of real articles meets its targets, and each
category of wording the rules cover (dates relative to publication, numbers of people, crossings named by
their towns, Chinese and Korean names, actors) is read as a person would read it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo.events.schema import EVENT_TYPES, UNCLASSIFIED
from geo.ingest.candidates import candidates_from_text
from geo.ingest.dates import find_dates
from geo.ingest.evaluation import DEFAULT_FOLDER, TARGETS, evaluate, main
from geo.ingest.numbers import figures_in
from geo.ingest.sentences import split_sentences
from geo.reference.gazetteer import load_gazetteer

LICENCES = {"U.S. government work (public domain)", "CC BY-SA 4.0, Wikipedia contributors"}


def read(text: str, published: dt.date = dt.date(2023, 10, 13)) -> list[dict]:
    collection = candidates_from_text(text, published, "Example", "t", "https://example.org/a")
    return [f["properties"] | {"located": f["geometry"] is not None} for f in collection["features"]]


def first_date(text: str, published: dt.date) -> tuple[str | None, str | None, str]:
    [found, *_] = find_dates(text, published)
    g = found.guess
    return (g.start and g.start.isoformat(), g.end and g.end.isoformat(), g.precision)


@pytest.fixture(scope="module")
def result() -> dict:
    return evaluate(DEFAULT_FOLDER)


# The labelled set ---------------------------------------------------------------------------------------------

def test_the_evaluation_set_meets_its_targets(result):
    o = result["overall"]
    assert o["articles"] >= 10
    assert o["place_recall"] >= TARGETS["place_recall"] and o["place_precision"] >= TARGETS["place_precision"], o
    assert o["after_publication"] == 0 and o["metonym_pins"] == 0, o
    assert o["targets_met"]


def test_every_labelled_article_has_its_text_licence_and_labels_in_the_vocabulary():
    labels = sorted(DEFAULT_FOLDER.glob("*.json"))
    assert len(labels) >= 10
    places = load_gazetteer().places
    for path in labels:
        label = json.loads(path.read_text(encoding="utf-8"))
        assert path.with_suffix(".txt").read_text(encoding="utf-8").strip(), path.name
        assert label["licence"] in LICENCES and label["url"].startswith("http") and isinstance(label["partial"], bool)
        dt.date.fromisoformat(label["published"])
        for event in label["events"]:
            assert event["event_type"] in EVENT_TYPES, (path.name, event)
            assert not event["place"] or event["place"] in label["places"], (path.name, event)
            assert all(not event.get(k) or dt.date.fromisoformat(event[k]) for k in ("date_start", "date_end"))
        assert not set(label["places"]) & set(label["metonyms"])
        assert all(m in places for m in label["metonyms"]), path.name


def test_main_prints_a_line_per_article_then_the_overall_figures_as_json(capsys):
    assert main() == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(list(DEFAULT_FOLDER.glob("*.json"))) + 2
    assert lines[-2].startswith("overall") and "micro-averaged" in lines[-2]
    figures = json.loads(lines[-1])
    assert figures["averaging"].startswith("micro") and figures["targets_met"] is True


def test_main_fails_when_a_target_is_missed(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("Beijing said it would repatriate them.", encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({
        "publisher": "E", "title": "t", "published": "2023-10-13", "url": "https://example.org", "licence": "x",
        "partial": False, "places": ["Dandong"], "metonyms": ["Beijing"],
        "events": [{"event_type": "repatriation", "place": "", "date_start": "", "date_end": ""}]}), encoding="utf-8")
    assert main(tmp_path) == 1  # Dandong is missed: recall 0
    assert "missed 1 ['Dandong']" in capsys.readouterr().out


# Dates relative to publication ---------------------------------------------------------------------------------

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


def test_a_day_without_a_year_after_a_dated_sentence_is_of_the_year_the_text_is_dated_in():
    [*_, strike] = [c for c in read("Between 11 and 14 January 2024, workers in Helong went on strike. "
                                    "On 11 January, workers in Helong occupied a factory.", dt.date(2026, 12, 1))
                    if c["event_type"] == "worker_strike"]
    assert (strike["date_start"], strike["date_inferred"]) == ("2024-01-11", True) and "2024" in strike["date_note"]


@pytest.mark.parametrize(("phrase", "expected"), [
    ("Construction began in early June 2012.", ("2012-06-01", "2012-06-10", "day")),
    ("Construction began in mid-October 2011.", ("2011-10-11", "2011-10-20", "day")),
    ("Construction began in late February 2020.", ("2020-02-21", "2020-02-29", "day")),
    ("It was built between April 1937 and May 1943.", ("1937-04-01", "1943-05-31", "month")),
    ("Between 11 and 14 January 2024, they struck.", ("2024-01-11", "2024-01-14", "day")),
])
def test_early_mid_and_late_months_and_ranges_are_read_as_spans(phrase, expected):
    assert first_date(phrase, dt.date(2024, 3, 1)) == expected


def test_nothing_is_dated_after_publication_a_plan_is_dated_only_by_it():
    published = dt.date(2022, 1, 16)
    for text in ("The border will reopen for trucks on 17 January.", "Trains will resume next month.",
                 "Passenger trains are expected to resume in March.",
                 "이르면 이달 말부터 열차 운행을 재개할 수 있을 것이다."):
        for c in read(text, published):
            assert c.get("date_start") is None and c["date_end"] == "2022-01-16", (text, c)
            assert c["date_inferred"] and c["date_note"]
    [plan] = find_dates("The border will reopen for trucks on 17 January.", published)
    assert "after publication" in plan.guess.note


def test_the_evaluation_set_has_no_candidate_dated_after_publication(result):
    assert all(a["after_publication"] == 0 for a in result["articles"])


# Numbers of people ---------------------------------------------------------------------------------------------

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


def test_a_candidate_carries_the_figures_of_its_sentence():
    [c] = read("China forcibly repatriated more than 500 North Koreans on Monday.")
    assert c["figures"] == [{"quantity": "people", "value": 500, "qualifier": "more than", "source": 0}]
    assert c["date_start"] == "2023-10-09"


# Crossings named by their two towns ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "place"), [
    ("Freight trains resumed at the Dandong–Sinuiju crossing.", "Sino-Korean Friendship Bridge"),
    ("Freight trains resumed at the Dandong-Sinuiju crossing.", "Sino-Korean Friendship Bridge"),
    ("Trucks resumed on the Hunchun-Rason road.", "Tumen River Bridge (Quanhe–Wonjong)"),
    ("Workers were dispatched via the bridge between Tumen and Namyang.", "Tumen–Namyang crossing"),
    ("Trucks resumed at the Tumen and Namyang border crossing.", "Tumen–Namyang crossing"),
    ("북한 노동자들이 신두만강대교를 통해 이동했다.", "Tumen River Bridge (Quanhe–Wonjong)"),
    ("화물열차가 조중우의교를 건너왔다.", "Sino-Korean Friendship Bridge"),
])
def test_a_crossing_named_by_its_two_towns_or_its_local_name_is_the_crossing(text, place):
    assert {c["place"] for c in read(text) if c["located"]} == {place}


def test_two_towns_merely_joined_by_and_stay_the_two_towns():
    assert {c["place"] for c in read("Trucks resumed between Rason and Hunchun.")} == {"Rason", "Hunchun"}


def test_the_bridge_is_the_crossing_last_named():
    [c] = read("The Sino-Korean Friendship Bridge crosses the Yalu. The bridge was constructed between April 1937 "
               "and May 1943.")
    assert (c["event_type"], c["place"], c["place_text"]) == ("crossing_construction", "Sino-Korean Friendship Bridge",
                                                              "The bridge")
    assert "last named" in c["location_note"]


def test_a_river_is_never_a_pin_and_not_the_town_of_its_name():
    assert not [c for c in read("Defectors escaped across the Tumen River.") if c["located"]]
    assert not [c for c in read("Defectors escaped across the Yalu (압록강).") if c["located"]]


# Chinese and Korean --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "event_type", "places"), [
    ("北韩工人在丹东罢工。", "worker_strike", {"Dandong"}),
    ("中国在图们遣返了朝鲜人。", "repatriation", {"Tumen"}),
    ("북한 화물열차가 16일 신의주에서 출발해 단둥에 도착했다.", "rail_freight_resumption", {"Sinuiju", "Dandong"}),
    ("중국이 훈춘에서 탈북민을 강제 송환했다.", "repatriation", {"Hunchun"}),
    ("북한 노동자들이 신의주로 귀국했다.", "worker_return", {"Sinuiju"}),
])
def test_chinese_and_korean_names_and_wording_give_pinned_candidates(text, event_type, places):
    candidates = read(text, dt.date(2022, 1, 16))
    assert {c["place"] for c in candidates if c["event_type"] == event_type and c["located"]} == places


# Actors and descriptions get no pin ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Beijing said it would not repatriate the defectors.",
    "Pyongyang's decision to reopen the border surprised traders.",
    "China's foreign ministry denied the repatriation.",
    "The defectors were repatriated by Beijing.",
    "China defended Beijing's approach to the repatriation.",
    "베이징은 강제 송환을 부인했다.",
    "Tourists were allowed back, with Pyongyang, the capital city, still off limits.",
])
def test_a_capital_or_country_named_as_an_actor_gets_no_pin(text):
    candidates = read(text)
    assert candidates and not [c for c in candidates if c["located"]]


def test_a_capital_named_as_the_scene_gets_its_pin():
    assert {c["place"] for c in read("Scheduled flights to Beijing resumed on 22 August 2023.") if c["located"]} == {
        "Beijing"}


@pytest.mark.parametrize(("text", "places"), [
    ("The defectors were sent back shortly after the Asian Games held in Hangzhou.", set()),
    ("The New Yalu River Bridge was built as a replacement for the Sino-Korean Friendship Bridge.",
     {"New Yalu River Bridge"}),
    ("Trucks resumed in Dandong, across the river from Sinuiju.", {"Dandong"}),
    ("북한 신의주와 마주보고 있는 단둥 당국이 국경을 다시 열 것으로 보인다.", {"Dandong"}),
])
def test_a_place_named_only_to_describe_another_gets_no_pin(text, places):
    assert {c["place"] for c in read(text) if c["located"]} == places


# Every event type, in ordinary news wording --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "event_type"), [
    ("North Korea sealed its border with China in January 2020.", "border_closure"),
    ("North Korea reopened its border in August 2023.", "border_reopening"),
    ("Freight trains between Dandong and Sinuiju resumed on Monday.", "rail_freight_resumption"),
    ("Freight train services were suspended in April.", "rail_freight_suspension"),
    ("Trucks began crossing again at Hunchun.", "road_freight_resumption"),
    ("Customs in Hunchun reopened.", "customs_reopening"),
    ("China resumed passenger train service to Pyongyang.", "passenger_rail_resumption"),
    ("It was the first flight since 2020 between the two capitals.", "flight_resumption"),
    ("Chinese tour groups resumed trips to Sinuiju.", "tourism_resumption"),
    ("Tours to Rason were suspended until further notice.", "tourism_suspension"),
    ("Bridge construction started in 2011.", "crossing_construction"),
    ("Thousands of workers were dispatched to seafood plants in Dandong.", "worker_deployment"),
    ("Hundreds of North Korean workers were sent home from Dandong.", "worker_return"),
    ("North Korean workers staged a strike over unpaid wages.", "worker_strike"),
    ("Workers rioted at a factory in Helong.", "worker_strike"),
    ("China forcibly repatriated hundreds of North Koreans.", "repatriation"),
    ("A diplomat defected to the South.", "defection"),
    ("The women disappeared from their factory.", "disappearance"),
    ("Two workers tried to escape.", "escape"),
    ("Police detained the defectors in Yanji.", "detention"),
    ("Managers extorted money from the workers.", "extortion"),
    ("The workers live under constant surveillance.", "surveillance"),
])
def test_each_event_type_is_found_in_ordinary_news_wording(text, event_type):
    assert event_type in {c["event_type"] for c in read(text)}


def test_every_event_type_of_the_vocabulary_is_covered_by_the_wording_test():
    covered = {t for _, t in test_each_event_type_is_found_in_ordinary_news_wording.pytestmark[0].args[1]}
    assert covered == set(EVENT_TYPES) - {UNCLASSIFIED}  # imports' type for an unmapped type: no wording


def test_passenger_trains_are_not_freight():
    assert {c["event_type"] for c in read("Passenger trains resumed between Beijing and Pyongyang.")} == {
        "passenger_rail_resumption"}


# Sentences ------------------------------------------------------------------------------------------------------

def test_a_hard_wrapped_text_is_read_as_whole_sentences():
    text = ("Whereas North Korean escapees in China, the vast majority of\n"
            "whom are women, are again being forcibly returned to the Democratic\n"
            "People's Republic of Korea with the opening up of the border in 2023;\n"
            "Whereas the Governments of China and North Korea are now seeking to\n")
    sentences = [s for s, _ in split_sentences(text)]
    assert sentences[0].startswith("Whereas North Korean") and sentences[0].endswith("border in 2023;")


def test_wikipedia_footnote_marks_are_dropped_and_do_not_glue_sentences():
    sentences = [s for s, _ in split_sentences("It is a replacement.[citation needed] Construction began in "
                                               "October 2011[1] and stalled.[2][3] In April 2020 it resumed.")]
    assert sentences == ["It is a replacement.", "Construction began in October 2011 and stalled.",
                         "In April 2020 it resumed."]


@pytest.mark.parametrize(("text", "labels", "says"), [
    (b"an article", b"{bad", "cannot read the labels as UTF-8 JSON"),
    (b"an article", b'{"publisher": "p", "title": "t", "published": "2020-13-01"}', "published: not a YYYY-MM-DD"),
    (b"an article", b'{"publisher": "p", "title": "t", "published": "2020-01-01", "events": [1]}', "events:"),
    (b"\xff\xfe", b'{"publisher": "p", "title": "t", "published": "2020-01-01"}', "cannot read the article"),
])
def test_a_broken_labelled_article_gives_one_line_naming_the_file_not_a_traceback(tmp_path, text, labels, says):
    import subprocess
    import sys

    (tmp_path / "a.txt").write_bytes(text)
    (tmp_path / "a.json").write_bytes(labels)
    result = subprocess.run([sys.executable, "-m", "geo", "ingest-eval", str(tmp_path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(tmp_path / "a.") in result.stderr and says in result.stderr, result.stderr
