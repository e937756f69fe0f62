"""The methodology (docs/METHODOLOGY.md, shown by pages/methodology.py): what a researcher needs to judge and
cite the data, in plain words a reader may see (no field names, paths or commands)."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from geo.events.schema import EVENT_TYPES
from geo.paths import METHODOLOGY_PATH, PROJECT_ROOT

TEXT = METHODOLOGY_PATH.read_text(encoding="utf-8")


def test_the_methodology_answers_what_a_researcher_asks() -> None:
    headings = re.findall(r"^## (.+)$", TEXT, re.M)
    for topic in ("What an event is", "Sources and witnesses", "Figures and disputes", "Places", "Dates",
                  "Routes and crossings", "The monthly trade series", "How to cite"):
        assert topic in headings, f"the methodology has no section on {topic!r}"
    assert "What it is not" in TEXT, "the trade series' limits must be said"


def test_the_methodology_uses_no_internal_words() -> None:
    assert "`" not in TEXT, "no code or field names"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", TEXT), "no snake_case field names"
    assert not re.search(r"\b(python -m|seeds/|data/|geo/|\.geojson|\.csv|\.py)\b", TEXT), "no commands or paths"
    assert not [kind for kind in EVENT_TYPES if "_" in kind and kind in TEXT]


def test_the_methodology_page_shows_the_document() -> None:
    page = AppTest.from_file(str(PROJECT_ROOT / "pages" / "methodology.py"), default_timeout=30).run()
    assert not page.exception
    shown = "\n".join(block.value for block in page.markdown)
    assert "## Sources and witnesses" in shown and "witnesses, not publishers" in shown


def test_the_dashboard_links_to_the_methodology() -> None:
    dashboard = AppTest.from_file(str(PROJECT_ROOT / "dashboard.py"), default_timeout=120).run()
    assert not dashboard.exception
    links = [link.proto for link in dashboard.get("page_link")]
    assert any(link.page == "methodology" and link.label.startswith("How the data is made")
               for link in links), links
