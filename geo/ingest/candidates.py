"""From a news article to candidate events in the dataset schema, for a person to review.

Rules, not a model: each sentence (and photo caption, geo.ingest.sentences) is checked for event keywords
(geo.ingest.rules), place names (geo.ingest.places, with geo.reference.gazetteer), date expressions
(geo.ingest.dates), which are resolved against the article's publication date, and numbers of people
(geo.ingest.numbers).
Every candidate keeps the sentence it came from as `evidence` and the place as written, says how its
date and place were chosen, and is validated against the data contract before it is returned.

What the rules cover, by category of wording rather than by article:
- every event type of the vocabulary (geo.events.vocabulary) in ordinary English news wording ("resumed
  passenger train service", "the first flight since 2020", "workers staged a strike", "forcibly repatriated",
  "tour groups", "bridge construction"), and its common Korean and Chinese wording (재개, 송환, 恢复, 遣返 ...);
- numbers of people ("more than 500 North Koreans", "600여 명") as `figures`, with the source's qualifier;
- crossings named by their two towns ("the Dandong–Sinuiju crossing", "Hunchun-Rason", "between Tumen and
  Namyang") read as the crossing; "the bridge" read as the crossing last named;
- relative dates resolved against publication: weekdays ("on Monday": the latest Monday on or before
  publication), yesterday, last/this week, last/this month, last/this year, a month or a day of a month
  without a year (the latest one on or before publication, or of the year the text is dated in), early/
  mid/late <month>, ranges ("between April 1937 and May 1943"), and their Korean and Chinese forms. An
  inferred date says so (date_inferred, date_note). No candidate is dated after publication: a date that
  would fall after it (a plan, "will resume on 17 January") leaves the candidate dated only by publication.
What it will not do: put a pin on a capital or country named as an actor ("Pyongyang said", "Beijing's
approach", "China's foreign ministry"), on a country, a river or "the border" alone, or on a place named only
to describe another (the venue of "the Asian Games held in Hangzhou", "a replacement for the Friendship
Bridge", "Dandong, across the river from Sinuiju"); those events are kept without that location.

Limits, so that reading takes time linear in the text (a regex holds the GIL: one slow article would
stall every session of the server):
- an article longer than MAX_ARTICLE_CHARS (200,000 characters) is refused with ArticleTooLong;
- the two keywords of a rule ("shut ... border") may be at most KEYWORD_GAP (200) characters apart,
  within one sentence (CJK_KEYWORD_GAP, 80 characters, in Korean and Chinese); a rule is tried only when
  each of its keywords occurs in the sentence, each found by one linear search;
- a "sentence" longer than MAX_SENTENCE_CHARS (2,000 characters: a paragraph of Korean or Chinese, or
  text without full stops) is read as consecutive windows of at most that length, broken after a space
  or a sentence mark where possible; a keyword pair or a name straddling a break is missed;
- candidates_within runs the whole reading in a separate process and kills it after INGEST_SECONDS
  (10 s) of wall-clock time; candidates_from_text itself has no time limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from geo.budget import DeadlineExceeded, Limits, run_bounded
from geo.events.dates import date_label
from geo.events.schema import EVENT_LAYER, EVENT_TYPES, validate_collection
from geo.events.vocabulary import EventType
from geo.ingest.dates import DateContext, DateGuess, FoundDate, find_dates, undated, update_context
from geo.ingest.numbers import figures_in
from geo.ingest.places import PlaceContext, country_in, describes_another, places_for
from geo.ingest.rules import types_in
from geo.ingest.sentences import MAX_SENTENCE_CHARS, split_sentences
from geo.reference.gazetteer import PIN_KINDS, Gazetteer, Mention, load_gazetteer

MAX_ARTICLE_CHARS = 200_000
INGEST_SECONDS = 10


class ArticleTooLong(ValueError):
    """The article is longer than MAX_ARTICLE_CHARS; nothing of it was read."""

    def __init__(self, size: int, limit: int = MAX_ARTICLE_CHARS):
        super().__init__(f"The article is {size:,} characters long; the limit is {limit:,} characters "
                         f"(MAX_ARTICLE_CHARS). Split it, or paste only the article's own text.")
        self.size, self.limit = size, limit

    def __reduce__(self) -> tuple[type, tuple[int, int]]:  # so that it survives the trip from a child process
        return type(self), (self.size, self.limit)


class IngestTimeout(Exception):
    """Reading an article took longer than its budget; the process reading it was killed."""


CAPTION_RAIL = re.compile(r"\b(station|platform|train|railway)\b", re.IGNORECASE)
CAPTION_RAIL_TYPE = EventType.RAIL_FREIGHT_RESUMPTION.value  # the guess for a caption about a station or train


def _nearest(found: list[FoundDate], position: int) -> FoundDate | None:
    return min(found, key=lambda f: (abs(f.start - position), f.start)) if found else None


def candidates_from_text(text: str, published: dt.date, publisher: str, title: str, ref: str,
                         gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """A FeatureCollection of candidate events in the dataset schema (validated). Raises ArticleTooLong
    for a text longer than MAX_ARTICLE_CHARS. Runs in this process, unbounded in time: a server should
    call candidates_within. No candidate is dated after `published`."""
    if len(text) > MAX_ARTICLE_CHARS:
        raise ArticleTooLong(len(text))
    gazetteer = gazetteer or load_gazetteer()
    source = {"publisher": publisher, "title": title, "published": published.isoformat(), "ref": ref}
    seen, dates = PlaceContext(gazetteer), DateContext()
    features: list[dict[str, Any]] = []
    for index, (sentence, caption) in enumerate(split_sentences(text)):
        found = find_dates(sentence, published, dates)
        update_context(dates, found)
        types = types_in(sentence)
        caption_note = ""
        if caption and not types and CAPTION_RAIL.search(sentence):
            types, caption_note = [CAPTION_RAIL_TYPE], (
                " From a photo caption about a station or train; the event type is a guess to check.")
        mentions = gazetteer.find(sentence) if types or "bridge" in sentence.lower() or "crossing" in sentence.lower() \
            else []
        named_crossings = [m for m in mentions if m.place.kind == "crossing" and not describes_another(sentence, m)]
        if not types:
            if named_crossings:
                seen.last_crossing, seen.last_crossing_sentence = named_crossings[-1], index
            continue
        places = places_for(sentence, mentions, seen, index)
        if named_crossings:
            seen.last_crossing, seen.last_crossing_sentence = named_crossings[-1], index
        country = country_in(sentence)
        figures = figures_in(sentence)
        first = found[0] if found else None
        for event_type in types:
            for mention in places or [None]:
                date = _nearest(found, mention.start) if mention is not None else first
                guess = date.guess if date else undated(sentence, published)
                features.append(_candidate(event_type, mention, sentence, guess, country, source, caption_note,
                                           figures))
    collection = {"type": "FeatureCollection", "features": _unique_ids(features)}
    problems = validate_collection(collection, "<ingest>")
    if problems:  # a bug here, not bad input: never hand out candidates that would break the dataset
        raise ValueError("ingest produced invalid candidates: " + "; ".join(str(p) for p in problems[:5]))
    return collection


def candidates_within(text: str, published: dt.date, publisher: str, title: str, ref: str,
                      seconds: float = INGEST_SECONDS,
                      still_wanted: Callable[[], bool] | None = None) -> dict[str, Any]:
    """candidates_from_text run in a separate process that is killed after `seconds` of wall-clock time
    (its start-up, about 0.2 s, included), or as soon as `still_wanted()` says False (the reader left), so that a
    slow article cannot stall the caller's process. Raises IngestTimeout when the budget runs out,
    geo.budget.Abandoned when nobody wants the answer, ArticleTooLong at once for an over-long text, and any
    other exception of the reading as itself. Safe to call from any thread (see geo.budget)."""
    if len(text) > MAX_ARTICLE_CHARS:  # refused here: no process is started for it
        raise ArticleTooLong(len(text))
    try:
        return run_bounded(Limits(seconds, still_wanted=still_wanted), candidates_from_text, text, published,
                           publisher, title, ref)
    except DeadlineExceeded:
        raise IngestTimeout(f"Reading the article took longer than {seconds:g} s and was stopped; no "
                            f"candidates were produced. The text may be unusually long or oddly formed.") from None


def _candidate(event_type: str, mention: Mention | None, sentence: str, guess: DateGuess, country: str | None,
               source: dict[str, str], caption_note: str,
               figures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    place = mention.place if mention else None
    point = place is not None and place.lon is not None and place.kind in PIN_KINDS
    precision = ("exact" if place.kind == "crossing" else "city") if point else (
        "region" if place else ("country" if country else "unknown"))
    label = EVENT_TYPES[event_type]
    where = place.name if place else "no place given"
    when = date_label(guess.start and guess.start.isoformat(), guess.end and guess.end.isoformat(),
                      guess.precision, guess.inferred)
    props: dict[str, Any] = {
        "id": "",
        "layer": EVENT_LAYER[event_type],
        "event_type": event_type,
        "title": f"{label}: {where}",
        "summary": (f"{source['publisher']} reports {label.lower()} ({where}; {when}). Automatic candidate: "
                    f"check it against the evidence sentence before accepting."),
        "place": place.name if place else "",
        "place_text": mention.text if mention else None,
        "country": (place.country if place and len(place.country) == 2 else country),
        "location_precision": precision,
        "location_note": ((mention.why + "." if mention else "No place in the sentence.") + caption_note).strip(),
        "date_start": guess.start.isoformat() if guess.start else None,
        "date_end": guess.end.isoformat() if guess.end else None,
        "date_precision": guess.precision,
        "date_inferred": guess.inferred,
        "date_note": guess.note,
        "evidence": sentence[:MAX_SENTENCE_CHARS],
        "sources": [source],
        "figures": list(figures or []),
    }
    props = {k: v for k, v in props.items() if v is not None}
    geometry = {"type": "Point", "coordinates": [place.lon, place.lat]} if point else None
    digest = hashlib.sha1(f"{event_type}|{where}|{sentence}".encode()).hexdigest()[:8]
    props["id"] = f"{_slug(event_type)}-{_slug(where)}-{digest}"[:120]
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _unique_ids(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One candidate per event type, place and dates: a headline that repeats the body (or two sentences
    saying the same) gives one candidate, whose evidence is the first sentence that said it."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for feature in features:
        p = feature["properties"]
        key = (p["event_type"], p["place"], p.get("country"), p.get("date_start"), p.get("date_end"))
        if key not in seen:  # the id hashes type, place and sentence, so equal ids have equal keys
            seen.add(key)
            out.append(feature)
    return out


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "x"
