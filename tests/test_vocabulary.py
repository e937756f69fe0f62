"""The vocabulary is one table: each event type is defined once, and everything else derives from it."""

from __future__ import annotations

import ast
import collections
import dataclasses
import itertools
import math
from collections import defaultdict

import pytest

from geo.events import schema
from geo.events.vocabulary import EVENT_KINDS, EVENT_LAYER, EVENT_TYPES, LAYERS, UNCLASSIFIED, EventType, Layer
from geo.map.style import EVENT_STYLE, LAYER_SHAPE
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


# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
CVD_MATRICES = {
    "normal vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
MIN_DELTA_E = 15  # CIE76, between two different colours of one pin shape, under each of CVD_MATRICES


def seen_as_lab(colour: str, matrix) -> tuple[float, float, float]:
    """CIELAB (D65) of `colour` ("#rrggbb") as seen with the vision `matrix` simulates."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5)]
    r, g, b = (min(1.0, max(0.0, sum(m * v for m, v in zip(row, rgb, strict=True)))) for row in matrix)
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def too_alike(kinds) -> list[str]:
    """Pairs of types with one pin shape whose different colours fall under MIN_DELTA_E in some vision."""
    found = []
    for a, b in itertools.combinations(kinds, 2):
        if LAYER_SHAPE[a.layer] != LAYER_SHAPE[b.layer] or a.colour.lower() == b.colour.lower():
            continue
        for vision, matrix in CVD_MATRICES.items():
            delta = math.dist(seen_as_lab(a.colour, matrix), seen_as_lab(b.colour, matrix))
            if delta < MIN_DELTA_E:
                found.append(f"{a.id} {a.colour} / {b.id} {b.colour}: ΔE {delta:.1f} with {vision}")
    return found


def test_pins_of_one_shape_are_told_apart_by_colour_under_colour_blindness_or_share_it_and_differ_by_icon():
    assert too_alike(EVENT_KINDS) == []
    for shape in set(LAYER_SHAPE.values()):
        kinds = [k for k in EVENT_KINDS if LAYER_SHAPE[k.layer] == shape]
        by_colour = collections.Counter(k.colour.lower() for k in kinds)
        assert max(by_colour.values()) <= 2, f"a colour serves more than two {shape} pins"
        assert len({k.icon for k in kinds}) == len(kinds)


def test_the_check_catches_the_brown_and_grey_pins_of_the_old_palette():
    # (sea freight, added later, is given rail freight's old blue)
    old = [dataclasses.replace(kind, colour=colour) for kind, colour in zip(EVENT_KINDS, (
        "#b71c1c", "#388e3c", "#1565c0", "#5d4037", "#00838f", "#1565c0", "#2e7d32", "#0277bd", "#0097a7", "#c0ca33",
        "#9e9d24", "#795548", "#6a1b9a", "#8e24aa", "#c2185b", "#4e342e", "#d84315", "#ad1457", "#ef6c00",
        "#37474f", "#827717", "#455a64", "#757575"), strict=True)]
    alike = too_alike(old)
    assert any("detention" in pair and "surveillance" in pair for pair in alike)
    assert any("rail_freight_suspension" in pair and "crossing_construction" in pair for pair in alike)
