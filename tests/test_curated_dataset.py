"""The curated dataset tells the 2020–2026 story, checked from the file itself.

Targets (issue #12): at least 45 events; at least 12 distinct original reporting organisations and 15
distinct located places; at least 12 events corroborated by two or more independent witnesses; every
year from 2020 to 2026; the founding article's 13 events kept, and corroborated where later sources
report the same thing.
"""

from __future__ import annotations

import json

import pytest

from geo.events.evidence import independent_witnesses, is_corroborated
from tests.conftest import EVENTS_PATH, ROOT

FOUNDING_REF = "seeds/000_c849781cc78fe4c5.txt"
FOUNDING_IDS = {
    "border-closure-2020-01", "rail-freight-dandong-sinuiju-partial-resumption",
    "road-freight-rason-hunchun-resumption",
    "customs-hunchun-reactivated", "workers-tumen-economic-development-zone", "workers-shanghai-garment-factory",
    "disappearance-shanghai-garment-workers-2022-02", "defection-construction-workers-winter-2022",
    "repatriation-planned-two-sessions-2023", "surveillance-state-security-department", "extortion-remittances",
    "escapes-small-scale", "detention-escapees-to-be-repatriated",
}


@pytest.fixture(scope="module")
def features() -> list[dict]:
    return json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]


def test_the_dataset_holds_at_least_45_events_and_keeps_the_founding_articles_13(features):
    ids = {f["properties"]["id"] for f in features}
    assert len(features) >= 45
    assert FOUNDING_IDS <= ids
    for f in features:
        if f["properties"]["id"] in FOUNDING_IDS:
            assert any(s["ref"] == FOUNDING_REF for s in f["properties"]["sources"])


def test_at_least_12_original_organisations_report_the_events(features):
    originals = {" ".join((s.get("original") or s["publisher"]).casefold().split())
                 for f in features for s in f["properties"]["sources"]}
    assert len(originals) >= 12, sorted(originals)


def test_at_least_15_distinct_places_are_on_the_map(features):
    places = {f["properties"]["place"] for f in features if f["geometry"] and f["properties"]["place"]}
    places |= {name for f in features for line in f["properties"].get("via") or [] for name in line}
    assert len(places) >= 15, sorted(places)


def test_at_least_12_events_are_corroborated_by_independent_witnesses(features):
    corroborated = [f["properties"]["id"] for f in features if is_corroborated(f["properties"]["sources"])]
    assert len(corroborated) >= 12, corroborated


def test_every_year_from_2020_to_2026_has_events(features):
    years = set()
    for f in features:
        p = f["properties"]
        start, end = p.get("date_start") or p.get("date_end"), p.get("date_end") or p.get("date_start")
        if start:
            years |= set(range(int(start[:4]), int(end[:4]) + 1))
    assert set(range(2020, 2027)) <= years, sorted(years)


def test_founding_events_are_corroborated_where_later_sources_report_the_same_thing(features):
    founding = [f["properties"] for f in features if f["properties"]["id"] in FOUNDING_IDS]
    corroborated = [p["id"] for p in founding if independent_witnesses(p["sources"]) >= 2]
    assert "workers-shanghai-garment-factory" in corroborated or \
        "disappearance-shanghai-garment-workers-2022-02" in corroborated, corroborated
    assert len(corroborated) >= 3, corroborated


def test_no_page_is_cited_twice_for_one_event_and_every_figure_names_its_source(features):
    for f in features:
        p = f["properties"]
        refs = [s["ref"] for s in p["sources"]]
        assert len(refs) == len(set(refs)), f"{p['id']} cites a page twice: one page is one witness"
        for figure in p.get("figures") or []:
            assert figure["source"] < len(p["sources"]), p["id"]


def test_the_october_2023_repatriation_keeps_every_sources_count(features):
    october = [f["properties"] for f in features if f["properties"]["event_type"] == "repatriation"
               and (f["properties"].get("date_start") or "").startswith("2023-10")]
    assert october, "the 9 October 2023 repatriation is in the dataset"
    figures = max((p.get("figures") or [] for p in october), key=len)
    assert len({f["source"] for f in figures}) >= 3 and len({f["value"] for f in figures}) >= 3


def test_every_seed_cited_is_in_seeds(features):
    for f in features:
        for s in f["properties"]["sources"]:
            if not s["ref"].startswith(("http://", "https://")):
                assert (ROOT / s["ref"]).is_file(), s["ref"]


def test_the_readme_names_every_publisher_and_original_outlet(features):
    readme = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")  # the README's data sources page
    named = {s.get("original") or s["publisher"] for f in features for s in f["properties"]["sources"]}
    named |= {s["publisher"] for f in features for s in f["properties"]["sources"]}
    assert [name for name in sorted(named) if name not in readme] == []
