"""What hovering over and clicking an event on the map shows: its tooltip, which ends with the event's
id so a click names the event (`feature_id_from_tooltip`), and its popup. All dataset text is
HTML-escaped before it reaches markup."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from geo.events.evidence import confidence_label
from geo.events.schema import EVENT_TYPES, ROUTE_STATUSES
from geo.report.details import geography_label, source_html, when_label, where_label
from geo.report.markup import escape

__all__ = ["feature_id_from_tooltip", "popup_html", "tooltip_text"]


def tooltip_text(row: dict[str, Any]) -> str:
    """Tooltip shown on hover; ends with the feature id in brackets so clicks can be traced."""
    return f"{escape(row['title'])} [{escape(row['id'])}]"


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
    """Popup body: what, where, when (with precision), how precise the location, who says so."""
    where = where_label(row)
    when = when_label(row)
    status = row.get("status")
    status_html = (f"<div class='meta'>Status: {escape(ROUTE_STATUSES[status])}</div>" if status else "")
    sources = "".join(source_html(s) for s in row["sources"])
    geo = geography_label(row)
    geo_html = f"<div class='meta'>{escape(geo)}</div>" if geo else ""
    return (
        f"<div class='geo-popup'><h4>{escape(row['title'])}</h4>"
        f"<div class='meta'>{escape(EVENT_TYPES[row['event_type']])} · {escape(where)} "
        f"(location: {escape(row['location_precision'])})</div>"
        f"<div class='meta'>When: {escape(when)}</div>{status_html}{geo_html}"
        f"<p>{escape(row['summary'])}</p>"
        f"<div><b>Sources</b> ({escape(confidence_label(row['sources']))})<ol>{sources}</ol></div>"
        f"<div class='meta'>id: {escape(row['id'])}</div></div>"
    )
