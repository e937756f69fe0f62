"""The region's gazetteer: every name a place goes by, and finding those names in text.

data/gazetteer.json (built by scripts/build_gazetteer.py) maps English, romanized, Korean and Chinese
names to places. Matching prefers the longest name, then the project's own places, and says why it
chose one place over others of the same name. Near-misses of long romanized names ("Sinuijiu") are
caught with rapidfuzz (for the project's own places only); other names must match exactly, so
ordinary words do not become pins.

`Gazetteer.find` takes time linear in the text: a name is at most `max_words` Latin words; in a run of
Chinese or Korean characters a substring is tried only while it is the beginning of some name, and
never beyond the longest CJK name of the gazetteer (`Gazetteer.longest_cjk_key`, 15 key characters);
overlaps are checked against the last name taken, not against all of them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from geo.paths import GAZETTEER_PATH

FUZZY_MIN_LENGTH = 7
FUZZY_CUTOFF = 90
KIND_RANK = {"crossing": 0, "town": 1, "capital": 1, "region": 2, "province": 3, "country": 4, "river": 5}
PIN_KINDS = ("town", "crossing", "capital")  # the kinds that have a point; regions, provinces, countries and
# rivers never get a pin
WORD = re.compile(r"[A-Za-zÀ-ɏḀ-ỿ][A-Za-zÀ-ɏḀ-ỿ'’\-]*")
CJK = re.compile(r"[\u3400-\u9fff\uac00-\ud7af]+")
# The characters name_key makes of CJK text: the ideographs themselves, Hangul syllables as jamo.
CJK_KEY = re.compile(r"[\u3400-\u9fff\ud7a4-\ud7af\u1100-\u11ff]+")


def name_key(name: str) -> str:
    """Fold a name for lookup: no accents or breves, no case, no spaces, hyphens, dashes or apostrophes
    ("Dandong–Sinuiju", "Dandong - Sinuiju" and "Dandong-Sinuiju" are one key)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = decomposed if decomposed.isascii() else "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-‐‑‒–—'’.]", "", plain).casefold()


@lru_cache(maxsize=65536)
def _char_key(char: str) -> str:
    """name_key of one character. Within a CJK run name_key works character by character (no character
    there decomposes into a combining mark, a space or punctuation), so a run's substring has as key
    the concatenation of its characters' keys (tests/test_gazetteer.py checks every character)."""
    return name_key(char)


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # town, crossing, capital, region (e.g. a prefecture), province, country, river
    country: str
    lon: float | None
    lat: float | None
    population: int
    project: bool  # one of the project's own places (places.geojson, crossings, curated)
    source: str
    elsewhere: tuple[str, ...] = ()  # places outside the region with the same name
    towns: tuple[tuple[str, str], ...] = ()  # a crossing's pairs of towns (Chinese side, North Korean side)


@dataclass(frozen=True)
class Mention:
    """A place name found in text: where, as written, which place, and why that one."""

    text: str
    start: int
    end: int
    place: Place
    why: str


class Gazetteer:
    """Name lookup over the gazetteer file."""

    def __init__(self, entries: list[dict[str, Any]]):
        self.places: dict[str, Place] = {}
        self.index: dict[str, list[Place]] = {}
        for e in entries:
            place = Place(e["name"], e["kind"], e["country"], e.get("lon"), e.get("lat"), e.get("population") or 0,
                          project=bool(e.get("project")), source=e["source"],
                          elsewhere=tuple(e.get("elsewhere", ())),
                          towns=tuple(tuple(pair) for pair in e.get("towns", ())))
            self.places.setdefault(e["name"], place)
            for name in e["names"]:
                bucket = self.index.setdefault(name_key(name), [])
                if place not in bucket:
                    bucket.append(place)
        for bucket in self.index.values():
            bucket.sort(key=lambda p: (not p.project, KIND_RANK[p.kind], -p.population))
        # A crossing by its two towns, in either order; where two crossings join the same towns (Dandong and
        # Sinuiju), the first in the file (the main one) answers.
        self.crossing_of_towns: dict[frozenset[str], Place] = {}
        for place in self.places.values():
            for pair in place.towns if place.kind == "crossing" else ():
                self.crossing_of_towns.setdefault(frozenset(pair), place)
        # Only the project's own places are matched fuzzily: among thousands of GeoNames villages some
        # name is always close to an ordinary capitalised word.
        self._fuzzy_keys = [k for k, bucket in self.index.items()
                            if len(k) >= FUZZY_MIN_LENGTH and k.isascii() and bucket[0].project]
        # The longest CJK name, in key characters (an ideograph is itself, a Hangul syllable 2-3 jamo).
        # Every character of a run adds at least one key character, so no substring of a run with more
        # characters than this can be a name.
        cjk_keys = [k for k in self.index if CJK_KEY.fullmatch(k)]
        self.longest_cjk_key = max(map(len, cjk_keys), default=0)
        self._cjk_prefixes = {k[:n] for k in cjk_keys for n in range(1, len(k) + 1)}

    def lookup(self, name: str) -> list[Place]:
        """Places answering to `name`, best first (the project's own, then crossings/towns, then bigger)."""
        return self.index.get(name_key(name), [])

    def _choose(self, written: str, candidates: list[Place], fuzzy: bool = False) -> Mention | None:
        best = candidates[0]
        why = f"'{written}' is a name of {best.name} ({best.kind}, {best.country})"
        if fuzzy:
            why = f"'{written}' is closest to a name of {best.name} ({best.kind}, {best.country})"
        others = [p for p in candidates[1:] if p.name != best.name]
        if others:
            listed = ", ".join(f"{p.name} ({p.kind}, {p.country})" for p in others[:3])
            reason = "one of the project's places" if best.project else (
                "the larger place" if best.population > max(o.population for o in others) else "a border-region place")
            why += f"; chosen over {listed} as {reason}"
        if best.elsewhere:
            why += (f"; not {', '.join(best.elsewhere[:3])}: the gazetteer keeps the border region's "
                    f"{best.name}, the others lie outside it")
        return Mention(written, 0, 0, best, why)

    def find(self, text: str, max_words: int = 5) -> list[Mention]:
        """Place names in `text`, longest first, without overlaps, in reading order.

        Time is linear in the text: at most `max_words` lookups per capitalised word and at most
        `longest_cjk_key` per character of a CJK run."""
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []  # the Latin names' spans, in order and disjoint
        fuzzy_seen: dict[str, tuple[str, float, int] | None] = {}
        words = list(WORD.finditer(text))
        for i, first in enumerate(words):
            # Spans are taken left to right and never overlap, so only the last can contain this word.
            if not first.group()[0].isupper() or (taken and first.start() < taken[-1][1]):
                continue
            for n in range(min(max_words, len(words) - i), 0, -1):
                last = words[i + n - 1]
                written = text[first.start():last.end()]
                candidates = self.lookup(written)
                fuzzy = False
                if not candidates and n == 1 and len(key := name_key(written)) >= FUZZY_MIN_LENGTH:
                    if key not in fuzzy_seen:  # a word repeated a thousand times is scored once
                        fuzzy_seen[key] = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio,
                                                             score_cutoff=FUZZY_CUTOFF)
                    if near := fuzzy_seen[key]:
                        candidates, fuzzy = self.index[near[0]], True
                if candidates:
                    chosen = self._choose(written, candidates, fuzzy)
                    found.append(Mention(written, first.start(), last.end(), chosen.place, chosen.why))
                    taken.append((first.start(), last.end()))
                    break
        found.extend(self._find_cjk(text, taken))
        return sorted(found, key=lambda m: m.start)

    def _find_cjk(self, text: str, taken: list[tuple[int, int]]) -> list[Mention]:
        """Names in the runs of Chinese or Korean characters of `text`: at each character the longest
        name starting there (of two characters or more) that overlaps neither a name already found
        in the run nor a Latin name in `taken` (in order and disjoint). A substring is extended only
        while it is the start of some name, and never beyond `longest_cjk_key` characters."""
        found: list[Mention] = []
        chosen: dict[str, Mention] = {}  # the same name written the same way is explained once
        latin_starts = [s for s, _ in taken]
        for match in CJK.finditer(text):
            run, base = match.group(), match.start()
            pieces = [_char_key(ch) for ch in run]
            offsets = list(accumulate(map(len, pieces), initial=0))
            run_key = "".join(pieces)
            start = 0
            while start < len(run) - 1:
                ends = []  # where names starting here end, shortest first
                for end in range(start + 1, min(len(run), start + self.longest_cjk_key) + 1):
                    key = run_key[offsets[start]:offsets[end]]
                    if key not in self._cjk_prefixes:
                        break
                    if end > start + 1 and key in self.index:
                        ends.append(end)
                next_start = start + 1
                for end in reversed(ends):  # the longest first
                    name_start, name_end = base + start, base + end
                    before = bisect_left(latin_starts, name_end)  # the Latin spans that start before its end
                    if before and taken[before - 1][1] > name_start:
                        continue
                    written = run[start:end]
                    if written not in chosen:
                        chosen[written] = self._choose(written, self.index[run_key[offsets[start]:offsets[end]]])
                    found.append(Mention(written, name_start, name_end, chosen[written].place, chosen[written].why))
                    next_start = end  # names do not overlap: the next starts after this one
                    break
                start = next_start
        return found


@cache
def load_gazetteer(path: Path = GAZETTEER_PATH) -> Gazetteer:
    """The gazetteer, read once per process."""
    return Gazetteer(json.loads(path.read_text(encoding="utf-8"))["places"])
