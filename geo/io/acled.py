"""ACLED's export (CSV or XLSX, ACLED's own columns) turned into events, following ACLED's codebook.

- `event_id_cnty` gives the id (`acled-chn1234`), stable across re-imports;
- `geo_precision` 1 (the town is named) is a point at city precision; 2 (near a town, or part of a region)
  a point at region precision; 3 (only a province or larger region) no point at all: ACLED's coordinates
  for it stand for the region, and we never draw a guessed point. ACLED's meaning goes in `location_note`;
- `time_precision` 1 is the day; 2 (only the week) any day of a week containing ACLED's date; 3 (only the
  month) that whole month. ACLED's meaning goes in `date_note`;
- each name in `source` (semicolon-separated) is one source, published by ACLED with that outlet as
  `original`, noting `source_scale`, ACLED's attribution and its terms of use;
- `notes` is quoted in the summary as ACLED's text; `fatalities` above 0 is a figure ("at least": ACLED
  codes the lowest reported number);
- `event_type`/`sub_event_type` map to our vocabulary through a table (data/acled_types.csv, or one given
  with `--types`). A row whose type maps to nothing (an empty `event_type` in the table, or a pair the table
  does not list) is kept as an `unclassified` event whose summary names ACLED's types and why none of ours
  fits, and its report line says so: never dropped, silently or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.events.schema import EVENT_LAYER, EVENT_TYPES, UNCLASSIFIED, Problem, show
from geo.io.cells import CellError, coordinates, date_span, is_empty, slug, text, whole_number
from geo.io.sheet import Sheet, read_sheet_file
from geo.io.table import RowResult, TableImport, country_code, header_key, locate, row_problem, validated
from geo.paths import ACLED_TYPES_PATH
from geo.reference.gazetteer import PIN_KINDS, Gazetteer, load_gazetteer

TYPES_PATH = ACLED_TYPES_PATH
ACLED_REF = "https://acleddata.com/"
ATTRIBUTION = ("Data: Armed Conflict Location & Event Data (ACLED), https://acleddata.com/. Used under ACLED's Terms "
               "of Use and Attribution Policy: ACLED must be acknowledged as the source wherever the data are "
               "shown, and ACLED's raw data may not be passed on to others.")
REQUIRED = ("event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type", "country", "location",
            "latitude", "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities")
"""The codebook's columns an import needs (others, such as actor1, admin1 and timestamp, are used when present)."""

ISO_NUMERIC = {156: "CN", 408: "KP", 410: "KR", 643: "RU", 392: "JP"}
"""ACLED's `iso` column (ISO 3166 numeric) for the region's countries."""

GEO_PRECISION = {
    1: ("city", True, "ACLED geo_precision 1: the source names the town or village, and ACLED's coordinates are "
                      "that place's."),
    2: ("region", True, "ACLED geo_precision 2: the source places the event near a town or in part of a region; "
                        "ACLED's coordinates are a nearby town's, so the point is drawn at region precision."),
    3: ("region", False, "ACLED geo_precision 3: the source names only a larger region (a province); ACLED's "
                         "coordinates ({lat}, {lon}) stand for that region, usually its capital, and are not drawn."),
}
TIME_PRECISION = {
    1: "ACLED time_precision 1: the source gives the day.",
    2: "ACLED time_precision 2: the source gives only the week (or a few days), which ACLED dates {day}; kept here "
       "as any day from {start} to {end} (every week that contains ACLED's date).",
    3: "ACLED time_precision 3: the source gives only the month, which ACLED dates {day}; kept here as that whole "
       "month.",
}


class TypesError(Exception):
    """The types table is not usable; `problems` names the file, the row and the column of each fault."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class TypeRule:
    """What an ACLED event/sub-event type becomes: one of our types, or None (no type of ours fits: the row is
    imported as `unclassified`), and why."""

    event_type: str | None
    note: str
    where: str  # the table and row it comes from, for messages


def load_types(path: Path = TYPES_PATH) -> dict[tuple[str, str], TypeRule]:
    """The ACLED types table: {(event type, sub-event type) folded: rule}; a sub-event type `*` stands for
    every sub-event type of that event type. Raises TypesError naming each bad row."""
    from geo.io.sheet import SheetError

    try:
        sheet = read_sheet_file(path)
    except SheetError as error:
        raise TypesError([error.problem]) from None
    keys = {header_key(c): c for c in sheet.columns}
    missing = [c for c in ("acled_event_type", "acled_sub_event_type", "event_type") if c not in keys]
    if missing:
        raise TypesError([Problem(str(path), "columns", f"the types table needs the columns {', '.join(missing)}")])
    rules: dict[tuple[str, str], TypeRule] = {}
    problems = []
    for number, cells in sheet.rows:
        acled_type, sub_type, ours = (text(cells.get(keys[c])) for c in
                                      ("acled_event_type", "acled_sub_event_type", "event_type"))
        if not acled_type or not sub_type:
            problems.append(row_problem(str(path), number, "acled_event_type" if not acled_type else
                                        "acled_sub_event_type", "empty; write the ACLED name (or * for every "
                                                                "sub-event type)"))
            continue
        if ours and ours not in EVENT_TYPES:
            problems.append(row_problem(str(path), number, "event_type", f"{show(ours)} is not an event type; one of "
                                                                         f"{', '.join(EVENT_TYPES)}, or empty"))
            continue
        key = (acled_type.casefold(), sub_type.casefold())
        if key in rules:
            problems.append(row_problem(str(path), number, "acled_sub_event_type",
                                        f"{acled_type} / {sub_type} is already mapped by {rules[key].where}"))
            continue
        rules[key] = TypeRule(ours or None, text(cells.get(keys.get("note", ""))), f"{Path(path).name} row {number}")
    if problems:
        raise TypesError(problems)
    return rules


def type_rule(rules: dict[tuple[str, str], TypeRule], event_type: str, sub_type: str) -> TypeRule | None:
    """The rule for an ACLED event and sub-event type: the exact pair, else the event type's `*` row."""
    return rules.get((event_type.casefold(), sub_type.casefold())) or rules.get((event_type.casefold(), "*"))


def _published(cells: dict[str, Any], columns: dict[str, str], fallback: str) -> tuple[str, str]:
    """(date, note) of ACLED's publication of the row: its `timestamp` (Unix seconds, UTC), else the event date."""
    stamp = cells.get(columns["timestamp"]) if "timestamp" in columns else None
    if not is_empty(stamp):
        try:
            seconds = whole_number(stamp)
            return dt.datetime.fromtimestamp(seconds, dt.UTC).date().isoformat(), ""
        except (CellError, OverflowError, OSError, ValueError):
            pass
    return fallback, " ACLED's timestamp is missing, so the event's date stands in for the publication date."


def _dates(day: dt.date, precision_code: int) -> tuple[str, str, str, str]:
    """(date_start, date_end, date_precision, date_note) for ACLED's date and time_precision code."""
    if precision_code == 1:
        return day.isoformat(), day.isoformat(), "day", TIME_PRECISION[1]
    if precision_code == 2:
        start, end = day - dt.timedelta(days=6), day + dt.timedelta(days=6)
        return (start.isoformat(), end.isoformat(), "day",
                TIME_PRECISION[2].format(day=day, start=start, end=end))
    first, last, _ = date_span(day.isoformat()[:7])
    return first.isoformat(), last.isoformat(), "month", TIME_PRECISION[3].format(day=day)


def _unmapped(acled_type: str, sub_type: str, rule: TypeRule | None) -> str:
    """Why a row's ACLED types give none of our event types, in words for its summary and report line."""
    pair = f"{show(acled_type, 200)} / {show(sub_type, 200)}" if rule is None else f"{acled_type} / {sub_type}"
    why = "the types table does not list it" if rule is None else f"{rule.where}: {rule.note[:500] or 'no note'}"
    return f"no mapping was found for ACLED type {pair} ({why})"


def acled_feature(file: str, number: int, cells: dict[str, Any], columns: dict[str, str],
                  rules: dict[tuple[str, str], TypeRule], gazetteer: Gazetteer) -> RowResult:
    """One ACLED row as a feature (`unclassified` when its type maps to none of ours), or its problems."""
    problems: list[Problem] = []

    def cell(name: str) -> str:
        return text(cells.get(columns[name])) if name in columns else ""

    def fail(name: str, message: str) -> None:
        problems.append(row_problem(file, number, columns.get(name, name), message))

    def code(name: str, allowed: dict[int, Any]) -> int | None:
        try:
            value = whole_number(cells.get(columns[name]), 1)
        except CellError as error:
            fail(name, str(error))
            return None
        if value not in allowed:
            fail(name, f"{value} is not an ACLED code ({', '.join(map(str, allowed))})")
            return None
        return value

    event_id = cell("event_id_cnty")
    if not event_id:
        fail("event_id_cnty", "empty; every ACLED event has an id such as CHN1234")
    acled_type, sub_type = cell("event_type"), cell("sub_event_type")
    rule = type_rule(rules, acled_type, sub_type)
    if rule and rule.event_type and rule.event_type != UNCLASSIFIED:
        event_type, unmapped = rule.event_type, ""
    else:  # kept, as unclassified, saying which ACLED types it had and that none of ours is mapped to them
        event_type, unmapped = UNCLASSIFIED, _unmapped(acled_type, sub_type, rule)
    geo_code, time_code = code("geo_precision", GEO_PRECISION), code("time_precision", TIME_PRECISION)
    try:
        day = date_span(cells.get(columns["event_date"]), day_first=True)
        if day[2] != "day":
            fail("event_date", f"{show(cell('event_date'))} is not a day; ACLED dates every event to a day")
    except CellError as error:
        fail("event_date", str(error))
        day = None
    try:
        lon, lat = coordinates(cells.get(columns["latitude"]), cells.get(columns["longitude"]))
    except CellError as error:
        which, _, message = str(error).partition(": ")
        fail(which, message)
    fatalities = None
    if not is_empty(cells.get(columns["fatalities"])):
        try:
            fatalities = whole_number(cells.get(columns["fatalities"]))
        except CellError as error:
            fail("fatalities", str(error))
    if problems or day is None or geo_code is None or time_code is None:
        return RowResult(number, None, problems)
    precision, drawn, geo_note = GEO_PRECISION[geo_code]
    location = cell("location")
    mention = locate(location, gazetteer) if location else None
    place = mention.place.name if mention and mention.place.kind in PIN_KINDS else location
    admin = ", ".join(part for part in (cell("admin2"), cell("admin1"), cell("country")) if part)
    country = None
    try:
        country = country_code(cell("country")) if cell("country") else None
    except CellError:
        if "iso" in columns and cell("iso").isdigit():
            country = ISO_NUMERIC.get(int(cell("iso")))
    start, end, date_precision, date_note = _dates(day[0], time_code)
    published, published_note = _published(cells, columns, day[0].isoformat())
    names = list(dict.fromkeys(part.strip() for part in cell("source").split(";") if part.strip()))
    scale = cell("source_scale") or "not given"
    sources = [{"publisher": "ACLED", "original": name[:300], "title": f"ACLED event {event_id}"[:1000],
                "published": published, "ref": ACLED_REF,
                "note": (f"ACLED names {name} as a source of this event (source scale: {scale}); the report itself "
                         f"was not seen here.{published_note} {ATTRIBUTION}")[:2000]} for name in names]
    if not sources:
        sources = [{"publisher": "ACLED", "title": f"ACLED event {event_id}"[:1000], "published": published,
                    "ref": ACLED_REF, "note": f"ACLED names no source for this event.{published_note} {ATTRIBUTION}"}]
    label = EVENT_TYPES[event_type]
    notes = cell("notes")
    quoted = f"ACLED's own description (ACLED's text, quoted): “{notes[:4000]}”" if notes else \
        "ACLED gives no description."
    actors = "; ".join(a for a in (cell("actor1"), cell("actor2")) if a)
    props: dict[str, Any] = {
        "id": f"acled-{slug(event_id)}"[:120],
        "layer": EVENT_LAYER[event_type],
        "event_type": event_type,
        "title": f"{label}: {place or admin or 'no place given'}"[:300],
        "summary": (f"Kept as {UNCLASSIFIED}: {unmapped}. " if unmapped else "")
                   + f"{quoted} ACLED codes it as {acled_type} / {sub_type}"
                   + (f"; actors: {actors}." if actors else "."),
        "place": place if drawn else "",
        "place_text": location or None,
        "country": country,
        "location_precision": precision,
        "location_note": (geo_note.format(lat=lat, lon=lon) + (f" ACLED's location: {location}"
                                                                 + (f" ({admin})" if admin else "") + ".")),
        "date_start": start,
        "date_end": end,
        "date_precision": date_precision,
        "date_note": date_note,
        "sources": sources,
        "figures": ([{"quantity": "fatalities (ACLED codes the lowest reported number)", "value": fatalities,
                      "qualifier": "at least", "source": 0}] if fatalities else []),
    }
    geometry = {"type": "Point", "coordinates": [lon, lat]} if drawn else None
    feature = {"type": "Feature", "geometry": geometry,
               "properties": {k: v for k, v in props.items() if v not in (None, [])}}
    problems = validated(feature, file, number, columns)
    how = (f"point at {precision} precision (geo_precision {geo_code})" if drawn
           else "no geometry: region only (geo_precision 3)")
    what = f"{UNCLASSIFIED}: {unmapped}" if unmapped else f"{label} from ACLED {acled_type} / {sub_type}"
    return RowResult(number, None if problems else feature, problems, f"{what}; {how}; time_precision {time_code}")


def import_acled(sheet: Sheet, rules: dict[tuple[str, str], TypeRule] | None = None,
                 gazetteer: Gazetteer | None = None) -> TableImport:
    """Every row of an ACLED export as a feature or its problems (a type that maps to none of ours gives an
    `unclassified` feature). A column the codebook requires that the sheet lacks is one problem for the whole
    file (and no row is read)."""
    rules = load_types() if rules is None else rules
    gazetteer = gazetteer or load_gazetteer()
    by_key = {header_key(c): c for c in sheet.columns}
    columns = {name: by_key[name] for name in (*REQUIRED, "timestamp", "admin1", "admin2", "iso", "actor1", "actor2")
               if name in by_key}
    missing = [name for name in REQUIRED if name not in columns]
    result = TableImport(sheet.file, columns, tuple(c for c in sheet.columns if c not in columns.values()), [],
                         sheet.empty_rows)
    if missing:
        result.rows.append(RowResult(1, None, [Problem(sheet.file, "columns", f"not ACLED's layout: the codebook's "
                                                       f"column(s) {', '.join(missing)} are missing")]))
        return result
    first_row: dict[str, int] = {}
    for number, cells in sheet.rows:
        row = acled_feature(sheet.file, number, cells, columns, rules, gazetteer)
        if row.feature is not None:
            fid = row.feature["properties"]["id"]
            if fid in first_row:
                row = RowResult(number, None, [row_problem(sheet.file, number, columns["event_id_cnty"],
                                                           f"{show(text(cells.get(columns['event_id_cnty'])))} is "
                                                           f"also the id of row {first_row[fid]}")])
            else:
                first_row[fid] = number
        result.rows.append(row)
    return result
