"""Shared fixtures: the real bundled dataset, a way to write variations of it, and a real PostgreSQL+PostGIS."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pytest

from geo.events.dataset import read_json
from geo.io.events_file import load_events
from geo.reference.places import load_places
from perf.appserver import free_port
from tests.postgres import Cluster, missing_reason, start_cluster

if TYPE_CHECKING:  # Playwright is imported only by the tests that drive a browser (tests/browser.py)
    from playwright.sync_api import Browser

    from tests.browser import Session

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PATH = ROOT / "data" / "events.geojson"


# --- The fast lane: `pytest -m "not slow"` ------------------------------------------------------------------
# A test is slow when it starts a server, a browser, AppTest or PostgreSQL, or takes more than about two
# seconds on its own. tests/test_fast_lane.py reads every test's source and fails when one that starts any of
# those is not marked here, and when a name listed here no longer exists.

# Fixtures that start something slow: a test using one (directly or through another fixture) is slow.
SLOW_FIXTURES = {
    "browser": "drives a browser",
    "open_session": "drives a browser",
    "postgres": "starts PostgreSQL",
}
# Modules whose tests (all, or all but a few) start a server, a browser or AppTest.
SLOW_MODULES = {
    "test_browser": "a browser against `streamlit run`",
    "test_browser_bench": "the browser benchmark",
    "test_dashboard": "AppTest",
    "test_dashboard_story": "a browser against `streamlit run`",
    "test_dashboard_view_browser": "a browser against `streamlit run`",
    "test_downloads_browser": "a browser against `streamlit run`",
    "test_geopack_browser": "a browser",
    "test_loadtest": "the load test against `streamlit run`",
    "test_review": "AppTest",
    "test_review_browser": "a browser against `streamlit run`",
    "test_review_import_browser": "a browser against `streamlit run`",
    "test_review_postgis": "AppTest on PostgreSQL",
    "test_security": "AppTest, and a browser against `streamlit run`",
    "test_signin": "`streamlit run` and its websocket",
    "test_store_postgis": "PostgreSQL",
    "test_teams_browser": "a browser against two `streamlit run` servers on PostgreSQL",
    "test_upload_limits": "a browser against `streamlit run`",
    "test_viewcontrol": "a browser",
}
# Single slow tests in otherwise fast modules: module -> {test function: why}.
SLOW_TESTS: dict[str, dict[str, str]] = {
    "test_appserver": {"test_a_real_streamlit_server_is_healthy_within_a_minute": "`streamlit run`"},
    "test_changelog": {
        "test_a_bad_change_log_line_is_the_dashboards_warning_and_the_map_keeps_working": "AppTest",
        "test_a_log_line_that_is_not_utf8_is_the_dashboards_warning_too": "AppTest",
    },
    "test_credentials": {"test_the_dashboard_shows_an_unusable_url_without_its_password": "AppTest"},
    "test_malformed": {"test_the_dashboard_shows_the_problems_not_a_traceback": "AppTest"},
}


def slow_reason(module: str, test: str, fixtures: Iterable[str], params: Mapping[str, Any]) -> str | None:
    """Why the test `test` (its function's name) in tests/`module`.py, using `fixtures` (pytest's closure)
    with parameters `params`, belongs in the slow lane; None when it is fast."""
    if module in SLOW_MODULES:
        return SLOW_MODULES[module]
    if test in SLOW_TESTS.get(module, {}):
        return SLOW_TESTS[module][test]
    used = [SLOW_FIXTURES[name] for name in sorted(set(fixtures) & set(SLOW_FIXTURES))]
    if used:
        return used[0]
    if "make_dataset" in fixtures and "postgis" in params.values():  # make_dataset starts PostgreSQL for it
        return "starts PostgreSQL"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests `slow` (see slow_reason)."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        callspec = getattr(item, "callspec", None)
        reason = slow_reason(item.module.__name__.rpartition(".")[2], item.originalname, item.fixturenames,
                             callspec.params if callspec else {})
        if reason:
            item.add_marker(pytest.mark.slow(reason=reason))


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
    from tests.browser import launch_browser

    yield from launch_browser()


@pytest.fixture
def open_session(browser: Browser) -> Iterator[Callable[[Callable[[str], bool]], Session]]:
    """Open fresh browser contexts (so fresh Streamlit sessions) that let through only URLs `allowed`
    accepts; each records blocked requests and JavaScript errors."""
    from tests.browser import session_factory

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
