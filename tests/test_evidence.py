"""Confidence comes from how many independent witnesses report an event, not how many publishers."""

import pandas as pd

from geo.events.evidence import confidence_label, independent_witnesses, is_corroborated, reliance
from geo.view.filters import Filters, apply_filters


def source(publisher: str, **more: str) -> dict:
    return {"publisher": publisher, "title": "t", "published": "2023-01-01", "ref": "seeds/x.txt", **more}


def test_one_publisher_is_a_single_source_even_with_several_articles():
    sources = [source("Asia Economy"), source("asia  economy")]
    assert independent_witnesses(sources) == 1 and confidence_label(sources) == "single source"


def test_two_publishers_corroborate():
    sources = [source("Asia Economy"), source("Yonhap")]
    assert is_corroborated(sources)
    assert confidence_label(sources) == "corroborated by 2 independent sources"


def test_a_repost_counts_as_its_original_not_as_a_second_witness():
    sources = [source("National Post", original="Reuters"), source("Reuters")]
    assert independent_witnesses(sources) == 1 and not is_corroborated(sources)
    assert reliance(sources[0]) == "republishes Reuters" and reliance(sources[1]) is None
    sources.append(source("The Korea Herald", original="Yonhap"))
    assert independent_witnesses(sources) == 2


def test_reports_resting_on_one_claimant_count_as_that_claimant():
    sources = [source("Radio Free Asia", attributed_to="Justice For North Korea"),
               source("The Guardian", attributed_to="Justice for North Korea"),
               source("Justice For North Korea")]
    assert independent_witnesses(sources) == 1
    assert reliance(sources[0]) == "rests on Justice For North Korea"
    assert is_corroborated([*sources, source("Human Rights Watch")])


def test_the_corroborated_filter_hides_single_source_events(events):
    single = events[events["sources"].map(lambda s: not is_corroborated(s))]
    assert len(single) and apply_filters(single, Filters(corroborated_only=True)).empty
    doubled = single.copy()
    first = doubled.index[0]
    doubled.at[first, "sources"] = [source("Asia Economy"), source("Daily NK")]
    assert list(apply_filters(doubled, Filters(corroborated_only=True))["id"]) == [first]
    doubled.at[first, "sources"] = [source("Asia Economy"), source("Daily NK", original="Asia Economy")]
    assert apply_filters(doubled, Filters(corroborated_only=True)).empty


def test_one_claimants_figure_relayed_by_two_outlets_is_listed_once():
    from geo.events.evidence import figures_text

    sources = [source("Yonhap", attributed_to="Justice For North Korea"),
               source("KBS", attributed_to="Justice For North Korea"), source("Daily NK")]
    figures = [{"quantity": "people repatriated", "value": 600, "qualifier": "about", "source": 0},
               {"quantity": "people repatriated", "value": 600, "qualifier": "about", "source": 1},
               {"quantity": "people repatriated", "value": 200, "qualifier": "about", "source": 2}]
    assert figures_text(figures, sources) == [
        "200–600 people repatriated: Justice For North Korea about 600 (2 reports); Daily NK about 200"]


def test_figure_columns_give_each_events_lowest_and_highest_number_and_nothing_without_figures():
    from geo.events.evidence import FIGURE_COLUMNS, figure_columns

    figures = [[{"value": 200, "source": 0}, {"value": 500, "value_max": 600, "source": 1}], None, [],
               [{"value": 7, "source": 0}]]
    columns = figure_columns(figures)
    assert tuple(columns) == FIGURE_COLUMNS == ("figure_low", "figure_high")
    assert [None if v is pd.NA else v for v in columns["figure_low"]] == [200, None, None, 7]
    assert [None if v is pd.NA else v for v in columns["figure_high"]] == [600, None, None, 7]
    assert all(str(column.dtype) == "Int64" for column in columns.values())
    assert all(len(column) == 0 for column in figure_columns([]).values())


def test_an_outlets_usual_spellings_are_one_witness_but_a_name_that_only_mentions_it_is_not():
    assert independent_witnesses([source("KBS World", original="Yonhap"), source("Yonhap News Agency"),
                                  source("CNA", original="Reuters", attributed_to="the Yonhap news agency")]) == 1
    assert independent_witnesses([source("Radio Free Asia"), source("Daily8", original="RFA")]) == 1
    assert independent_witnesses([source("Radio Free Asia"),
                                  source("American Military News (reprint of Radio Free Asia)")]) == 2
