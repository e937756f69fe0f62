"""Places in a sentence that an event can be pinned to, and the country a sentence puts it in.

Read as a reader would: a crossing named by its two towns ("the Dandong–Sinuiju crossing", "Hunchun-Rason",
"between Tumen and Namyang") is the crossing; "the bridge" is the crossing last named. Never a pin on a
capital or country named as an actor ("Pyongyang said", "Beijing's approach", "China's foreign ministry"),
on a country, a river or "the border" alone, or on a place named only to describe another (the venue of
"the Asian Games held in Hangzhou", "a replacement for the Friendship Bridge", "Dandong, across the river
from Sinuiju", "the gateway to Rason", 라선경제특구 관문인 원정리), or where the teller of the news is
(", a trader in Dandong said").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.events.vocabulary import COUNTRY_NAMES
from geo.ingest.sentences import CJK_CHAR
from geo.reference.gazetteer import PIN_KINDS, Gazetteer, Mention, load_gazetteer

LOCATIVE = re.compile(r"\b(in|at|to|into|from|near|outside|inside|around)\s+$", re.IGNORECASE)
CJK_LOCATIVE_AFTER = re.compile(r"(?:에서|에는|에|으로|로|까지)")  # Korean marks place after the name
CJK_LOCATIVE_BEFORE = re.compile(r"(?:在|到|从|于|赴)$")
# A place named only to describe another thing: the venue of an event of another kind, what something
# replaces or resembles, what a town faces. Checked in the 40 characters before (and, in Korean, after) it.
NOT_SCENE_BEFORE = re.compile(r"(?:\b(?:held|hosted|took place|staged)\s+(?:in|at)|\bacross\s+(?:the\s+\w+\s+)?from"
                              r"|\bopposite|\bfacing|\bfaces|\breplacement\s+for(?:\s+the)?|\binstead\s+of(?:\s+the)?"
                              r"|\brather\s+than(?:\s+the)?|\bsimilar\s+to(?:\s+the)?|\bcompared\s+(?:with|to)(?:\s+the)?"
                              r"|\bgateway\s+(?:to|of|into)(?:\s+the)?)"
                              r",?\s+$", re.IGNORECASE)
NOT_SCENE_AFTER = re.compile(r"(?:와|과|을|를)\s*마주|(?:\s*경제(?:특구|무역지대))?(?:\s*의)?\s*(?:관문|입구)")
SPEAKER_BEFORE = re.compile(r",\s+(?:[\w-]+\s+){1,4}(?:in|from)\s+$")
SPEAKER_AFTER = re.compile(r"\s+(?:said|says|told|added|reported)\b")
"""Where the teller of the news is: ", a trader in Dandong said" names no scene."""
PAIR_JOINER = re.compile(r"\s*(?:-|–|—|/|and|&|to)\s*", re.IGNORECASE)
CROSSING_AFTER = re.compile(r"\s+(?:(?:border|road|rail(?:way)?|river)\s+)?(?:crossings?|bridges?|checkpoints?|ports?"
                            r"|customs|border posts?)\b", re.IGNORECASE)
CROSSING_BEFORE = re.compile(r"\b(?:crossings?|bridges?|checkpoints?|ports?|customs)\s+(?:at|between|linking|connecting"
                             r"|of|joining)\s+$", re.IGNORECASE)
THE_BRIDGE = re.compile(r"\b(?:the|this|that)\s+(?:bridge|crossing)\b(?!s)", re.IGNORECASE)
CONSTRUCTION_FIRST = re.compile(r"\W*(?:the\s+)?construction\b(?! workers?)", re.IGNORECASE)
ANAPHORA_SENTENCES = 8  # how far back "the bridge" may look for the crossing it means
COUNTRY_CODES = {COUNTRY_NAMES[code]: code for code in ("CN", "KP", "RU")}
"""The countries a sentence may put an event in ("in China"), by their names."""
IN_COUNTRY = re.compile(rf"\b(?:in|to|into|across|throughout)\s+({'|'.join(COUNTRY_CODES)})\b")


PLACE_KIND = re.compile(r"\((crossing|town|capital|region|province|country|river), ([A-Z]{2}(?:/[A-Z]{2})?)\)")
"""The gazetteer's "(town, CN)" after a place's name, as it says why a place was chosen."""


def _kind_in_words(match: re.Match[str]) -> str:
    kind, codes = match.group(1), [COUNTRY_NAMES.get(code, code) for code in match.group(2).split("/")]
    if len(codes) == 2:
        return f"(a {kind} between {codes[0]} and {codes[1]})"
    if kind == "capital":
        return f"(the capital of {codes[0]})"
    if kind == "country":
        return "(a country)"
    return f"(a {kind} {'of' if kind in ('province', 'region') else 'in'} {codes[0]})"


def place_words(note: str) -> str:
    """`note` (how a place was read, in the gazetteer's words) with each "(town, CN)" said in words, the country
    by its name: "(a town in China)", "(a crossing between China and North Korea)", "(the capital of North
    Korea)"; the rest unchanged."""
    return PLACE_KIND.sub(_kind_in_words, note)


def country_in(sentence: str) -> str | None:
    """The code of the first country the sentence puts something in ("in China": CN), else None."""
    found = IN_COUNTRY.search(sentence)
    return COUNTRY_CODES[found.group(1)] if found else None


def _is_cjk(mention: Mention) -> bool:
    return bool(CJK_CHAR.match(mention.text))


def _is_actor(sentence: str, mention: Mention) -> bool:
    """A capital named without a locative word with it ('Pyongyang said', 'entering Pyongyang', 'Beijing's
    approach', '평양 역') stands for a government or a destination, not the scene of the event. In English the
    locative is a preposition before the name; in Korean a particle after it (평양에서), in Chinese a word
    before it (在北京)."""
    if mention.place.kind != "capital":
        return False
    if _is_cjk(mention):
        return not (CJK_LOCATIVE_AFTER.match(sentence, mention.end)
                    or CJK_LOCATIVE_BEFORE.search(sentence, max(0, mention.start - 1), mention.start))
    if sentence.startswith(("'s", "’s"), mention.end):
        return True
    # LOCATIVE ends with the spaces before the name and a preposition (of 7 letters at most) before
    # those: search only there, not the whole sentence before every capital it names.
    word_end = mention.start
    while word_end > 0 and sentence[word_end - 1].isspace():
        word_end -= 1
    return not LOCATIVE.search(sentence, max(0, word_end - 8), mention.start)


def describes_another(sentence: str, mention: Mention) -> bool:
    """The place is named only to describe something else: a venue ('the Games held in Hangzhou'), what is
    replaced or compared ('a replacement for the Friendship Bridge'), what a town faces ('across the river
    from Sinuiju', '신의주와 마주보고 있는')."""
    return bool(NOT_SCENE_BEFORE.search(sentence, max(0, mention.start - 40), mention.start)
                or NOT_SCENE_AFTER.match(sentence, mention.end)
                or (SPEAKER_AFTER.match(sentence, mention.end)
                    and SPEAKER_BEFORE.search(sentence, max(0, mention.start - 40), mention.start)))


@dataclass
class PlaceContext:
    """What the reading of one article remembers about places from sentence to sentence: the gazetteer it
    reads with, and the crossing last named (and in which sentence), for a later "the bridge"."""

    gazetteer: Gazetteer
    last_crossing: Mention | None = None
    last_crossing_sentence: int = -1


def _pair_crossings(sentence: str, mentions: list[Mention], gazetteer: Gazetteer) -> list[Mention]:
    """`mentions` with two towns of one crossing named as the crossing ('the Dandong–Sinuiju crossing', 'the
    Hunchun-Rason road', 'the bridge between Tumen and Namyang', 'Tumen and Namyang border crossing') read as
    that crossing instead; a town of the pair stays where the sentence names it again on its own. Two towns
    merely joined by 'and' ('truck traffic between Rason and Hunchun') stay the two towns: a route between
    them, which the sentence does not say crosses where."""
    out: list[Mention] = []
    paired: list[Mention] = []
    i = 0
    while i < len(mentions):
        m1 = mentions[i]
        m2 = mentions[i + 1] if i + 1 < len(mentions) else None
        crossing = None
        if m2 is not None and m1.place.kind == m2.place.kind == "town" \
                and (joiner := PAIR_JOINER.fullmatch(sentence, m1.end, m2.start)) \
                and (joiner.group(0).strip() in ("-", "–", "—", "/")
                     or CROSSING_AFTER.match(sentence, m2.end)
                     or CROSSING_BEFORE.search(sentence, max(0, m1.start - 40), m1.start)):
            crossing = gazetteer.crossing_of_towns.get(frozenset((m1.place.name, m2.place.name)))
        if crossing is None:
            out.append(m1)
            i += 1
            continue
        written = sentence[m1.start:m2.end]
        out.append(Mention(written, m1.start, m2.end, crossing,
                           f"'{written}' names the two towns of {crossing.name} (crossing, CN/KP)"))
        paired += [m1, m2]
        i += 2
    alone = {m.place.name for m in out}
    return out + [m for m in paired if m.place.name in alone and m not in out]


def places_for(sentence: str, mentions: list[Mention], seen: PlaceContext | None = None,
               index: int = 0) -> list[Mention]:
    """The mentions an event can be placed at: towns, crossings, regions; provinces only when no town
    of the same country is named; never countries, rivers, actor capitals or places named only to describe
    another. Two towns of a crossing named together also give the crossing; 'the bridge' with no crossing
    named is the crossing last named in the article."""
    gazetteer = seen.gazetteer if seen else load_gazetteer()
    usable = [m for m in mentions if m.place.kind not in ("country", "river") and not _is_actor(sentence, m)
              and not describes_another(sentence, m)]
    usable = _pair_crossings(sentence, usable, gazetteer)
    if seen is not None and not any(m.place.kind == "crossing" for m in usable) and seen.last_crossing:
        # "The bridge was built ...", or "Construction began in 2011" with no place at all: the crossing the
        # article last named (within ANAPHORA_SENTENCES), as a reader would take it.
        the = THE_BRIDGE.search(sentence) or (None if usable else CONSTRUCTION_FIRST.match(sentence))
        named = seen.last_crossing
        if the and index - seen.last_crossing_sentence <= ANAPHORA_SENTENCES:
            written = the.group(0).strip(" \t,.")
            usable.append(Mention(written, the.start(), the.end(), named.place,
                                  f"'{written}' read as {named.place.name}, the crossing last named "
                                  f"('{named.text}', {index - seen.last_crossing_sentence} sentence(s) before)"))
    towns = {m.place.country for m in usable if m.place.kind in PIN_KINDS}
    usable = [m for m in usable if not (m.place.kind == "province" and m.place.country in towns)]
    unique: dict[str, Mention] = {}
    for m in usable:
        unique.setdefault(m.place.name, m)
    return list(unique.values())
