"""A spreadsheet of events (one row per event) turned into features of the data contract, row by row.

Columns are recognised by their usual names (`lat`, `longitude`, `date`, `source`, `url`, …; see
ALIASES) or mapped explicitly (`--map COLUMN=FIELD`). A row with coordinates becomes a point; a row with
only a place name is located through the project's gazetteer at the gazetteer's precision (a town gets a
point at city precision, a crossing an exact one, a province or region no point); a row that cannot be
located gets no geometry, never a guessed point. Every row ends as a valid feature or as one-line
problems naming the file, the row and the column (`TableImport.problems`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import pickle
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from geo.events.dates import date_label
from geo.events.schema import (
    COUNTRY_NAMES,
    DATE_PRECISIONS,
    EVENT_LAYER,
    EVENT_TYPES,
    LOCATION_PRECISIONS,
    UNCLASSIFIED,
    Problem,
    show,
    validate_feature,
)
from geo.io.cells import CellError, coordinates, date_span, is_empty, slug, text
from geo.io.sheet import Sheet, SheetError, SheetLimits, read_sheet
from geo.reference.gazetteer import KIND_RANK, PIN_KINDS, Gazetteer, Mention, load_gazetteer

FIELDS: dict[str, str] = {
    "id": "stable id (a-z, 0-9, hyphens); made from the row's content when absent",
    "event_type": "one of the event types (data/README.md), by value or label",
    "title": "short title; made from the type and place when absent",
    "summary": "summary in your words; made from the type, place and date when absent",
    "place": "place name, looked up in the gazetteer",
    "latitude": "WGS84 latitude in degrees",
    "longitude": "WGS84 longitude in degrees",
    "location_precision": "exact, city, region, country or unknown",
    "country": "ISO 3166 code (CN, KP) or English name",
    "date": "the event's date: YYYY-MM-DD, YYYY-MM or YYYY",
    "date_start": "earliest possible day",
    "date_end": "latest possible day (empty: ongoing)",
    "date_precision": "day, month, season, year or unknown",
    "publisher": "who published the report",
    "url": "link to the report (http(s)://) or a seeds/ path",
    "source_title": "the report's headline",
    "published": "the report's publication date",
}
"""The fields a column can be mapped to, and what each holds."""

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "event_id"),
    "event_type": ("event_type", "type", "event", "category"),
    "title": ("title", "headline"),
    "summary": ("summary", "description", "notes", "details"),
    "place": ("place", "location", "place_name", "town", "city"),
    "latitude": ("lat", "latitude", "y"),
    "longitude": ("lon", "lng", "long", "longitude", "x"),
    "location_precision": ("location_precision", "precision"),
    "country": ("country", "country_code"),
    "date": ("date", "event_date", "day"),
    "date_start": ("date_start", "start_date", "start"),
    "date_end": ("date_end", "end_date", "end"),
    "date_precision": ("date_precision",),
    "publisher": ("source", "publisher", "outlet", "source_name"),
    "url": ("url", "link", "ref", "source_url", "source_link"),
    "source_title": ("source_title", "article_title", "article"),
    "published": ("published", "publication_date", "source_date", "date_published"),
}
"""Column names recognised for each field (compared by `header_key`: case, spaces and punctuation ignored)."""

CITY_MATCH_KM = 3.0
"""Coordinates this close to the gazetteer point of the row's town are taken as the town (city precision)."""

NO_HEADLINE = "(headline not given in the spreadsheet)"


class MappingError(ValueError):
    """A `--map` that names no column of the sheet or no field; the message is one line."""


def header_key(name: str) -> str:
    """A column name folded for matching: lower case, runs of anything but letters and digits as '_'."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


TYPE_NAMES: dict[str, str] = {**{header_key(label): key for key, label in EVENT_TYPES.items()},
                              **{header_key(key): key for key in EVENT_TYPES}}


def resolve_columns(columns: tuple[str, ...], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """{field: column} for a sheet's columns: `overrides` ({column: field}, as `--map` gives them) first,
    then the first column whose name is one of the field's ALIASES. Raises MappingError for an override
    naming a column the sheet lacks or a field that does not exist."""
    by_key = {header_key(c): c for c in reversed(columns)}
    mapped: dict[str, str] = {}
    for column, target in (overrides or {}).items():
        if target not in FIELDS:
            raise MappingError(f"--map {column}={target}: {show(target)} is not a field; one of {', '.join(FIELDS)}")
        found = column if column in columns else by_key.get(header_key(column))
        if found is None:
            raise MappingError(f"--map {column}={target}: the sheet has no column {show(column)} "
                               f"(its columns: {', '.join(columns)})")
        mapped[target] = found
    taken = set(mapped.values())
    for target, names in ALIASES.items():
        if target in mapped:
            continue
        found = next((by_key[name] for name in names if name in by_key and by_key[name] not in taken), None)
        if found is not None:
            mapped[target] = found
            taken.add(found)
    return mapped


@dataclass
class RowResult:
    """What became of one row: its feature (None when it has problems), its problems, and how it was
    located and dated, in words (`note`)."""

    row: int
    feature: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    note: str = ""
    summary_given: bool = True
    """Whether the sheet gives the event's summary; if not, the feature's is a stand-in made from its type, place
    and date, which the review page does not offer as the reviewer's words."""


@dataclass
class TableImport:
    """Every row of one sheet, in order, with the mapping used."""

    file: str
    columns: dict[str, str]
    unused: tuple[str, ...]
    rows: list[RowResult]
    empty_rows: int = 0

    @property
    def features(self) -> list[dict[str, Any]]:
        return [r.feature for r in self.rows if r.feature is not None]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def unwritten_summaries(self) -> list[str]:
        """The ids of the features whose summary the sheet does not give (a stand-in fills it)."""
        return [r.feature["properties"]["id"] for r in self.rows if r.feature is not None and not r.summary_given]

    def collection(self) -> dict[str, Any]:
        """The valid rows' features as a FeatureCollection."""
        return {"type": "FeatureCollection", "features": self.features}

    def report(self) -> list[str]:
        """One line per row: what it became, or each of its problems."""
        lines = []
        for result in self.rows:
            if result.feature is not None:
                lines.append(f"{self.file}: row {result.row}: imported as {result.feature['properties']['id']}: "
                             f"{result.note}")
            lines.extend(str(problem) for problem in result.problems)
        return lines

    def summary(self) -> str:
        """Counts: rows read, events, with a point, without a location, unclassified (type not mapped), rows with
        problems."""
        features = self.features
        located = sum(f["geometry"] is not None for f in features)
        bad = sum(bool(r.problems) for r in self.rows)
        unclassified = sum(f["properties"]["event_type"] == UNCLASSIFIED for f in features)
        return (f"{len(self.rows):,} rows: {len(features):,} events ({located:,} with a point, "
                f"{len(features) - located:,} without a location"
                + (f", {unclassified:,} {UNCLASSIFIED}: type not mapped" if unclassified else "")
                + f"), {bad:,} rows with problems"
                + (f"; {self.empty_rows:,} empty rows skipped" if self.empty_rows else ""))


def row_problem(file: str, row: int, column: str, message: str) -> Problem:
    """A problem printed as 'FILE: row N: COLUMN: message' (on one line, whatever the cells hold)."""
    return Problem(file, f"row {row}: {column}", message)


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres (haversine on a 6371 km sphere)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def locate(name: str, gazetteer: Gazetteer) -> Mention | None:
    """The place a place cell names, by the gazetteer's own matching (its names in any script, near-misses
    of the project's places); of several ("Hyesan, Ryanggang") the most precise kind. None when unknown."""
    mentions = gazetteer.find(name) or gazetteer.find(name.title())
    return min(mentions, key=lambda m: KIND_RANK[m.place.kind]) if mentions else None


@dataclass(frozen=True)
class Location:
    """Where a row's event is: geometry (or None), canonical place, precision, country, and how it was found."""

    geometry: dict[str, Any] | None
    place: str
    precision: str
    country: str | None
    note: str
    report: str


def gazetteer_location(written: str, mention: Mention | None) -> Location:
    """A place name's location at the gazetteer's precision: a town or capital a point at city precision, a
    crossing an exact point, a region or province no point (region), a country no point (country), an
    unknown name no point at all."""
    if mention is None:
        return Location(None, "", "unknown", None,
                        f"{show(written)} is not in the project's gazetteer, so the event has no point (never a "
                        f"guessed one).", f"no geometry: {show(written)} is not in the gazetteer")
    place = mention.place
    country = place.country if len(place.country) == 2 else None
    if place.kind in PIN_KINDS and place.lon is not None:
        precision = "exact" if place.kind == "crossing" else "city"
        return Location({"type": "Point", "coordinates": [place.lon, place.lat]}, place.name, precision, country,
                        f"Located by the gazetteer: {mention.why}.",
                        f"point from the gazetteer: {place.name} ({place.kind}), {precision} precision")
    precision = "country" if place.kind == "country" else "region"
    return Location(None, place.name if precision == "region" else "", precision, country,
                    f"{mention.why}: a {place.kind} has no single point, so none is drawn.",
                    f"no geometry: {place.name} is a {place.kind} ({precision} precision)")


def point_location(lon: float, lat: float, written: str, mention: Mention | None, precision: str | None) -> Location:
    """A location from a row's own coordinates. The place is the gazetteer's name for the row's place cell
    (or the cell as written); without a precision cell, a point within CITY_MATCH_KM of that town's
    gazetteer point is taken as the town (city), any other as exact."""
    place = mention.place if mention else None
    name = place.name if place else written
    country = place.country if place and len(place.country) == 2 else None
    note = f"Coordinates from the spreadsheet ({lat:.5f}, {lon:.5f})"
    if precision is None:
        if place and place.lon is not None and place.kind in PIN_KINDS and \
                (distance := _km(lon, lat, place.lon, place.lat)) <= CITY_MATCH_KM:
            precision = "city"
            note += f", {distance:.1f} km from the gazetteer's {place.name}: taken as the town (city precision)"
        else:
            precision = "exact"
            note += "; the sheet gives no precision, so they are taken as exact"
    return Location({"type": "Point", "coordinates": [lon, lat]}, name, precision, country, note + ".",
                    f"point from latitude/longitude ({precision} precision)")


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code from a code or an English country name; raises CellError."""
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return value.upper()
    by_name = {name.casefold(): code for code, name in COUNTRY_NAMES.items()}
    if value.casefold() in by_name:
        return by_name[value.casefold()]
    raise CellError(f"{show(value)} is not an ISO 3166 country code (CN, KP, …) or one of "
                    f"{', '.join(COUNTRY_NAMES.values())}")


def _field_column(field_name: str, columns: dict[str, str]) -> str:
    """The sheet column to blame for a schema problem on `field_name` (e.g. properties.title → the title column)."""
    part = re.sub(r"^properties\.", "", field_name).split(".")[0].split("[")[0]
    target = {"sources": "url", "date_start": "date", "date_end": "date", "layer": "event_type"}.get(part, part)
    if target == "date" and "date" not in columns:
        target = part
    return columns.get(target, columns.get(part, field_name))


def validated(feature: dict[str, Any], file: str, row: int, columns: dict[str, str]) -> list[Problem]:
    """The data contract's problems with a built feature, each as a row problem naming the column to fix."""
    return [row_problem(file, row, _field_column(p.field, columns), p.message)
            for p in validate_feature(feature, row, file)]


class _Row:
    """One row being read: its cells by field, and the problems found so far."""

    def __init__(self, file: str, number: int, cells: dict[str, Any], columns: dict[str, str]):
        self.file, self.number, self.cells, self.columns = file, number, cells, columns
        self.problems: list[Problem] = []

    def has(self, name: str) -> bool:
        return name in self.columns and not is_empty(self.cells.get(self.columns[name]))

    def raw(self, name: str) -> Any:
        return self.cells.get(self.columns[name]) if name in self.columns else None

    def text(self, name: str) -> str:
        return text(self.raw(name))

    def fail(self, name: str, message: str) -> None:
        self.problems.append(row_problem(self.file, self.number, self.columns.get(name, name), message))

    def read(self, name: str, reader: Callable[[Any], Any]) -> Any:
        """reader(cell), or None (with the problem recorded) when the cell cannot be read."""
        try:
            return reader(self.raw(name))
        except CellError as error:
            self.fail(name, str(error))
            return None


def _vocabulary(row: _Row, name: str, values: tuple[str, ...]) -> str | None:
    if not row.has(name):
        return None
    value = row.text(name).casefold()
    if value not in values:
        row.fail(name, f"{show(row.text(name))} is not one of {', '.join(values)}")
        return None
    return value


def _dates(row: _Row) -> tuple[str | None, str | None, str]:
    """(date_start, date_end, precision) of a row; empty cells mean an unknown date (or an ongoing end)."""
    start = end = None
    precision = "unknown"
    if row.has("date"):
        span = row.read("date", date_span)
        if span:
            start, end, precision = span[0].isoformat(), span[1].isoformat(), span[2]
    if row.has("date_start"):
        span = row.read("date_start", date_span)
        if span:
            start, precision = span[0].isoformat(), span[2]
            if "date_end" not in row.columns and "date" not in row.columns:
                end = span[1].isoformat()  # a start column alone is the date itself
    if row.has("date_end"):
        span = row.read("date_end", date_span)
        if span:
            end = span[1].isoformat()
            precision = span[2] if precision == "unknown" else max(
                precision, span[2], key=("day", "month", "season", "year").index)
    given = _vocabulary(row, "date_precision", DATE_PRECISIONS)
    return start, end, given or precision


def _source(row: _Row, date_start: str | None, date_end: str | None) -> dict[str, Any] | None:
    """The row's source: publisher (or the link's host), headline, publication date and link."""
    url = row.text("url")
    publisher = row.text("publisher") or (urlparse(url).hostname or "").removeprefix("www.")
    notes = []
    if not url:
        row.fail("url", "no link to the report; every event cites its source (an http(s):// URL or a seeds/ path)")
    elif not url.startswith(("http://", "https://", "seeds/")):
        row.fail("url", f"{show(url)} is not an http(s):// link or a seeds/ path")
    if not publisher:
        row.fail("publisher", "no publisher and no link to name one; every event cites who reported it")
    if not row.text("publisher") and publisher:
        notes.append("Publisher read from the link's host name.")
    published = None
    if row.has("published"):
        span = row.read("published", date_span)
        if span:
            published = span[0].isoformat()
            if span[2] != "day":
                notes.append(f"The sheet gives the publication date only as {row.text('published')}.")
    elif date_end or date_start:
        published = date_end or date_start
        notes.append("Publication date not given in the spreadsheet: the event's latest date stands in for it.")
    elif not any(row.has(name) for name in ("date", "date_start", "date_end")):  # else: a bad date, said already
        row.fail("published", "no publication date and no event date; every source needs a date")
    if row.problems:
        return None
    source = {"publisher": publisher, "title": row.text("source_title") or NO_HEADLINE, "published": published,
              "ref": url}
    if notes:
        source["note"] = " ".join(notes)
    return source


def _row_id(event_type: str, place: str, cells: dict[str, Any]) -> str:
    digest = hashlib.sha1("\x1f".join(text(v) for v in cells.values()).encode("utf-8")).hexdigest()[:8]
    return f"{slug(event_type)}-{slug(place or 'unlocated')[:80]}-{digest}"


def row_feature(file: str, number: int, cells: dict[str, Any], columns: dict[str, str],
                gazetteer: Gazetteer) -> RowResult:
    """One spreadsheet row as a feature of the data contract, or its problems (each naming the column)."""
    row = _Row(file, number, cells, columns)
    event_type = None
    if not row.has("event_type"):
        row.fail("event_type", f"empty; every event needs one of {', '.join(EVENT_TYPES)}")
    else:
        event_type = TYPE_NAMES.get(header_key(row.text("event_type")))
        if event_type is None:
            row.fail("event_type", f"{show(row.text('event_type'))} is not an event type; one of "
                                   f"{', '.join(EVENT_TYPES)}")
    precision = _vocabulary(row, "location_precision", LOCATION_PRECISIONS)
    written = row.text("place")
    mention = locate(written, gazetteer) if written else None
    location = None
    if row.has("latitude") or row.has("longitude"):
        if not (row.has("latitude") and row.has("longitude")):
            missing = "longitude" if row.has("latitude") else "latitude"
            row.fail(missing, f"empty while {'latitude' if missing == 'longitude' else 'longitude'} is given; give "
                              f"both or neither")
        else:
            try:
                lon, lat = coordinates(row.raw("latitude"), row.raw("longitude"))
            except CellError as error:
                which, _, message = str(error).partition(": ")
                row.fail(which, message)
            else:
                if not written:
                    row.fail("place", "a point needs the name of its place (the map names every point's place)")
                location = point_location(lon, lat, written, mention, precision)
    elif written:
        location = gazetteer_location(written, mention)
    else:
        location = Location(None, "", precision or "unknown", None, "The spreadsheet gives no place or coordinates.",
                            "no geometry: no place or coordinates")
    if location and location.geometry is None and precision in ("exact", "city"):
        row.fail("location_precision", f"{precision} precision needs a point, but the row has none")
    country = row.read("country", lambda v: country_code(text(v))) if row.has("country") else None
    date_start, date_end, date_precision = _dates(row)
    source = _source(row, date_start, date_end)
    if row.problems or event_type is None or location is None or source is None:
        return RowResult(number, None, row.problems)
    label = EVENT_TYPES[event_type]
    where = location.place or written or "no place given"
    when = date_label(date_start, date_end, date_precision)
    props: dict[str, Any] = {
        "id": row.text("id") or _row_id(event_type, location.place, cells),
        "layer": EVENT_LAYER[event_type],
        "event_type": event_type,
        "title": row.text("title") or f"{label}: {where}"[:300],
        "summary": row.text("summary") or f"{label} ({where}; {when}), as listed in row {number} of "
                                          f"{Path(file).name}.",
        "place": location.place,
        "place_text": written or None,
        "country": country or location.country,
        "location_precision": precision or location.precision,
        "location_note": location.note,
        "date_start": date_start,
        "date_end": date_end,
        "date_precision": date_precision,
        "sources": [source],
    }
    feature = {"type": "Feature", "geometry": location.geometry,
               "properties": {k: v for k, v in props.items() if v is not None}}
    problems = validated(feature, file, number, columns)
    note = f"{location.report}; {when}"
    return RowResult(number, None if problems else feature, problems, note, summary_given=bool(row.text("summary")))


def import_sheet(sheet: Sheet, overrides: dict[str, str] | None = None,
                 gazetteer: Gazetteer | None = None) -> TableImport:
    """Every row of `sheet` as a feature or problems; ids unique across the sheet (a repeated id, or a
    row repeating another's cells, is a problem on the later row). Raises MappingError for a bad override."""
    gazetteer = gazetteer or load_gazetteer()
    columns = resolve_columns(sheet.columns, overrides)
    unused = tuple(c for c in sheet.columns if c not in columns.values())
    results = []
    first_row: dict[str, int] = {}
    for number, cells in sheet.rows:
        result = row_feature(sheet.file, number, cells, columns, gazetteer)
        if result.feature is not None:
            fid = result.feature["properties"]["id"]
            if fid in first_row:
                column = columns.get("id", "id")
                why = (f"id {show(fid)} is also used by row {first_row[fid]}" if "id" in columns
                       else f"the row repeats row {first_row[fid]} (same cells); remove one")
                result = RowResult(number, None, [row_problem(sheet.file, number, column, why)])
            else:
                first_row[fid] = number
        results.append(result)
    return TableImport(sheet.file, columns, unused, results, sheet.empty_rows)


UPLOAD_LIMITS = SheetLimits(rows=5_000, cells=1_000_000)
"""What a sheet uploaded on the review page may hold: 5,000 rows (a 1 MB sheet of real events has about 4,000;
more than anyone reviews by hand) and a million cells. `python -m geo import-table` reads larger ones."""

UPLOAD_SECONDS = 8.0
"""Wall-clock budget for reading and importing one upload, the start of its process included: the page answers
within 10 s."""

UPLOAD_MEMORY_BYTES = 400_000_000
"""Address space of the process that reads and imports one upload (RLIMIT_AS). Measured peaks: 50 MB after its
imports, 75 MB for a real 1 MB sheet of 5,000 rows, under 150 MB for shared texts that unpack to 90 MB (packed just
under MAX_PACKING_RATIO)."""

UPLOAD_ANSWER_BYTES = 8_000_000
"""Most bytes (pickled) an upload's import may send back to the server: 5,000 real rows take about 3 MB; a sheet
whose every cell is a problem would take more, and is refused instead."""

MAX_UPLOADS_AT_ONCE = 2
"""Uploads read at once per server process (each a child with up to UPLOAD_MEMORY_BYTES and a core for
UPLOAD_SECONDS); another is refused at once, asking to try again."""
_reading = threading.BoundedSemaphore(MAX_UPLOADS_AT_ONCE)
_LOG = logging.getLogger(__name__)

_FIX_IT = "split it into smaller sheets"


def _import_upload_here(raw: bytes, name: str, limits: SheetLimits, answer_bytes: int) -> TableImport:
    """The child process's side of `import_upload`: read the upload `raw` within `limits`, import it, refuse an
    answer (pickled) larger than `answer_bytes`."""
    result = import_sheet(read_sheet(raw, name, limits=limits))
    size = len(pickle.dumps(result))
    if size > answer_bytes:
        raise SheetError(name, f"its import report is {size:,} bytes, over the limit of {answer_bytes:,} "
                               f"({len(result.problems):,} problems); {_FIX_IT}")
    return result


def import_upload(raw: bytes, name: str, *, still_wanted: Callable[[], bool] | None = None) -> TableImport:
    """The spreadsheet uploaded as `raw` (file name `name`) read and imported in a child process, within
    UPLOAD_LIMITS, UPLOAD_SECONDS, UPLOAD_MEMORY_BYTES and UPLOAD_ANSWER_BYTES, so the calling server spends
    little more than the answer. Raises SheetError, one line naming the file and what it exceeded, for every
    refusal; geo.budget.Abandoned (the child killed) once `still_wanted()` says False."""
    from geo.budget import Abandoned, ChildDied, DeadlineExceeded, Limits, run_bounded

    if not _reading.acquire(blocking=False):
        raise SheetError(name, f"not read now: {MAX_UPLOADS_AT_ONCE} other sheets are being read on this server; try "
                               "again in a moment")
    try:
        return run_bounded(Limits(UPLOAD_SECONDS, UPLOAD_MEMORY_BYTES, still_wanted), _import_upload_here,
                           raw, name, UPLOAD_LIMITS, UPLOAD_ANSWER_BYTES)
    except (SheetError, Abandoned):
        raise
    except DeadlineExceeded:
        raise SheetError(name, f"not read within the time budget of {UPLOAD_SECONDS:g} s; {_FIX_IT}") from None
    except MemoryError:
        raise SheetError(name, f"reading it needs more than the memory cap of {UPLOAD_MEMORY_BYTES:,} bytes; "
                               f"{_FIX_IT}") from None
    except ChildDied:
        raise SheetError(name, f"the process reading it stopped without an answer; {_FIX_IT}") from None
    except Exception as error:  # a fault of ours: still one line for the visitor, the fault in the server's log
        _LOG.error("reading the upload %r failed: %r", name, error)
        raise SheetError(name, f"could not be read; {_FIX_IT}") from None
    finally:
        _reading.release()
