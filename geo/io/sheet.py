"""Reading a spreadsheet, CSV or XLSX, into its header and rows of cells, numbered as a spreadsheet shows them.

The header is the first row that is not empty; each later row keeps its spreadsheet row number (the header
of a plain file is row 1, its first event row 2), so every message can name the row a user sees. A row of
HXL hashtags under the header (as `python -m geo export hxl` writes) is recognised and skipped. Any
problem with the file itself raises `SheetError`, one line naming the file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.schema import Problem, show

MAX_SHEET_BYTES = 50_000_000
"""Largest spreadsheet read (50 MB); checked before reading."""

MAX_ROWS = 200_000
"""Most rows read from one sheet; a larger one is refused rather than cut short."""

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class SheetError(Exception):
    """The file cannot be read as a spreadsheet; str() is one line naming the file."""

    def __init__(self, file: str, message: str):
        self.problem = Problem(file, "file", message)
        super().__init__(str(self.problem))


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


def _build(file: str, records: list[tuple[int, list[Any]]]) -> Sheet:
    """A Sheet from raw (row number, cells) records: header found, names checked, empty rows counted."""
    def blank(cells: list[Any]) -> bool:
        return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)

    start = next((n for n, (_, cells) in enumerate(records) if not blank(cells)), None)
    if start is None:
        raise SheetError(file, "the sheet is empty: no header row with column names")
    header_row, header = records[start]
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        if name.casefold() in seen:
            first = seen[name.casefold()]
            raise SheetError(file, f"row {header_row}: column {show(name)} appears twice (columns {_letter(first)} "
                                   f"and {_letter(index)}); rename one")
        seen[name.casefold()] = index
    body = records[start + 1:]
    if body and not blank(body[0][1]) and all(
            str(cell).strip().startswith("#") for cell in body[0][1] if cell is not None and str(cell).strip()):
        body = body[1:]  # HXL hashtags under the header
    rows, empty = [], 0
    for number, cells in body:
        if blank(cells):
            empty += 1
            continue
        extra = [cell for cell in cells[len(names):] if cell is not None and str(cell).strip()]
        if extra:
            raise SheetError(file, f"row {number}: has {len(cells)} cells but the header names only {len(names)} "
                                   f"columns; give every column a name in row {header_row}")
        rows.append((number, {name: cells[i] if i < len(cells) else None for i, name in enumerate(names) if name}))
    return Sheet(file, tuple(name for name in names if name), rows, empty)


def _read_csv(file: str, raw: bytes) -> Sheet:
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise SheetError(file, f"not UTF-8 text: byte 0x{raw[error.start]:02X} on line {line} is not valid UTF-8 "
                               f"(Windows-1252?); save the sheet as \"CSV UTF-8\"") from None
    if "\x00" in content:
        raise SheetError(file, "the file has NUL bytes: it is UTF-16 text or not text at all; save it as CSV UTF-8")
    first_line = content.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    records = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter), 1):
            if number > MAX_ROWS + 1:
                raise SheetError(file, f"more than {MAX_ROWS:,} rows; split the file")
            records.append((number, cells))
    except csv.Error as error:
        raise SheetError(file, f"not a readable CSV file ({error})") from None
    return _build(file, records)


def _read_xlsx(file: str, raw: bytes, sheet: str | None) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetError(file, f"not a readable XLSX workbook ({type(error).__name__}: {error})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SheetError(file, f"no sheet named {show(sheet)}; the workbook has {', '.join(book.sheetnames)}")
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        records = []
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), 1):
            if number > MAX_ROWS + 1:
                raise SheetError(file, f"more than {MAX_ROWS:,} rows; split the sheet")
            records.append((number, list(cells)))
    finally:
        book.close()
    return _build(file, records)


def read_sheet(raw: bytes, name: str, sheet: str | None = None) -> Sheet:
    """The spreadsheet in `raw`, read by the suffix of its file `name`: CSV (UTF-8; comma, semicolon or tab
    separated, found from the header line) or XLSX (the first sheet, or the one named `sheet`; values as
    last calculated, never formulas). Raises SheetError for anything else."""
    suffix = Path(name).suffix.lower()
    if len(raw) > MAX_SHEET_BYTES:
        raise SheetError(name, f"the file is {len(raw):,} bytes, over the limit of {MAX_SHEET_BYTES:,}; split it")
    if suffix in CSV_SUFFIXES:
        return _read_csv(name, raw)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(name, raw, sheet)
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
