"""Reading a spreadsheet, CSV or XLSX, into its header and rows of cells, numbered as a spreadsheet shows them.

The header is the first row that is not empty; each later row keeps its spreadsheet row number (the header
of a plain file is row 1, its first event row 2), so every message can name the row a user sees. A row of
HXL hashtags under the header (as `python -m geo export hxl` writes) is recognised and skipped. Any
problem with the file itself raises `SheetError`, one line naming the file.

Every read is bounded while it streams, before memory is spent: the limits below (columns, rows, cells,
characters per cell) are checked as each row or cell is read, never after the whole sheet is in memory. An
XLSX is read part by part with expat, never as a whole tree: the zip's directory is checked first (how far
each part unpacks), a part that declares a DTD is refused unread (so no entity is ever expanded or fetched),
and rows are never padded to the width or height the sheet claims; its `<dimension>` is checked instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.parsers import expat

from geo.events.schema import Problem, show

MAX_SHEET_BYTES = 50_000_000
"""Largest spreadsheet file read (50 MB); checked before reading."""

MAX_ROWS = 200_000
"""Most rows read from one sheet (by row number, empty rows included); a larger one is refused, never cut short."""

MAX_COLUMNS = 300
"""Most named columns a header may have (an events sheet has a few dozen; ACLED's export 31). Checked on the
header row before any row under it is read; an XLSX whose `<dimension>` claims more columns, or with a value
in a column past this one, is refused too."""

MAX_CELLS = 5_000_000
"""Most cells read from one sheet: each row kept counts one cell per named column, empty or not, and in an
XLSX each cell element (and each shared text) counts as it is read. 200,000 rows of 25 columns fit."""

MAX_CELL_CHARS = 32_767
"""Most characters in one cell: Excel's own limit, so no workbook Excel saved has a longer one. Checked while
the cell is read (in a CSV the csv module stops any field at its own limit, 131,072 characters, first)."""

MAX_UNPACKED_BYTES = 300_000_000
"""XLSX: most bytes all the parts of a workbook may unpack to, together; checked from the zip's directory
before anything is unpacked."""

MAX_PACKING_RATIO = 100
"""XLSX: a part that unpacks to more than `_SMALL_PART_BYTES` may unpack to at most this many times its
packed size. Spreadsheet XML packs 5 to 30 times; a zip bomb hundreds or a thousand times."""

MAX_CELL_FORMATS = 65_490
"""XLSX: most cell formats, and most number formats, in a workbook's styles part (Excel's own limit)."""

MAX_FORMAT_CHARS = 255
"""XLSX: the longest number format code (Excel's own limit); longer ones would cost the date check time that grows
with the square of their length."""

_SMALL_PART_BYTES = 1_000_000  # a part up to this size unpacked may pack as tightly as it likes
_CHUNK = 1 << 16  # bytes of an XLSX part handed to expat at a time
_LISTED_SHEETS = 20  # sheets of a workbook remembered (for the first worksheet, and to list in a message)

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class SheetError(Exception):
    """The file cannot be read as a spreadsheet; str() is one line naming the file."""

    def __init__(self, file: str, message: str):
        self.problem = Problem(file, "file", message)
        super().__init__(str(self.problem))

    def __reduce__(self) -> tuple[type[SheetError], tuple[str, str]]:  # raised in a child process, re-raised here
        return SheetError, (self.problem.file, self.problem.message)


@dataclass(frozen=True)
class SheetLimits:
    """How much of a sheet one read may take: `rows` and `cells` (the other limits above hold for every read)."""

    rows: int = MAX_ROWS
    cells: int = MAX_CELLS


@dataclass(frozen=True)
class Sheet:
    """A spreadsheet's header and rows: `rows` holds (row number, {column: cell}) for every non-empty row."""

    file: str
    columns: tuple[str, ...]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    empty_rows: int = 0


def _letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _blank(cells: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _too_long(file: str, row: int, column: int | None, length: int | None = None) -> SheetError:
    where = f"row {row}: " + (f"column {_letter(column)}: " if column is not None else "")
    size = f"{length:,} characters" if length is not None else f"more than {MAX_CELL_CHARS:,} characters"
    return SheetError(file, f"{where}a cell holds {size}; at most {MAX_CELL_CHARS:,} are read")


def _build(file: str, records: Iterable[tuple[int, list[Any]]], limits: SheetLimits) -> Sheet:
    """A Sheet from (row number, cells) records in increasing row order, consumed one at a time: header found
    and its names checked, rows counted against `limits`, empty rows (and row numbers the records skip)
    counted."""
    def numbered() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in records:
            if number > limits.rows + 1:
                raise SheetError(file, f"more than {limits.rows:,} rows (it goes on to row {number:,}); split it")
            yield number, cells

    rows_in = numbered()
    header_row, header = next(((number, cells) for number, cells in rows_in if not _blank(cells)), (0, None))
    if header is None:
        raise SheetError(file, "the sheet is empty: no header row with column names")
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    named = [(index, name) for index, name in enumerate(names) if name]
    if len(named) > MAX_COLUMNS:
        raise SheetError(file, f"row {header_row}: the header names {len(named):,} columns; at most {MAX_COLUMNS} "
                               f"are read")
    seen: dict[str, int] = {}
    for index, name in named:
        if name.casefold() in seen:
            first = seen[name.casefold()]
            raise SheetError(file, f"row {header_row}: column {show(name)} appears twice (columns {_letter(first)} "
                                   f"and {_letter(index)}); rename one")
        seen[name.casefold()] = index
    rows: list[tuple[int, dict[str, Any]]] = []
    empty, previous, cells_read = 0, header_row, 0
    for number, cells in rows_in:
        if previous == header_row and number == header_row + 1 and not _blank(cells) and all(
                str(cell).strip().startswith("#") for cell in cells if cell is not None and str(cell).strip()):
            previous = number  # HXL hashtags under the header
            continue
        empty += number - previous - 1  # rows an XLSX leaves out are empty rows
        previous = number
        if _blank(cells):
            empty += 1
            continue
        if len(cells) > len(names) and not _blank(cells[len(names):]):
            raise SheetError(file, f"row {number}: has {len(cells)} cells but the header names only {len(names)} "
                                   f"columns; give every column a name in row {header_row}")
        cells_read += len(named)
        if cells_read > limits.cells:
            raise SheetError(file, f"more than {limits.cells:,} cells (rows × named columns) by row {number:,}; "
                                   f"split it")
        rows.append((number, {name: cells[i] if i < len(cells) else None for i, name in named}))
    return Sheet(file, tuple(name for _, name in named), rows, empty)


# --- CSV ---------------------------------------------------------------------------------------------

def _csv_records(file: str, raw: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise SheetError(file, f"not UTF-8 text: byte 0x{raw[error.start]:02X} on line {line} is not valid UTF-8 "
                               f"(Windows-1252?); save the sheet as \"CSV UTF-8\"") from None
    if "\x00" in content:
        raise SheetError(file, "the file has NUL bytes: it is UTF-16 text or not text at all; save it as CSV UTF-8")
    first_line = content[:content.find("\n")] if "\n" in content else content
    delimiter = max((",", ";", "\t"), key=first_line.count)
    number = 0
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter), 1):
            if cells and max(map(len, cells)) > MAX_CELL_CHARS:
                column = next(i for i, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS)
                raise _too_long(file, number, column, len(cells[column]))
            yield number, cells
    except csv.Error as error:
        if "field larger than field limit" in str(error):  # the csv module stopped reading the field
            raise _too_long(file, number + 1, None) from None
        raise SheetError(file, f"not a readable CSV file (row {number + 1}: {error})") from None


# --- XLSX --------------------------------------------------------------------------------------------

_TOO_LONG = object()  # a shared text over MAX_CELL_CHARS: refused, naming the cell, when a cell uses it
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError,
               KeyError, IndexError, OverflowError)  # what zipfile or a malformed value may raise


def _unreadable(file: str, why: str) -> SheetError:
    return SheetError(file, f"not a readable XLSX workbook ({why})")


def _local(name: str) -> str:
    """An element's or attribute's name without its namespace (expat gives 'namespace}name')."""
    return name[name.rfind("}") + 1:]


def _check_parts(file: str, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose parts unpack too far, from the sizes in the zip's directory (nothing unpacked).
    A part cannot unpack to more than its listed size: zipfile stops there and checks the CRC."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > _SMALL_PART_BYTES and info.file_size > MAX_PACKING_RATIO * max(info.compress_size, 1):
            raise SheetError(file, f"its part {show(info.filename)} unpacks to {info.file_size:,} bytes from "
                                   f"{info.compress_size:,} ({info.file_size / max(info.compress_size, 1):,.0f} "
                                   f"times; at most {MAX_PACKING_RATIO} times): refused unread, as a zip bomb")
    if total > MAX_UNPACKED_BYTES:
        raise SheetError(file, f"its parts unpack to {total:,} bytes; at most {MAX_UNPACKED_BYTES:,} are read")


def _xml(file: str, archive: zipfile.ZipFile, path: str, start: Callable[[str, dict[str, str]], None],
         end: Callable[[str], None] | None = None, text: Callable[[str], None] | None = None) -> Iterator[None]:
    """Parse the part `path` with expat, calling start(name, attributes), end(name) and text(data) as it reads
    (names without their namespace); yields after each chunk, so a caller can take what the handlers gathered.
    Raises SheetError for a part that is missing, packed as no XLSX is, declares a DTD, or is not well-formed."""
    try:
        info = archive.getinfo(path)
    except KeyError:
        raise _unreadable(file, f"it has no part {show(path)}") from None
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _unreadable(file, f"its part {show(path)} is packed with method {info.compress_type}, which no "
                                f"spreadsheet uses")

    def refuse(*_: object) -> None:
        raise SheetError(file, f"its part {show(path)} declares a DTD (<!DOCTYPE>), which no spreadsheet has: "
                               f"refused unread (XML entities are never expanded or fetched)")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = lambda name, attributes: start(_local(name), attributes)
    if end is not None:
        parser.EndElementHandler = lambda name: end(_local(name))
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise _unreadable(file, f"its part {show(path)} is not well-formed XML: "
                                f"{expat.ErrorString(error.code)} at line {error.lineno}") from None
    yield


def _parse(parts: Iterator[None]) -> None:
    for _ in parts:
        pass


def _has(archive: zipfile.ZipFile, path: str) -> bool:
    try:
        archive.getinfo(path)
    except KeyError:
        return False
    return True


def _part_path(source: str, target: str) -> str:
    """The zip path a relationship's Target names, relative to the part `source` (or absolute, from '/')."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _relationships(file: str, archive: zipfile.ZipFile, source: str, keep: Callable[[str, str], bool],
                   most: int = _LISTED_SHEETS + 2) -> dict[str, tuple[str, str]]:
    """{Id: (Type, part path)} of the internal relationships of the part `source` that keep(Id, Type) accepts,
    the first `most` of them."""
    found: dict[str, tuple[str, str]] = {}

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "Relationship" and attributes.get("TargetMode") != "External" and len(found) < most:
            rid, kind = attributes.get("Id", ""), attributes.get("Type", "")
            if rid not in found and keep(rid, kind):
                found[rid] = (kind, _part_path(source, attributes.get("Target", "")))

    rels = posixpath.join(posixpath.dirname(source), "_rels", posixpath.basename(source) + ".rels")
    _parse(_xml(file, archive, rels, start))
    return found


@dataclass
class _Book:
    """What reading one worksheet of a workbook needs: its part, the shared texts, which cell styles are dates."""

    sheet_path: str
    shared: list[Any]
    date_styles: set[int]
    duration_styles: set[int]
    date1904: bool


# Excel's dates, as openpyxl 3.1 reads them (openpyxl.styles.numbers, openpyxl.utils.datetime), without importing
# openpyxl (0.5 s and, through numpy, 0.15 GB of address space in the process that reads an upload).
_BUILTIN_DATES = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})  # Excel's built-in date/time formats
_BUILTIN_DURATIONS = frozenset({46})  # [h]:mm:ss
_QUOTED_OR_LOCALE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_LETTER = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE)
_WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
_MAC_EPOCH = dt.datetime(1904, 1, 1)


def _is_date_format(code: str) -> bool:
    return _DATE_LETTER.search(_QUOTED_OR_LOCALE.sub("", code.split(";")[0])) is not None


def _is_duration_format(code: str) -> bool:
    return _DURATION.search(code.split(";")[0]) is not None


def _excel_date(serial: float, date1904: bool, duration: bool) -> dt.datetime | dt.time | dt.timedelta:
    """A date cell's serial number as a datetime, a time (a fraction of a day alone) or, in a duration format,
    a timedelta (to the millisecond); OverflowError or ValueError when out of range."""
    if duration:
        span = dt.timedelta(days=serial)
        if span.microseconds:
            span = dt.timedelta(seconds=span.total_seconds() // 1, microseconds=round(span.microseconds, -3))
        return span
    day, fraction = divmod(serial, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86_400 * 1000))
    if 0 <= serial < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < serial < 60 and not date1904:
        day += 1  # Excel's 1900 counts a 29 February 1900 that never was
    return (_MAC_EPOCH if date1904 else _WINDOWS_EPOCH) + dt.timedelta(days=day) + diff


def _iso_date(value: str) -> dt.date | dt.datetime | dt.time:
    """An ISO 8601 date cell (t="d"): a date, a date and time, or a time; ValueError for anything else."""
    if "T" in value or " " in value:
        return dt.datetime.fromisoformat(value.removesuffix("Z"))
    if ":" in value:
        return dt.time.fromisoformat(value.removesuffix("Z"))
    return dt.date.fromisoformat(value)


def _styles(file: str, archive: zipfile.ZipFile, path: str | None) -> tuple[set[int], set[int]]:
    """(date styles, duration styles): the indexes of the cell formats whose number format is a date or time
    (or a duration), as openpyxl decides it."""
    if path is None:
        return set(), set()
    custom: dict[int, str | None] = {}
    formats: list[int] = []
    inside = {"numFmts": False, "cellXfs": False}

    def start(name: str, attributes: dict[str, str]) -> None:
        if name in inside:
            inside[name] = True
        elif name == "numFmt" and inside["numFmts"] or name == "xf" and inside["cellXfs"]:
            if max(len(custom), len(formats)) >= MAX_CELL_FORMATS:
                raise SheetError(file, f"its styles have more than {MAX_CELL_FORMATS:,} formats, more than Excel "
                                       f"allows")
            if name == "numFmt":
                code = attributes.get("formatCode")
                if code is not None and len(code) > MAX_FORMAT_CHARS:
                    raise SheetError(file, f"its styles hold a number format of {len(code):,} characters; Excel "
                                           f"allows at most {MAX_FORMAT_CHARS}")
                custom[int(attributes.get("numFmtId", 0))] = code
            else:
                formats.append(int(attributes.get("numFmtId", 0)))

    def end(name: str) -> None:
        if name in inside:
            inside[name] = False

    _parse(_xml(file, archive, path, start, end))
    dates, durations = set(), set()
    for index, number in enumerate(formats):
        code = custom.get(number)
        if code is not None and _is_date_format(code) or number not in custom and number in _BUILTIN_DATES:
            dates.add(index)
        if code is not None and _is_duration_format(code) or number not in custom and number in _BUILTIN_DURATIONS:
            durations.add(index)
    return dates, durations


def _shared_texts(file: str, archive: zipfile.ZipFile, path: str | None, limits: SheetLimits) -> list[Any]:
    """The shared texts, as openpyxl reads them (plain and rich-text runs joined, phonetic runs left out); one
    longer than MAX_CELL_CHARS is kept as a marker, and refused when a cell uses it."""
    texts: list[Any] = []
    if path is None:
        return texts
    state: dict[str, Any] = {"parts": None, "collect": False, "phonetic": 0, "length": 0}

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "si":
            state.update(parts=[], length=0)
        elif name == "t" and state["parts"] is not None and not state["phonetic"]:
            state["collect"] = True
        elif name == "rPh":
            state["phonetic"] += 1

    def end(name: str) -> None:
        if name == "t":
            state["collect"] = False
        elif name == "rPh":
            state["phonetic"] -= 1
        elif name == "si" and state["parts"] is not None:
            too_long = state["length"] > MAX_CELL_CHARS
            texts.append(_TOO_LONG if too_long else "".join(state["parts"]).replace("x005F_", ""))
            state["parts"] = None
            if len(texts) > limits.cells:
                raise SheetError(file, f"more than {limits.cells:,} shared texts; split it")

    def text(data: str) -> None:
        if state["collect"]:
            state["length"] += len(data)
            if state["length"] > MAX_CELL_CHARS:
                state["parts"].clear()  # too long: nothing more of it is kept
            else:
                state["parts"].append(data)

    _parse(_xml(file, archive, path, start, end, text))
    return texts


def _open_book(file: str, archive: zipfile.ZipFile, sheet: str | None, limits: SheetLimits) -> _Book:
    """Find the worksheet to read (the first, or the one named `sheet`) and read what its cells refer to."""
    workbook = "xl/workbook.xml"  # where Excel puts it, for a package without relationships
    if _has(archive, "_rels/.rels"):
        office = _relationships(file, archive, "", lambda _, kind: kind.endswith("/officeDocument"), most=1)
        workbook = next(iter(office.values()))[1] if office else workbook
    sheets: list[tuple[str, str]] = []
    found: dict[str, Any] = {"count": 0, "named": None, "date1904": False}

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "sheet":
            found["count"] += 1
            entry = (attributes.get("name", ""), next((v for k, v in attributes.items() if _local(k) == "id" and
                                                       "}" in k), ""))
            if len(sheets) < _LISTED_SHEETS:
                sheets.append(entry)
            if sheet is not None and found["named"] is None and entry[0] == sheet:
                found["named"] = entry
        elif name == "workbookPr":
            found["date1904"] = attributes.get("date1904", "") not in ("", "0", "f", "false")

    _parse(_xml(file, archive, workbook, start))
    wanted = [found["named"]] if found["named"] else [] if sheet is not None else sheets
    if sheet is not None and not wanted:
        listed = ", ".join(name for name, _ in sheets) + (", …" if found["count"] > len(sheets) else "")
        raise SheetError(file, f"no sheet named {show(sheet)}; the workbook has {listed}")
    ids = {rid for _, rid in wanted}
    kinds: set[str] = set()

    def keep(rid: str, kind: str) -> bool:
        if rid in ids:
            return True
        for needed in ("/styles", "/sharedStrings"):
            if kind.endswith(needed) and needed not in kinds:
                kinds.add(needed)
                return True
        return False

    relations = _relationships(file, archive, workbook, keep)
    parts = {kind.rsplit("/", 1)[-1]: path for rid, (kind, path) in relations.items() if rid not in ids}
    sheet_path = None
    for name, rid in wanted:
        kind, path = relations.get(rid, ("", ""))
        if "chartsheet" in kind and sheet is not None:
            raise SheetError(file, f"the sheet {show(name)} is a chart, not rows of cells")
        if kind and "chartsheet" not in kind and _has(archive, path):
            sheet_path = path
            break
    if sheet_path is None:
        raise _unreadable(file, "no worksheet found" if sheet is None else f"the sheet {show(sheet)} has no part")
    date_styles, duration_styles = _styles(file, archive, parts.get("styles"))
    return _Book(sheet_path, _shared_texts(file, archive, parts.get("sharedStrings"), limits), date_styles,
                 duration_styles, found["date1904"])


@cache
def _column(letters: str) -> int:
    """The 1-based index of a column's letters (A → 1, XFD → 16384); ValueError for anything else."""
    if not 1 <= len(letters) <= 3 or not (letters.isascii() and letters.isalpha() and letters.isupper()):
        raise ValueError(letters)
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    if index > 16_384:
        raise ValueError(letters)
    return index


def _reference(reference: str) -> tuple[int, int]:
    """(column, row) of a cell reference such as 'B12'; ValueError for anything else."""
    letters = reference.rstrip("0123456789")
    digits = reference[len(letters):]
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(reference)
    return _column(letters), int(digits)


def _row_number(number: str) -> int:
    """A row's `r`, as openpyxl reads it: a whole number, possibly written '12.0'; ValueError for anything else."""
    try:
        return int(number)
    except ValueError:
        value = float(number)
        if not value.is_integer():
            raise
        return int(value)


class _SheetReader:
    """expat handlers for a worksheet part: each finished row goes to `done` as (row number, values), values
    placed by column as openpyxl's read-only reader gives them (data only: cached results, never formulas), but
    never padded: a row ends at its last cell, and rows it leaves out are not made."""

    def __init__(self, file: str, book: _Book, limits: SheetLimits):
        self.file, self.book, self.limits = file, book, limits
        self.done: list[tuple[int, list[Any]]] = []
        self.row = self.last = self.column = self.cells_read = 0
        self.values: dict[int, Any] | None = None
        self.kind, self.style = "n", 0
        self.value: str | None = None
        self.inline: list[str] | None = None
        self.parts: list[str] | None = None  # the text being collected, if any
        self.length = self.phonetic = 0
        self.claimed_rows = 0

    def fail(self, message: str) -> SheetError:
        return SheetError(self.file, f"row {self.row}: column {_letter(self.column - 1)}: {message}")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "c" and self.values is not None:
            self.cells_read += 1
            if self.cells_read > self.limits.cells:
                raise SheetError(self.file, f"more than {self.limits.cells:,} cells by row {self.row:,}; split it")
            reference = attributes.get("r")
            try:
                self.column = _reference(reference)[0] if reference else self.column + 1
                self.style = int(attributes.get("s") or 0)
            except ValueError:
                raise SheetError(self.file, f"row {self.row}: the cell {show(reference)} has no valid reference "
                                            f"or style") from None
            self.kind = attributes.get("t", "n")
            self.value = self.inline = None
            self.length = 0
        elif name == "v" and self.values is not None:
            self.parts = []
        elif name == "is" and self.values is not None:
            self.inline = []
        elif name == "t" and self.inline is not None and not self.phonetic:
            self.parts = []
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            number = attributes.get("r")
            try:
                self.row = _row_number(number) if number else self.row + 1
            except (ValueError, OverflowError):
                raise SheetError(self.file, f"after row {self.row}: a row numbered {show(number)}") from None
            self.values, self.column = {}, 0
        elif name == "dimension":
            self.dimension(attributes.get("ref", ""))

    def dimension(self, ref: str) -> None:
        """Refuse a sheet whose `<dimension>` claims more columns or rows than are read (openpyxl would pad
        every row to it)."""
        try:
            columns, rows = _reference(ref.rpartition(":")[2])
        except ValueError:
            raise _unreadable(self.file, f"its dimension {show(ref)} is not a cell range") from None
        if columns > MAX_COLUMNS:
            raise SheetError(self.file, f"its dimension {show(ref)} claims {columns:,} columns; at most "
                                        f"{MAX_COLUMNS} are read")
        if rows > self.limits.rows + 1:
            raise SheetError(self.file, f"its dimension {show(ref)} claims {rows:,} rows; at most "
                                        f"{self.limits.rows:,} are read; split it")
        self.claimed_rows = rows

    def text(self, data: str) -> None:
        if self.parts is not None:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise _too_long(self.file, self.row, self.column - 1)
            self.parts.append(data)

    def end(self, name: str) -> None:
        if name == "v" and self.parts is not None:
            if self.value is None:
                self.value = "".join(self.parts)
            self.parts = None
        elif name == "t" and self.parts is not None and self.inline is not None:
            self.inline.append("".join(self.parts))
            self.parts = None
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c" and self.values is not None:
            value = self.cell()
            if value is not None:
                if self.column > MAX_COLUMNS:
                    raise self.fail(f"a value past column {_letter(MAX_COLUMNS - 1)}; at most {MAX_COLUMNS} "
                                    f"columns are read")
                self.values[self.column] = value
            self.inline = None
        elif name == "row" and self.values is not None:
            if self.row > self.last:  # as openpyxl: a row out of order or repeated is left out
                cells = [None] * max(self.values, default=0)
                for column, value in self.values.items():
                    cells[column - 1] = value
                self.done.append((self.row, cells))
                self.last = self.row
            self.values = None

    def cell(self) -> Any:
        """The finished cell's value, as openpyxl's reader (data only) makes it."""
        if self.kind == "inlineStr":
            return None if self.inline is None else "".join(self.inline)
        value = self.value or None
        if value is None:
            return None
        try:
            if self.kind == "n":
                number = float(value) if "." in value or "E" in value or "e" in value else int(value)
                if self.style not in self.book.date_styles:
                    return number
                try:
                    return _excel_date(number, self.book.date1904, self.style in self.book.duration_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # a date out of range, as openpyxl marks it
            if self.kind == "s":
                text = self.book.shared[int(value)]
                if text is _TOO_LONG:
                    raise _too_long(self.file, self.row, self.column - 1)
                return text
            if self.kind == "b":
                return bool(int(value))
            if self.kind == "d":
                return _iso_date(value)
        except (ValueError, IndexError, OverflowError):
            raise self.fail(f"{show(value)} is not a valid value for a cell of type {show(self.kind)}") from None
        return value  # "str" (a formula's text), "e" (an error such as #N/A), or a type openpyxl keeps as text


def _xlsx_records(file: str, archive: zipfile.ZipFile, book: _Book,
                  limits: SheetLimits) -> Iterator[tuple[int, list[Any]]]:
    reader = _SheetReader(file, book, limits)
    for _ in _xml(file, archive, book.sheet_path, reader.start, reader.end, reader.text):
        yield from reader.done
        reader.done.clear()
    if reader.claimed_rows > reader.last:  # as openpyxl: rows up to the claimed last one are (empty) rows
        yield reader.claimed_rows, []


def _read_xlsx(file: str, raw: bytes, sheet: str | None, limits: SheetLimits) -> Sheet:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except _UNREADABLE as error:
        raise _unreadable(file, f"{type(error).__name__}: {error}") from None
    with archive:
        _check_parts(file, archive)
        try:
            return _build(file, _xlsx_records(file, archive, _open_book(file, archive, sheet, limits), limits),
                          limits)
        except _UNREADABLE as error:
            raise _unreadable(file, f"{type(error).__name__}: {error}") from None


def read_sheet(raw: bytes, name: str, sheet: str | None = None, limits: SheetLimits | None = None) -> Sheet:
    """The spreadsheet in `raw`, read by the suffix of its file `name`: CSV (UTF-8; comma, semicolon or tab
    separated, found from the header line) or XLSX (the first sheet, or the one named `sheet`; values as
    last calculated, never formulas), within `limits` (default: a file's, MAX_ROWS and MAX_CELLS) and the
    limits above. Raises SheetError, one line naming the file and the limit, for anything else."""
    limits = limits or SheetLimits()
    suffix = Path(name).suffix.lower()
    if len(raw) > MAX_SHEET_BYTES:
        raise SheetError(name, f"the file is {len(raw):,} bytes, over the limit of {MAX_SHEET_BYTES:,}; split it")
    if suffix in CSV_SUFFIXES:
        return _build(name, _csv_records(name, raw), limits)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(name, raw, sheet, limits)
    if suffix == ".xls":
        raise SheetError(name, "old Excel .xls files are not read; save the sheet as .xlsx or CSV UTF-8")
    raise SheetError(name, f"name the file .csv or .xlsx so its format is clear (got {show(suffix or name)})")


def read_sheet_file(path: Path, sheet: str | None = None) -> Sheet:
    """read_sheet of the file at `path` (its size checked before it is read)."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_SHEET_BYTES:
            raise SheetError(str(path), f"the file is {size:,} bytes, over the limit of {MAX_SHEET_BYTES:,}; split it")
        raw = Path(path).read_bytes()
    except OSError as error:
        raise SheetError(str(path), f"cannot read file: {error.strerror or error}") from None
    return read_sheet(raw, str(path), sheet)
