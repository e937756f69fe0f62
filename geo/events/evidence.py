"""How sure we are about an event: how many independent witnesses report it.

A witness is whoever the report rests on: the claimant it attributes the account to (an NGO, an
informant: `attributed_to`), else the organisation that first reported it (`original`: Reuters for
"Reuters via National Post"), else the publisher. A repost, or a second outlet relaying the same
informant, is the same witness, not a second one. Names are compared without case or extra spaces, and a
news outlet's usual spellings are one name (Yonhap / Yonhap News Agency; RFA / Radio Free Asia: geo.events.relays).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from geo.events.relays import outlet_spelled


def _key(name: str) -> str:
    return " ".join((outlet_spelled(name) or name).casefold().split())


def witness(source: dict[str, Any]) -> str:
    """The name of the witness a source rests on (attributed_to, else original, else publisher)."""
    return source.get("attributed_to") or source.get("original") or source["publisher"]


def independent_witnesses(sources: list[dict[str, Any]]) -> int:
    """Distinct witnesses among the sources: one outlet's several articles, a repost and its original,
    and two reports of one informant's claim each count once."""
    return len({_key(witness(s)) for s in sources or []})


def is_corroborated(sources: list[dict[str, Any]]) -> bool:
    """True when at least two independent witnesses report the event."""
    return independent_witnesses(sources) >= 2


def confidence_label(sources: list[dict[str, Any]]) -> str:
    """'single source' or 'corroborated by N independent sources'."""
    n = independent_witnesses(sources)
    return f"corroborated by {n} independent sources" if n >= 2 else "single source"


def reliance(source: dict[str, Any]) -> str | None:
    """Who this source relies on, in words ('republishes Reuters; rests on Justice For North Korea'),
    or None when it is its own witness."""
    parts = []
    if source.get("original") and _key(source["original"]) != _key(source["publisher"]):
        parts.append(f"republishes {source['original']}")
    if source.get("attributed_to") and _key(source["attributed_to"]) not in {
            _key(source["publisher"]), _key(source.get("original") or "")}:
        parts.append(f"rests on {source['attributed_to']}")
    return "; ".join(parts) or None


def figure_span(figures: list[dict[str, Any]] | None) -> tuple[int, int] | None:
    """The lowest and highest number the sources give (a range's top counts), or None without figures."""
    if not figures:
        return None
    lows = [f["value"] for f in figures]
    highs = [f.get("value_max") if f.get("value_max") is not None else f["value"] for f in figures]
    return min(lows), max(highs)


FIGURE_COLUMNS = ("figure_low", "figure_high")
"""The two columns every table of events gives its figures in: the lowest and highest number (figure_span)."""


def figure_columns(figures: Iterable[list[dict[str, Any]] | None]) -> dict[str, pd.api.extensions.ExtensionArray]:
    """`figure_low` and `figure_high` for each event's figures, in order: `figure_span`'s two ends as nullable
    integers (Int64, <NA> for an event without figures). Pass a frame's `figures` column; the result is
    positional (`frame.assign(**figure_columns(frame["figures"]))`)."""
    spans = [figure_span(each) for each in figures]
    return {name: pd.array([span[end] if span else None for span in spans], dtype="Int64")
            for end, name in enumerate(FIGURE_COLUMNS)}


def figure_claim(figure: dict[str, Any]) -> str:
    """One source's figure as it said it: 'more than 500', 'about 200', '100–120'."""
    from geo.events.schema import FIGURE_QUALIFIERS

    number = f"{figure['value']:,}"
    if figure.get("value_max") is not None and figure["value_max"] != figure["value"]:
        number += f"–{figure['value_max']:,}"
    return FIGURE_QUALIFIERS[figure.get("qualifier", "exactly")] + number


def figures_text(figures: list[dict[str, Any]] | None, sources: list[dict[str, Any]]) -> list[str]:
    """One line per quantity, with the range and who says what:
    '200–600 people repatriated: Daily NK about 200; Human Rights Watch more than 500; …'."""
    by_quantity: dict[str, list[dict[str, Any]]] = {}
    for figure in figures or []:
        by_quantity.setdefault(figure["quantity"], []).append(figure)
    lines = []
    for quantity, claims in by_quantity.items():
        low, high = figure_span(claims)
        span = f"{low:,}" if low == high else f"{low:,}–{high:,}"
        said: dict[str, int] = {}  # one witness's same claim relayed by several outlets is listed once
        for f in claims:
            key = f"{witness(sources[f['source']])} {figure_claim(f)}"
            said[key] = said.get(key, 0) + 1
        who = "; ".join(key + (f" ({n} reports)" if n > 1 else "") for key, n in said.items())
        lines.append(f"{span} {quantity}: {who}")
    return lines
