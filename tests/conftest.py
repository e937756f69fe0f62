"""Shared fixtures: the real bundled dataset, and a way to write variations of it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from geo.dataset import load_events, read_json
from geo.places import load_places

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
