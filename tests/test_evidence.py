"""Confidence comes from how many independent publishers report an event."""

from geo.evidence import confidence_label, independent_publishers, is_corroborated
from geo.filters import Filters, apply_filters


def source(publisher: str) -> dict:
    return {"publisher": publisher, "title": "t", "published": "2023-01-01", "ref": "seeds/x.txt"}


def test_one_publisher_is_a_single_source_even_with_several_articles():
    sources = [source("Asia Economy"), source("asia  economy")]
    assert independent_publishers(sources) == 1 and confidence_label(sources) == "single source"


def test_two_publishers_corroborate():
    sources = [source("Asia Economy"), source("Yonhap")]
    assert is_corroborated(sources)
    assert confidence_label(sources) == "corroborated by 2 independent publishers"


def test_the_corroborated_filter_hides_single_source_events(events):
    assert apply_filters(events, Filters(corroborated_only=True)).empty
    doubled = events.copy()
    doubled.at["escapes-small-scale", "sources"] = [source("Asia Economy"), source("Daily NK")]
    assert list(apply_filters(doubled, Filters(corroborated_only=True))["id"]) == ["escapes-small-scale"]
