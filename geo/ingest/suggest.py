"""Which candidates the review page suggests (ticks at first): those the text itself supports as an event.

A candidate is suggested when its sentence, read as an editor would, reports it:
- an event word of its type used as an event, not as the name of a thing ("detention centres", "the
  repatriation policy", "defectors' groups": the place is then only described);
- a date or time anchor: a date of the sentence's own, or words that place it in the news ("has resumed",
  "recently", "this week", 최근, 近日);
- in the sentence's main clause, not only in a clause that says when something else happened ("since the
  border reopened", "after it reopened Rason", "as North Korea eased its border restrictions", "following the
  reopening of", "with the opening up of the border") or who someone is ("nine North Koreans who fled their
  homeland", "those who have been repatriated");
- the type whose verb governs that clause when two compete: "shut its borders to foreign tourists" is a
  tourism suspension, not a border closure, and "shut ... again" is no resumption;
- not hedged (in the main clause): not a plan or a possibility ("could resume", "plans to", 재개될 것), not an
  appeal ("urged China not to repatriate"), not denied ("did not resume"), not background told in the
  pluperfect ("had been held"), as history ("for decades", "in the past", 과거) or as a habit ("routinely",
  "usually") without a date of its own;
- not a duplicate: of several candidates for the same event (same type, the same place or none, or sentences
  that name a scene in common, and dates that overlap) only the one that says most (a place, then a known date,
  then the earlier sentence) is suggested;
  and a detention told in the sentence of a repatriation is taken as part of that repatriation.
The decision is `suggested` with `suggested_reason`, a short plain sentence a reviewer reads on the card.
Nothing here imports another ingest module: candidates passes each candidate's sentence and reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from geo.events.vocabulary import EVENT_TYPES, EventType
from geo.ingest.dates import PLAN
from geo.ingest.rules import types_in

E = EventType
SUGGESTED, REASON = "suggested", "suggested_reason"
CANDIDATE_ONLY = (SUGGESTED, REASON)
"""The properties only a candidate carries (the review's suggestion); never part of a stored event."""

# A type's keyword used as the name of a thing, not an event: the sentence describes, it does not report.
THING_USE: dict[str, re.Pattern[str]] = {
    E.DETENTION: re.compile(r"\bdetainees?\b|\b(?:detention|prison|jail|custody)\s+(?:centres?|centers?|facilit\w+"
                            r"|camps?|house\w*|conditions|system)\b|\bdetention\b(?!\s+of)|수용소|拘留所|看守所",
                            re.IGNORECASE),
    E.REPATRIATION: re.compile(r"\brepatriation\s+(?:polic\w+|law|laws|issue|practice|agreement|treaty|cases?)\b"
                               r"|\b(?:policy|practice|issue)\s+of\s+(?:forced\s+)?repatriation\b", re.IGNORECASE),
    E.ESCAPE: re.compile(r"\bescapees?\b", re.IGNORECASE),
    E.SURVEILLANCE: re.compile(r"\bsurveillance\s+(?:cameras?|systems?|equipment|network)\b", re.IGNORECASE),
}
# Words that tie the sentence to the news of the day when it gives no date of its own.
TIME_ANCHOR = re.compile(
    r"\b(?:has|have)\s+(?:\w+ly\s+)?(?:been\s+)?\w+(?:ed|en|t|wn|un)\b|\brecent(?:ly)?\b|\bthis\s+(?:week|month|morning)\b"
    r"|\btoday\b|\byesterday\b|\bnow\b|\bso far\b"
    r"|\b(?:that|the same|the next|the following) (?:day|night|week|morning|evening|afternoon)\b"
    r"|\b(?:following|after)\s+the\b|\b(?:later|soon|shortly)\b|\bstill\b|\bcontinu(?:e|es|ing)\s+to\b"
    r"|최근|지난|오늘|어제|이번|이날|당일|계속|近日|最近|日前|昨天|今天|当天|仍然|继续",
    re.IGNORECASE)
RIEUL_FINAL = "".join(chr(c) for c in range(0xAC00, 0xD7A4) if (c - 0xAC00) % 28 == 8)
"""The Hangul syllables ending in ㄹ: before 것 they make the prospective "will" (재개될 것, 나올 것으로)."""
HEDGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:urg\w+|call(?:ed|s|ing)?\s+on|appeal\w*\s+to|demand\w*|ask\w*)\s+(?:\w+\s+){0,4}"
                r"(?:to\s+(?:stop|end|halt|cease|not|refrain)|not\s+to)\b|\bshould\b|\bmust\s+(?:stop|end|not)\b"
                r"|중단하라|촉구|停止遣返", re.IGNORECASE),
     "an appeal, not a report: the sentence asks for something to happen or stop"),
    (re.compile(r"\b(?:could|might|would|will|shall|may)\s+(?!have\b)|\b(?:plans?|planned|planning|intends?|aims?"
                r"|expected|likely|set|due|about|threaten\w*|prepar\w+)\s+to\b|\bif\b|\bfears?\s+(?:of|that)\b"
                r"|\brisk\s+(?:of|being)\b|\bwould-be\b|예정|계획|전망|计划|将要|预计"
                rf"|[{RIEUL_FINAL}]\s*(?:것|겁)"),
     "a plan or a possibility: the sentence does not say it happened"),
    (re.compile(r"\bwhether\b|\bunclear\b|\buncertain\b|불분명|불확실|不清楚|是否", re.IGNORECASE),
     "a question: the sentence asks whether it happened"),
    (re.compile(r"\b(?:has|have|had|did|does|do|was|were|is|are)\s*(?:not|n't)\b|\bnever\b|\byet to\b"
                r"|\bno\s+(?:\w+\s+){0,2}(?:has|have|had|was|were)\b|\bdenied\b|\bdenies\b|않았|없었|没有|尚未|未能",
                re.IGNORECASE),
     "denied or negated: the sentence says it did not happen"),
)
PLUPERFECT = re.compile(r"\bhad\s+(?:been\s+|long\s+|already\s+)?\w+(?:ed|en|t|wn|ld)\b", re.IGNORECASE)
"""Background told in the pluperfect ("had been held"), read in the main clause: "women who had fled" says who
they are, not when the main clause's event happened."""
BACKGROUND = re.compile(r"\bused to\b|\bin the past\b"
                        r"|\bhistorically\b|\btraditionally\b|\bfor (?:decades|years|generations)\b|\blong been\b"
                        r"|\bsince the (?:1[89]|20)\d0s\b|과거|예전에|往年|过去", re.IGNORECASE)
HABIT = re.compile(r"\b(?:usually|routinely|regularly|typically|normally|generally|customarily)\b", re.IGNORECASE)
"""A practice, not an occurrence ("China routinely repatriates them"), unless the sentence gives a date."""
PART_OF: dict[str, str] = {E.DETENTION: E.REPATRIATION, E.EXTORTION: E.WORKER_STRIKE}
"""A type that, in the sentence of the other, is a step or the cause of that event (held, then sent back; wages
withheld, then a strike): not an event of its own."""
SUBORDINATE = re.compile(
    r"\b(?:since|when|whenever|until|after|before|ever since|following|amid|in the wake of|prior to)\b[^,.;:]*"
    r"|(?:^|[,;:(]\s*)as\s+(?!(?:many|much|few|little|well|of|part|a\s+result|such|long|soon|far|if|though|to|for"
    r"|in|at|a|an)\b)[^,.;:]*"
    r"|\bwith\s+the\s+(?:[\w-]+\s+){0,2}?[\w-]+(?:ing|ion|ure|al)(?:\s+up)?\s+of\b[^,.;:]*", re.IGNORECASE)
"""A clause that only says when something else happened: "since the border reopened", "after it reopened",
"following the reopening of", "with the opening up of the border", and "as ..." opening the sentence or after a
comma ("As North Korea eased its restrictions, ..."; not "as many as", "as of", "as part of")."""
RELATIVE = re.compile(r"\b(?:who|whom)\s+(?:[\w'’-]+\s+){0,8}?[\w'’-]+"
                      r"(?=\s*[,.;:)]|\s*$|\s+(?:to|and|but)\b|\s+(?:on|at|in)\b(?!\s+(?:\d|early|late|mid|last"
                      r"|(?:January|February|March|April|May|June|July|August|September|October|November|December)\b)))",
                      re.IGNORECASE)
"""A relative clause that says who someone is ("seven North Koreans who had fled their homeland", "those who have
been repatriated"): at most ten words, ending at a comma or before "to", "and", "but", or "on", "at", "in" unless
these begin a date ("who fled in 2019" keeps its year: it is not the main clause's)."""
BORDER_TO_VISITORS = re.compile(r"\bborders?\s+(?:[\w-]+\s+){0,2}?to\s+(?:[\w-]+\s+){0,2}?"
                                r"(?:tourists?|visitors?|tour\s+groups?|travell?ers?)\b", re.IGNORECASE)
"""A border closed or opened to tourists only: the event is the tourism one."""
NARROWER: dict[str, str] = {E.BORDER_CLOSURE: E.TOURISM_SUSPENSION, E.BORDER_REOPENING: E.TOURISM_RESUMPTION}
OPPOSITE: dict[str, str] = {E.TOURISM_RESUMPTION: E.TOURISM_SUSPENSION, E.BORDER_REOPENING: E.BORDER_CLOSURE,
                            E.RAIL_FREIGHT_RESUMPTION: E.RAIL_FREIGHT_SUSPENSION}
"""A resumption and the suspension it undoes: when both are read in one clause only from "again", the suspension's
verb governs it ("shut its borders to tourists again")."""
AGAIN = re.compile(r"\bagain\b", re.IGNORECASE)
REPORTED = re.compile(r"\b(?:said|says|told|reported|according to)\b|밝혔|전했|보도|表示|报道", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What candidates knows of one candidate: its sentence, that sentence's number in the article, whether the
    sentence gives a date of its own (or follows, with no date of its own, a sentence that gave one or words
    that place it in the news, TIME_ANCHOR, and reported the same type: the same story told on), the other event
    types the sentence reports, and its scenes."""

    sentence: str
    index: int
    dated: bool
    types: tuple[str, ...]
    anchored_before: bool = False
    places: tuple[str, ...] = ()
    """The places the sentence names as scenes (the gazetteer's names)."""


def side_clauses(sentence: str) -> list[tuple[int, int]]:
    """The spans (start, end) of the sentence's clauses that say when something else happened or who someone is
    (SUBORDINATE, RELATIVE): what is left is its main clause."""
    spans = [m.span() for m in SUBORDINATE.finditer(sentence)]
    kept = SUBORDINATE.sub(lambda m: " " * len(m.group()), sentence)  # same length: RELATIVE's spans stay true
    return sorted(spans + [m.span() for m in RELATIVE.finditer(kept)])


def main_clause(sentence: str) -> str:
    """The sentence with its side clauses (`side_clauses`) blanked out, each character by a space."""
    chars = list(sentence)
    for start, end in side_clauses(sentence):
        chars[start:end] = " " * (end - start)
    return "".join(chars)


@dataclass(frozen=True)
class Clauses:
    """One sentence read clause by clause: the types outside its time clauses, its main clause, the types of
    that, and those it reports without "again"."""

    timed_types: tuple[str, ...]
    main: str
    main_types: tuple[str, ...]
    without_again: tuple[str, ...]


@lru_cache(maxsize=256)
def clauses(sentence: str) -> Clauses:
    """The clause reading of `sentence` (cached: every candidate of a sentence asks for it, and reading a window
    of 2,000 characters with every rule is the costliest step of the suggestion)."""
    timed = SUBORDINATE.sub(" ", sentence)
    main = main_clause(sentence)
    main_types = tuple(types_in(main))
    return Clauses(tuple(types_in(timed)), main, main_types,
                   tuple(types_in(AGAIN.sub(" ", main))) if AGAIN.search(main) else main_types)


LONGEST_SENTENCE = 1_000
"""Characters past which a "sentence" is not one report (news sentences run to a few hundred): its candidates are
not suggested, and the reading of a hostile text stays quick."""


@lru_cache(maxsize=1024)
def judge(event_type: str, reading: Reading) -> tuple[bool, str]:
    """Whether the sentence alone supports a candidate of `event_type` as an event, and why, in plain words."""
    sentence, label = reading.sentence, EVENT_TYPES[event_type].lower()
    if len(sentence) > LONGEST_SENTENCE:
        return False, f"the sentence runs over {LONGEST_SENTENCE:,} characters, too long to be one report"
    thing = THING_USE.get(event_type)
    if thing is not None and thing.search(sentence) and not _other_use(event_type, sentence, thing):
        return False, f"the place is only described: “{label}” names a thing here, not an event"
    part_of = PART_OF.get(event_type)
    if part_of in reading.types:
        return False, f"part of the {EVENT_TYPES[part_of].lower()} the same sentence reports"
    read = clauses(sentence)
    if event_type not in read.timed_types:
        return False, "background: named only to say when something else happened"
    main, main_types = read.main, read.main_types
    if event_type not in main_types:
        return False, "background: named only in a clause that says who someone is"
    narrower = NARROWER.get(event_type)
    if narrower in main_types and BORDER_TO_VISITORS.search(main):
        return False, f"the border is shut or opened to visitors only: a {EVENT_TYPES[narrower].lower()}"
    opposite = OPPOSITE.get(event_type)
    if opposite in main_types and event_type not in read.without_again:
        return False, f"“again” goes with the {EVENT_TYPES[opposite].lower()} the clause reports"
    for pattern, why in HEDGES:
        if pattern.search(main):
            return False, why
    if (PLUPERFECT.search(main) or BACKGROUND.search(sentence)) and not (reading.dated and REPORTED.search(sentence)):
        return False, "background: the sentence tells what had happened before"
    if HABIT.search(main) and not reading.dated:
        return False, "a habit, not an occurrence: the sentence tells what usually happens"
    if not (reading.dated or reading.anchored_before or TIME_ANCHOR.search(sentence)):
        return False, "no date or time in the sentence to say when it happened"
    return True, ""


def _other_use(event_type: str, sentence: str, thing: re.Pattern[str]) -> bool:
    """Whether, with its thing-uses removed, the sentence still reports the type as an event."""
    return event_type in types_in(thing.sub(" ", sentence))


def mark(candidates: list[tuple[dict[str, Any], Reading]]) -> None:
    """Set `suggested` and `suggested_reason` on each candidate feature (in place), by `judge` and then, among
    several for one event, only the one that says most."""
    verdicts = [(False, "its date lies after the article was published: a plan or an expectation, not a reported "
                        "event") if PLAN in (f["properties"].get("date_note") or "")
                else judge(f["properties"]["event_type"], reading) for f, reading in candidates]
    order = sorted(range(len(candidates)), key=lambda n: _strength(candidates[n]))
    kept: list[int] = []
    for n in order:
        ok, why = verdicts[n]
        props = candidates[n][0]["properties"]
        if ok:
            twin = next((k for k in kept if _same_event(props, candidates[k][0]["properties"])
                         or _same_sentence(candidates[n], candidates[k])), None)
            if twin is not None:
                ok, why = False, _duplicate_words(candidates[twin][0]["properties"])
            else:
                kept.append(n)
                why = _support_words(props, candidates[n][1])
        props[SUGGESTED], props[REASON] = ok, why[0].upper() + why[1:] + "."


def _strength(candidate: tuple[dict[str, Any], Reading]) -> tuple[int, int, int, int, int]:
    """Sort key, strongest first: a pin, a crossing (the most precise place), a place, then a date of its own,
    then the earlier sentence."""
    feature, reading = candidate
    props = feature["properties"]
    return (feature.get("geometry") is None, props.get("location_precision") != "exact", not props.get("place"),
            not reading.dated, reading.index)


def _same_sentence(a: tuple[dict[str, Any], Reading], b: tuple[dict[str, Any], Reading]) -> bool:
    """One sentence reporting one type at two places ("left Sinuiju and arrived in Dandong") reports one event; so
    do two sentences reporting one type, with dates that overlap, that name a scene in common ("a train from
    Sinuiju arrived in Dandong on the 16th. The train crossed the Friendship Bridge from Sinuiju that morning")."""
    (fa, ra), (fb, rb) = a, b
    pa, pb = fa["properties"], fb["properties"]
    if pa["event_type"] != pb["event_type"]:
        return False
    if ra.index == rb.index:
        return True
    return bool(set(ra.places) & set(rb.places)) and _same_event({**pa, "place": ""}, {**pb, "place": ""})


def _day(props: dict[str, Any], key: str) -> str:
    return str(props.get(key) or "")


def _same_event(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same type, the same place or one without a place, and dates that overlap (or one of them unknown)."""
    if a["event_type"] != b["event_type"]:
        return False
    if a.get("place") and b.get("place") and a["place"] != b["place"]:
        return False
    if "unknown" in (a.get("date_precision"), b.get("date_precision")):
        return True
    a0, a1, b0, b1 = _day(a, "date_start"), _day(a, "date_end") or "9999", _day(b, "date_start"), \
        _day(b, "date_end") or "9999"
    return a0 <= b1 and b0 <= a1


def _duplicate_words(twin: dict[str, Any]) -> str:
    where = f" at {twin['place']}" if twin.get("place") else ""
    return f"the same event as the {EVENT_TYPES[twin['event_type']].lower()}{where} suggested from a fuller sentence"


def _support_words(props: dict[str, Any], reading: Reading) -> str:
    label = EVENT_TYPES[props["event_type"]].lower()
    where = f" at {props['place']}" if props.get("place") else ""
    when = " on a date it gives" if reading.dated else " as recent news"
    return f"the sentence reports {'an' if label[0] in 'aeiou' else 'a'} {label}{where}{when}"


def without_suggestions(collection: dict[str, Any]) -> dict[str, Any]:
    """A copy of a FeatureCollection of candidates without the review's suggestion (CANDIDATE_ONLY), as the data
    contract takes it; the features' other members are shared, not copied."""
    return {**collection, "features": [
        {**f, "properties": {k: v for k, v in f["properties"].items() if k not in CANDIDATE_ONLY}}
        for f in collection["features"]]}
