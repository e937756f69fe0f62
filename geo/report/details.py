"""The evidence for one event as escaped HTML: what, where, when, how sure, who says so."""

from __future__ import annotations

from typing import Any

from geo.events.dates import date_label
from geo.events.evidence import confidence_label, figures_text, reliance
from geo.events.schema import COUNTRY_NAMES, EVENT_TYPES, ROUTE_STATUSES
from geo.report.markup import escape


def source_html(source: dict[str, Any]) -> str:
    """One citation as an <li>: publisher, author, title, date, and a link or seed path."""
    ref = source["ref"]
    link = (f'<a href="{escape(ref)}" target="_blank" rel="noopener noreferrer">{escape(ref)}</a>'
            if ref.startswith(("http://", "https://")) else f"<code>{escape(ref)}</code>")
    author = f", {escape(source['author'])}" if source.get("author") else ""
    relies = f" <i>({escape(relied)})</i>" if (relied := reliance(source)) else ""
    claim = f"<br><small>Says: {escape(source['claim'])}</small>" if source.get("claim") else ""
    note = f"<br><small>{escape(source['note'])}</small>" if source.get("note") else ""
    return (f"<li><b>{escape(source['publisher'])}</b>{author}{relies}: “{escape(source['title'])}”, "
            f"published {escape(str(source['published']))}. Ref: {link}{claim}{note}</li>")


def where_label(row: dict[str, Any]) -> str:
    """The place as a reader would say it: the place name, the route's places, or 'unknown'."""
    if row.get("place"):
        return row["place"]
    if row.get("via"):
        return "; ".join(" – ".join(line) for line in row["via"])
    return "location unknown" + (f" (in {row['country']})" if row.get("country") else "")


def when_label(row: dict[str, Any]) -> str:
    """The event's dates at their precision, marked when inferred."""
    return date_label(row.get("date_start"), row.get("date_end"), row["date_precision"],
                      bool(row.get("date_inferred")))


def geography_label(row: dict[str, Any]) -> str | None:
    """'North Korea (Rason) · 0.9 km from the border · nearest crossing: X, 1.9 km', or None."""
    if row.get("distance_to_border_km") is None:
        return None
    countries = " / ".join(COUNTRY_NAMES.get(c, c) for c in (row.get("country_found") or "").split("/") if c)
    province = f" ({row['province']})" if row.get("province") else ""
    crossing = (f" · nearest crossing: {row['nearest_crossing']}, {row['nearest_crossing_km']:g} km"
                if row.get("nearest_crossing") else "")
    return f"{countries}{province} · {row['distance_to_border_km']:g} km from the China–DPRK border{crossing}"


def details_html(row: dict[str, Any]) -> str:
    """Full details of one event; every dataset string is HTML-escaped."""
    when = when_label(row)
    lines = [
        f"<h3 style='margin:0'>{escape(row['title'])}</h3>",
        f"<p><b>{escape(EVENT_TYPES[row['event_type']])}</b> · id <code>{escape(row['id'])}</code></p>",
        f"<p>{escape(row['summary'])}</p>",
        f"<p><b>Where:</b> {escape(where_label(row))} (location precision: "
        f"{escape(row['location_precision'])})"
        + (f"<br><small>As written: “{escape(row['place_text'])}”</small>" if row.get("place_text") else "")
        + (f"<br><small>{escape(row['location_note'])}</small>" if row.get("location_note") else "")
        + (f"<br>{escape(geo)}" if (geo := geography_label(row)) else "")
        + "</p>",
        f"<p><b>When:</b> {escape(when)} (date precision: {escape(row['date_precision'])}"
        f"{'' if row.get('date_inferred') else '; as reported'})"
        + (f"<br><small>{escape(row['date_note'])}</small>" if row.get("date_note") else "") + "</p>",
    ]
    if row.get("status"):
        history = "".join(
            f"<li>{escape(ROUTE_STATUSES[c['status']])} from {escape(str(c['since']))} "
            f"({escape(c['precision'])}{', inferred' if c.get('inferred') else ''})</li>"
            for c in row.get("status_history") or []
        )
        lines.append(f"<p><b>Status:</b> {escape(ROUTE_STATUSES[row['status']])}</p><ul>{history}</ul>")
    if figures := figures_text(row.get("figures"), row["sources"]):
        lines.append("<p><b>Figures</b> (each source's own claim)</p><ul class='geo-figures'>"
                     + "".join(f"<li>{escape(line)}</li>" for line in figures) + "</ul>")
    sources = "".join(source_html(s) for s in row["sources"])
    lines.append(f"<p><b>Sources ({len(row['sources'])})</b> · confidence: "
                 f"<b class='geo-confidence'>{escape(confidence_label(row['sources']))}</b></p><ol>{sources}</ol>")
    return "".join(lines)


def event_list_html(rows: list[dict[str, Any]]) -> str:
    """A short escaped list (title, type, date, place) e.g. for events that are not on the map."""
    items = "".join(
        f"<li><b>{escape(row['title'])}</b> — {escape(EVENT_TYPES[row['event_type']])}, "
        f"{escape(when_label(row))}; {escape(where_label(row))} "
        f"<small>(id <code>{escape(row['id'])}</code>)</small></li>"
        for row in rows
    )
    return f"<ul class='geo-event-list'>{items}</ul>" if rows else "<p><i>None.</i></p>"
