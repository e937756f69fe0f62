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
from geo.ingest.places import PlaceContext, country_in, describes_another, place_words, places_for
from geo.ingest.rules import types_in
from geo.ingest.sentences import MAX_SENTENCE_CHARS, split_sentences
from geo.ingest.suggest import TIME_ANCHOR, Reading, clauses, judge, mark, side_clauses
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
    features: list[tuple[dict[str, Any], Reading]] = []
    sentences = split_sentences(text)
    dated_sentences: list[tuple[int, list[str]]] = []  # event sentences that give a date, and their types
    scenes = _Scenes(sentences, gazetteer)
    for index, (sentence, caption) in enumerate(sentences):
        found = find_dates(sentence, published, dates)
        update_context(dates, found)
        types = types_in(sentence)
        caption_note = ""
        if caption and not types and CAPTION_RAIL.search(sentence):
            types, caption_note = [CAPTION_RAIL_TYPE], (
                " From a photo caption about a station or train; the event type is a guess to check.")
        mentions = scenes.mentions(index) if types or "bridge" in sentence.lower() or "crossing" in sentence.lower() \
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
        side = side_clauses(sentence)
        main_dates = [f for f in found if not any(a <= f.start < b for a, b in side)] or found
        first = main_dates[0] if main_dates else None  # "handed ... who had fled last year ... on Tuesday": Tuesday
        told_on = not found and any(told[0] == index - 1 and set(told[1]) & set(types) for told in dated_sentences)
        if found or TIME_ANCHOR.search(sentence):  # a date, or words that place it in the news ("still", 계속)
            dated_sentences.append((index, types))
        main_types = clauses(sentence).main_types if side else types
        for event_type in types:
            # a place in a side clause is the scene of that clause's event, not of the main clause's
            own = [m for m in places if event_type not in main_types or not any(a <= m.start < b for a, b in side)]
            for mention in own or (scenes.around(index) if event_type not in COUNTRY_WIDE else []) or [None]:
                date = _nearest(main_dates, mention.start) if mention is not None else first
                guess = date.guess if date else undated(sentence, published)
                features.append((_candidate(event_type, mention, sentence, guess, country, source, caption_note,
                                            figures), Reading(sentence, index, bool(found), tuple(types), told_on,
                                                              tuple(m.place.name for m in places))))
    unique = _unique_ids(features)
    collection = {"type": "FeatureCollection", "features": [feature for feature, _ in unique]}
    problems = validate_collection(collection, "<ingest>")
    if problems:  # a bug here, not bad input: never hand out candidates that would break the dataset
        raise ValueError("ingest produced invalid candidates: " + "; ".join(str(p) for p in problems[:5]))
    mark(unique)  # after validation: the suggestion is the review's, not a field of an event
    return collection


NEIGHBOURS = 1
"""How many sentences before (first) and after an event sentence without a place may lend it theirs."""
BORROWED = "this sentence does not"  # the end of the note on a place lent by a neighbouring sentence
NEIGHBOUR_CHARS = 600
"""A longer 'sentence' (a window of a paragraph without full stops) lends no place: it is not one sentence."""
COUNTRY_WIDE = frozenset({EventType.BORDER_CLOSURE, EventType.BORDER_REOPENING, EventType.TOURISM_SUSPENSION,
                          EventType.TOURISM_RESUMPTION})
"""Event types a country decides as a whole: never placed from a neighbouring sentence."""


class _Scenes:
    """The places each sentence of an article names as scenes, found only for the sentences that are asked about
    (the gazetteer's search is the costliest step of the reading)."""

    def __init__(self, sentences: list[tuple[str, bool]], gazetteer: Gazetteer):
        self.sentences, self.gazetteer = sentences, gazetteer
        self._mentions: dict[int, list[Mention]] = {}
        self._scenes: dict[int, list[Mention]] = {}

    def mentions(self, index: int) -> list[Mention]:
        """The gazetteer's places in sentence `index`."""
        if index not in self._mentions:
            self._mentions[index] = self.gazetteer.find(self.sentences[index][0])
        return self._mentions[index]

    def scenes(self, index: int) -> list[Mention]:
        """The towns and crossings with a pin that sentence `index` names as scenes, whatever it reports: not
        actors, countries, rivers or places named to describe another."""
        if index not in self._scenes:
            found = places_for(self.sentences[index][0], self.mentions(index), PlaceContext(self.gazetteer))
            self._scenes[index] = [m for m in found if m.place.kind in ("town", "crossing") and m.place.lon is not None]
        return self._scenes[index]

    def around(self, index: int) -> list[Mention]:
        """For an event sentence that names no place: the first scene of the nearest sentence within NEIGHBOURS
        that names one (the one before first), as a reader takes it ("... through Dandong. They were handed over
        on Tuesday."); a photo caption lends none (it tells where the photo was taken)."""
        for step in range(1, NEIGHBOURS + 1):
            for other in (index - step, index + step):
                if 0 <= other < len(self.sentences) and not self.sentences[other][1] \
                        and len(self.sentences[other][0]) <= NEIGHBOUR_CHARS and self.scenes(other):
                    written = self.sentences[other][0]
                    m = self.scenes(other)[0]
                    return [Mention(m.text, m.start, m.end, m.place,
                                    f"'{m.text}' from the sentence {'before' if other < index else 'after'} "
                                    f"(“{written[:80]}{'…' if len(written) > 80 else ''}”), which names the scene "
                                    f"{BORROWED}")]
        return []


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
        "location_note": ((place_words(mention.why) + "." if mention else "No place in the sentence.")
                          + caption_note).strip(),
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


def _unique_ids(features: list[tuple[dict[str, Any], Reading]]) -> list[tuple[dict[str, Any], Reading]]:
    """One candidate per event type, place and dates: a headline that repeats the body (or two sentences
    saying the same) gives one candidate, whose evidence is the first sentence that said it, or else the first
    that reports it as an event (`geo.ingest.suggest.judge`: "Laos Deports 9 North Korean Defectors to China", a
    headline without a date, then "Laos has sent back to China nine North Koreans"); a place lent by a
    neighbouring sentence gives none where that sentence reports the same type at that place itself."""
    kept: dict[tuple[Any, ...], int] = {}
    out: list[tuple[dict[str, Any], Reading]] = []
    own = {(f["properties"]["event_type"], f["properties"]["place"]) for f, _ in features if not _borrowed(f)}
    for feature, reading in features:
        if _borrowed(feature) and (feature["properties"]["event_type"], feature["properties"]["place"]) in own:
            continue  # the sentence that names the place reports it itself
        p = feature["properties"]
        key = (p["event_type"], p["place"], p.get("country"), p.get("date_start"), p.get("date_end"))
        if key not in kept:  # the id hashes type, place and sentence, so equal ids have equal keys
            kept[key] = len(out)
            out.append((feature, reading))
        elif judge(p["event_type"], reading)[0] and not judge(p["event_type"], out[kept[key]][1])[0]:
            out[kept[key]] = (feature, reading)
    return out


def _borrowed(feature: dict[str, Any]) -> bool:
    """Whether the candidate's place was lent by a neighbouring sentence (see _Scenes.around)."""
    return BORROWED in (feature["properties"].get("location_note") or "")


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "x"
