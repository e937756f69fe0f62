"""Shared fixtures: the real bundled dataset, and a way to write variations of it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from playwright.sync_api import Browser

from geo.dataset import load_events, read_json
from geo.places import load_places
from tests.browser import Session, launch_browser, session_factory

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
