"""From a news article to candidate events in the dataset schema, for a person to review.

Rules, not a model: each sentence (and photo caption) is checked for event keywords, place names
(geo.gazetteer) and date expressions, which are resolved against the article's publication date.
Every candidate keeps the sentence it came from as `evidence` and the place as written, says how its
date and place were chosen, and is validated against the data contract before it is returned.
What it will not do: put a pin on a capital or country named as an actor ("Pyongyang said"), or on
a country or "the border" alone; those events are kept without a location.

Limits, so that reading takes time linear in the text (a regex holds the GIL: one slow article would
stall every session of the server):
- an article longer than MAX_ARTICLE_CHARS (200,000 characters) is refused with ArticleTooLong;
- the two keywords of a rule ("shut ... border") may be at most KEYWORD_GAP (200) characters apart,
  within one sentence;
- a "sentence" longer than MAX_SENTENCE_CHARS (2,000 characters: a paragraph of Korean or Chinese, or
  text without full stops) is read as consecutive windows of at most that length, broken after a space
  or a sentence mark where possible; a keyword pair or a name straddling a break is missed;
- candidates_within runs the whole reading in a separate process and kills it after INGEST_SECONDS
  (10 s) of wall-clock time; candidates_from_text itself has no time limit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from geo.budget import DeadlineExceeded, run_with_deadline
from geo.dates import date_label
from geo.gazetteer import Gazetteer, Mention, load_gazetteer
from geo.schema import EVENT_TYPES, validate_collection

MAX_ARTICLE_CHARS = 200_000
MAX_SENTENCE_CHARS = 2_000  # also the schema's limit on `evidence`
# The widest gap between the two keywords of a rule in the founding article is 96 characters
# ("truck traffic between Rason and Hunchun, ... has resumed"); twice that keeps every real sentence.
KEYWORD_GAP = 200
INGEST_SECONDS = 10
_GAP = rf"[^.]{{0,{KEYWORD_GAP}}}"  # what may stand between two keywords: no full stop, and not much


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


EVENT_RULES: dict[str, re.Pattern[str]] = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
    "border_closure": rf"\b(lock(?:ed|s)?\s+down|seal(?:ed|s|ing)?|clos(?:ed|ing|ure)|shut)\b{_GAP}\bborders?\b"
                      rf"|\bborders?\b{_GAP}\b(closed|closure|sealed|shut)\b",
    "rail_freight_resumption": rf"\b(resum\w*|restart\w*|reopen\w*)\b{_GAP}\b(train|rail\w*)\b"
                               rf"|\b(train|rail\w*)\b{_GAP}\b(resum\w*|restart\w*)",
    "road_freight_resumption": rf"\btruck\w*\b{_GAP}\b(resum\w*|begun|began|restart\w*)|\bresum\w*\b{_GAP}\btruck",
    "customs_reopening": rf"\bcustoms\b{_GAP}\b(reactivat\w*|reopen\w*|resum\w*)",
    "worker_deployment": rf"\bworkers?\b{_GAP}\b(dispatch\w*|commut\w*|stationed|sent to)\b|\bdispatched to\b",
    "repatriation": r"\brepatriat\w*|\bcall(?:ed|ing)? back\b",
    "defection": r"\bdefect(?:ed|ion|ions|ing|s)?\b",
    "disappearance": r"\bdisappear\w*|\bwent missing\b|\bas .?missing",
    "escape": r"\bescap\w*",
    "detention": r"\b(caught|arrest\w*|detain\w*|detention)\b",
    "extortion": r"\bextort\w*",
    "surveillance": r"\bsurveillance\b",
}.items()}
CAPTION_RAIL = re.compile(r"\b(station|platform|train|railway)\b", re.IGNORECASE)
CAPTION_TAG_CHARS = 200  # "[Image source=Yonhap News]"; bounded so that "[Image" x 10,000 is not quadratic
CAPTION = re.compile(rf"\[(?:Image|Photo)[^\]]{{0,{CAPTION_TAG_CHARS}}}\]", re.IGNORECASE)
WINDOW_BREAKS = (" ", "\t", "。", "！", "？", "；", "，", "、")  # where a long sentence is best broken
LOCATIVE = re.compile(r"\b(in|at|to|into|from|near|outside|inside|around)\s+$", re.IGNORECASE)
IN_COUNTRY = re.compile(r"\b(?:in|to|into|across|throughout)\s+(China|North Korea|Russia)\b")
COUNTRY_CODES = {"China": "CN", "North Korea": "KP", "Russia": "RU"}
LAYER_OF = {"border_closure": "trade_routes", "rail_freight_resumption": "trade_routes",
            "road_freight_resumption": "trade_routes", "customs_reopening": "trade_routes",
            "worker_deployment": "worker_locations"}
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTH = "(" + "|".join(MONTHS) + ")"
SEASONS = {"winter": 12, "spring": 3, "summer": 6, "autumn": 9, "fall": 9}
SEASON = "(" + "|".join(SEASONS) + ")"


@dataclass(frozen=True)
class DateGuess:
    start: dt.date | None
    end: dt.date | None
    precision: str
    inferred: bool
    note: str


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _season_span(year: int, season: str) -> tuple[dt.date, dt.date]:
    """The season starting in `year` (winter runs December to February)."""
    first = SEASONS[season]
    start = dt.date(year, first, 1)
    last_month = (first + 1) % 12 + 1
    last_year = year + (1 if first == 12 else 0)
    return start, _month_span(last_year, last_month)[1]


def resolve_date(sentence: str, published: dt.date, context_year: int | None) -> tuple[DateGuess, int | None]:
    """The dates a sentence's own words give, relative to `published`; and the year it talks about
    (for a later 'the same year')."""
    text = sentence.lower()
    cap = min  # no date may run past publication

    def said(match: re.Match[str]) -> str:
        return sentence[match.start():match.end()] if len(text) == len(sentence) else match.group(0)

    if m := re.search(rf"\b{MONTH}\s+(\d{{4}})\b", text):
        start, end = _month_span(int(m.group(2)), MONTHS[m.group(1)])
        return DateGuess(start, end, "month", False, f"The sentence says '{said(m)}'."), int(m.group(2))
    if m := re.search(rf"\b{MONTH}\s+last year\b", text):
        year = published.year - 1
        start, end = _month_span(year, MONTHS[m.group(1)])
        return DateGuess(start, end, "month", True,
                         f"'{said(m)}' in an article published {published}: {start:%B %Y}."), year
    if m := re.search(rf"\b(?:the\s+)?{SEASON}\s+of\s+(?:the\s+)?same year\b", text):
        if context_year is not None:
            start, end = _season_span(context_year, m.group(1))
            return DateGuess(start, cap(end, published), "season", True,
                             f"'{said(m)}' refers back to {context_year}; read as the {m.group(1)} starting "
                             f"{start:%B %Y}, up to publication at the latest."), context_year
    if m := re.search(rf"\blast\s+{SEASON}\b", text):
        year = published.year if dt.date(published.year, SEASONS[m.group(1)], 1) <= published else published.year - 1
        start, end = _season_span(year, m.group(1))
        return DateGuess(start, cap(end, published), "season", True,
                         f"'{said(m)}' in an article published {published}: read as the {m.group(1)} starting "
                         f"{start:%B %Y} (it could also mean the one before)."), year
    if m := re.search(r"\blast year\b", text):
        year = published.year - 1
        return DateGuess(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", True,
                         f"'last year' in an article published {published}: {year}."), year
    if m := re.search(r"\bon the (\d{1,2})(?:st|nd|rd|th)\b", text):
        day = int(m.group(1))
        month_start = published.replace(day=1)
        if day > published.day:
            month_start = (month_start - dt.timedelta(days=1)).replace(day=1)
        if day <= calendar.monthrange(month_start.year, month_start.month)[1]:
            when = month_start.replace(day=day)
            return DateGuess(when, when, "day", True,
                             f"'{said(m)}' in an article published {published}: {when}."), when.year
    if m := re.search(rf"\b(?:in|held in|by|until)\s+{MONTH}\b(?!\s+\d)", text):
        month = MONTHS[m.group(1)]
        year = published.year if month >= published.month else published.year + 1
        start, end = _month_span(year, month)
        return DateGuess(start, end, "month", True,
                         f"'{said(m)}' with no year, in an article published {published}: {start:%B %Y}."), year
    if m := re.search(r"\b(19|20)(\d{2})\b", text):
        year = int(m.group(0))
        return DateGuess(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", False,
                         f"The sentence names the year {year}."), year
    recent = re.search(r"\brecent(ly)?\b", text)
    note = ("The sentence says only 'recently'" if recent else "The sentence gives no date")
    return DateGuess(None, published, "unknown", True,
                     f"{note}: known only to have been reported by publication ({published})."), context_year


def split_sentences(text: str) -> list[tuple[str, bool]]:
    """Sentences and photo captions, in order; True marks a caption. None is longer than
    MAX_SENTENCE_CHARS: a longer one comes as consecutive windows (see `_windows`)."""
    out: list[tuple[str, bool]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("©"):
            continue
        if CAPTION.search(line):
            out.extend((window, True) for window in _windows(CAPTION.sub("", line).strip()))
            continue
        for sentence in re.split(r'(?<=[.!?])["”]?\s+(?=["“\[]?[A-Z])', line):
            out.extend((window, False) for window in _windows(sentence.strip()))
    return out


def _windows(sentence: str) -> list[str]:
    """`sentence` (if not empty) in consecutive pieces of at most MAX_SENTENCE_CHARS characters, each
    broken after the last space or sentence mark in its second half, or else cut at the limit."""
    pieces: list[str] = []
    start = 0
    while len(sentence) - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        mark = max(sentence.rfind(ch, start + MAX_SENTENCE_CHARS // 2, limit) for ch in WINDOW_BREAKS)
        end = mark + 1 if mark >= 0 else limit
        pieces.append(sentence[start:end].strip())
        start = end
    pieces.append(sentence[start:].strip())
    return [piece for piece in pieces if piece]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "x"


def _is_actor(sentence: str, mention: Mention) -> bool:
    """A capital named without a locative preposition before it ('Pyongyang said', 'entering
    Pyongyang') stands for a government or a destination, not the scene of the event."""
    if mention.place.kind != "capital":
        return False
    # LOCATIVE ends with the spaces before the name and a preposition (of 7 letters at most) before
    # those: search only there, not the whole sentence before every capital it names.
    word_end = mention.start
    while word_end > 0 and sentence[word_end - 1].isspace():
        word_end -= 1
    return not LOCATIVE.search(sentence, max(0, word_end - 8), mention.start)


def _places_for(sentence: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions an event can be placed at: towns, crossings, regions; provinces only when no town
    of the same country is named; never countries or actor capitals."""
    usable = [m for m in mentions if m.place.kind != "country" and not _is_actor(sentence, m)]
    towns = {m.place.country for m in usable if m.place.kind in ("town", "crossing", "capital")}
    usable = [m for m in usable if not (m.place.kind == "province" and m.place.country in towns)]
    unique: dict[str, Mention] = {}
    for m in usable:
        unique.setdefault(m.place.name, m)
    return list(unique.values())


def candidates_from_text(text: str, published: dt.date, publisher: str, title: str, ref: str,
                         gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """A FeatureCollection of candidate events in the dataset schema (validated). Raises ArticleTooLong
    for a text longer than MAX_ARTICLE_CHARS. Runs in this process, unbounded in time: a server should
    call candidates_within."""
    if len(text) > MAX_ARTICLE_CHARS:
        raise ArticleTooLong(len(text))
    gazetteer = gazetteer or load_gazetteer()
    source = {"publisher": publisher, "title": title, "published": published.isoformat(), "ref": ref}
    features: list[dict[str, Any]] = []
    context_year: int | None = None
    for sentence, caption in split_sentences(text):
        guess, context_year = resolve_date(sentence, published, context_year)
        types = [t for t, rule in EVENT_RULES.items() if rule.search(sentence)]
        caption_note = ""
        if caption and not types and CAPTION_RAIL.search(sentence):
            types, caption_note = ["rail_freight_resumption"], (
                " From a photo caption about a station or train; the event type is a guess to check.")
        if not types:
            continue
        mentions = gazetteer.find(sentence)
        places = _places_for(sentence, mentions)
        country_match = IN_COUNTRY.search(sentence)
        country = COUNTRY_CODES[country_match.group(1)] if country_match else None
        for event_type in types:
            for mention in places or [None]:
                features.append(_candidate(event_type, mention, sentence, guess, country, source,
                                           caption_note))
    collection = {"type": "FeatureCollection", "features": _unique_ids(features)}
    problems = validate_collection(collection, "<ingest>")
    if problems:  # a bug here, not bad input: never hand out candidates that would break the dataset
        raise ValueError("ingest produced invalid candidates: " + "; ".join(str(p) for p in problems[:5]))
    return collection


def candidates_within(text: str, published: dt.date, publisher: str, title: str, ref: str,
                      seconds: float = INGEST_SECONDS) -> dict[str, Any]:
    """candidates_from_text run in a separate process that is killed after `seconds` of wall-clock time
    (its start-up, about 0.2 s, included), so that a slow article cannot stall the caller's process.
    Raises IngestTimeout when the budget runs out, ArticleTooLong at once for an over-long text, and
    any other exception of the reading as itself. Safe to call from any thread (see geo.budget)."""
    if len(text) > MAX_ARTICLE_CHARS:  # refused here: no process is started for it
        raise ArticleTooLong(len(text))
    try:
        return run_with_deadline(seconds, candidates_from_text, text, published, publisher, title, ref)
    except DeadlineExceeded:
        raise IngestTimeout(f"Reading the article took longer than {seconds:g} s and was stopped; no "
                            f"candidates were produced. The text may be unusually long or oddly formed.") from None


def _candidate(event_type: str, mention: Mention | None, sentence: str, guess: DateGuess, country: str | None,
               source: dict[str, str], caption_note: str) -> dict[str, Any]:
    place = mention.place if mention else None
    point = place is not None and place.lon is not None and place.kind in ("town", "crossing", "capital")
    precision = ("exact" if place.kind == "crossing" else "city") if point else (
        "region" if place else ("country" if country else "unknown"))
    label = EVENT_TYPES[event_type]
    where = place.name if place else "no place given"
    when = date_label(guess.start and guess.start.isoformat(), guess.end and guess.end.isoformat(),
                      guess.precision, guess.inferred)
    props: dict[str, Any] = {
        "id": "",
        "layer": LAYER_OF.get(event_type, "incidents"),
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


REVIEW_COLUMNS = ("accept", "place", "event_type", "title", "date_start", "date_end", "date_precision",
                  "location_precision", "evidence", "summary", "id")


def review_rows(collection: dict[str, Any]) -> list[dict[str, Any]]:
    """One editable row per candidate, located ones first and ticked, the rest unticked."""
    rows = []
    for feature in sorted(collection["features"], key=lambda f: f["geometry"] is None):
        p = feature["properties"]
        rows.append({"accept": feature["geometry"] is not None,
                     **{k: p.get(k) for k in REVIEW_COLUMNS if k != "accept"}})
    return rows


def apply_review(collection: dict[str, Any], rows: list[dict[str, Any]],
                 gazetteer: Gazetteer | None = None) -> list[dict[str, Any]]:
    """The accepted candidates with the reviewer's edits applied; a changed place moves the point to
    that gazetteer place (or removes it for a region or an unknown place). Not yet validated."""
    gazetteer = gazetteer or load_gazetteer()
    by_id = {f["properties"]["id"]: f for f in collection["features"]}
    accepted = []
    for row in rows:
        if not row.get("accept") or row.get("id") not in by_id:
            continue
        feature = {"type": "Feature", "geometry": by_id[row["id"]]["geometry"],
                   "properties": dict(by_id[row["id"]]["properties"])}
        props = feature["properties"]
        for key in ("event_type", "title", "summary", "date_start", "date_end", "date_precision",
                    "location_precision"):
            value = row.get(key)
            if isinstance(value, float) and value != value:  # an empty cell of a data editor
                value = None
            props[key] = value.isoformat()[:10] if isinstance(value, dt.date) else value
            if props[key] is None:
                props.pop(key)
        props["layer"] = LAYER_OF.get(props["event_type"], "incidents")
        if (row.get("place") or "") != props.get("place", ""):
            place = gazetteer.places.get(row.get("place") or "")
            props["place"] = place.name if place else ""
            located = place is not None and place.lon is not None and place.kind in ("town", "crossing", "capital")
            feature["geometry"] = {"type": "Point", "coordinates": [place.lon, place.lat]} if located else None
            props["location_precision"] = (("exact" if place.kind == "crossing" else "city") if located
                                           else ("region" if place else "unknown"))
            props["location_note"] = "Place chosen by the reviewer."
        accepted.append(feature)
    return accepted
