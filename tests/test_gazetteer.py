"""Names as the news writes them resolve to the right place of the border region, found in time linear
in the text."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import unicodedata

import pytest

from geo.reference.gazetteer import CJK, GAZETTEER_PATH, Gazetteer, load_gazetteer, name_key
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.mark.parametrize(("written", "place"), [
    ("Sinuiju", "Sinuiju"), ("Sinŭiju", "Sinuiju"), ("신의주", "Sinuiju"), ("新义州", "Sinuiju"),
    ("Rason", "Rason"), ("Rajin-Sŏnbong", "Rason"), ("Najin", "Rason"), ("羅先", "Rason"),
    ("Duman City", "Tumen"), ("图们", "Tumen"), ("Dandong", "Dandong"), ("丹东", "Dandong"),
    ("Yanbian Korean Autonomous Prefecture", "Yanbian"), ("延边", "Yanbian"), ("Hunchun", "Hunchun"),
])
def test_variants_seen_in_translated_news_resolve_to_the_canonical_place(gazetteer, written, place):
    assert gazetteer.lookup(written)[0].name == place


def test_name_keys_ignore_accents_case_hyphens_and_spaces():
    assert name_key("Rajin-Sŏnbong") == name_key("rajin sonbong") == "rajinsonbong"


def test_an_ambiguous_name_resolves_to_the_border_region_and_says_why(gazetteer):
    [tumen] = gazetteer.find("Workers crossed at Tumen last week.")
    assert tumen.place.name == "Tumen" and 129 < tumen.place.lon < 131
    assert "not Tumen (CN, 34.77N 105.88E)" in tumen.why and "outside" in tumen.why
    [yanji] = gazetteer.find("They went to Yanji.")
    assert 42 < yanji.place.lat < 43.5 and "Yanji (CN, 30.40N 115.01E)" in yanji.why


def test_a_misspelt_project_place_is_caught_but_ordinary_words_are_not_places(gazetteer):
    [sinuiju] = gazetteer.find("Trucks left Sinuijiu at dawn.")
    assert sinuiju.place.name == "Sinuiju" and "closest to" in sinuiju.why
    assert gazetteer.find("Source says the March report by Jang came from Asia Station.") == []


def test_the_longest_name_wins(gazetteer):
    mentions = gazetteer.find("the Yanbian Korean Autonomous Prefecture, Jilin Province")
    assert [m.text for m in mentions] == ["Yanbian Korean Autonomous Prefecture", "Jilin Province"]


def test_the_gazetteer_file_is_exactly_what_its_build_script_writes():
    before = GAZETTEER_PATH.read_bytes()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_gazetteer.py")], check=True, capture_output=True)
    assert GAZETTEER_PATH.read_bytes() == before


# Finding names takes time linear in the text, and finds what trying every substring would find.

def _every_substring(gazetteer, text: str) -> list[tuple[str, int, str]]:
    """The CJK names of `text` as found by trying every substring of every run (quadratic: short texts only)."""
    found, taken = [], []
    for run in CJK.finditer(text):
        for start in range(run.start(), run.end()):
            for end in range(run.end(), start + 1, -1):
                places = gazetteer.lookup(text[start:end])
                if places and not any(s < end and start < e for s, e in taken):
                    found.append((text[start:end], start, places[0].name))
                    taken.append((start, end))
    return found


def _cjk_names(gazetteer) -> set[str]:
    """The gazetteer's Chinese and Korean names (its keys hold Hangul as jamo: NFC puts them back)."""
    return {name for key in gazetteer.index if CJK.fullmatch(name := unicodedata.normalize("NFC", key))}


def test_cjk_names_are_found_as_by_trying_every_substring(gazetteer):
    cjk_names = sorted(_cjk_names(gazetteer))
    rng = random.Random(20230223)
    texts = ["延边朝鲜族自治州的图们和丹东", "신의주에서 丹东까지", "羅先和琿春之间", "丹东北"]
    for _ in range(300):
        parts = [rng.choice(cjk_names) if rng.random() < 0.5 else rng.choice("的和北에서 ") for _ in range(8)]
        texts.append("".join(parts))
    for text in texts:
        cjk = [(m.text, m.start, m.place.name) for m in gazetteer.find(text) if CJK.fullmatch(m.text)]
        assert cjk == _every_substring(gazetteer, text), text


@pytest.mark.parametrize("size", [2_000, 200_000])
def test_a_long_run_of_chinese_and_korean_is_searched_in_under_two_seconds(gazetteer, size):
    unit = "在丹东和신의주之间"  # "between Dandong and Sinuiju"
    text = unit * (size // len(unit))
    started = time.perf_counter()
    mentions = gazetteer.find(text)
    assert time.perf_counter() - started < 2
    assert [m.place.name for m in mentions] == ["Dandong", "Sinuiju"] * (size // len(unit))
    assert all(text[m.start:m.end] == m.text for m in mentions)


def test_a_cjk_substring_is_never_longer_than_the_longest_cjk_name():
    gazetteer = Gazetteer(json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))["places"])  # a copy to spy on
    assert {"丹东", "신의주"} <= _cjk_names(gazetteer)
    assert max(map(len, _cjk_names(gazetteer))) <= gazetteer.longest_cjk_key
    asked: list[str] = []

    class Spy(set):
        def __contains__(self, key):
            asked.append(key)
            return super().__contains__(key)

    gazetteer._cjk_prefixes = Spy(gazetteer._cjk_prefixes)
    longest = max(_cjk_names(gazetteer), key=len)  # 9 characters: a township such as 柳树屯蒙古族满族乡
    text = "丹东北" * 1_000 + longest * 100
    assert [m.text for m in gazetteer.find(text)] == ["丹东"] * 1_000 + [longest] * 100
    assert max(map(len, asked)) <= gazetteer.longest_cjk_key
    assert len(asked) <= 3 * len(text)  # a few lookups per character, not one per substring


def test_every_cjk_character_keys_to_itself_so_a_substring_key_is_its_characters_keys():
    # What _find_cjk relies on to cut a run's key into its substrings' keys.
    for code in [*range(0x3400, 0xA000), *range(0xAC00, 0xD7B0)]:
        char = chr(code)
        key = name_key(char)
        assert key == unicodedata.normalize("NFKD", char) and len(key) >= 1, hex(code)
        assert not any(unicodedata.combining(c) for c in key), hex(code)
    assert name_key("신의주丹东") == name_key("신의주") + name_key("丹东")


def test_a_place_named_twenty_thousand_times_is_found_each_time_in_under_two_seconds(gazetteer):
    text = "Dandong, " * 20_000
    started = time.perf_counter()
    mentions = gazetteer.find(text)
    assert time.perf_counter() - started < 2
    assert len(mentions) == 20_000 and {m.place.name for m in mentions} == {"Dandong"}


def test_ten_thousand_unknown_capitalised_words_are_searched_in_under_two_seconds(gazetteer):
    # Each is scored against the project's names by rapidfuzz (linear, about 40 µs a word).
    rng = random.Random(1)
    words = ["X" + "".join(rng.choice("abcdefghij") for _ in range(8)) for _ in range(10_000)]
    text = " ".join(words) + " Sinuijiu" * 2_000  # and a misspelling, scored once
    started = time.perf_counter()
    mentions = gazetteer.find(text)
    assert time.perf_counter() - started < 2
    assert len(mentions) == 2_000 and {m.place.name for m in mentions} == {"Sinuiju"}


# Variants seen in real articles: crossings by their towns and local names, rivers that are not pins.

@pytest.mark.parametrize(("written", "place"), [
    ("Dandong–Sinuiju", "Sino-Korean Friendship Bridge"), ("Sinuiju - Dandong", "Sino-Korean Friendship Bridge"),
    ("Hunchun-Rason", "Tumen River Bridge (Quanhe–Wonjong)"), ("Tumen–Namyang", "Tumen–Namyang crossing"),
    ("조중우의교", "Sino-Korean Friendship Bridge"), ("中朝友谊桥", "Sino-Korean Friendship Bridge"),
    ("신압록강대교", "New Yalu River Bridge"), ("신두만강대교", "Tumen River Bridge (Quanhe–Wonjong)"),
    ("원정리", "Tumen River Bridge (Quanhe–Wonjong)"), ("Shinŭiju", "Sinuiju"), ("라선", "Rason"),
    ("Rajin-Sonbong", "Rason"), ("Jilin", "Jilin Province"), ("Amnok", "Yalu River"), ("Tumen River", "Tumen River"),
])
def test_crossings_rivers_and_spellings_of_real_articles_resolve(gazetteer, written, place):
    assert gazetteer.lookup(written)[0].name == place


def test_rivers_are_no_pins_and_the_tumen_river_is_not_the_town_of_tumen(gazetteer):
    [river] = gazetteer.find("Defectors crossed the Tumen River at night.")
    assert (river.place.name, river.place.kind, river.place.lon) == ("Tumen River", "river", None)
    assert {m.place.name for m in gazetteer.find("They waded the Yalu near Tumen.")} == {"Yalu River", "Tumen"}


def test_each_crossing_knows_its_towns_by_their_canonical_names(gazetteer):
    assert gazetteer.crossing_of_towns[frozenset(("Dandong", "Sinuiju"))].name == "Sino-Korean Friendship Bridge"
    assert gazetteer.crossing_of_towns[frozenset(("Hunchun", "Rason"))].name == "Tumen River Bridge (Quanhe–Wonjong)"
    for place in gazetteer.places.values():
        for pair in place.towns:
            assert all(gazetteer.places[town].kind in ("town", "capital") for town in pair), (place.name, pair)


def test_a_capital_stays_a_capital_whatever_lists_it(gazetteer):
    # data/places.geojson may list Beijing among its towns: it is still read as an actor when said so.
    assert {gazetteer.lookup(n)[0].kind for n in ("Beijing", "Pyongyang", "Seoul", "北京", "평양")} == {"capital"}
