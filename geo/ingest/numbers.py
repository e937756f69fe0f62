"""Numbers of people in a sentence ("more than 500 North Koreans", "600여 명") as the schema's figures."""

from __future__ import annotations

import re
from typing import Any

PERSON_NOUN = (r"people|persons|individuals|North Koreans?|Koreans|defectors?|refugees?|escapees?|workers?|labou?rers?"
               r"|women|men|children|migrants?|asylum seekers?|tourists?|passengers?|prisoners?|detainees?|residents?"
               r"|citizens|nationals|soldiers|students|waitress(?:es)?|employees|deportees|returnees")
WORD_NUMBERS = {w: i for i, w in enumerate(("zero one two three four five six seven eight nine ten eleven twelve "
                                            "thirteen fourteen fifteen sixteen seventeen eighteen nineteen "
                                            "twenty").split())}
WORD_NUMBERS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
QUALIFIERS = {"more than": "more than", "over": "more than", "upwards of": "more than", "at least": "at least",
              "up to": "up to", "as many as": "up to", "fewer than": "fewer than", "less than": "fewer than",
              "under": "fewer than", "about": "about", "around": "about", "approximately": "about", "roughly": "about",
              "some": "about", "nearly": "about", "almost": "about", "close to": "about", "an estimated": "about",
              "estimated": "about", "exactly": "exactly"}
_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+|" + "|".join(WORD_NUMBERS)
FIGURE = re.compile(
    rf"\b(?:(?P<q>{'|'.join(sorted(QUALIFIERS, key=len, reverse=True))})\s+)?(?:between\s+)?(?P<n>{_NUMBER})"
    rf"(?:\s*(?:-|–|to|and)\s*(?P<m>\d{{1,3}}(?:,\d{{3}})+|\d+))?(?:\s+(?P<mult>thousand|million))?\s+"
    rf"(?:(?:[A-Z][\w-]*|[a-z]+)\s+){{0,3}}?(?:{PERSON_NOUN})\b", re.IGNORECASE)
KO_FIGURE = re.compile(r"(?P<q>약|최소|최대)?\s*(?P<n>\d{1,3}(?:,\d{3})+|\d+)\s*(?:~\s*(?P<m>\d+))?\s*(?P<yeo>여)?\s*"
                       r"(?:명|名)(?P<after>\s*(?:이상|이하|미만|넘|余|多))?")


def _number(text: str) -> int | None:
    text = text.lower()
    if text in WORD_NUMBERS:
        return WORD_NUMBERS[text]
    value = int(text.replace(",", ""))
    return value if value <= 10**9 else None


def figures_in(sentence: str) -> list[dict[str, Any]]:
    """Numbers of people the sentence gives, as schema Figures (quantity 'people', source 0) with the source's
    qualifier: 'more than 500 North Koreans', 'between 2,000 and 3,000 workers', '600여 명'. A bare number
    that could be a year (1900-2100, no comma) is not read as people."""
    out: list[dict[str, Any]] = []
    for m in FIGURE.finditer(sentence):
        value, high = _number(m.group("n")), _number(m.group("m")) if m.group("m") else None
        if value is None or (m.group("n").isdigit() and 1900 <= value <= 2100 and not m.group("m")):
            continue
        factor = {"thousand": 1_000, "million": 1_000_000}.get((m.group("mult") or "").lower(), 1)
        figure = {"quantity": "people", "value": value * factor,
                  "qualifier": QUALIFIERS[m.group("q").lower()] if m.group("q") else "exactly", "source": 0}
        if high is not None and high * factor >= value * factor:
            figure["value_max"] = high * factor
        if figure["value"] <= 10**9 and figure.get("value_max", 0) <= 10**9:
            out.append(figure)
    for m in KO_FIGURE.finditer(sentence):
        value, high = _number(m.group("n")), _number(m.group("m")) if m.group("m") else None
        after = (m.group("after") or "").strip()
        qualifier = ("about" if m.group("q") == "약" else "at least" if m.group("q") == "최소" or after == "이상"
                     else "up to" if m.group("q") == "최대" or after == "이하" else "fewer than" if after == "미만"
                     else "more than" if m.group("yeo") or after in ("넘", "余", "多") else "exactly")
        if value is None:
            continue
        figure = {"quantity": "people", "value": value, "qualifier": qualifier, "source": 0}
        if high is not None and high >= value:
            figure["value_max"] = high
        out.append(figure)
    unique: list[dict[str, Any]] = []
    for figure in out:
        if figure not in unique:
            unique.append(figure)
    return unique
