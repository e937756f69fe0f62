"""The review of candidate events: one editable row per candidate, and the accepted ones with the edits.

Nothing the reviewer did not write or accept is published. An article's candidates start ticked only where the
ingest suggests them (`suggested`: the sentence itself reports the event, geo.ingest.suggest), and all with an
empty summary: the summary is the reviewer's own words (SUMMARY_HELP is shown as a hint, never used as a value),
and a ticked candidate without one is refused (Unreviewed) before anything is handed on. Ticking a candidate
accepts the fields the reviewer sees beside the tick: its title, event type, place, dates and their precisions
(each editable), and the notes on how the place and date were read (shown, not editable). A candidate that reports
an event already in the dataset is offered as another source of it (`as_source`): ticking it adds only its source
and figures to that event, so it needs no summary, and its own summary is not handed on. A spreadsheet's rows are
the reviewer's own: they start ticked, with the summary the sheet gives, or an empty one where it gives none. What
the page says about a candidate names it by its number and its fields in words (field_words, message_words,
problem_words, sheet_problem_words), never by id, feature index or field name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import Any

from geo.events.schema import EVENT_LAYER, EVENT_TYPES, Problem, validate_collection
from geo.ingest.suggest import CANDIDATE_ONLY, REASON, SUGGESTED
from geo.reference.gazetteer import PIN_KINDS, Gazetteer, load_gazetteer

REVIEW_COLUMNS = ("accept", "evidence", "title", "summary", "event_type", "place", "date_start", "date_end",
                  "date_precision", "location_precision", "id")
EDITED = ("event_type", "title", "summary", "date_start", "date_end", "date_precision", "location_precision")
FIELD_WORDS = {"title": "title", "summary": "summary", "event_type": "event type", "place": "place",
               "date_start": "start date", "date_end": "end date", "date_precision": "date precision",
               "location_precision": "place precision", "place_text": "place as written", "evidence": "sentence",
               "country": "country", "location_note": "note on the place", "date_note": "note on the date",
               "date_inferred": "inferred date", "sources": "source", "figures": "figure", "layer": "layer",
               "geometry": "point", "publisher": "publisher", "published": "publication date", "ref": "address",
               "url": "address", "source_title": "headline", "latitude": "latitude", "longitude": "longitude",
               "date": "date", "id": "identifier", "matches": "known event", "value": "number",
               "value_max": "largest number", "qualifier": "qualifier", "note": "note", "source": "source"}
"""Field names (of the data contract and of a spreadsheet's columns) as a reader says them."""
_MACHINE_NAMES = re.compile(r"\b(?:properties\.)?(" + "|".join(k for k in FIELD_WORDS if "_" in k) + r")\b")
_PATH_PART = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")
SUMMARY_HELP = "What happened, where and when, in your own words, as the evidence sentence supports it."


class Unreviewed(ValueError):
    """A ticked candidate lacks what only the reviewer can give (a summary in their own words, a title)."""


def review_rows(collection: dict[str, Any], reviewers_own: bool = False,
                unwritten: Collection[str] = ()) -> list[dict[str, Any]]:
    """One editable row per candidate (the keys of REVIEW_COLUMNS), located ones first. An article's candidates
    (`reviewers_own` False) start ticked only when suggested, with an empty summary, and carry the suggestion's
    `reason`; a spreadsheet's rows, the reviewer's own, start
    ticked with the summary their sheet gives, or an empty one for the ids in `unwritten` (rows whose sheet gives
    none: the importer's stand-in is not the reviewer's words)."""
    rows = []
    for feature in sorted(collection["features"], key=lambda f: f["geometry"] is None):
        p = feature["properties"]
        row = {k: p.get(k) for k in REVIEW_COLUMNS}
        row["accept"] = reviewers_own or p.get(SUGGESTED) is True
        row["reason"] = p.get(REASON) or ""
        row["summary"] = p.get("summary") if reviewers_own and p.get("id") not in unwritten else ""
        row["as_source"] = bool(p.get("matches"))  # the page may make it a new event instead
        rows.append(row)
    return rows


def _written(value: object) -> str:
    """A cell's text, stripped; an empty data-editor cell (None or NaN) is ""."""
    return value.strip() if isinstance(value, str) else ""


def check_reviewed(rows: list[dict[str, Any]]) -> None:
    """Raise Unreviewed, in one line naming the first ticked candidate that lacks its summary (or title) by its
    number on the page and its title, when any ticked row lacks one."""
    missing = [(number, row) for number, row in enumerate(rows, 1) if row.get("accept") and not row.get("as_source")
               and not (_written(row.get("summary")) and _written(row.get("title")))]
    if not missing:
        return
    number, row = missing[0]
    title = _written(row.get("title"))
    what = "a summary in your own words" if not _written(row.get("summary")) else "a title"
    more = f" (and {len(missing) - 1} other ticked candidates)" if len(missing) > 1 else ""
    named = f"candidate {number} (“{title}”)" if title else f"candidate {number}"
    raise Unreviewed(f"Write {what} for {named}{more}, or untick it; nothing was appended.")


def apply_review(collection: dict[str, Any], rows: list[dict[str, Any]],
                 gazetteer: Gazetteer | None = None) -> list[dict[str, Any]]:
    """The accepted candidates with the reviewer's edits applied; a changed place moves the point to
    that gazetteer place (or removes it for a region or an unknown place). A row `as_source` keeps its candidate's
    `matches` (the store adds its sources and figures to that event) and takes no edits; any other drops it.
    Raises Unreviewed (check_reviewed), and returns nothing, when a ticked new event lacks its summary or title: the
    summary is always the row's, never the candidate's own, which is never handed on. Not yet validated."""
    check_reviewed(rows)
    gazetteer = gazetteer or load_gazetteer()
    by_id = {f["properties"]["id"]: f for f in collection["features"]}
    accepted = []
    for row in rows:
        if not row.get("accept") or row.get("id") not in by_id:
            continue
        props = {k: v for k, v in by_id[row["id"]]["properties"].items() if k not in ("summary", *CANDIDATE_ONLY)}
        feature = {"type": "Feature", "geometry": by_id[row["id"]]["geometry"], "properties": props}
        if row.get("as_source") and props.get("matches"):  # its source and figures go to the known event
            accepted.append(feature)
            continue
        props.pop("matches", None)  # a new event, whatever it resembles
        for key in EDITED:
            value = row.get(key)
            if isinstance(value, float) and value != value:  # an empty cell of a data editor
                value = None
            if isinstance(value, str):
                value = value.strip() or None
            props[key] = value.isoformat()[:10] if isinstance(value, dt.date) else value
            if props[key] is None:
                props.pop(key)
        props["layer"] = EVENT_LAYER[props["event_type"]]
        if (row.get("place") or "") != props.get("place", ""):
            place = gazetteer.places.get(row.get("place") or "")
            props["place"] = place.name if place else ""
            located = place is not None and place.lon is not None and place.kind in PIN_KINDS
            feature["geometry"] = {"type": "Point", "coordinates": [place.lon, place.lat]} if located else None
            props["location_precision"] = (("exact" if place.kind == "crossing" else "city") if located
                                           else ("region" if place else "unknown"))
            props["location_note"] = "Place chosen by the reviewer."
        accepted.append(feature)
    return accepted


def field_words(name: str) -> str:
    """A field's name, or its path in a feature ("properties.sources[0].ref"), as a reader says it ("source 1,
    address"); a name it does not know is given back unchanged."""
    parts = []
    for part in name.removeprefix("properties.").split("."):
        found = _PATH_PART.fullmatch(part)
        if not found or found.group(1) not in FIELD_WORDS:
            return name
        word, index = FIELD_WORDS[found.group(1)], found.group(2)
        parts.append(f"{word} {int(index) + 1}" if index is not None else word)
    return ", ".join(parts)


def message_words(message: str) -> str:
    """A contract or sheet message with its machine names said in words: field names ("date_end"), the event types'
    ids listed as their names, and no "seeds/ path" (the project's own way of citing a kept article)."""
    message = message.replace(", ".join(EVENT_TYPES), ", ".join(EVENT_TYPES.values()))
    message = re.sub(r" or an? seeds/ path", "", message)
    return _MACHINE_NAMES.sub(lambda m: FIELD_WORDS[m.group(1)], message)


def problem_words(problem: Problem, rows: list[dict[str, Any]], new: list[dict[str, Any]] | None = None) -> str:
    """One line for `problem` (the data contract's, or the store's when it refuses an append), naming its candidate
    by number among `rows` (from 1, as the page shows it; found by the problem's id, or by its index among `new`)
    and its field in words, never by id, feature index or field name."""
    number = {row.get("id"): n for n, row in enumerate(rows, 1)}
    fid = problem.feature_id
    if new is not None and problem.index is not None and 0 <= problem.index < len(new):
        fid = new[problem.index]["properties"].get("id")
    where = number.get(fid)
    said = f"{field_words(problem.field)}: {message_words(problem.message)}"
    return f"Candidate {where}: {said}" if where else said[0].upper() + said[1:]


def contract_problems(accepted: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[str]:
    """One line per way the `accepted` candidates (apply_review's) break the data contract, naming each candidate
    by its number among `rows` (from 1, as the page shows it) and its fields in words, never by id or field name;
    [] when they keep it."""
    new = [f for f in accepted if not f["properties"].get("matches")]  # sources of known events are not events
    return [problem_words(problem, rows, new)
            for problem in validate_collection({"type": "FeatureCollection", "features": new}, "review")]


def sheet_problem_words(problem: Problem, columns: dict[str, str]) -> str:
    """One line for a spreadsheet row's `problem` ("events.csv: row 4: event_type: …", geo.io.table's) naming the
    row and the field in words ("Row 4, event type: …"); `columns` is the import's {field: column}, by which the
    sheet's own column name is said as the field it was read as."""
    found = re.fullmatch(r"row (\d+): (.*)", problem.field)
    if not found:
        return f"{field_words(problem.field)}: {message_words(problem.message)}"
    by_column = {column: name for name, column in columns.items()}
    column = found.group(2)
    name = by_column.get(column, column)
    words = field_words(name) if name in FIELD_WORDS else "a cell"
    return f"Row {found.group(1)}, {words}: {message_words(problem.message)}"
