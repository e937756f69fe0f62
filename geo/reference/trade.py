"""China's monthly trade with North Korea (data/trade_monthly.csv): the figures analysts read beside the events.

One row per month from SERIES_START on, in month order. Each figure is whole US dollars as a cited page states
it (China's customs figures, reported by news agencies); a month no page gives stays empty, never zero and never
interpolated. Columns beyond REQUIRED_COLUMNS are allowed: any whose name ends in `_usd` (such as `total_usd`) is
a dollar figure held to the same rules. `validate_trade` reports each problem on one line naming the file, the
row's line and month, and the field; `load_trade` gives the typed frame or raises TradeError with those problems.
No input raises anything else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geo.events.schema import _one_line, show
from geo.paths import TRADE_PATH

EXPORTS, IMPORTS = "china_exports_usd", "china_imports_usd"
TOTAL = "total_usd"
"""An optional column: the month's two-way total, where a page gives only that (never exports plus imports summed
by us)."""
REQUIRED_COLUMNS = ("month", EXPORTS, IMPORTS, "source_url", "source_title", "published", "note")
DOLLARS_SUFFIX = "_usd"
"""A column whose name ends so holds whole US dollars (the required two and any added, e.g. total_usd)."""
CITATION = ("source_url", "source_title", "published")
"""What every row with a figure must say: the page that states it."""
SERIES_START = "2019-01"
MAX_BYTES = 1_000_000  # a century of months with long notes is well under this
MAX_FIELD_CHARS = 3000
MAX_DOLLARS = 10**12  # a month's trade above a trillion dollars is a typing error
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHOLE = re.compile(r"\d{1,15}")
_WEB = re.compile(r"https?://[^\s]+", re.IGNORECASE)


@dataclass(frozen=True)
class TradeProblem:
    """One thing wrong with the trade file: where (`line` and `month` when a row is to blame), which field, what."""

    file: str
    field: str
    message: str
    line: int | None = None
    month: str | None = None

    def __post_init__(self) -> None:
        for name, limit in (("file", 4096), ("field", 200), ("message", 1000), ("month", 80)):
            if (value := getattr(self, name)) is not None:
                object.__setattr__(self, name, _one_line(str(value), limit))

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.field}: {self.message}"
        month = f" ({self.month})" if self.month else ""
        return f"{self.file}: line {self.line}{month}: {self.field}: {self.message}"


class TradeError(ValueError):
    """The trade file cannot be used; `problems` says exactly why, one line each."""

    def __init__(self, problems: list[TradeProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]


def _month_end(month: str) -> dt.date:
    year, number = int(month[:4]), int(month[5:])
    return dt.date(year + number // 12, number % 12 + 1, 1) - dt.timedelta(days=1)


def _next_month(month: str) -> str:
    following = _month_end(month) + dt.timedelta(days=1)
    return f"{following:%Y-%m}"


def _read(path: Path, file: str) -> tuple[list[str], list[_Row]]:
    """The header and rows of the CSV at `path`, or TradeError when it is not a readable CSV text file."""
    def fail(message: str, field: str = "file", line: int | None = None) -> TradeError:
        return TradeError([TradeProblem(file, field, message, line)])

    try:
        if (size := path.stat().st_size) > MAX_BYTES:
            raise fail(f"{size:,} bytes, over the {MAX_BYTES:,} a monthly series can need")
        data = path.read_bytes()
    except OSError as error:
        raise fail(f"cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise fail(f"not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start})") from None
    if "\x00" in text:
        raise fail("not a text file (it holds NUL characters)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[_Row] = []
    header: list[str] | None = None
    line = 1
    try:
        for values in reader:
            if header is None:
                header = [name.strip() for name in values]
            elif any(value.strip() for value in values):  # a blank line is no row
                if len(values) != len(header):
                    raise fail(f"{len(values)} fields where the header has {len(header)}", "row", line)
                rows.append(_Row(line, dict(zip(header, (value.strip() for value in values), strict=True))))
            line = reader.line_num + 1
    except csv.Error as error:
        raise fail(f"not CSV: {error}", "row", line) from None
    if header is None:
        raise fail("empty file: expected a header line " + ",".join(REQUIRED_COLUMNS), "header")
    problems = [TradeProblem(file, "header", f"missing column {name}") for name in REQUIRED_COLUMNS
                if name not in header]
    problems += [TradeProblem(file, "header", f"column {show(name)} appears more than once")
                 for name in sorted({name for name in header if header.count(name) > 1})]
    if "" in header:
        problems.append(TradeProblem(file, "header", "a column has no name"))
    if problems:
        raise TradeError(problems)
    return header, rows


def _row_problems(row: _Row, header: list[str], file: str, today: dt.date) -> Iterator[TradeProblem]:
    values, month = row.values, row.values["month"]
    good_month = bool(_MONTH.fullmatch(month))

    def problem(field: str, message: str) -> TradeProblem:
        return TradeProblem(file, field, message, row.line, month if good_month else None)

    if not good_month:
        yield problem("month", f"not a month in YYYY-MM form: {show(month)}")
    for name in header:
        if len(values[name]) > MAX_FIELD_CHARS:
            yield problem(name, f"longer than {MAX_FIELD_CHARS:,} characters")
    dollar_columns = [name for name in header if name.endswith(DOLLARS_SUFFIX)]
    for name in dollar_columns:
        value = values[name]
        if not value:
            continue
        if value.startswith("-"):
            yield problem(name, f"negative: {show(value)}")
        elif not _WHOLE.fullmatch(value):
            yield problem(name, f"not a whole number of US dollars (digits only, e.g. 102300000): {show(value)}")
        elif int(value) > MAX_DOLLARS:
            yield problem(name, f"over {MAX_DOLLARS:,} dollars in a month: {show(value)}")
    if any(values[name] for name in dollar_columns):
        for name in CITATION:
            if not values[name]:
                yield problem(name, "empty, but the row gives a figure: every figure cites the page that states it")
    if (url := values["source_url"]) and not _WEB.fullmatch(url):
        yield problem("source_url", f"not a web address (http:// or https://): {show(url)}")
    if published := values["published"]:
        try:
            day = dt.date.fromisoformat(published) if _DAY.fullmatch(published) else None
        except ValueError:
            day = None
        if day is None:
            yield problem("published", f"not a date in YYYY-MM-DD form: {show(published)}")
        elif good_month and day < _month_end(month):
            yield problem("published", f"{published} is before the month ended ({_month_end(month)}): a month's "
                                       "figures are published after it")
        elif day > today:
            yield problem("published", f"{published} is in the future")


def _sequence_problems(rows: list[_Row], file: str) -> Iterator[TradeProblem]:
    """Duplicate, out-of-order and missing months, and a series not starting at SERIES_START."""
    seen: dict[str, int] = {}
    previous: str | None = None
    for row in rows:
        month = row.values["month"]
        if not _MONTH.fullmatch(month):
            continue
        if month in seen:
            yield TradeProblem(file, "month", f"{month} appears again (first on line {seen[month]})", row.line, month)
            continue
        seen[month] = row.line
        if previous is None:
            if month != SERIES_START:
                yield TradeProblem(file, "month", f"the series starts at {SERIES_START}, not {month}", row.line, month)
        elif month < previous:
            yield TradeProblem(file, "month", f"out of order: comes after {previous}", row.line, month)
            continue
        elif month != _next_month(previous):
            before = _month_end(month).replace(day=1) - dt.timedelta(days=1)
            yield TradeProblem(file, "month", f"no row for {_next_month(previous)} to {before:%Y-%m}: one row per "
                                              "month, empty where no page gives a figure", row.line, month)
        previous = month


def _checked(path: Path | str, today: dt.date | None = None) -> tuple[list[str], list[_Row], list[TradeProblem]]:
    file, path = str(path), Path(path)
    try:
        header, rows = _read(path, file)
    except TradeError as error:
        return [], [], error.problems
    today = today or dt.date.today()
    problems = [problem for row in rows for problem in _row_problems(row, header, file, today)]
    problems += _sequence_problems(rows, file)
    if not rows:
        problems.append(TradeProblem(file, "row", "no months: the file has a header only"))
    return header, rows, sorted(problems, key=lambda p: (p.line or 0))


def validate_trade(path: Path | str = TRADE_PATH, today: dt.date | None = None) -> list[TradeProblem]:
    """Every problem with the trade file at `path`, one line each (empty when it is valid); never raises.
    `today`: the day after which a publication date is in the future (default: today)."""
    return _checked(path, today)[2]


def load_trade(path: Path | str = TRADE_PATH) -> pd.DataFrame:
    """The validated series, one row per month in order: `month` (YYYY-MM), `start` and `end` (the month's first
    day and the next month's, as timestamps), each dollar column as nullable integers (Int64: empty is missing,
    never 0), `published` (a timestamp, NaT when empty) and the text columns (None when empty). Raises
    TradeError with every problem when the file is not valid."""
    header, rows, problems = _checked(path)
    if problems:
        raise TradeError(problems)
    columns: dict[str, Any] = {name: [row.values[name] or None for row in rows] for name in header}
    frame = pd.DataFrame({"month": columns["month"]})
    frame["start"] = pd.to_datetime(frame["month"], format="%Y-%m")
    frame["end"] = frame["start"] + pd.offsets.MonthBegin(1)
    for name in header:
        if name == "month":
            continue
        if name.endswith(DOLLARS_SUFFIX):
            frame[name] = pd.array([None if v is None else int(v) for v in columns[name]], dtype="Int64")
        elif name == "published":
            frame[name] = pd.to_datetime(pd.Series(columns[name], dtype=object), format="%Y-%m-%d")
        else:
            frame[name] = pd.Series(columns[name], dtype=object)
    return frame


def month_row(frame: pd.DataFrame, month: str) -> dict[str, Any] | None:
    """The row of `month` (YYYY-MM) as a dict (missing values as None), or None when the series has no such row."""
    found = frame.index[frame["month"] == month]
    if not len(found):
        return None
    row = frame.loc[found[0]]
    return {name: (None if pd.isna(value) else value) for name, value in row.items()}


def figure_kind(note: str | None) -> str:
    """Whether the row's figures are revised or preliminary, in a reader's words, as its note says ('' when the
    note says neither)."""
    text = (note or "").lower()
    return "revised" if "revised" in text else "preliminary" if "preliminary" in text else ""


def millions(dollars: int | None) -> str | None:
    """Whole dollars as a reader reads them: '$102.3 million', or '$53,000' under a million (None for a missing
    figure)."""
    if dollars is None:
        return None
    return f"${dollars / 1e6:,.1f} million" if dollars >= 1_000_000 else f"${dollars:,}"
