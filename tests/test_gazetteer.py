"""Names as the news writes them resolve to the right place of the border region."""

from __future__ import annotations

import subprocess
import sys

import pytest

from geo.gazetteer import GAZETTEER_PATH, load_gazetteer, name_key
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
