"""The ingest reads articles it was not tuned to: a labelled set of real articles meets its targets, dates no
candidate after publication, and a broken label is one line naming the file. The candidates it suggests are the
texts' core events: on the short paragraphs written for the set (candidate precision and event recall), and
without the old articles' figures falling."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo.events.schema import EVENT_TYPES
from geo.ingest.evaluation import DEFAULT_FOLDER, TARGETS, evaluate, main
from geo.reference.gazetteer import load_gazetteer

LICENCES = {"U.S. government work (public domain)", "CC BY-SA 4.0, Wikipedia contributors"}
WRITTEN = "written for this set (the project's own words)"
BEFORE_SUGGESTIONS = {"place_precision": 0.917, "place_recall": 0.917, "event_type_accuracy": 1.0,
                      "date_accuracy": 0.765}
"""The retrieved articles' figures before the suggestion and places lent by neighbouring sentences (issue #24)."""


@pytest.fixture(scope="module")
def result() -> dict:
    return evaluate(DEFAULT_FOLDER)


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
        if label.get("written_for_this_set"):  # our own words: no address, no outside licence
            assert label["licence"] == WRITTEN and label["label_note"] and "url" not in label, path.name
        else:
            assert label["licence"] in LICENCES and label["url"].startswith("http"), path.name
        assert isinstance(label["partial"], bool)
        dt.date.fromisoformat(label["published"])
        for event in label["events"]:
            assert event["event_type"] in EVENT_TYPES, (path.name, event)
            assert not event["place"] or event["place"] in label["places"], (path.name, event)
            assert all(not event.get(k) or dt.date.fromisoformat(event[k]) for k in ("date_start", "date_end"))
            assert isinstance(event.get("core", True), bool)
        assert not set(label["places"]) & set(label["metonyms"])
        assert all(m in places for m in label["metonyms"]), path.name


def test_main_prints_a_line_per_article_then_the_overall_figures_as_json(capsys):
    assert main() == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(list(DEFAULT_FOLDER.glob("*.json"))) + 2 + 2  # and a line for each of the two sets
    assert lines[-4].startswith("retrieved set") and lines[-3].startswith("written set")
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


def test_the_paragraphs_written_for_the_set_meet_the_suggestions_targets(result):
    written = result["sets"]["written"]
    assert written["articles"] >= 10
    assert written["candidate_precision"] >= TARGETS["candidate_precision"] == 0.85, written
    assert written["event_recall"] >= TARGETS["event_recall"] == 0.8, written
    no_event = [a for a in result["articles"] if a["written"] and a["core_events"] == 0]
    assert len(no_event) >= 3 and all(a["suggested"] == 0 for a in no_event)  # places described: nothing ticked


def test_the_retrieved_articles_score_no_lower_than_before_the_suggestions(result):
    retrieved = result["sets"]["retrieved"]
    assert all(retrieved[name] >= before for name, before in BEFORE_SUGGESTIONS.items()), retrieved


def test_the_retrieved_articles_suggestions_meet_the_written_sets_targets_too(result):
    # The articles were labelled before the suggestion existed: the fairer measure of text it was not fitted to.
    retrieved = result["sets"]["retrieved"]
    assert retrieved["candidate_precision"] >= TARGETS["candidate_precision"], retrieved
    assert retrieved["event_recall"] >= TARGETS["event_recall"], retrieved


def test_the_paragraphs_written_to_measure_the_clause_rules_are_in_the_set(result):
    later = [a for a in result["articles"] if a["written"] and a["name"][:3] in ("w13", "w14", "w15", "w16")]
    assert len(later) == 4 and all(a["core_events"] == 1 for a in later)
    assert sum(a["suggested_core"] for a in later) == sum(a["suggested"] for a in later) >= 4


def test_a_suggested_candidate_counts_only_when_it_is_a_core_event_of_the_text(tmp_path):
    (tmp_path / "a.txt").write_text("Police in Yanji arrested three North Korean women on 2 May 2024, a pastor said. "
                                    "They were sent back across the border on 20 May 2024.", encoding="utf-8")
    labels = {"publisher": "E", "title": "t", "published": "2024-06-01", "places": ["Yanji"], "events": [
        {"event_type": "repatriation", "place": "", "date_start": "2024-05-20", "date_end": "2024-05-20"},
        {"event_type": "detention", "place": "Yanji", "date_start": "2024-05-02", "date_end": "2024-05-02",
         "core": False}]}
    (tmp_path / "a.json").write_text(json.dumps(labels), encoding="utf-8")
    [article] = evaluate(tmp_path)["articles"]
    # Both are suggested; the detention is labelled background, so it is a suggestion that is not a core event.
    counts = ("suggested", "suggested_core", "core_events", "core_found")
    assert tuple(article[k] for k in counts) == (2, 1, 1, 1)
    assert article["wrong_suggestions"] == ["detention@Yanji"]
    labels["events"][1]["core"] = "no"
    (tmp_path / "a.json").write_text(json.dumps(labels), encoding="utf-8")
    with pytest.raises(ValueError, match="a.json: events: `core` must be true or false"):
        evaluate(tmp_path)


def test_the_evaluation_set_has_no_candidate_dated_after_publication(result):
    assert all(a["after_publication"] == 0 for a in result["articles"])


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
