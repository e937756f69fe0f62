"""Relays: a source that passes on another outlet's report is that outlet's witness, not a witness of its own.

`geo.events.evidence` counts witnesses from `original` and `attributed_to`; this module checks that those
fields were filled where a source's own words say it relays an outlet ("Yonhap reported", "according to RFA",
"the agency said", "citing Reuters", "per the Yomiuri", "Relays: Nikkei"). An outlet counts as recorded when
it is named, in any of its usual spellings, by the source's `publisher`, `original` or `attributed_to`.

Not read as a relay: what a source rests on by its own sourcing (a "Rests on: ..." sentence), a sentence that
only explains which day is used as the source's date, and a passive "relayed by X" or "cited by X" (X passed
this source on, not the other way round).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NEWS_OUTLETS: dict[str, tuple[str, ...]] = {
    "Yonhap News Agency": ("Yonhap News Agency", "Yonhap news agency", "Yonhap News", "Yonhap", "연합뉴스"),
    "Radio Free Asia": ("Radio Free Asia", "RFA"),
    "The Yomiuri Shimbun": ("The Yomiuri Shimbun", "Yomiuri Shimbun", "Yomiuri", "The Japan News"),
    "Reuters": ("Reuters",),
    "AFP": ("Agence France-Presse", "AFP"),
    "Associated Press": ("Associated Press", "AP"),
    "KBS": ("KBS World", "KBS News", "KBS"),
    "NHK": ("NHK",),
    "Nikkei Asia": ("Nikkei Asia", "Nikkei"),
    "Kyodo News": ("Kyodo News", "Kyodo"),
    "Xinhua": ("Xinhua",),
    "CCTV": ("CCTV",),
    "Korean Central News Agency": ("Korean Central News Agency", "KCNA"),
    "Rodong Sinmun": ("Rodong Sinmun",),
    "Daily NK": ("Daily NK",),
    "The Dong-A Ilbo": ("The Dong-A Ilbo", "Dong-A Ilbo", "Dong-A"),
    "The JoongAng Ilbo": ("Korea JoongAng Daily", "JoongAng Daily", "The JoongAng Ilbo", "JoongAng Ilbo", "JoongAng"),
    "The Chosun Ilbo": ("The Chosun Ilbo", "Chosun Ilbo", "Chosun"),
    "Voice of America": ("Voice of America", "VOA"),
    "NK News": ("NK News", "NK Pro"),
    "News1": ("News1",),
    "Agenzia Nova": ("Agenzia Nova",),
    "BBC": ("BBC",),
    "South China Morning Post": ("South China Morning Post", "SCMP"),
}
"""News outlets a source may relay, each with the spellings reports use for it. Acronyms match in capitals
only ("AP", not "ap"); names match in any case. A service of an outlet is that outlet (KBS World is KBS)."""

_VARIANTS = sorted(((variant, outlet) for outlet, variants in NEWS_OUTLETS.items() for variant in variants),
                   key=lambda pair: -len(pair[0]))
_OUTLET_OF = {variant.casefold(): outlet for variant, outlet in _VARIANTS}


def _spelling(variant: str) -> str:
    escaped = re.escape(variant)
    return escaped if variant.isupper() else f"(?i:{escaped})"


_OUTLET = "(?:(?i:the)\\s+)?(?P<outlet>" + "|".join(_spelling(v) for v, _ in _VARIANTS) + ")\\b"
_NAMED = re.compile(r"(?<![\w-])" + _OUTLET)
_RELAY_PHRASES = [
    re.compile(r"(?<![\w-])" + _OUTLET + r"(?:'s)?(?:\s+(?:itself|also|earlier|first|later|had|has|then))?"
               r"\s+(?P<verb>reported|reports|said|says|wrote|writes|quoted|quotes)\b"),
    re.compile(r"(?i:\b(?:according to|citing|per|relays:?|relaying|reported by|told))\s+" + _OUTLET),
]
_THE_AGENCY = re.compile(r"(?i:\bthe agency\s+(?:said|says|reported|reports)\b)")
_OWN_SOURCING = re.compile(r"(?i:^\s*rests on:)")
_DATING = re.compile(r"(?i:\b(?:is used|used here|used as)\b)|\bi\.e\.,?\s+\d{1,2}\s+[A-Z][a-z]+\s+\d{4}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])")


def outlets_named(text: str | None) -> set[str]:
    """The outlets (NEWS_OUTLETS keys) a name or text mentions in any of their spellings:
    'American Military News (reprint of Radio Free Asia)' -> {'Radio Free Asia'}."""
    return {_OUTLET_OF[match.group("outlet").casefold()] for match in _NAMED.finditer(text or "")}


def outlet_spelled(name: str) -> str | None:
    """The outlet (a NEWS_OUTLETS key) when the whole name is one of its spellings ('Yonhap', 'the Yomiuri',
    'KBS World'), else None: a longer name that only mentions an outlet is not that outlet."""
    whole = _NAMED.fullmatch(" ".join(name.split()))
    return _OUTLET_OF[whole.group("outlet").casefold()] if whole else None


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def relayed_outlets(text: str | None) -> list[tuple[str, str]]:
    """(outlet, words) for each outlet the text says reported what it passes on, in order, once each:
    'Says a locomotive towing around ten cars crossed, per Yonhap.' -> [('Yonhap News Agency', 'per Yonhap')].
    'The agency said' is the outlet named earlier in the same sentence. Own sourcing ('Rests on: ...')
    and sentences that explain which day is used as a date are skipped."""
    found: dict[str, str] = {}
    for sentence in _sentences(text or ""):
        if _OWN_SOURCING.search(sentence) or _DATING.search(sentence):
            continue
        for phrase in _RELAY_PHRASES:
            for match in phrase.finditer(sentence):
                found.setdefault(_OUTLET_OF[match.group("outlet").casefold()], match.group(0).strip())
        for match in _THE_AGENCY.finditer(sentence):
            before = list(_NAMED.finditer(sentence, 0, match.start()))
            if before:
                found.setdefault(_OUTLET_OF[before[-1].group("outlet").casefold()], match.group(0))
    return list(found.items())


@dataclass(frozen=True)
class UnrecordedRelay:
    """A source whose own words say it relays an outlet that its `original`/`attributed_to` do not name."""

    source: int
    field: str
    outlet: str
    words: str

    def sentence(self, feature_id: str, publisher: str) -> str:
        """The finding in one sentence, naming the feature, the source and what to record."""
        return (f"{feature_id}: sources[{self.source}] ({publisher}) {self.field} says '{self.words}', "
                f"but {self.outlet} is not recorded as its original or attributed_to: a relay is that "
                f"outlet's witness, not a second one")


def unrecorded_relays(sources: Iterable[Mapping[str, Any]] | None) -> list[UnrecordedRelay]:
    """Every source (by index) whose claim or note says another outlet reported what it passes on, while
    neither its publisher, its `original` nor its `attributed_to` names that outlet. Empty when all relays
    are recorded. Pure: reads only the sources given."""
    findings = []
    for index, source in enumerate(sources or []):
        if not isinstance(source, Mapping):
            continue
        recorded = set().union(*(outlets_named(source.get(name) if isinstance(source.get(name), str) else None)
                                 for name in ("publisher", "original", "attributed_to")))
        for field in ("claim", "note"):
            text = source.get(field)
            if not isinstance(text, str):
                continue
            findings.extend(UnrecordedRelay(index, field, outlet, words)
                            for outlet, words in relayed_outlets(text) if outlet not in recorded)
    return findings
