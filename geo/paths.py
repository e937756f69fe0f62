"""Where the project's files are: each folder and bundled file is named here once.

The library reads its reference data from the project's `data/` folder and writes served files under
`static/`, so both are found from the checkout this package lives in.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SEEDS_DIR = PROJECT_ROOT / "seeds"
STATIC_DIR = PROJECT_ROOT / "static"  # what Streamlit serves (static file serving is on in .streamlit/config.toml)
SETTINGS_DIR = PROJECT_ROOT / ".streamlit"
CACHE_DIR = PROJECT_ROOT / ".cache"
METHODOLOGY_PATH = PROJECT_ROOT / "docs" / "METHODOLOGY.md"  # shown to readers by pages/methodology.py

BUNDLED_EVENTS = DATA_DIR / "events.geojson"
PLACES_PATH = DATA_DIR / "places.geojson"
CROSSINGS_PATH = DATA_DIR / "crossings.geojson"
BASEMAP_PATH = DATA_DIR / "basemap.geojson"
TOWNS_PATH = DATA_DIR / "towns.csv"
GAZETTEER_PATH = DATA_DIR / "gazetteer.json"
ACLED_TYPES_PATH = DATA_DIR / "acled_types.csv"
TRADE_PATH = DATA_DIR / "trade_monthly.csv"  # China's monthly trade with North Korea (geo.reference.trade)
