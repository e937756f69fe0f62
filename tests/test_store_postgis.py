"""The PostGIS store on a real PostgreSQL+PostGIS (tests/postgres.py): its tables, lossless import and export,
editors appending at once, edits made in SQL, credentials that never show, and every command and the
dashboard working on a database as they do on the file."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import subprocess
import sys

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from geo.cli.main import main as geo_main
from geo.events.dataset import read_json
from geo.store import ConflictError, StoreError, append_features, digest, encode, history, read_collection
from geo.store.credentials import redact
from geo.store.migrations import SCHEMA_VERSION, Migration, migrate
from geo.store.postgis import version_digest
from perf.bench import synthetic_collection
from tests.conftest import EVENTS_PATH, ROOT


def geo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**os.environ, **(env or {})})


def run(capsys, *args: str) -> tuple[int, str, str]:
    """`python -m geo ARGS` in this process (faster than a child process); exit code, stdout, stderr."""
    code = geo_main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def curated(make_dataset, collection) -> str:
    """A database holding the curated dataset: its URL."""
    return make_dataset("postgis", collection)


def new_feature(collection, event_id: str) -> dict:
    feature = copy.deepcopy(collection["features"][6])
    feature["properties"]["id"] = event_id
    return feature


def test_db_init_import_and_export_round_trip_the_curated_file_losslessly(postgis_url, tmp_path, postgres):
    assert geo("db", "init", postgis_url).returncode == 0
    imported = geo("db", "import", postgis_url, str(EVENTS_PATH))
    assert imported.returncode == 0, imported.stderr
    total = len(json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"])
    assert f"imported {total} events" in imported.stdout and postgres.password not in imported.stdout + imported.stderr
    out = tmp_path / "exported.geojson"
    exported = geo("db", "export", postgis_url, str(out))
    assert exported.returncode == 0, exported.stderr
    original, back = read_json(EVENTS_PATH), read_json(out)
    assert len(back["features"]) == len(original["features"])
    for want, got in zip(original["features"], back["features"], strict=True):
        assert got["geometry"] == want["geometry"], want["properties"]["id"]
        assert list(got["properties"]) == list(want["properties"])  # no property added, lost, or moved
        for key, value in want["properties"].items():
            assert got["properties"][key] == value, (want["properties"]["id"], key)
    assert out.read_bytes() == EVENTS_PATH.read_bytes()  # byte for byte, as the file engine writes it


def test_every_shape_the_contract_allows_comes_back_exactly(make_dataset):
    collection = synthetic_collection(1_500, seed=3)
    edge = copy.deepcopy(collection["features"][:6])
    for n, feature in enumerate(edge):
        feature["properties"]["id"] = f"edge-{n}"
    edge[0]["properties"].update(country=None, place_text=None, figures=[], status_history=[], via=[])
    edge[1]["geometry"] = {"type": "Point", "coordinates": [125, 41]}  # integers stay integers
    edge[2]["geometry"] = {"type": "Point", "coordinates": [125.5, 41.25, 12.0]}  # an altitude
    edge[3]["properties"]["summary"] = "NUL \x00 and \u2028 survive"
    edge[4]["id"] = "feature-level-id"
    edge[5]["properties"] = dict(reversed(list(edge[5]["properties"].items())))  # another key order
    collection = {"type": "FeatureCollection", "name": "kept too", "features": [*collection["features"], *edge]}
    url = make_dataset("postgis", collection)
    assert read_collection(url) == collection
    assert encode(read_collection(url)) == encode(collection)
    assert digest(url) == version_digest(collection)


def test_the_tables_are_relational_typed_indexed_and_versioned(curated, collection):
    with psycopg.connect(curated) as connection:
        assert connection.execute("SELECT type, srid FROM geometry_columns WHERE f_table_name = 'events'"
                                  ).fetchone() == ("GEOMETRY", 4326)
        assert "USING gist (geom)" in connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'events_geom'").fetchone()[0]
        assert connection.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        sources = [s for f in collection["features"] for s in f["properties"]["sources"]]
        asia = sum(s["publisher"].startswith("The Asia Business Daily") for s in sources)
        assert connection.execute("SELECT count(*) FROM sources WHERE publisher LIKE 'The Asia Business Daily%'"
                                  ).fetchone()[0] == asia > 0
        figures = connection.execute("SELECT e.id, f.value, s.publisher FROM figures f JOIN events e ON e.id = "
                                     "f.event_id JOIN sources s ON (s.event_id, s.position) = (f.event_id, f.source) "
                                     "ORDER BY e.position, f.position").fetchall()
        assert figures == [(f["properties"]["id"], g["value"], f["properties"]["sources"][g["source"]]["publisher"])
                           for f in collection["features"] for g in f["properties"].get("figures", [])]
        closed = connection.execute("SELECT count(DISTINCT event_id) FROM status_history WHERE status = 'closed' "
                                    "AND since < '2021-01-01'").fetchone()[0]
        assert closed == sum(any(c["status"] == "closed" and c["since"] < "2021-01-01"
                                 for c in f["properties"].get("status_history", [])) for f in collection["features"])
        near = connection.execute("SELECT count(*) FROM events WHERE ST_DWithin(geom::geography, "
                                  "ST_MakePoint(124.39, 40.12)::geography, 20000)").fetchone()[0]
        assert 0 < near < len(collection["features"])  # events within 20 km of Dandong


def test_db_init_is_idempotent_and_later_migrations_apply_once_in_order(postgis_url, capsys):
    known = ", ".join(str(n) for n in range(1, SCHEMA_VERSION + 1))
    assert run(capsys, "db", "init", postgis_url)[1].endswith(f"schema version {SCHEMA_VERSION} (applied {known})\n")
    assert "already up to date" in run(capsys, "db", "init", postgis_url)[1]
    later = (Migration(SCHEMA_VERSION + 1, "a reviewer column", "ALTER TABLE events ADD COLUMN reviewed_by text"),
             Migration(SCHEMA_VERSION + 2, "its index", "CREATE INDEX events_reviewed_by ON events (reviewed_by)"))
    from geo.store.migrations import MIGRATIONS

    with psycopg.connect(postgis_url, autocommit=True) as connection:
        assert migrate(connection, "db", (*MIGRATIONS, *later)) == [SCHEMA_VERSION + 1, SCHEMA_VERSION + 2]
        assert migrate(connection, "db", (*MIGRATIONS, *later)) == []
        assert connection.execute("SELECT array_agg(version ORDER BY version) FROM schema_version").fetchone()[0] \
            == list(range(1, SCHEMA_VERSION + 3))
    code, _, err = run(capsys, "history", "--data", postgis_url)  # this program knows only up to SCHEMA_VERSION
    assert code == 1 and (f"tables are of schema version {SCHEMA_VERSION + 2}, newer than this program's "
                          f"{SCHEMA_VERSION}; update the program") in err


def test_a_database_that_is_unreachable_refuses_or_lacks_the_tables_gives_one_line_and_never_the_password(
        postgres, postgis_url):
    from tests.browser import free_port

    closed = f"postgresql://editor:s3cret-pw@127.0.0.1:{free_port()}/border"
    result = geo("validate", closed)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"cannot reach postgresql://editor@127.0.0.1:{closed.split(':')[-1]}: connection refused\n"
    wrong = postgis_url.replace(postgres.password, "not-the-password")
    result = geo("history", "--data", wrong)
    assert result.returncode == 1 and "not-the-password" not in result.stdout + result.stderr
    assert 'password authentication failed for user "postgres"' in result.stderr
    result = geo("add", "--data", postgis_url, str(EVENTS_PATH))
    assert result.returncode == 1 and "no events dataset here yet; create one with: python -m geo db init URL" in \
        result.stderr and postgres.password not in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert redact("postgresql://u:p%40ss@h:5/d?password=x&sslmode=require") == "postgresql://u@h:5/d?sslmode=require"


def test_the_password_may_come_from_pgpassword_or_the_streamlit_secrets_file(curated, postgres, monkeypatch,
                                                                              tmp_path):
    bare = curated.replace(f":{postgres.password}@", "@")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("BORDER_SECRETS", str(tmp_path / "none.toml"))
    with pytest.raises(StoreError, match="password"):
        digest(bare)
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    assert digest(bare) == digest(curated)
    monkeypatch.delenv("PGPASSWORD")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[connections.postgis]\npassword = "{postgres.password}"\n', encoding="utf-8")
    monkeypatch.setenv("BORDER_SECRETS", str(secrets))
    assert digest(bare) == digest(curated)


def test_two_concurrent_add_processes_both_land_and_a_stale_append_writes_nothing(curated, collection, tmp_path):
    files = []
    for n in range(2):
        path = tmp_path / f"candidates-{n}.geojson"
        path.write_bytes(encode({"type": "FeatureCollection", "features": [new_feature(collection, f"parallel-{n}")]}))
        files.append(path)
    processes = [subprocess.Popen([sys.executable, "-m", "geo", "add", "--data", curated, str(path)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for path in files]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    ids = [f["properties"]["id"] for f in read_collection(curated)["features"]]
    assert sorted(ids[-2:]) == ["parallel-0", "parallel-1"]
    changes = history(curated)
    assert [c.id for c in changes] == ["0001", "0002"] and changes[0].digest_after == changes[1].digest_before

    seen = changes[0].digest_before  # an editor who pressed Find candidates before both appends
    now = digest(curated)
    with pytest.raises(ConflictError):
        append_features(curated, [new_feature(collection, "stale")], editor="carol", expected_digest=seen)
    assert digest(curated) == now and len(history(curated)) == 2 and "stale" not in str(read_collection(curated))


def test_an_edit_made_in_sql_changes_the_version_and_the_next_append_records_it(curated, collection):
    before = digest(curated)
    with psycopg.connect(curated) as connection:
        connection.execute("UPDATE events SET title = 'Edited by hand' WHERE id = %s",
                           (collection["features"][0]["properties"]["id"],))
    edited = digest(curated)
    assert edited != before and read_collection(curated)["features"][0]["properties"]["title"] == "Edited by hand"
    append_features(curated, [new_feature(collection, "after-hand-edit")], editor="alice")
    changes = history(curated)
    assert [(c.action, c.digest_before, c.digest_after) for c in changes][0] == ("unrecorded", before, edited)
    assert changes[1].action == "append" and changes[1].digest_before == edited


def test_every_command_works_on_a_database_as_on_the_file(curated, capsys, tmp_path):
    assert run(capsys, "validate", curated)[0] == 0
    code, on_database, _ = run(capsys, "analyze", "--data", curated)
    assert code == 0 and on_database == run(capsys, "analyze", "--data", str(EVENTS_PATH))[1]
    code, measured, _ = run(capsys, "analyze", "--data", curated, "--in-database")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(measured))}
    reference = {r["id"]: r for r in csv.DictReader(io.StringIO(on_database))}
    assert code == 0 and rows.keys() == reference.keys()
    for event_id, row in reference.items():  # PostGIS and shapely agree within 0.5 km, for every curated event
        assert row["nearest_crossing"] == rows[event_id]["nearest_crossing"], event_id
        for column in ("distance_to_border_km", "nearest_crossing_km"):
            if row[column]:
                assert abs(float(row[column]) - float(rows[event_id][column])) <= 0.5, (event_id, column)
            else:
                assert rows[event_id][column] == ""
    located = [f for f in read_json(EVENTS_PATH)["features"] if f["geometry"]]
    assert sum(bool(r["distance_to_border_km"]) for r in rows.values()) == len(located)
    assert "MultiPoint" in {f["geometry"]["type"] for f in located}  # the event at several crossings agrees too

    maps = [tmp_path / "db.html", tmp_path / "file.html"]
    for data, out in zip((curated, str(EVENTS_PATH)), maps, strict=True):
        assert run(capsys, "export-html", "--data", data, "--out", str(out), "--event-type", "disappearance")[0] == 0
    same = [re.sub(r"_[0-9a-f]{32}", "_ID", m.read_text(encoding="utf-8")) for m in maps]  # folium's random ids
    assert same[0] == same[1] and "geo-event geo-disappearance" in same[0]

    seed = str(ROOT / "seeds" / "000_c849781cc78fe4c5.txt")
    code, candidates, err = run(capsys, "ingest", seed, "--published", "2023-02-23", "--data", curated)
    assert code == 0 and "matching an event already in" in err
    assert candidates == run(capsys, "ingest", seed, "--published", "2023-02-23")[1]
    new = json.loads(candidates)
    for feature in new["features"]:
        feature["properties"].pop("matches", None)
        feature["properties"]["id"] = "new-" + feature["properties"]["id"]
    path = tmp_path / "candidates.geojson"
    path.write_bytes(encode(new))
    code, out, _ = run(capsys, "add", "--data", curated, str(path))
    assert code == 0 and "as change 0001" in out and "change 0001 in the database's change log" in out
    assert "0001" in run(capsys, "history", "--data", curated)[1]
    code, out, _ = run(capsys, "revert", "0001", "--data", curated)
    assert code == 0 and f"removed {len(new['features'])} events" in out
    assert read_collection(curated) == read_json(EVENTS_PATH)


def test_prepare_on_a_database_is_cached_by_version_and_an_append_misses_the_cache(curated, collection, tmp_path):
    from geo.io.prepared import prepare

    cold = prepare(curated, cache_dir=tmp_path)
    warm = prepare(curated, cache_dir=tmp_path)
    assert not cold.from_cache and warm.from_cache and warm.digest == cold.digest == digest(curated)
    assert list(warm.frame.index) == list(prepare(EVENTS_PATH, cache_dir=tmp_path / "file").frame.index)
    append_features(curated, [new_feature(collection, "after-prepare")], editor="alice")
    fresh = prepare(curated, cache_dir=tmp_path)
    assert not fresh.from_cache and "after-prepare" in fresh.frame.index and fresh.digest == digest(curated)


def test_the_dashboard_on_a_database_shows_an_append_at_its_next_run(curated, collection, monkeypatch, tmp_path,
                                                                    postgres):
    monkeypatch.setenv("BORDER_DATA", curated)
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    shown = [m.value for m in at.markdown if "events shown" in m.value]
    assert shown and f"of {len(collection['features'])} events shown" in shown[0]
    captions = " ".join(c.value for c in at.caption)
    assert f"version {digest(curated)[:8]}" in captions and postgres.password not in captions
    append_features(curated, [new_feature(collection, "seen-next-run")], editor="alice")
    at.run()
    shown = [m.value for m in at.markdown if "events shown" in m.value]
    assert f"of {len(collection['features']) + 1} events shown" in shown[0]
    assert "1 recorded changes" in " ".join(c.value for c in at.caption)


def test_the_dashboard_says_in_one_line_when_the_database_cannot_be_reached(monkeypatch):
    from geo.report.markup import markdown_text
    from tests.browser import free_port

    port = free_port()
    monkeypatch.setenv("BORDER_DATA", f"postgresql://viewer:hidden-pw@127.0.0.1:{port}/border")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("The dataset cannot be shown right now: " + markdown_text(
        f"cannot reach postgresql://viewer@127.0.0.1:{port}/border: connection refused") + ". ")
    assert "hidden-pw" not in error




def test_a_change_log_row_of_the_wrong_shape_is_one_warning_and_the_map_keeps_working(curated, collection,
                                                                                      monkeypatch, tmp_path):
    from geo.store.changelog import ChangeLogError

    append_features(curated, [new_feature(collection, "logged-then-damaged")], editor="alice")
    with psycopg.connect(curated, autocommit=True) as connection:  # a hand edit in SQL the schema allows
        connection.execute("""UPDATE changes SET removed_features = '["not a feature"]'""")
    with pytest.raises(ChangeLogError, match="removed_features"):
        history(curated)

    monkeypatch.setenv("BORDER_DATA", curated)
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning if "change log could not be read" in w.value]
    shown = [m.value for m in at.markdown if "events shown" in m.value]
    assert f"of {len(collection['features']) + 1} events shown" in shown[0]


def test_an_event_at_several_crossings_is_a_multipoint_with_its_crossings_in_columns_and_edits_in_sql_show(curated):
    event = "repatriation-mass-2023-10-09"
    with psycopg.connect(curated) as connection:
        kind, points, crossings, raw = connection.execute(
            "SELECT ST_GeometryType(geom), ST_NumGeometries(geom), crossings, raw FROM events WHERE id = %s",
            (event,)).fetchone()
        assert (kind, points, raw) == ("ST_MultiPoint", 5, None)  # held by the columns, not kept whole
        assert crossings[:2] == ["dandong-sinuiju-friendship-bridge", "quanhe-wonjong-tumen-river-bridge"]
        connection.execute("UPDATE events SET geom = ST_Collect(ARRAY(SELECT (ST_Dump(geom)).geom LIMIT 4)), "
                           "crossings = crossings - 4 WHERE id = %s", (event,))  # an editor drops the last crossing
    feature = next(f for f in read_collection(curated)["features"] if f["properties"]["id"] == event)
    assert feature["geometry"]["type"] == "MultiPoint" and len(feature["geometry"]["coordinates"]) == 4
    assert feature["properties"]["crossings"] == crossings[:4]
