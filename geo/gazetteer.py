"""The region's gazetteer: every name a place goes by, and finding those names in text.

data/gazetteer.json (built by scripts/build_gazetteer.py) maps English, romanized, Korean and Chinese
names to places. Matching prefers the longest name, then the project's own places, and says why it
chose one place over others of the same name. Near-misses of long romanized names ("Sinuijiu") are
caught with rapidfuzz (for the project's own places only); other names must match exactly, so
ordinary words do not become pins.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

GAZETTEER_PATH = Path(__file__).resolve().parent.parent / "data" / "gazetteer.json"
FUZZY_MIN_LENGTH = 7
FUZZY_CUTOFF = 90
KIND_RANK = {"crossing": 0, "town": 1, "capital": 1, "region": 2, "province": 3, "country": 4}
WORD = re.compile(r"[A-Za-zÀ-ɏḀ-ỿ][A-Za-zÀ-ɏḀ-ỿ'’\-]*")
CJK = re.compile(r"[\u3400-\u9fff\uac00-\ud7af]+")


def name_key(name: str) -> str:
    """Fold a name for lookup: no accents or breves, no case, no spaces, hyphens or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-'’.]", "", plain).casefold()


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # town, crossing, capital, region (e.g. a prefecture), province, country
    country: str
    lon: float | None
    lat: float | None
    population: int
    project: bool  # one of the project's own places (places.geojson, crossings, curated)
    source: str
    elsewhere: tuple[str, ...] = ()  # places outside the region with the same name


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
                          elsewhere=tuple(e.get("elsewhere", ())))
            self.places.setdefault(e["name"], place)
            for name in e["names"]:
                bucket = self.index.setdefault(name_key(name), [])
                if place not in bucket:
                    bucket.append(place)
        for bucket in self.index.values():
            bucket.sort(key=lambda p: (not p.project, KIND_RANK[p.kind], -p.population))
        # Only the project's own places are matched fuzzily: among thousands of GeoNames villages some
        # name is always close to an ordinary capitalised word.
        self._fuzzy_keys = [k for k, bucket in self.index.items()
                            if len(k) >= FUZZY_MIN_LENGTH and k.isascii() and bucket[0].project]

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
        """Place names in `text`, longest first, without overlaps, in reading order."""
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []
        words = list(WORD.finditer(text))
        for i, first in enumerate(words):
            if not first.group()[0].isupper() or any(s <= first.start() < e for s, e in taken):
                continue
            for n in range(min(max_words, len(words) - i), 0, -1):
                last = words[i + n - 1]
                written = text[first.start():last.end()]
                candidates = self.lookup(written)
                fuzzy = False
                if not candidates and n == 1 and len(name_key(written)) >= FUZZY_MIN_LENGTH:
                    near = process.extractOne(name_key(written), self._fuzzy_keys, scorer=fuzz.ratio,
                                              score_cutoff=FUZZY_CUTOFF)
                    if near:
                        candidates, fuzzy = self.index[near[0]], True
                if candidates:
                    chosen = self._choose(written, candidates, fuzzy)
                    found.append(Mention(written, first.start(), last.end(), chosen.place, chosen.why))
                    taken.append((first.start(), last.end()))
                    break
        for match in CJK.finditer(text):
            for name_start in range(match.start(), match.end()):
                for name_end in range(match.end(), name_start + 1, -1):
                    written = text[name_start:name_end]
                    if self.lookup(written) and not any(s < name_end and name_start < e for s, e in taken):
                        chosen = self._choose(written, self.lookup(written))
                        found.append(Mention(written, name_start, name_end, chosen.place, chosen.why))
                        taken.append((name_start, name_end))
        return sorted(found, key=lambda m: m.start)


@cache
def load_gazetteer(path: Path = GAZETTEER_PATH) -> Gazetteer:
    """The gazetteer, read once per process."""
    return Gazetteer(json.loads(path.read_text(encoding="utf-8"))["places"])
