"""`python -m geo` as a user runs it: exit codes, one line per problem, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import EVENTS_PATH, ROOT


def geo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_validate_exits_0_on_the_curated_dataset():
    result = geo("validate", str(EVENTS_PATH))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_validate_exits_1_with_one_line_per_problem_and_no_traceback(collection, write_json):
    collection["features"][1]["properties"]["event_type"] = "kidnap"
    collection["features"][4]["geometry"]["coordinates"] = [42.9, 129.8]
    bad = write_json(collection, "bad.geojson")
    broken = write_json('{"type": "FeatureCollection", "features": [', "broken.geojson")
    result = geo("validate", str(bad), str(broken), str(EVENTS_PATH))
    assert result.returncode == 1
    out = result.stdout.splitlines()
    assert len(out) == 3, result.stdout
    assert out[0].startswith(f"{bad}: feature 1 (id=") and "properties.event_type" in out[0]
    assert out[1].startswith(f"{bad}: feature 4 (id=") and "look swapped" in out[1]
    assert out[2].startswith(f"{broken}: file: not valid JSON")
    assert "Traceback" not in result.stderr


def test_validate_without_paths_is_a_usage_error():
    assert geo("validate").returncode == 2


def test_export_html_writes_the_filtered_map_as_one_self_contained_file(tmp_path):
    import json

    out = tmp_path / "map.html"
    result = geo("export-html", "--data", str(EVENTS_PATH), "--out", str(out),
                 "--layer", "incidents", "--layer", "worker_locations", "--event-type", "disappearance",
                 "--event-type", "worker_deployment", "--since", "2022-01-01", "--until", "2022-12-31")
    assert result.returncode == 0, result.stderr
    # Expected from the file itself: the chosen layers and types whose possible dates overlap 2022, on the map as
    # of the dataset's last day (the default map date), by which every event has piled up.
    features = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]
    last_day = max(f["properties"][key] for f in features for key in ("date_start", "date_end")
                   if f["properties"].get(key))
    chosen = [f for f in features if f["properties"]["layer"] in {"incidents", "worker_locations"}
              and f["properties"]["event_type"] in {"disappearance", "worker_deployment"}
              and (f["properties"].get("date_start") or "0000-01-01") <= "2022-12-31"
              and (f["properties"].get("date_end") or "9999-12-31") >= "2022-01-01"]
    placed = [f for f in chosen if f["geometry"]]
    assert placed and len(placed) < len(features)
    assert (f"{len(placed)} events on the map as of {last_day}, {len(chosen) - len(placed)} without a location"
            in result.stdout)
    html = out.read_text(encoding="utf-8")
    assert html.count("geo-event geo-") == sum(f["geometry"]["type"] == "Point" for f in placed)
    assert "geo-event geo-disappearance" in html and "geo-event geo-customs_reopening" not in html
    assert "cdn.jsdelivr.net" not in html and "<script src=" not in html
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_export_html_with_a_bad_date_is_a_usage_error(tmp_path):
    result = geo("export-html", "--out", str(tmp_path / "m.html"), "--since", "last year")
    assert result.returncode == 2 and "not a date" in result.stderr


def test_export_html_on_invalid_data_prints_problems_and_writes_nothing(collection, write_json, tmp_path):
    collection["features"][0]["properties"]["sources"] = []
    out = tmp_path / "m.html"
    result = geo("export-html", "--data", str(write_json(collection)), "--out", str(out))
    assert result.returncode == 1 and "at least one source is required" in result.stdout
    assert not out.exists()


def test_analyze_prints_one_csv_row_per_event_with_the_contract_columns(events):
    import csv
    import io

    result = geo("analyze", "--data", str(EVENTS_PATH))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["id", "country", "province", "distance_to_border_km", "nearest_crossing",
                             "nearest_crossing_km"]
    assert [r["id"] for r in rows] == list(events["id"])
    by_id = {r["id"]: r for r in rows}
    assert by_id["customs-hunchun-reactivated"]["nearest_crossing"] == "Tumen River Bridge (Quanhe–Wonjong)"
    assert float(by_id["workers-shanghai-garment-factory"]["distance_to_border_km"]) > 500
    assert by_id["defection-construction-workers-winter-2022"]["country"] == ""  # no location, no guess


def test_validate_recognises_and_checks_a_crossings_file(tmp_path):
    import json

    from geo.reference.crossings import CROSSINGS_PATH

    assert geo("validate", str(CROSSINGS_PATH)).returncode == 0
    data = json.loads(CROSSINGS_PATH.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["kind"] = "ferry"
    bad = tmp_path / "crossings.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = geo("validate", str(bad))
    assert result.returncode == 1 and "properties.kind" in result.stdout


def test_ingest_then_add_round_trip_through_the_command_line(tmp_path):
    seed = ROOT / "seeds" / "000_c849781cc78fe4c5.txt"
    result = geo("ingest", str(seed), "--published", "2023-02-23", "--publisher", "The Asia Business Daily")
    assert result.returncode == 0, result.stderr
    candidates = tmp_path / "candidates.geojson"
    candidates.write_text(result.stdout, encoding="utf-8")
    assert geo("validate", str(candidates)).returncode == 0
    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    added = geo("add", "--data", str(data), str(candidates))
    assert added.returncode == 0 and "added" in added.stdout
    again = geo("add", "--data", str(data), str(candidates))
    assert again.returncode == 1 and "duplicate id" in again.stdout  # nothing appended twice
    assert geo("validate", str(data)).returncode == 0


def test_ingest_needs_a_publication_date():
    assert geo("ingest", str(ROOT / "seeds" / "000_c849781cc78fe4c5.txt")).returncode == 2


def test_export_html_reproduces_a_dashboard_link_with_crossings_at_its_date(tmp_path):
    out = tmp_path / "view.html"
    link = "http://localhost:8501/?types=rail_freight_resumption,customs_reopening&asof=2021-06-30&q=kidnap-free"
    result = geo("export-html", "--out", str(out), "--view", link.replace("&q=kidnap-free", ""))
    assert result.returncode == 0, result.stderr
    assert "events on the map as of 2021-06-30" in result.stdout
    html = out.read_text(encoding="utf-8")
    assert "geo-route-closed" in html and "geo-route-partially_resumed" not in html  # the rail line in 2021
    assert "geo-event geo-customs_reopening" not in html  # reported only by 2023
    assert "geo-crossing-marker geo-crossing-closed" in html


def test_export_html_ignores_unknown_link_values_with_a_notice(tmp_path):
    result = geo("export-html", "--out", str(tmp_path / "m.html"), "--view", "?types=kidnap&asof=someday")
    assert result.returncode == 0
    assert "Ignored unknown event type 'kidnap'" in result.stderr and "someday" in result.stderr


def test_history_lists_each_add_newest_first_and_revert_restores_the_previous_events(tmp_path, collection):
    import json

    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    for n in (1, 2):
        feature = json.loads(json.dumps(collection["features"][6]))
        feature["properties"]["id"] = f"cli-added-{n}"
        candidates = tmp_path / f"c{n}.geojson"
        candidates.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
        assert geo("add", "--data", str(data), str(candidates)).returncode == 0
    history = geo("history", "--data", str(data), "--json")
    assert history.returncode == 0, history.stdout
    entries = [json.loads(line) for line in history.stdout.splitlines()]
    assert [e["id"] for e in entries] == ["0002", "0001"] and entries[0]["added"] == ["cli-added-2"]
    assert all(e["editor"].startswith("cli:") and e["action"] == "append" for e in entries)
    before_second = entries[0]["digest_before"]

    reverted = geo("revert", "0002", "--data", str(data))
    assert reverted.returncode == 0 and "removed 1 events" in reverted.stdout, reverted.stdout
    ids = [f["properties"]["id"] for f in json.loads(data.read_text(encoding="utf-8"))["features"]]
    assert "cli-added-2" not in ids and "cli-added-1" in ids
    newest = geo("history", "--data", str(data)).stdout.splitlines()[0]
    assert newest.startswith("0003") and "reverted 0002" in newest
    assert newest.split()[-1] == before_second[:8]  # the very version before change 0002, byte for byte
    again = geo("revert", "2", "--data", str(data))
    assert again.returncode == 1 and "already reverted by change 0003" in again.stdout
    unknown = geo("revert", "0099", "--data", str(data))
    assert unknown.returncode == 1 and "no change '0099'" in unknown.stdout and "Traceback" not in unknown.stderr


def test_editors_are_added_from_stdin_listed_without_hashes_and_removed(tmp_path):
    import os

    env = {**os.environ, "BORDER_EDITORS": str(tmp_path / "editors.toml")}

    def editors(*args: str, password: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "geo", "editors", *args], input=password, capture_output=True,
                              text=True, cwd=ROOT, env=env, timeout=60)

    added = editors("add", "alice", password="a long passphrase\n")
    assert added.returncode == 0 and "added editor alice" in added.stdout
    assert editors("add", "bob", password="short\n").returncode == 1
    listed = editors("list")
    assert listed.stdout.splitlines()[0].startswith("alice\tadded ") and "argon2" not in listed.stdout
    assert "a long passphrase" not in (tmp_path / "editors.toml").read_text(encoding="utf-8")
    assert editors("remove", "alice").returncode == 0 and editors("list").stdout == ""
    gone = editors("remove", "alice")
    assert gone.returncode == 1 and "no editor 'alice'" in gone.stderr and "Traceback" not in gone.stderr


def test_a_second_article_about_a_known_event_is_matched_and_add_makes_it_a_source(tmp_path):
    import json

    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    before = [f["properties"] for f in json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]]
    article = tmp_path / "second.txt"
    article.write_text("Twenty North Korean garment workers disappeared from a factory in Shanghai in February "
                       "2022, a source said.\n", encoding="utf-8")
    found = geo("ingest", str(article), "--published", "2023-03-10", "--publisher", "Daily NK", "--data", str(data))
    assert found.returncode == 0 and "1 matching an event" in found.stderr, found.stderr
    [candidate] = json.loads(found.stdout)["features"]
    assert candidate["properties"]["matches"] == "disappearance-shanghai-garment-workers-2022-02"
    candidates = tmp_path / "candidates.geojson"
    candidates.write_text(found.stdout, encoding="utf-8")
    added = geo("add", "--data", str(data), str(candidates))
    assert added.returncode == 0, added.stdout
    saved = json.loads(data.read_text(encoding="utf-8"))["features"]
    features = {f["properties"]["id"]: f["properties"] for f in saved}
    assert list(features) == [p["id"] for p in before] and candidate["properties"]["id"] not in features
    shanghai = features["disappearance-shanghai-garment-workers-2022-02"]
    [known] = [p for p in before if p["id"] == "disappearance-shanghai-garment-workers-2022-02"]
    assert shanghai["sources"][:-1] == known["sources"]  # its sources kept, the new one appended
    assert [s["publisher"] for s in shanghai["sources"]][-1] == "Daily NK"
    assert "sources attached to 1" in geo("history", "--data", str(data)).stdout


def test_convert_turns_geojson_into_parquet_and_back_without_losing_anything(tmp_path):
    import json

    parquet, geojson = tmp_path / "events.parquet", tmp_path / "again.geojson"
    there = geo("convert", str(EVENTS_PATH), str(parquet))
    assert there.returncode == 0, there.stdout + there.stderr
    [line] = there.stdout.splitlines()
    features = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]
    located = sum(f["geometry"] is not None for f in features)
    assert line.startswith(f"converted {EVENTS_PATH} (") and f"to {parquet} (" in line
    assert line.endswith(f": {len(features)} events, {located} with a location") and "KB)" in line
    back = geo("convert", str(parquet), str(geojson))
    assert back.returncode == 0, back.stdout + back.stderr
    assert json.loads(geojson.read_text(encoding="utf-8")) == json.loads(EVENTS_PATH.read_text(encoding="utf-8"))
    assert geo("validate", str(geojson)).returncode == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temporary file left


def test_analyze_gives_the_same_rows_for_a_converted_parquet_file(tmp_path, capsys):
    from geo.cli.main import main

    parquet = tmp_path / "events.parquet"
    assert main(["convert", str(EVENTS_PATH), str(parquet)]) == 0
    capsys.readouterr()
    assert main(["analyze", "--data", str(parquet)]) == 0
    from_parquet = capsys.readouterr().out
    assert main(["analyze", "--data", str(EVENTS_PATH)]) == 0
    assert from_parquet == capsys.readouterr().out and from_parquet.count("\n") > 50


def test_convert_refuses_an_invalid_input_with_one_line_per_problem_and_writes_nothing(collection, write_json,
                                                                                        tmp_path):
    collection["features"][1]["properties"]["event_type"] = "kidnap"
    bad = write_json(collection, "bad.geojson")
    out = tmp_path / "out.parquet"
    result = geo("convert", str(bad), str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{bad}: feature 1 (id=") and "properties.event_type" in line
    assert not out.exists()
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    result = geo("convert", str(broken), str(tmp_path / "out.geojson"))
    assert result.returncode == 1 and result.stdout.startswith(f"{broken}: file: not a readable Parquet file")
    assert "Traceback" not in result.stderr and not (tmp_path / "out.geojson").exists()


def test_convert_to_a_file_of_unknown_kind_is_a_usage_error(tmp_path):
    result = geo("convert", str(EVENTS_PATH), str(tmp_path / "events.csv"))
    assert result.returncode == 2 and ".parquet" in result.stderr and not (tmp_path / "events.csv").exists()


def test_a_geojson_file_over_the_dashboards_limit_validates_and_converts_and_its_refusal_names_the_way_in(
        tmp_path, capsys):
    """A real file just over 200 MB (the curated events with 200 MB of JSON white space among them), removed at
    the end: `validate` and `convert` read it feature by feature; the dashboard's reader and export-html refuse
    it by its size, naming the command that converts it."""
    from geo.cli.main import main
    from geo.events.dataset import MAX_FILE_BYTES, DatasetError, read_json
    from geo.io.events_file import load_events
    from geo.io.geoparquet import read_collection

    big, parquet = tmp_path / "big.geojson", tmp_path / "big.parquet"
    head, tail = EVENTS_PATH.read_bytes().split(b'"features": [', 1)
    try:
        with big.open("wb") as out:
            out.write(head + b'"features": [')
            for _ in range(MAX_FILE_BYTES // (1 << 20) + 1):
                out.write(b" " * (1 << 20))
            out.write(tail)
        size = big.stat().st_size
        assert size > MAX_FILE_BYTES
        way_in = ("convert it to GeoParquet with `python -m geo convert big.geojson big.parquet` and use that file")
        assert main(["validate", str(big)]) == 0
        out = capsys.readouterr()
        assert out.out == "" and out.err == (f"{big}: valid\nnotice: {big} is {size:,} bytes, over the 200 MB limit "
                                             f"for a GeoJSON events file that the dashboard and export-html read; "
                                             f"{way_in}\n")
        assert main(["convert", str(big), str(parquet)]) == 0
        assert capsys.readouterr().out.startswith(f"converted {big} (")
        assert read_collection(parquet) == read_json(EVENTS_PATH)
        refused = (f"{big}: file: the file is {size:,} bytes, over the limit of 200,000,000 bytes (200 MB) for a "
                   f"GeoJSON events file; {way_in}")
        with pytest.raises(DatasetError) as raised:
            load_events(big)
        assert [str(p) for p in raised.value.problems] == [refused]
        assert main(["export-html", "--data", str(big), "--out", str(tmp_path / "map.html")]) == 1
        assert capsys.readouterr().out.splitlines() == [refused]
    finally:
        big.unlink(missing_ok=True)


def _collection_text(members: list) -> str:
    import json

    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in members) + "}"


def test_db_import_streams_a_geojson_file_in_batches_and_stores_the_digest_of_the_whole(postgis_url, tmp_path):
    from geo.events.dataset import read_json
    from geo.io.geojson import EventsFile
    from geo.store.postgis import PostgisStore, version_digest
    from perf.bench import synthetic_collection

    features = synthetic_collection(1_100, seed=4)["features"]
    path = tmp_path / "events.geojson"  # a member after the features: read twice, imported once
    path.write_text(_collection_text([("type", "FeatureCollection"), ("features", features), ("name", "kept")]),
                    encoding="utf-8")
    store = PostgisStore(postgis_url)
    store.init()
    assert store.import_collection(EventsFile(path, batch_features=250)) == 1_100
    back, digest = store.read()
    assert back == read_json(path) and list(back) == ["type", "features", "name"]
    assert digest == version_digest(back)


def test_db_import_of_a_file_with_a_later_duplicate_id_names_it_and_imports_nothing(postgis_url, tmp_path, capsys):
    import psycopg

    from geo.cli.main import main
    from geo.events.dataset import DatasetError
    from geo.io.geojson import EventsFile
    from geo.store.postgis import PostgisStore
    from perf.bench import synthetic_collection

    collection = synthetic_collection(700, seed=4)
    collection["features"][650]["properties"]["id"] = collection["features"][3]["properties"]["id"]
    path = tmp_path / "events.geojson"
    path.write_text(_collection_text(list(collection.items())), encoding="utf-8")
    store = PostgisStore(postgis_url)
    store.init()
    expected = [f"{path}: feature 650 (id=synthetic-000003): properties.id: duplicate id, first used by feature 3"]
    with pytest.raises(DatasetError) as raised:  # batches of 100: the database refuses the id first
        store.import_collection(EventsFile(path, batch_features=100))
    assert [str(p) for p in raised.value.problems] == expected
    assert main(["db", "import", postgis_url, str(path)]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == expected and out.err.startswith("nothing was imported into ")
    with psycopg.connect(postgis_url) as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_export_html_and_export_take_the_same_view_flags_from_the_field_table():
    from geo.cli.main import parser
    from geo.view.fields import FIELDS

    commands = parser()._subparsers._group_actions[0].choices
    flags = [field.flag.name for field in FIELDS if field.flag] + ["--view"]
    for name in ("export-html", "export"):
        options = [o for action in commands[name]._actions for o in action.option_strings]
        assert [o for o in options if o in flags] == flags, name
    args = parser().parse_args(["export", "csv", "--out", "x.csv", "--layer", "incidents", "--since", "2022-01-01"])
    assert args.layer == ["incidents"] and str(args.since) == "2022-01-01" and args.event_type is None
