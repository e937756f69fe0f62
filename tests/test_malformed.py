"""Hostile input: every file in tests/malformed/ is rejected cleanly, by the CLI, the loader and the app.

For each case `python -m geo validate FILE` exits 1 and prints one line per problem, each starting
with the file path and naming a field, with no traceback; `load_events` raises `DatasetError` (never
anything else) with the same lines. `validate` reads a GeoJSON file of any size feature by feature
(geo.io.geojson) while `load_events` (the dashboard) reads it whole, so this also checks that both readers
give the same problems; the one deliberate difference is a file over MAX_FILE_BYTES, which `load_events`
refuses before reading (naming `python -m geo convert`) and `validate` reads. tests/malformed/README.md
lists every file and the field it must name. Three cases too big to commit are generated into a temporary
folder.

Each file gets its own validate process. A cold `python -m geo` start costs about half a second of
imports (pandas, geopandas), so by default each process is forked from one warm interpreter that runs
`geo.__main__` with argv `validate FILE` exactly as `python -m` does; set MALFORMED_COLD_CLI=1 to spawn
a fresh interpreter per file instead. One more test runs the real, cold `python -m geo validate` on
the whole corpus at once.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from geo.events.dataset import MAX_FILE_BYTES, DatasetError, read_json
from geo.events.schema import MAX_PROBLEMS
from geo.io.events_file import load_events, validate_file
from geo.report.markup import markdown_text, without_paths
from tests.conftest import EVENTS_PATH, ROOT

CORPUS = ROOT / "tests" / "malformed"
COMMITTED = sorted(p.name for p in CORPUS.glob("*.geojson"))
APP = str(ROOT / "dashboard.py")
FIELD_ROOTS = {"file", "document", "type", "crs", "features", "feature", "id", "geometry", "properties"}
LINE = re.compile(r"(?:feature (?P<index>\d+)(?: \(id=.*?\))?: )?(?P<field>\S+?): (?P<message>\S.*)")


def _feature_with(**properties: Any) -> dict[str, Any]:
    data = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))
    feature = data["features"][4]
    feature["properties"].update(properties)
    return {"type": "FeatureCollection", "features": [feature]}


def _deeply_nested(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")


def _long_summary(path: Path) -> None:
    path.write_text(json.dumps(_feature_with(summary=("Tumen " * 16_667)[:100_000])), encoding="utf-8")


def _oversize(path: Path) -> None:
    """One byte over the limit, as a sparse file: no disk space used. The dashboard never reads it; `validate`
    does, up to its first NUL byte (what a sparse file's hole reads as)."""
    with path.open("wb") as out:
        out.write(b'{"type": "FeatureCollection", "features": []}')
        out.truncate(MAX_FILE_BYTES + 1)


GENERATED: dict[str, Callable[[Path], None]] = {
    "deeply_nested_100000.geojson": _deeply_nested,
    "long_summary_100000.geojson": _long_summary,
    "oversize.geojson": _oversize,
}
CASES = COMMITTED + sorted(GENERATED)
OVER_THE_LIMIT = {"oversize.geojson"}
"""Cases `load_events` refuses by their size alone, with this line (`validate` reads them)."""


def limit_line(path: Path) -> str:
    return (f"{path}: file: the file is {path.stat().st_size:,} bytes, over the limit of 200,000,000 bytes (200 MB) "
            f"for a GeoJSON events file; convert it to GeoParquet with `python -m geo convert {path.name} "
            f"{path.stem}.parquet` and use that file")


def loaded_lines(name: str, cli: dict[str, list[Any]], corpus: dict[str, Path]) -> list[str]:
    """The lines `load_events` and the dashboard give for a case: validate's, but for files over the limit."""
    return [limit_line(corpus[name])] if name in OVER_THE_LIMIT else cli[name][1].splitlines()


def documented() -> dict[str, str]:
    """file name -> the field its problems must name, from the corpus README's tables."""
    text = (CORPUS / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("malformed-generated")
    paths = {name: CORPUS / name for name in COMMITTED}
    for name, make in GENERATED.items():
        make(folder / name)
        paths[name] = folder / name
    return paths


# --- Running `python -m geo validate FILE` once per file ---------------------------------------

WARM_RUNNER = r"""
import json, os, runpy, sys, tempfile, traceback

import geo.cli.main  # noqa: F401  the imports a cold start spends its time on


def validate(path, out, err):
    pid = os.fork()
    if pid:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    code = 1
    try:  # as `python -m geo validate PATH` would: stdout strict UTF-8, stderr backslashreplace
        sys.stdout = open(out, "w", encoding="utf-8")
        sys.stderr = open(err, "w", encoding="utf-8", errors="backslashreplace")
        sys.argv = ["python -m geo", "validate", path]
        runpy.run_module("geo", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


results = {}
with tempfile.TemporaryDirectory() as tmp:
    for n, path in enumerate(json.load(sys.stdin)):
        out, err = os.path.join(tmp, f"{n}.out"), os.path.join(tmp, f"{n}.err")
        code = validate(path, out, err)
        with open(out, encoding="utf-8") as o, open(err, encoding="utf-8") as e:
            results[path] = [code, o.read(), e.read()]
json.dump(results, sys.stdout)
"""


def _cold(path: str) -> list[Any]:
    result = subprocess.run([sys.executable, "-m", "geo", "validate", path], capture_output=True, text=True,
                            encoding="utf-8", cwd=ROOT, timeout=120)
    return [result.returncode, result.stdout, result.stderr]


@pytest.fixture(scope="module")
def cli(corpus: dict[str, Path]) -> dict[str, list[Any]]:
    """file name -> [exit code, stdout, stderr] of `python -m geo validate FILE`."""
    paths = [str(corpus[name]) for name in CASES]
    if os.environ.get("MALFORMED_COLD_CLI") or not hasattr(os, "fork"):
        by_path = {path: _cold(path) for path in paths}
    else:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        runner = subprocess.run([sys.executable, "-c", WARM_RUNNER], input=json.dumps(paths), capture_output=True,
                                text=True, encoding="utf-8", cwd=ROOT, env=env, timeout=300)
        assert runner.returncode == 0, runner.stderr
        by_path = json.loads(runner.stdout)
    return {name: by_path[str(corpus[name])] for name in CASES}


def fields(lines: list[str], path: Path) -> list[str]:
    out = []
    for line in lines:
        assert line.startswith(f"{path}: "), line
        match = LINE.fullmatch(line[len(f"{path}: "):])
        assert match, line
        out.append(match["field"])
    return out


@pytest.mark.parametrize("name", CASES)
def test_validate_exits_1_with_one_line_per_problem_each_naming_the_file_and_a_field(name, cli, corpus):
    code, stdout, stderr = cli[name]
    assert code == 1, stdout + stderr
    assert "Traceback" not in stderr and stderr == ""
    lines = stdout.splitlines()
    assert lines, "no problem printed"
    for field in fields(lines, corpus[name]):
        assert re.match(r"[a-z_]+", field)[0] in FIELD_ROOTS, field
    assert all(len(line) <= len(str(corpus[name])) + 1400 for line in lines)  # echoed values are cut short


@pytest.mark.parametrize("name", CASES)
def test_the_field_named_is_the_one_the_readme_documents(name, cli, corpus):
    expected = documented()[name]
    named = fields(cli[name][1].splitlines(), corpus[name])
    assert any(f.startswith(expected) if expected.endswith("[") else f == expected for f in named), named


@pytest.mark.parametrize("name", CASES)
def test_load_events_raises_dataset_error_with_the_same_problems(name, cli, corpus):
    with pytest.raises(DatasetError) as raised:
        load_events(corpus[name])
    assert [str(p) for p in raised.value.problems] == loaded_lines(name, cli, corpus)
    assert [str(p) for p in validate_file(corpus[name])] == cli[name][1].splitlines()


def test_every_corpus_file_is_documented_and_small():
    assert set(documented()) == set(CASES)
    assert len(COMMITTED) >= 45
    for name in COMMITTED:
        assert (CORPUS / name).stat().st_size < 20_000, name


@pytest.mark.parametrize(("name", "expected"), [
    ("swapped_lat_lon.geojson",
     "feature 0 (id=workers-tumen-economic-development-zone): geometry.coordinates: latitude 129.84199 is out of "
     "range; longitude and latitude look swapped (GeoJSON order is [longitude, latitude])"),
    ("duplicate_ids.geojson",
     "feature 1 (id=disappearance-shanghai-garment-workers-2022-02): properties.id: duplicate id, first used by "
     "feature 0"),
    ("utf16_bom.geojson", "file: the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8"),
    ("utf16_no_bom.geojson", "file: NUL byte at line 1, column 2 (byte 1): the file looks like UTF-16 or UTF-32 "
                             "text, or is not text at all; save it as UTF-8"),
    ("latin1.geojson", "file: not UTF-8 text: byte 0xE9 at line 18, column 40 (byte 441) is not valid UTF-8 "
                       "(Latin-1 or Windows-1252?); save it as UTF-8"),
    ("nan_token.geojson", "file: not valid JSON: NaN is not allowed in JSON"),
    ("deeply_nested_100000.geojson", "file: not valid JSON: arrays and objects nested more than 64 deep"),
    ("oversize.geojson", "file: NUL byte at line 1, column 46 (byte 45): the file looks like UTF-16 or UTF-32 "
                         "text, or is not text at all; save it as UTF-8"),
    ("empty.geojson", "file: the file is empty"),
    ("status_history_out_of_order.geojson",
     "feature 0 (id=road-freight-rason-hunchun-resumption): properties.status_history[1].since: status_history "
     "must be in date order: 2020-01-01 comes after 2023-02-23"),
    ("long_summary_100000.geojson",
     "feature 0 (id=workers-tumen-economic-development-zone): properties.summary: String should have at most "
     "5000 characters"),
    ("newline_in_id.geojson",
     r"feature 0 (id=workers-tumen\x0aFAKE: feature 0: properties.id: ok): properties.id: String should match "
     "pattern '^[a-z0-9]+(?:-[a-z0-9]+)*$'"),
])
def test_representative_cases_print_exactly_this(name, expected, cli, corpus):
    assert cli[name][1].splitlines() == [f"{corpus[name]}: {expected}"]


def test_the_real_cli_checks_the_whole_corpus_in_one_cold_run_without_a_traceback(corpus, cli):
    paths = [str(corpus[name]) for name in CASES]
    result = subprocess.run([sys.executable, "-m", "geo", "validate", *paths], capture_output=True, text=True,
                            encoding="utf-8", cwd=ROOT, timeout=120)
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.splitlines() == [line for name in CASES for line in cli[name][1].splitlines()]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.geojson"
    path.write_bytes(codecs.BOM_UTF8 + EVENTS_PATH.read_bytes())
    assert validate_file(path) == []
    assert len(load_events(path)) == len(json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"])


def test_the_size_limit_is_checked_before_reading_and_can_be_changed(tmp_path):
    path = tmp_path / "small.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(DatasetError) as raised:
        read_json(path, max_bytes=10)
    assert [str(p) for p in raised.value.problems] == [
        f"{path}: file: the file is 45 bytes, over the limit of 10 bytes; split it into smaller files"]
    assert read_json(path, max_bytes=45) == read_json(path, max_bytes=None) == {
        "type": "FeatureCollection", "features": []}
    assert MAX_FILE_BYTES == 200_000_000


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_stream_that_never_ends_is_read_only_up_to_the_limit():
    with pytest.raises(DatasetError) as raised:
        read_json(Path("/dev/zero"), max_bytes=1000)  # its size says 0; reading it all would never end
    assert [str(p) for p in raised.value.problems] == [
        "/dev/zero: file: the file is over the limit of 1,000 bytes; split it into smaller files"]


def test_thousands_of_problems_are_listed_up_to_a_limit(tmp_path):
    path = tmp_path / "nulls.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [None] * 5000}), encoding="utf-8")
    problems = validate_file(path)
    assert len(problems) == MAX_PROBLEMS + 1
    assert str(problems[0]) == f"{path}: feature 0: feature: expected a GeoJSON Feature object, got null"
    assert str(problems[-1]) == f"{path}: features: 4000 more problems not listed (only the first 1000 are)"


@pytest.mark.parametrize("name", CASES)
def test_the_dashboard_shows_the_problems_not_a_traceback(name, corpus, cli, monkeypatch):
    monkeypatch.setenv("BORDER_DATA", str(corpus[name]))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and markdown_text(f"{corpus[name].name} is not a valid events file") in at.error[0].value
    assert at.code[0].value == "\n".join(without_paths(line) for line in loaded_lines(name, cli, corpus))
    assert str(corpus[name].parent) not in at.error[0].value + at.code[0].value  # a visitor sees no server path
