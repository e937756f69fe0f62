"""`python -m geo import-acled`: an export in ACLED's columns becomes events that keep ACLED's meaning.

tests/io/acled_sample.csv is a made-up file in ACLED's column layout (see tests/io/README.md), not ACLED data.
"""

from __future__ import annotations

import csv
import re

from geo.events.dataset import read_json
from geo.events.schema import UNCLASSIFIED
from geo.io.events_file import load_events, validate_file
from geo.map.mapview import build_map
from geo.map.style import EVENT_STYLE
from geo.reference.places import load_places
from tests.conftest import ROOT
from tests.test_io_table import run_geo

SAMPLE = ROOT / "tests" / "io" / "acled_sample.csv"


def imported(tmp_path, *extra):
    out = tmp_path / "acled.geojson"
    done = run_geo("import-acled", SAMPLE, "--out", out, *extra)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    return done, {f["properties"]["id"]: f for f in read_json(out)["features"]}


def test_the_acled_sample_imports_and_validates_with_stable_ids(tmp_path):
    done, features = imported(tmp_path)
    assert validate_file(tmp_path / "acled.geojson") == []
    assert list(features) == ["acled-chn9001", "acled-chn9002", "acled-prk9003", "acled-chn9004", "acled-prk9005",
                              "acled-prk9006"]  # every row: a type that maps to nothing is kept, unclassified
    again = run_geo("import-acled", SAMPLE, "--out", tmp_path / "again.geojson")
    assert again.returncode == 0 and read_json(tmp_path / "again.geojson") == read_json(tmp_path / "acled.geojson")


def test_geo_and_time_precision_codes_become_our_precisions_and_acleds_meaning_is_kept(tmp_path):
    _, features = imported(tmp_path)
    town, near, region = (features[k] for k in ("acled-chn9001", "acled-chn9002", "acled-prk9003"))
    # geo_precision 1: the named town's point, at city precision.
    assert town["geometry"]["coordinates"] == [124.3947, 40.1292]
    assert town["properties"]["location_precision"] == "city" and town["properties"]["place"] == "Dandong"
    assert "ACLED geo_precision 1" in town["properties"]["location_note"]
    # geo_precision 2: a nearby town's point, drawn at region precision.
    assert near["geometry"] is not None and near["properties"]["location_precision"] == "region"
    assert "ACLED geo_precision 2" in near["properties"]["location_note"]
    # geo_precision 3: only a province; ACLED's stand-in point is noted, never drawn.
    assert region["geometry"] is None and region["properties"]["location_precision"] == "region"
    assert "(41.4017, 128.1778)" in region["properties"]["location_note"]
    assert "not drawn" in region["properties"]["location_note"]
    # time_precision 1, 2 (the week: every week containing ACLED's date), 3 (the month).
    assert (town["properties"]["date_start"], town["properties"]["date_end"]) == ("2023-02-10", "2023-02-10")
    assert (near["properties"]["date_start"], near["properties"]["date_end"]) == ("2023-03-09", "2023-03-21")
    assert (region["properties"]["date_start"], region["properties"]["date_end"]) == ("2023-04-01", "2023-04-30")
    assert region["properties"]["date_precision"] == "month"
    for feature, code in ((town, 1), (near, 2), (region, 3)):
        assert f"ACLED time_precision {code}" in feature["properties"]["date_note"]


def test_sources_notes_and_fatalities_follow_the_codebook_with_acleds_attribution(tmp_path):
    _, features = imported(tmp_path)
    town, shot = features["acled-chn9001"], features["acled-prk9006"]
    sources = town["properties"]["sources"]
    assert [s["original"] for s in sources] == ["Daily NK", "Radio Free Asia"]
    assert all(s["publisher"] == "ACLED" and s["title"] == "ACLED event CHN9001" and s["ref"] == "https://acleddata.com/"
               for s in sources)
    assert all("source scale: National-International" in s["note"] and "Terms of Use" in s["note"]
               and "Armed Conflict Location & Event Data" in s["note"] for s in sources)
    assert sources[0]["published"] == "2023-02-14"  # ACLED's timestamp 1676332800
    assert features["acled-prk9003"]["properties"]["sources"][0]["published"] == "2023-04-15"  # no timestamp
    # A source named twice is one source.
    assert [s["original"] for s in shot["properties"]["sources"]] == ["Daily NK", "NK News"]
    assert town["properties"]["summary"].startswith("ACLED's own description (ACLED's text, quoted): “Synthetic test")
    assert shot["properties"]["figures"] == [{"quantity": "fatalities (ACLED codes the lowest reported number)",
                                              "value": 1, "qualifier": "at least", "source": 0}]
    assert "figures" not in town["properties"]  # 0 fatalities: none reported, no figure


def test_rows_whose_type_maps_to_nothing_are_kept_unclassified_saying_which_acled_type_they_had(tmp_path):
    done, features = imported(tmp_path)
    protest, unknown = features["acled-chn9004"]["properties"], features["acled-prk9005"]["properties"]
    for props in (protest, unknown):
        assert props["event_type"] == "unclassified" and props["layer"] == "incidents"
        assert props["title"].startswith("Unclassified (imported, type not mapped): ")
        assert props["summary"].startswith("Kept as unclassified: no mapping was found for ACLED type ")
        assert "ACLED's own description (ACLED's text, quoted): “Synthetic test row" in props["summary"]
    # Everything else about the row is read as for any other: its point, precision, dates and sources.
    assert features["acled-chn9004"]["geometry"]["coordinates"] == [130.3569, 42.8674]
    assert protest["place"] == "Hunchun" and protest["location_precision"] == "city"
    assert protest["date_start"] == "2023-05-01" and protest["sources"][0]["original"] == "Yonhap"
    # The summary says which ACLED types it had and why none of ours fits (the table's row and note).
    assert re.search(r"ACLED type Protests / Peaceful protest \(acled_types\.csv row \d+: protesters are not "
                     r"necessarily workers", protest["summary"])
    assert ("ACLED type 'Strategic developments' / 'Border crossing' (the types table does not list it)"
            in unknown["summary"])
    # Each is reported on its row's line, and counted in the summary; no side file, nothing left out.
    assert re.search(r"acled_sample\.csv: row 5: imported as acled-chn9004: unclassified: no mapping was found for "
                     r"ACLED type Protests / Peaceful protest \(acled_types\.csv row \d+: protesters", done.stdout)
    assert ("row 6: imported as acled-prk9005: unclassified: no mapping was found for ACLED type 'Strategic "
            "developments' / 'Border crossing' (the types table does not list it); point at city precision") \
        in done.stdout
    assert "6 rows: 6 events (5 with a point, 1 without a location, 2 unclassified: type not mapped), 0 rows with " \
           "problems" in done.stderr
    assert "not imported" not in done.stdout and sorted(p.name for p in tmp_path.iterdir()) == ["acled.geojson"]
    assert len(features) == sum(1 for _ in csv.DictReader(SAMPLE.open(encoding="utf-8")))


def test_a_types_table_given_with_types_overrides_the_default(tmp_path):
    table = tmp_path / "types.csv"
    table.write_text("acled_event_type,acled_sub_event_type,event_type,note\n"
                     "Protests,*,worker_strike,in our region ACLED's protests are workers'\n"
                     "Strategic developments,Arrests,detention,\n"
                     "Strategic developments,Border crossing,unclassified,to be decided row by row\n",
                     encoding="utf-8")
    done, features = imported(tmp_path, "--types", table)
    strike = features["acled-chn9004"]["properties"]
    assert strike["event_type"] == "worker_strike" and strike["layer"] == "worker_locations"
    # The given table replaces the default: it has no abduction row, so that row is kept unclassified.
    assert features["acled-chn9002"]["properties"]["event_type"] == "unclassified"
    assert ("row 3: imported as acled-chn9002: unclassified: no mapping was found for ACLED type 'Violence against "
            "civilians'") in done.stdout
    # A pair the table maps to `unclassified` on purpose says so with the table's note.
    assert features["acled-prk9005"]["properties"]["summary"].startswith(
        "Kept as unclassified: no mapping was found for ACLED type Strategic developments / Border crossing (types.csv "
        "row 4: to be decided row by row).")


def test_a_bad_types_table_is_refused_naming_its_row_and_column(tmp_path):
    table = tmp_path / "types.csv"
    table.write_text("acled_event_type,acled_sub_event_type,event_type\nProtests,*,strike\nRiots,,\n", encoding="utf-8")
    done = run_geo("import-acled", SAMPLE, "--out", tmp_path / "out.geojson", "--types", table)
    assert done.returncode == 1 and not (tmp_path / "out.geojson").exists()
    assert done.stdout.splitlines() == [
        f"{table}: row 2: event_type: 'strike' is not an event type; one of " + done.stdout.split("one of ")[1]
        .splitlines()[0],
        f"{table}: row 3: acled_sub_event_type: empty; write the ACLED name (or * for every sub-event type)"]


def test_a_bad_acled_row_is_one_line_naming_the_row_and_the_column_and_nothing_is_written(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8").replace("42.5397,128.9972,2,", "42.5397,128.9972,4,")
    text = text.replace("CHN9001,2023-02-10,", "CHN9001,2023-02-30,")
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    done = run_geo("import-acled", bad, "--out", tmp_path / "out.geojson")
    assert done.returncode == 1 and not (tmp_path / "out.geojson").exists()
    problems = [line for line in done.stdout.splitlines() if "imported" not in line]
    assert problems == [f"{bad}: row 2: event_date: '2023-02-30' is not a real date (day is out of range for month)",
                        f"{bad}: row 3: geo_precision: 4 is not an ACLED code (1, 2, 3)"]


def test_a_file_without_acleds_columns_is_refused_in_one_line(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("date,place\n2023-01-01,Dandong\n", encoding="utf-8")
    done = run_geo("import-acled", other, "--out", tmp_path / "out.geojson")
    assert done.returncode == 1 and done.stdout.startswith(f"{other}: columns: not ACLED's layout: the codebook's")


def test_the_acled_import_shows_on_the_map_with_its_precisions_drawn(tmp_path):
    imported(tmp_path)
    frame = load_events(tmp_path / "acled.geojson")
    html = build_map(frame, load_places()).get_root().render()
    # A town-level point carries the 15 km disc, a geo_precision 2 point the 75 km one; the region-only event is
    # listed, not drawn.
    assert re.search(r"L\.circle\(\s*\[40\.1292, 124\.3947\],\s*\{[^}]*\"radius\": 15000", html)
    assert re.search(r"L\.circle\(\s*\[42\.5397, 128\.9972\],\s*\{[^}]*\"radius\": 75000", html)
    assert "41.4017" not in html
    # The two unclassified events are drawn as grey question-mark pins, like any other event (the legend's is smaller).
    colour = EVENT_STYLE[UNCLASSIFIED][0]
    assert len(re.findall(f'style="background:{colour};[^"]*width:26px', html.replace('\\"', '"'))) == 2
