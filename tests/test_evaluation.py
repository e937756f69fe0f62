"""The ingest reads articles it was not tuned to: a labelled set of real articles meets its targets, dates no
candidate after publication, and a broken label is one line naming the file."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo.events.schema import EVENT_TYPES
from geo.ingest.evaluation import DEFAULT_FOLDER, TARGETS, evaluate, main
from geo.reference.gazetteer import load_gazetteer

LICENCES = {"U.S. government work (public domain)", "CC BY-SA 4.0, Wikipedia contributors"}


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
