"""What hovering over and clicking an event on the map shows: its tooltip (title and date in plain words),
which ends with the event's id in a hidden span so a click names the event (`feature_id_from_tooltip`:
streamlit-folium reports a clicked marker's tooltip as its text content, hidden parts included), and its
short popup (title, date, place, confidence; the full evidence is in the details below the map). No id
is ever shown. All dataset text is HTML-escaped before it reaches markup."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from geo.events.evidence import confidence_label
from geo.events.schema import EVENT_TYPES, ROUTE_STATUSES
from geo.report.details import LOCATION_PRECISION_WORDS, date_known_label, when_label, where_label
from geo.report.markup import escape

__all__ = ["MORE_LINE", "POPUP_WIDTH", "feature_id_from_tooltip", "popup_html", "tooltip_text"]

POPUP_WIDTH = 260
"""A popup's maximum width in pixels: it fits a 390 px wide phone with its close button in view."""
MORE_LINE = "Full evidence and sources: Details, below the map."


def tooltip_text(row: dict[str, Any]) -> str:
    """Tooltip shown on hover: the title and date; it ends with the id in brackets in a hidden span (not
    shown, not read by screen readers) so a click names the event."""
    return (f"<b>{escape(row['title'])}</b><br>{escape(when_label(row))} "
            f"<span hidden>[{escape(row['id'])}]</span>")


TOOLTIP_ID = re.compile(r"\[([a-z0-9]+(?:-[a-z0-9]+)*)\]\s*$")
TOOLTIP_ROW = re.compile(r"(?:\[([a-z0-9]+(?:-[a-z0-9]+)*)\]\s*)?\[#(\d{1,9})\]\s*$")


def feature_id_from_tooltip(text: str | None, ids: Sequence[str] | None = None) -> str | None:
    """The feature id carried at the end of a tooltip text, or None.

    Detailed pins end in "[<id>]"; the pack layer's clicks end in "[#<row>]", a row of the pack, which
    `ids` (geo.map.pack.row_ids of the frame the pack was written from) turns into the id. Without
    `ids` the id an exported map's label carries before it ("[<id>] [#<row>]") is used, if any; a row
    outside `ids` gives None.
    """
    text = text or ""
    if row := TOOLTIP_ROW.search(text):
        n = int(row.group(2))
        if ids is None:
            return row.group(1)
        return ids[n] if n < len(ids) else None
    match = TOOLTIP_ID.search(text)
    return match.group(1) if match else None


def popup_html(row: dict[str, Any]) -> str:
    """Short popup body: the title; type and date with its precision in words; the place and how precisely
    it is known; a route's status; the confidence; and where the full evidence is. No id, summary or
    source list (they are in the details panel)."""
    status = row.get("status")
    status_html = f"<div class='meta'>Status: {escape(ROUTE_STATUSES[status])}</div>" if status else ""
    precision = LOCATION_PRECISION_WORDS.get(row.get("location_precision") or "unknown", "")
    return (
        f"<div class='geo-popup'><h4>{escape(row['title'])}</h4>"
        f"<div class='meta'>{escape(EVENT_TYPES[row['event_type']])}, {escape(when_label(row))} "
        f"({escape(date_known_label(row))})</div>"
        f"<div class='meta'>{escape(where_label(row))} ({escape(precision)})</div>{status_html}"
        f"<div class='meta'>Confidence: {escape(confidence_label(row['sources']))}</div>"
        f"<div class='geo-popup-more'>{escape(MORE_LINE)}</div></div>"
    )
