"""Property-based fuzzing of the validator and the loader (hypothesis, derandomized for CI).

Thousands of documents: features of the real dataset with random paths replaced by random JSON values
(text, huge and negative numbers, NaN and infinities, booleans, null, lists, objects) or deleted, random
JSON documents, and random or damaged bytes on disk. Whatever comes in, the validator returns one-line
problems naming the file and never raises, and the loader either loads the data or raises DatasetError.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from geo.events.dataset import PROPERTY_FIELDS, DatasetError, frame_from_collection, to_geojson
from geo.events.schema import EVENT_TYPES, LAYERS, Problem, validate_collection
from geo.io.events_file import load_events, validate_file
from tests.conftest import EVENTS_PATH

FILE = "fuzz.geojson"
REAL = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))
REAL_BYTES = EVENTS_PATH.read_bytes()

BASE = settings(deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fuzz(examples: int) -> settings:
    return settings(BASE, max_examples=examples)

# --- Random JSON values -----------------------------------------------------------------------

WORDS = [
    "", " ", "\n", "a\nb", "\r\n", "\u2028", "\x00", "\x1b[31m", "<script>alert(1)</script>", "Tumen", "é", "단둥",
    "2020-01-01", "2023-02-23", "2023-02-30", "0001-01-01", "9999-12-31", "2023-02-23T00:00:00", "20230223",
    "Feature", "FeatureCollection", "Point", "LineString", "MultiLineString", "Polygon", "NaN", "Infinity",
    "x" * 5001, "k" * 300, *LAYERS, *EVENT_TYPES, "closed", "partially_resumed", "resumed", "unknown",
    "exact", "city", "region", "country", "day", "month", "season", "year", "CN", "KP", "cn", *PROPERTY_FIELDS,
]
KEYS = st.sampled_from([*PROPERTY_FIELDS, "type", "geometry", "properties", "coordinates", "features", "crs",
                        "bbox", "id", "sumary", "china_side"]) | st.text(max_size=12)
NUMBERS = (
    st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-200, max_value=200)
    | st.sampled_from([0, -0.0, 90.0000001, -90.5, 180.5, 1e308, -1e308, 5e-324, 2**63, 2**64 + 1, 10**400])
)
SCALARS = st.none() | st.booleans() | NUMBERS | st.text(max_size=20) | st.sampled_from(WORDS)
POSITIONS = st.lists(st.floats(min_value=-200, max_value=200) | NUMBERS, min_size=0, max_size=4)
GEOMETRIES = st.fixed_dictionaries({
    "type": st.sampled_from(["Point", "LineString", "MultiLineString", "Polygon", "point"]),
    "coordinates": POSITIONS | st.lists(POSITIONS, max_size=4) | st.lists(st.lists(POSITIONS, max_size=3), max_size=3),
})
JSON = st.recursive(
    SCALARS | GEOMETRIES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)


def paths(document: Any) -> list[tuple[Any, ...]]:
    """Every path into the document (keys and indices), the root included, in a stable order."""
    out, stack = [], [()]
    while stack:
        path = stack.pop()
        out.append(path)
        value = get(document, path)
        if isinstance(value, dict):
            stack.extend(path + (key,) for key in reversed(list(value)))
        elif isinstance(value, list):
            stack.extend(path + (n,) for n in reversed(range(len(value))))
    return out


def get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def same_type(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, (int, float)):
        return st.floats(min_value=-89.9, max_value=89.9) | st.integers(-90, 90) | NUMBERS
    if isinstance(value, str):
        return st.text(min_size=1, max_size=40) | st.sampled_from(WORDS)
    if isinstance(value, list):
        return st.permutations(value) | st.just(value[:-1]) | st.just(value + value[-1:])
    return st.just(value)


@st.composite
def mutated_collections(draw: st.DrawFn) -> dict[str, Any]:
    """One or two features of the real dataset in a collection, with 1-4 random paths mutated."""
    features = draw(st.lists(st.sampled_from(REAL["features"]), min_size=1, max_size=2))
    document = {"type": "FeatureCollection", "features": copy.deepcopy(features)}
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(document)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "swap", "same_type", "same_type"]))
        if not path:
            if action == "add":
                document[draw(KEYS)] = draw(JSON)
            continue
        parent, last = get(document, path[:-1]), path[-1]
        if action == "delete":
            del parent[last]
        elif action == "add" and isinstance(get(document, path), dict):
            get(document, path)[draw(KEYS)] = draw(JSON)
        elif action == "swap":  # a value from elsewhere in the data: plausible, often still valid
            parent[last] = copy.deepcopy(get(document, draw(st.sampled_from(paths(document)))))
        elif action == "same_type":  # a value of the same JSON type: often still valid
            parent[last] = draw(same_type(parent[last]))
        else:
            parent[last] = draw(JSON)
    return document


def check(document: Any) -> list[Problem]:
    """The properties every input must satisfy; returns the problems found."""
    problems = validate_collection(document, FILE)
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)
    for problem in problems:
        line = str(problem)
        assert line.startswith(f"{FILE}: ") and problem.field
        assert "\n" not in line and "\r" not in line and "\u2028" not in line
        line.encode("utf-8")  # printable: no lone surrogates
        assert len(line) < 1400
    event("rejected" if problems else "valid")  # shown by --hypothesis-show-statistics
    if problems:
        with pytest.raises(DatasetError) as raised:
            frame_from_collection(document, FILE)
        assert raised.value.problems == problems
    else:
        frame = frame_from_collection(document, FILE)
        assert len(frame) == len(document["features"])
        assert validate_collection(json.loads(to_geojson(frame)), FILE) == []  # exports stay valid
    return problems


@fuzz(2000)
@given(mutated_collections())
def test_mutated_real_features_are_either_loaded_or_reported(document):
    check(document)


@fuzz(600)
@given(JSON | st.fixed_dictionaries({"type": st.just("FeatureCollection"), "features": st.lists(JSON, max_size=3)}))
def test_random_json_documents_are_reported_never_raised(document):
    check(document)


@fuzz(300)
@given(st.dictionaries(KEYS, JSON, max_size=6).map(lambda props: {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "geometry": copy.deepcopy(REAL["features"][4]["geometry"]),
                  "properties": {**copy.deepcopy(REAL["features"][4]["properties"]), **props}}],
}))
def test_random_properties_added_to_a_real_feature(document):
    check(document)


# --- Bytes on disk ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "events.geojson"


def check_file(path: Path) -> None:
    problems = validate_file(path)
    assert all(str(p).startswith(f"{path}: ") and "\n" not in str(p) for p in problems)
    event("rejected" if problems else "valid")
    try:
        frame = load_events(path)
    except DatasetError as error:
        assert error.problems == problems and problems
    else:
        assert problems == [] and frame.crs.to_string() == "EPSG:4326"


@fuzz(300)
@given(st.binary(max_size=2000) | st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"[" * 5000, b"0" * 5000]))
def test_random_bytes_are_reported_never_raised(scratch, raw):
    scratch.write_bytes(raw)
    check_file(scratch)


@st.composite
def damaged_bytes(draw: st.DrawFn) -> bytes:
    """The real file with bytes flipped, cut, inserted or deleted at random places."""
    raw = bytearray(REAL_BYTES)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(raw)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip" and at < len(raw):
            raw[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del raw[at:]
        elif action == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
                [b"NaN", b"1e400", b'"', b"\\u0000", b"\\ud800", b"\xc3", b"\x00", b",", b"]", b"{", b"-"]))
        else:
            del raw[at:at + draw(st.integers(1, 20))]
    return bytes(raw)


@fuzz(300)
@given(damaged_bytes())
def test_damaged_copies_of_the_real_file_load_or_are_reported(scratch, raw):
    scratch.write_bytes(raw)
    check_file(scratch)


def test_the_fuzzers_ask_for_at_least_3000_examples():
    tests = [test_mutated_real_features_are_either_loaded_or_reported,
             test_random_json_documents_are_reported_never_raised, test_random_properties_added_to_a_real_feature,
             test_random_bytes_are_reported_never_raised, test_damaged_copies_of_the_real_file_load_or_are_reported]
    assert sum(t._hypothesis_internal_use_settings.max_examples for t in tests) >= 3000
