"""Does each figure keep its source's own words? A figure ('more than 500 people repatriated') is coded from one
source's claim; this module reads the numbers that claim states, with the words around them ("some 60 to 70",
"nearly 50", "an estimated over 100", "one or two thousand", "600여 명"), and says where a figure's qualifier or
span differs from them.

Which words mean which qualifier (`QUALIFIER_WORDS`, `QUALIFIER_WORDS_AFTER`) is defined here once; the
qualifiers themselves are the schema's (geo.events.vocabulary.FIGURE_QUALIFIERS). A figure is checked against
its source's `claim`, or, when that source has no claim, against the event's `evidence` sentence. A figure whose
number those words do not state (a claim that paraphrases, a number the claim leaves out) is not checked:
`unchecked_figures` lists such figures, `figure_problems` only those that contradict what the words say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geo.events.vocabulary import FIGURE_QUALIFIERS

QUALIFIER_WORDS: dict[str, str] = {
    "about": "about", "around": "about", "some": "about", "approximately": "about", "roughly": "about",
    "an estimated": "about", "estimated": "about", "close to": "about", "circa": "about", "약": "about",
    "nearly": "nearly", "almost": "nearly", "just under": "nearly", "거의": "nearly",
    "more than": "more than", "over": "more than", "upwards of": "more than", "in excess of": "more than",
    "at least": "at least", "no fewer than": "at least", "no less than": "at least", "a minimum of": "at least",
    "최소": "at least",
    "up to": "up to", "as many as": "up to", "at most": "up to", "a maximum of": "up to", "최대": "up to",
    "fewer than": "fewer than", "less than": "fewer than", "under": "fewer than", "미만": "fewer than",
}
"""Words written just before a number, and the qualifier they give it ("nearly 50" is `nearly`)."""

QUALIFIER_WORDS_AFTER: dict[str, str] = {
    "or more": "at least", "or so": "about", "odd": "about", "plus": "more than", "+": "more than",
    "여": "more than", "이상": "at least", "넘": "more than", "가량": "about", "정도": "about", "쯤": "about",
    "미만": "fewer than", "이하": "up to",
}
"""Words written just after a number ("100 or more", "600여 명", "200명 가량"), and the qualifier they give it."""

assert set(QUALIFIER_WORDS.values()) | set(QUALIFIER_WORDS_AFTER.values()) <= set(FIGURE_QUALIFIERS), \
    "every qualifier read from words is one the schema accepts"

_WORD_NUMBERS = {word: n for n, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_WORD_NUMBERS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                  "a hundred": 100, "a thousand": 1000, "half a": 0.5}
_MULTIPLIERS = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|"
           "september|october|november|december")

_ONE = (r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|"
        + "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True)))
NUMBER = re.compile(rf"(?<![A-Za-z0-9,.:])(?P<n>{_ONE})(?P<mult>[\s-]+(?:{'|'.join(_MULTIPLIERS)}))?"
                    r"(?![A-Za-z0-9:]|\.\d|,\d)", re.IGNORECASE)
"""One number, in digits or words, with its multiplier ("2,600", "ten", "three-thousand", "half a million")."""
_RANGE_JOINT = re.compile(r"^\s*(?:[-–]|to|or)\s*$|^\s*and\s*$", re.IGNORECASE)
"""What joins the two ends of a range ("60 to 70", "300–400", "one or two thousand", "between 2,000 and 3,000":
'and' only after 'between')."""

_BEFORE = re.compile(r"(?:^|[\s(\"'‘“])(" + "|".join(
    sorted((re.escape(w) for w in QUALIFIER_WORDS), key=len, reverse=True)) + r")\s*$", re.IGNORECASE)
_AFTER = re.compile(r"^\s*-?\s*(?:명\s*)?(" + "|".join(
    sorted((re.escape(w) for w in QUALIFIER_WORDS_AFTER), key=len, reverse=True)) + r")", re.IGNORECASE)
_A_DATE = re.compile(rf"^\s*(?:{_MONTHS})\b|^\s*(?:a\.m\.|p\.m\.|am\b|pm\b|:)", re.IGNORECASE)
_AFTER_A_MONTH = re.compile(rf"\b(?:{_MONTHS})\.?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """One number the words state: its value (the low end of a range), the range's top if any, the qualifier
    the words give it, and the words themselves as written."""

    value: int
    value_max: int | None
    qualifier: str
    words: str


def _number(text: str, multiplier: str | None) -> float:
    text = text.lower()
    base = _WORD_NUMBERS[text] if text in _WORD_NUMBERS else float(text.replace(",", ""))
    return base * _MULTIPLIERS[multiplier.strip(" -").lower()] if multiplier else base


def read_figures(text: str | None) -> list[Reading]:
    """Every number `text` states, in order, with its qualifier ('exactly' when no word qualifies it) and range.
    Days of a month, times of day and years (1900–2100 written without a comma) are not numbers of anything."""
    text = text or ""
    numbers = list(NUMBER.finditer(text))
    readings: list[Reading] = []
    n = 0
    while n < len(numbers):
        m, n = numbers[n], n + 1
        before = text[:m.start()]
        if _A_DATE.match(text[m.end():]) or _AFTER_A_MONTH.search(before):
            continue
        low, end, high = _number(m.group("n"), m.group("mult")), m.end(), None
        if n < len(numbers) and (joint := _RANGE_JOINT.match(text[m.end():numbers[n].start()])) and (
                "and" not in joint.group(0).lower() or re.search(r"between\s*$", before, re.IGNORECASE)):
            top = numbers[n]
            high = _number(top.group("n"), top.group("mult"))
            if not m.group("mult") and top.group("mult"):
                low = _number(m.group("n"), top.group("mult"))  # "one or two thousand"
            if _A_DATE.match(text[top.end():]):
                n += 1
                continue  # "14 or 15 July": days, not a count
            if high > low and high == int(high):
                end, n = top.end(), n + 1
            else:
                high = None
                low = _number(m.group("n"), m.group("mult"))
        if low != int(low) or (m.group("n").isdigit() and 1900 <= low <= 2100 and high is None
                               and not m.group("mult")):
            continue
        qualifier, start = "exactly", m.start()
        window = before[-40:]
        if found := _BEFORE.search(window):
            qualifier, start = QUALIFIER_WORDS[found.group(1).lower()], m.start() - len(window) + found.start(1)
        elif found := _AFTER.match(text[end:]):
            qualifier, end = QUALIFIER_WORDS_AFTER[found.group(1).lower()], end + found.end(1)
        if re.search(r"between\s*$", before[:start], re.IGNORECASE) and high is not None:
            start = before[:start].lower().rindex("between")
        readings.append(Reading(int(low), int(high) if high is not None else None, qualifier,
                                text[start:end].strip()))
    return readings


def _source(properties: Mapping[str, Any], figure: Mapping[str, Any]) -> Mapping[str, Any]:
    sources = properties.get("sources") or []
    return sources[figure["source"]] if 0 <= figure.get("source", -1) < len(sources) else {}


def _words_for(properties: Mapping[str, Any], figure: Mapping[str, Any]) -> str:
    return _source(properties, figure).get("claim") or properties.get("evidence") or ""


def _same_span(figure: Mapping[str, Any], reading: Reading) -> bool:
    top = figure.get("value_max")
    return figure["value"] == reading.value and (None if top == figure["value"] else top) == reading.value_max


def figure_problem(figure: Mapping[str, Any], words: str) -> str | None:
    """Why `figure` does not say what `words` say, or None when the words state its number with the same
    qualifier and span, or do not state its number at all (nothing to compare)."""
    readings = [r for r in read_figures(words) if r.value == figure["value"]]
    if not readings or any(_same_span(figure, r) and r.qualifier == figure.get("qualifier", "exactly")
                           for r in readings):
        return None
    said = "; ".join(f"'{r.words}' ({r.qualifier}{f', a range to {r.value_max:,}' if r.value_max else ''})"
                     for r in readings)
    coded = f"{figure.get('qualifier', 'exactly')} {figure['value']:,}" + (
        f" to {figure['value_max']:,}" if figure.get("value_max") not in (None, figure["value"]) else "")
    return f"coded '{coded}', but the words say {said}"


def figure_problems(properties: Mapping[str, Any]) -> list[str]:
    """One sentence per figure of an event whose qualifier or span differs from its source's words, naming the
    event, the figure and the words: "repatriation-x: figure 2 (people repatriated), source 1 (Yonhap): coded
    'exactly 600', but the words say 'about 600' (about)"."""
    problems = []
    for n, figure in enumerate(properties.get("figures") or []):
        if problem := figure_problem(figure, _words_for(properties, figure)):
            problems.append(f"{properties.get('id', '?')}: figure {n} ({figure['quantity']}), source "
                            f"{figure['source']} ({_source(properties, figure).get('publisher', '?')}): {problem}")
    return problems


def unchecked_figures(properties: Mapping[str, Any]) -> list[str]:
    """The figures of an event whose number its source's words do not state (so their qualifier cannot be
    compared), as 'id: figure n (quantity)'."""
    return [f"{properties.get('id', '?')}: figure {n} ({figure['quantity']})"
            for n, figure in enumerate(properties.get("figures") or [])
            if not any(r.value == figure["value"] for r in read_figures(_words_for(properties, figure)))]
