"""A source whose words say another outlet reported it records that outlet, so a relay is never a second witness."""

import json

import pytest

from geo.cli.main import main
from geo.events.evidence import figures_text, independent_witnesses
from geo.events.relays import NEWS_OUTLETS, outlets_named, relayed_outlets, unrecorded_relays
from tests.conftest import EVENTS_PATH


def source(publisher: str = "KBS World", **more: str) -> dict:
    return {"publisher": publisher, "title": "t", "published": "2023-08-28", "ref": "https://example.org/a", **more}


def relayed(text: str) -> list[str]:
    return [outlet for outlet, _ in relayed_outlets(text)]


def test_every_relay_a_source_names_in_the_curated_dataset_is_recorded_as_its_original_or_attributed_to():
    features = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]
    unrecorded = [relay.sentence(f["properties"]["id"], f["properties"]["sources"][relay.source]["publisher"])
                  for f in features for relay in unrecorded_relays(f["properties"]["sources"])]
    assert not unrecorded, "\n".join(unrecorded)


def test_a_note_saying_yonhap_reported_without_original_is_caught_on_a_real_feature(collection):
    feature = next(f for f in collection["features"]
                   if f["properties"]["id"] == "worker-return-dandong-sinuiju-2023-08")
    kbs = feature["properties"]["sources"][1]
    assert kbs["publisher"] == "KBS World" and not unrecorded_relays(feature["properties"]["sources"])
    del kbs["original"]
    kbs["note"] = "Yonhap reported the buses first."
    [relay] = unrecorded_relays(feature["properties"]["sources"])
    assert (relay.source, relay.field, relay.outlet, relay.words) == (1, "note", "Yonhap News Agency",
                                                                       "Yonhap reported")
    assert relay.sentence("worker-return-dandong-sinuiju-2023-08", "KBS World").startswith(
        "worker-return-dandong-sinuiju-2023-08: sources[1] (KBS World) note says 'Yonhap reported', "
        "but Yonhap News Agency is not recorded")
    kbs["original"] = "Yonhap"  # any usual spelling records it
    assert not unrecorded_relays(feature["properties"]["sources"])
    assert independent_witnesses(feature["properties"]["sources"]) == 3


@pytest.mark.parametrize("text, outlets", [
    ("Yonhap reported on Monday that buses crossed.", ["Yonhap News Agency"]),
    ("The Yonhap news agency said so.", ["Yonhap News Agency"]),
    ("According to RFA, about 500 returned.", ["Radio Free Asia"]),
    ("A resident told Radio Free Asia that trucks queued.", ["Radio Free Asia"]),
    ("Dandong decided it at the North's request, citing Yonhap.", ["Yonhap News Agency"]),
    ("Per the Yomiuri, about 200 leaders were identified.", ["The Yomiuri Shimbun"]),
    ("Relays: Nikkei, citing a Dandong source.", ["Nikkei Asia"]),
    ("Relays the Yomiuri report of Saturday.", ["The Yomiuri Shimbun"]),
    ("The headquarters issued it on Saturday, reported by KCNA on Sunday.", ["Korean Central News Agency"]),
    ("Seoul officials were quoted; AP said the border had shut.", ["Associated Press"]),
    ("Reuters earlier reported it, and then the agency said more.", ["Reuters"]),
])
def test_the_usual_relay_phrases_and_outlet_spellings_are_read(text, outlets):
    assert relayed(text) == outlets


def test_the_agency_is_the_outlet_named_in_the_same_sentence():
    assert relayed("In a report from Seoul by Yonhap, the agency said ten buses left.") == ["Yonhap News Agency"]
    assert relayed("Cars crossed at dawn. The agency said they were empty.") == []
    found = unrecorded_relays([source("CNA", original="Reuters",
                                      claim="Yonhap sources spoke first; the agency said it was at the North's "
                                            "request.")])
    assert [(r.outlet, r.words) for r in found] == [("Yonhap News Agency", "the agency said")]


@pytest.mark.parametrize("text", [
    "Rests on: Yonhap, citing unidentified sources (the outlet's own sourcing, so the outlet is the witness).",
    "Rests on: a Chinese bid announcement (first reported by Nikkei); NK News sources.",
    "KBS World reported on 7 May 2021 that the think tank published it 'on Thursday', which is used here.",
    "It reports what Yonhap said 'on Monday' about a train, i.e. 26 September 2022.",
    "It was relayed by Agenzia Nova on 6 April 2020, and cited by Reuters later.",
    "The map said nothing and a rap song is no report.",
])
def test_own_sourcing_dating_and_passive_mentions_are_not_read_as_relays(text):
    assert relayed(text) == []


def test_a_source_reporting_its_own_outlet_is_not_a_relay():
    assert not unrecorded_relays([source("KBS World", claim="KBS reported the crossing itself.")])
    assert not unrecorded_relays([source("Yonhap News Agency", claim="A restart Yonhap itself reported.")])
    assert not unrecorded_relays([source("American Military News (reprint of Radio Free Asia)",
                                         note="RFA said the plant made medicine.")])


def test_acronyms_match_only_in_capitals_and_names_in_any_case():
    assert outlets_named("a map of the area; rfa; nhk") == set()
    assert outlets_named("yonhap and the yomiuri shimbun") == {"Yonhap News Agency", "The Yomiuri Shimbun"}
    assert outlets_named("KBS World (German service)") == {"KBS"}
    assert all(outlets_named(spelling) == {outlet} for outlet, spellings in NEWS_OUTLETS.items()
               for spelling in spellings)


def test_a_relayed_figure_is_listed_under_the_outlet_it_relays_not_as_a_second_witness(collection):
    helong = next(f["properties"] for f in collection["features"]
                  if f["properties"]["id"] == "worker-strike-helong-factory-occupation-2024-01")
    assert "2,000 workers taking part: The Yomiuri Shimbun about 2,000 (2 reports)" in figures_text(
        helong["figures"], helong["sources"])


def test_validate_warns_on_one_line_about_an_unrecorded_relay_and_still_passes(collection, write_json, capsys):
    kbs = next(f for f in collection["features"]
               if f["properties"]["id"] == "worker-return-dandong-sinuiju-2023-08")["properties"]["sources"][1]
    del kbs["original"]
    kbs["note"] = "Yonhap reported the buses first."
    path = write_json(collection, "relay.geojson")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert out == "" and len(warnings) == 1, err
    assert "(id=worker-return-dandong-sinuiju-2023-08): properties.sources[1].note: says 'Yonhap reported'" \
        in warnings[0]
