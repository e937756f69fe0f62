"""The vocabulary is one table: each event type is defined once, and everything else derives from it."""

from __future__ import annotations

import ast
from collections import defaultdict

import pytest

from geo.events import schema
from geo.events.vocabulary import EVENT_KINDS, EVENT_LAYER, EVENT_TYPES, LAYERS, UNCLASSIFIED, EventType, Layer
from geo.map.style import EVENT_STYLE
from tests.conftest import ROOT

SHIPPED = ("geo", "perf", "app", "pages", "dashboard.py")
"""What is installed or run: the library (geo, perf) and the Streamlit side (app, the pages, the dashboard)."""


def string_literals(path) -> set[str]:
    """Every string constant written in a Python source (implicitly joined pieces count as one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_each_event_type_id_is_written_as_a_string_in_exactly_one_module():
    written_in: dict[str, list[str]] = defaultdict(list)
    for name in SHIPPED:
        for path in [ROOT / name] if name.endswith(".py") else sorted((ROOT / name).rglob("*.py")):
            for literal in string_literals(path) & set(EVENT_TYPES):
                written_in[literal].append(path.relative_to(ROOT).as_posix())
    assert dict(written_in) == {kind.id: ["geo/events/vocabulary.py"] for kind in EVENT_KINDS}


def test_every_row_of_the_table_gives_the_label_layer_colour_and_icon_others_read():
    assert list(EVENT_TYPES) == list(EVENT_LAYER) == list(EVENT_STYLE) == [kind.id for kind in EVENT_KINDS]
    for kind in EVENT_KINDS:
        assert EVENT_TYPES[kind.id] == kind.label and EVENT_LAYER[kind.id] == kind.layer in LAYERS
        assert EVENT_STYLE[kind.id] == (kind.colour, kind.icon) and kind.colour.startswith("#")
    assert len({kind.id for kind in EVENT_KINDS}) == len(EVENT_KINDS)


def test_the_schema_reads_the_same_vocabularies():
    assert schema.EVENT_TYPES is EVENT_TYPES and schema.LAYERS is LAYERS and schema.UNCLASSIFIED == UNCLASSIFIED


def test_a_type_is_named_through_the_enum_and_a_typo_fails():
    assert EventType.DEFECTION == "defection" and EventType.UNCLASSIFIED.value == UNCLASSIFIED
    assert Layer.TRADE_ROUTES == "trade_routes" and [layer.value for layer in Layer] == list(LAYERS)
    assert [t.value for t in EventType] == list(EVENT_TYPES)
    with pytest.raises(AttributeError):
        EventType.DEFECTON  # noqa: B018


def test_the_ids_the_data_holds_are_plain_strings():
    assert {type(key) for key in (*EVENT_TYPES, *EVENT_LAYER.values(), *LAYERS, *EVENT_STYLE)} == {str}
