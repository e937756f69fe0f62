"""A GeoJSON events file read feature by feature (geo.io.geojson) gets exactly the problems it gets read whole
(`read_json` + `validate_collection`), in any chunk size, with memory that does not grow with the file; and
what it hands on is written back out exactly (GeoJSON byte for byte, GeoParquet as `write_events` writes it)."""

from __future__ import annotations

import codecs
import copy
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from geo.events.dataset import DatasetError, read_json
from geo.events.schema import MAX_PROBLEMS, validate_collection
from geo.io.geojson import CollectionSource, CollectionText, EventsFile, GeoJSONWriter
from geo.io.geoparquet import read_collection, write_events
from geo.io.geoparquet_batches import ParquetBatches
from geo.store import encode
from perf.bench import synthetic_collection
from tests.conftest import EVENTS_PATH, ROOT

CORPUS = ROOT / "tests" / "malformed"
CHUNKS = (4, 7, 64, 1 << 22)
"""Chunk sizes read: a byte order mark's length, a few bytes (every token cut somewhere), the default."""


def whole(path: Path) -> list[str]:
    """The problems of reading the file whole, as the dashboard does (without its size limit)."""
    try:
        data = read_json(path, max_bytes=None)
    except DatasetError as error:
        return [str(p) for p in error.problems]
    return [str(p) for p in validate_collection(data, str(path))]


def streamed(path: Path, chunk_bytes: int = 1 << 22, **options: Any) -> list[str]:
    return [str(p) for p in EventsFile(path, chunk_bytes=chunk_bytes, **options).stream()]


def curated(n: int = 3) -> dict[str, Any]:
    collection = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))
    collection["features"] = collection["features"][:n]
    return collection


# --- the same problems -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.geojson")))
def test_every_corpus_file_gets_the_same_problems_streamed_in_any_chunk_size_as_read_whole(name):
    expected = whole(CORPUS / name)
    assert expected, "a corpus file with no problem"
    for chunk in CHUNKS:
        assert streamed(CORPUS / name, chunk) == expected, chunk


def mutants(text: str, rng: random.Random, count: int) -> list[bytes]:
    """Every 211th prefix of `text`, and `count` copies with one character inserted, deleted or replaced (JSON
    punctuation, digits, letters of literals, a NUL, a second BOM, a line separator) or a stray 0xFF byte."""
    alphabet = list('{}[],:"\\ \n0123456789-.eEtfnaNI\u00e9\u2028') + ["\x00", "\ufeff"]
    out = [text[:cut].encode() for cut in range(0, len(text), 211)]
    for _ in range(count):
        at, char = rng.randrange(len(text)), rng.choice(alphabet)
        edit = rng.choice((text[:at] + char + text[at:], text[:at] + text[at + 1:], text[:at] + char + text[at + 1:]))
        raw = edit.encode()
        out.append(raw[:at] + b"\xff" + raw[at:] if rng.random() < 0.1 else raw)
    return out


def test_truncated_and_mutated_files_get_the_same_problems_streamed_as_read_whole(tmp_path):
    rng = random.Random(21)
    collection = curated(2)
    texts = [json.dumps(collection, ensure_ascii=False, indent=1),
             json.dumps(collection, ensure_ascii=False, separators=(",", ":"))]
    path, checked, failing = tmp_path / "mutant.geojson", 0, 0
    for raw in [m for text in texts for m in mutants(text, rng, 60)]:
        path.write_bytes(raw)
        expected = whole(path)
        failing += bool(expected)
        for chunk in (7, 4096):
            assert streamed(path, chunk) == expected, (chunk, raw)
            checked += 1
    assert checked > 300 and failing > 120  # most mutants are broken somewhere, in many different ways


def with_members(members: list[tuple[str, Any]]) -> str:
    """A collection's JSON text with its members in exactly this order (keys may repeat)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in members) + "}"


def test_collection_level_checks_are_the_same_whatever_the_order_of_the_members(tmp_path):
    features = curated(4)["features"]
    twin = copy.deepcopy(features[1])
    twin["properties"]["id"] = features[0]["properties"]["id"]
    broken = [None] * (MAX_PROBLEMS + 5)
    documents = {
        "type last": [("features", features), ("type", "FeatureCollection")],
        "type missing": [("features", features)],
        "type wrong, after": [("features", features), ("type", "Feature")],
        "crs after the features": [("type", "FeatureCollection"), ("features", features), ("crs", {"a": 1})],
        "crs before": [("crs", None), ("type", "FeatureCollection"), ("features", features)],
        "features twice": [("type", "FeatureCollection"), ("features", features), ("features", [])],
        "type twice": [("type", "FeatureCollection"), ("features", features), ("type", "FeatureCollection")],
        "duplicate ids": [("type", "FeatureCollection"), ("features", [*features, twin])],
        "over the problem limit": [("type", "FeatureCollection"), ("features", broken)],
        "over the limit, crs last": [("type", "FeatureCollection"), ("features", broken), ("crs", "x")],
        "features an object": [("type", "FeatureCollection"), ("features", {"0": features[0]})],
        "no features": [("type", "FeatureCollection"), ("name", "x")],
        "top-level array": None,
        "valid, name after": [("type", "FeatureCollection"), ("features", features), ("name", "kept")],
    }
    for label, members in documents.items():
        path = tmp_path / "members.geojson"
        path.write_text(json.dumps(features) if members is None else with_members(members), encoding="utf-8")
        expected = whole(path)
        assert streamed(path) == expected, label
        assert streamed(path, 64, batch_features=2) == expected, label
        assert bool(expected) == (label not in ("type last", "valid, name after")), label


def test_a_bad_byte_after_a_byte_order_mark_is_named_where_it_is_in_the_file(tmp_path):
    path = tmp_path / "bom.geojson"
    path.write_bytes(codecs.BOM_UTF8 + b'{"type": "Feature\xe9Collection", "features": []}')
    expected = [f"{path}: file: not UTF-8 text: byte 0xE9 at line 1, column 21 (byte 20) is not valid UTF-8 "
                "(Latin-1 or Windows-1252?); save it as UTF-8"]
    assert whole(path) == expected == streamed(path) == streamed(path, 4)


def test_a_nul_byte_anywhere_is_named_before_an_earlier_json_error(tmp_path):
    path = tmp_path / "nul-late.geojson"
    path.write_bytes(b'{"type": oops' + b" " * 100_000 + b"\n  \x00")
    assert whole(path) == streamed(path, 1000) == [
        f"{path}: file: NUL byte at line 2, column 3 (byte 100016): the file looks like UTF-16 or UTF-32 text, or "
        "is not text at all; save it as UTF-8"]


def test_nesting_over_the_limit_is_reported_only_once_the_rest_parsed(tmp_path):
    deep = {"type": "FeatureCollection", "features": [{"x": json.loads("[" * 70 + "]" * 70)}]}
    path = tmp_path / "deep.geojson"
    path.write_text(json.dumps(deep), encoding="utf-8")
    assert streamed(path) == whole(path) == [
        f"{path}: file: not valid JSON: arrays and objects nested more than 64 deep"]
    path.write_text(json.dumps(deep)[:-1] + " x}", encoding="utf-8")  # a syntax error after it comes first
    assert streamed(path) == whole(path) and "Expecting ',' delimiter" in whole(path)[0]


def test_a_feature_over_the_value_limit_is_one_file_problem_not_a_read_of_the_whole_file(tmp_path):
    collection = curated(5)
    collection["features"][3]["properties"]["summary"] = "x" * 50_000
    path = tmp_path / "big-feature.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    assert max(len(json.dumps(f)) for f in collection["features"][:3]) < 20_000
    for chunk in (256, 1 << 22):  # cut across reads, or read at once
        assert streamed(path, chunk, max_value_chars=20_000) == [
            f"{path}: file: feature 3 is more than 20,000 characters of JSON, the most one value may take when a "
            "file is read feature by feature"]
    assert streamed(path, 256, max_value_chars=60_000) == whole(path)  # the summary's own limit, as read whole
    assert "String should have at most 5000 characters" in whole(path)[0]


# --- what is handed on -----------------------------------------------------------------------------------------


def test_a_valid_file_hands_on_every_feature_in_order_in_batches(tmp_path):
    collection = synthetic_collection(23)
    path = tmp_path / "events.geojson"
    path.write_bytes(encode(collection))
    batches: list[list[Any]] = []
    source = EventsFile(path, chunk_bytes=512, batch_features=5)
    assert source.stream(lambda batch, members: batches.append(batch)) == []
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    assert [f for b in batches for f in b] == collection["features"]
    assert source.count == 23 and source.members == [("type", "FeatureCollection"), ("features", None)]


def test_no_batch_is_handed_on_once_a_feature_had_a_problem(tmp_path):
    collection = synthetic_collection(23)
    del collection["features"][12]["properties"]["title"]
    path = tmp_path / "events.geojson"
    path.write_bytes(encode(collection))
    handed: list[Any] = []
    problems = EventsFile(path, batch_features=5).stream(lambda batch, members: handed.extend(batch))
    assert [str(p) for p in problems] == [f"{path}: feature 12 (id=synthetic-000012): properties.title: Field "
                                          "required"]
    assert handed == collection["features"][:10]


def test_a_type_given_after_the_features_still_hands_every_feature_on(tmp_path):
    collection = synthetic_collection(7)
    path = tmp_path / "late-type.geojson"
    path.write_text(with_members([("features", collection["features"]), ("type", "FeatureCollection")]),
                    encoding="utf-8")
    handed: list[Any] = []
    source = EventsFile(path, batch_features=3)
    assert source.stream(lambda batch, members: handed.extend(batch)) == []
    assert handed == collection["features"]
    assert source.members == [("features", None), ("type", "FeatureCollection")]


@pytest.mark.parametrize("members", [
    [("type", "FeatureCollection"), ("features", None)],
    [("name", "kept"), ("type", "FeatureCollection"), ("features", None), ("bbox", [1, 2, 3.5, 4])],
    [("features", None), ("type", "FeatureCollection"), ("note", {"a": ["é", None, True]})],
])
@pytest.mark.parametrize("count", [0, 1, 7])
def test_collection_text_in_pieces_is_what_json_dumps_gives_whole(members, count):
    features = synthetic_collection(max(count, 1))["features"][:count]
    collection = {key: features if key == "features" else value for key, value in members}
    for indent, options in ((None, {"separators": (",", ":")}), (1, {"indent": 1})):
        text = CollectionText(indent)
        pieces = [text.start(members), text.features(features[:3]), text.features([]), text.features(features[3:]),
                  text.end(members)]
        assert "".join(pieces) == json.dumps(collection, ensure_ascii=False, **options)


def test_the_geojson_writer_writes_the_bytes_the_file_engine_writes(tmp_path):
    collection = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))
    source, out = CollectionSource(collection, "curated", batch_features=10), tmp_path / "out.geojson"
    with GeoJSONWriter(out) as writer:
        assert source.stream(writer.write) == []
        writer.finish(source.members)
    assert out.read_bytes() == encode(collection) == EVENTS_PATH.read_bytes()


def edge_collection() -> dict[str, Any]:
    """Synthetic events plus the shapes the contract allows that a column layout could lose."""
    collection = synthetic_collection(40, seed=5)
    edge = copy.deepcopy(collection["features"][:5])
    for n, feature in enumerate(edge):
        feature["properties"]["id"] = f"edge-{n}"
    edge[0]["properties"].update(country=None, place_text=None, figures=[], status_history=[], via=[])
    edge[1]["geometry"] = {"type": "Point", "coordinates": [125, 41]}
    edge[2]["geometry"] = {"type": "Point", "coordinates": [125.5, 41.25, 12.0]}
    edge[3]["id"] = "feature-level-id"
    edge[4]["properties"]["date_inferred"] = False
    return {"type": "FeatureCollection", "name": "kept too", "features": [*collection["features"], *edge]}


@pytest.mark.parametrize("which", ["curated", "edges"])
def test_a_parquet_file_written_in_batches_reads_back_as_the_write_events_file_does(which, tmp_path):
    collection = json.loads(EVENTS_PATH.read_text(encoding="utf-8")) if which == "curated" else edge_collection()
    path = tmp_path / "in.geojson"
    path.write_bytes(encode(collection))
    source, batched, whole_file = EventsFile(path, batch_features=6), tmp_path / "b.parquet", tmp_path / "w.parquet"
    with ParquetBatches(batched) as writer:
        assert source.stream(writer.write) == []
        writer.finish(source.members)
    write_events(collection, whole_file)
    assert read_collection(batched) == read_collection(whole_file) == read_json(path)
    ours, theirs = pq.ParquetFile(batched).metadata, pq.ParquetFile(whole_file).metadata
    for name in pq.ParquetFile(whole_file).schema_arrow.names:  # encoded alike, column by column
        mine = ours.row_group(0).column(ours.schema.names.index(name))
        same = theirs.row_group(0).column(theirs.schema.names.index(name))
        assert (mine.compression, mine.encodings) == (same.compression, same.encodings), name
    import geopandas

    assert len(geopandas.read_parquet(batched)) == len(collection["features"])  # standard GeoParquet too


# --- memory ----------------------------------------------------------------------------------------------------

MEMORY_PROBE = r"""
import ctypes, gc, json, sys
from pathlib import Path
from geo.io.geojson import EventsFile


def kilobytes(name):
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith(name + ":")))


def growth(work):
    # How far the peak resident memory rose above the current size while `work` ran, in bytes: freed memory is
    # given back first (so reusing it cannot hide growth), then the peak (VmHWM) is reset to the current size.
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")
    before = kilobytes("VmRSS")
    work()
    return (kilobytes("VmHWM") - before) * 1024


small, large = Path(sys.argv[1]), Path(sys.argv[2])
nothing_wrong = lambda feature, index, file: []
print(growth(lambda: EventsFile(small, chunk_bytes=1 << 20).stream(validate_one=nothing_wrong)),
      growth(lambda: EventsFile(large, chunk_bytes=1 << 20).stream(validate_one=nothing_wrong)),
      growth(lambda: json.loads(large.read_text(encoding="utf-8"))))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists() or sys.platform != "linux",
                    reason="measures with Linux's /proc/self/clear_refs and glibc's malloc_trim")
def test_streaming_memory_does_not_grow_with_the_number_of_features(tmp_path):
    source = {"publisher": "Daily NK", "title": "Trucks crossed at night " * 6, "published": "2023-02-23",
              "ref": "https://example.org/" + "a" * 60}
    feature = json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [125.1, 41.2]},
                          "properties": {"title": "Freight seen at the bridge", "sources": [source] * 4}})
    paths = []
    for count in (3_000, 30_000):  # 4 MB and 40 MB, both over the 1 MB chunk
        paths.append(tmp_path / f"{count}.geojson")
        paths[-1].write_text('{"type": "FeatureCollection", "features": [' + ",".join([feature] * count) + "]}",
                             encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", MEMORY_PROBE, *map(str, paths)], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    small, large, whole_file = (int(n) for n in result.stdout.split())
    assert small < 20_000_000 and large < small + 3_000_000, (small, large)  # ten times the features, same memory
    assert whole_file > 100_000_000, whole_file  # holding the same features at once takes far more (this can fail)
