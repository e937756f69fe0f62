"""Shared fixtures: the real bundled dataset, a way to write variations of it, and a real PostgreSQL+PostGIS."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from playwright.sync_api import Browser

from geo.events.dataset import load_events, read_json
from geo.reference.places import load_places
from tests.browser import Session, free_port, launch_browser, session_factory
from tests.postgres import Cluster, missing_reason, start_cluster

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PATH = ROOT / "data" / "events.geojson"


@pytest.fixture(scope="session")
def events() -> gpd.GeoDataFrame:
    """The curated dataset exactly as the app loads it."""
    return load_events(EVENTS_PATH)


@pytest.fixture(scope="session")
def places() -> gpd.GeoDataFrame:
    return load_places()


@pytest.fixture
def collection() -> dict[str, Any]:
    """A fresh, mutable copy of the curated dataset's JSON."""
    return copy.deepcopy(read_json(EVENTS_PATH))


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write any JSON value (or raw text) to a file in tmp_path and return its path."""

    def write(data: Any, name: str = "events.geojson") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (tests/browser.py), one per test module."""
    yield from launch_browser()


@pytest.fixture
def open_session(browser: Browser) -> Iterator[Callable[[Callable[[str], bool]], Session]]:
    """Open fresh browser contexts (so fresh Streamlit sessions) that let through only URLs `allowed`
    accepts; each records blocked requests and JavaScript errors."""
    yield from session_factory(browser)


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every child process geo.budget.run_with_deadline starts during the test (real processes, recorded)."""
    import subprocess

    from geo import budget

    started: list[subprocess.Popen] = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(budget.subprocess, "Popen", Recorded)
    return started


def most_children_at_once(threads: list, children: list) -> int:
    """Start `threads` and wait for them all; the most of the recorded `children` (the fixture) running at once."""
    import time

    for thread in threads:
        thread.start()
    most = 0
    while any(thread.is_alive() for thread in threads):
        most = max(most, sum(child.poll() is None for child in list(children)))
        time.sleep(0.005)
    return most


POSTGIS_REQUIRED_ENV = "BORDER_POSTGIS_REQUIRED"  # scripts/test sets it where it installed the server itself
_databases = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throwaway PostgreSQL+PostGIS cluster (tests/postgres.py) for the whole test session, stopped and
    removed afterwards. Skips, saying why, only where the server is not installed and scripts/test did not
    install it; where scripts/test installed it, a missing server fails."""
    import os

    reason = missing_reason()
    if reason:
        if os.environ.get(POSTGIS_REQUIRED_ENV):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    cluster = start_cluster(free_port())
    yield cluster
    cluster.stop()


@pytest.fixture
def postgis_url(postgres: Cluster) -> str:
    """The URL (password included) of a new, empty database with PostGIS, tables not yet created."""
    return postgres.create_database(f"test_{next(_databases)}")


@pytest.fixture
def make_dataset(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str, dict[str, Any]], str | Path]:
    """Make a dataset holding `collection` on an engine: "file" (a GeoJSON file in tmp_path) or "postgis"
    (a new database, `db init` and `db import`); returns its spec (path or URL)."""
    from geo.store import encode
    from geo.store.postgis import PostgisStore

    def make(engine: str, collection: dict[str, Any]) -> str | Path:
        if engine == "file":
            path = tmp_path / f"events-{next(_databases)}.geojson"
            path.write_bytes(encode(collection))
            return path
        url = request.getfixturevalue("postgres").create_database(f"test_{next(_databases)}")
        store = PostgisStore(url)
        store.init()
        store.import_collection(collection)
        return url

    return make
