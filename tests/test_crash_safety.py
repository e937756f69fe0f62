"""SIGKILL a writer at random moments, many times: the dataset on disk is always a whole version."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from geo.events.dataset import read_json
from geo.io.events_file import load_events
from geo.store import backups
from geo.store.changelog import read_changes
from tests.conftest import EVENTS_PATH, ROOT

KILLS = 40

WRITER = r"""
import copy, sys
from geo.events.dataset import read_json
from geo.store import append_features
path, start = sys.argv[1], int(sys.argv[2])
template = read_json(path)["features"][6]
n = start
print("ready", flush=True)
while True:
    feature = copy.deepcopy(template)
    feature["properties"]["id"] = f"crash-{n}"
    feature["properties"]["summary"] = "padding " * 600  # bigger writes: more moments to be cut short
    append_features(path, [feature], editor='crash-test')
    n += 1
"""


def versions_seen(path: Path) -> list[int]:
    """Number of crash-test events in the file, after checking it loads as a whole dataset."""
    frame = load_events(path)
    return sorted(int(i.split("-")[1]) for i in frame.index if i.startswith("crash-"))


def test_a_writer_killed_at_random_moments_never_leaves_a_broken_or_partial_file(tmp_path):
    path = tmp_path / "events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    rng = random.Random(20230223)
    next_id = 0
    lost: list[str] = []
    for _ in range(KILLS):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(next_id)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        time.sleep(rng.uniform(0.0, 0.25))  # a random moment: reading, validating, writing or renaming
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
        present = versions_seen(path)  # raises if the file is not a whole, valid dataset
        assert present == list(range(len(present))), "appends are whole and in order; none half-kept"
        kept = backups(path)
        if kept:
            backup = versions_seen(kept[-1])
            assert backup == list(range(len(backup))) and len(present) - len(backup) in (0, 1)
        # The change log never claims an event the dataset does not have (it is written after the file).
        logged = {i for change in read_changes(path) for i in change.added}
        assert logged <= {f"crash-{n}" for n in present}
        # A writer killed mid-write leaves its temporary file (never the dataset); the next one removes it.
        lost += [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        next_id = len(present)
    print(f"{KILLS} kills, {next_id} whole appends survived, {len(lost)} temporary files left by killed writers")
    assert next_id > KILLS // 2, "the writers rarely got to append: the kills did not land mid-write"
    assert read_json(path)["type"] == "FeatureCollection"
    assert len([p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]) <= 1  # only the last kill's


def test_two_writers_at_once_each_keep_their_events(tmp_path):
    path = tmp_path / "events.geojson"
    path.write_bytes(EVENTS_PATH.read_bytes())
    script = WRITER.replace("while True:", "for _ in range(5):")
    writers = [subprocess.Popen([sys.executable, "-c", script, str(path), str(start)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for start in (0, 1000)]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    ids = set(load_events(path).index)
    assert {f"crash-{n}" for n in (*range(5), *range(1000, 1005))} <= ids
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert json.loads(path.read_text(encoding="utf-8"))["features"] and digest
