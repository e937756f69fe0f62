"""An article's text becomes sentences and captions: hard-wrapped lines joined, footnote marks dropped, captions
apart, and an over-long sentence read as windows broken at spaces."""

from __future__ import annotations

import datetime as dt

from geo.ingest.candidates import candidates_from_text
from geo.ingest.sentences import MAX_SENTENCE_CHARS, split_sentences

PUBLISHED = dt.date(2023, 2, 23)


def test_captions_are_read_separately():
    parts = split_sentences("Platform at Dandong Station [Image source=Yonhap News]\nTrucks resumed. Then trains.")
    assert parts == [("Platform at Dandong Station", True), ("Trucks resumed.", False), ("Then trains.", False)]


def test_a_sentence_longer_than_the_limit_is_read_as_windows_broken_at_spaces():
    sentence = "Trucks resumed at Hunchun " * 300 + "and workers were dispatched to Dandong"
    parts = split_sentences(sentence)
    assert len(parts) > 1 and all(len(p) <= MAX_SENTENCE_CHARS and not caption for p, caption in parts)
    assert " ".join(p for p, _ in parts) == sentence  # nothing lost, no word cut
    found = {(f["properties"]["event_type"], f["properties"]["place"])
             for f in candidates_from_text(sentence, PUBLISHED, "E", "t", "x")["features"]}
    assert {("road_freight_resumption", "Hunchun"), ("worker_deployment", "Dandong")} <= found


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
