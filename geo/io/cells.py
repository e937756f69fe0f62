"""Reading typed values out of spreadsheet cells: dates at their precision, coordinates, whole numbers.

Each reader takes what a cell holds (text from a CSV; text, a number or a datetime from an XLSX file) and
returns the value or raises `CellError` with a message that says what is wrong and how to write it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from typing import Any

from geo.events.schema import EARLIEST_DATE, LATEST_DATE, show


class CellError(ValueError):
    """A cell's value cannot be read; the message says why and what is expected."""


def is_empty(value: Any) -> bool:
    """Whether a cell holds nothing (None, or only white space)."""
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    """A cell as text, white space around it removed ('' for an empty cell; 12.0 reads '12')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return str(value).strip()


def slug(value: str) -> str:
    """`value` as an id part: ASCII letters and digits, lower case, joined by hyphens ('x' when none are left)."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "x"


def _in_range(day: dt.date) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(f"{day.isoformat()} is not between {EARLIEST_DATE} and {LATEST_DATE}; a typo in the year?")
    return day


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


_DAY_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d-%B-%Y", "%d-%b-%Y")
_MONTH_FORMATS = ("%B %Y", "%b %Y")
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def date_span(value: Any, day_first: bool = False) -> tuple[dt.date, dt.date, str]:
    """(earliest day, latest day, precision) a cell's date stands for: a day (ISO `YYYY-MM-DD`, an XLSX date,
    "15 February 2023"), a month (`YYYY-MM`, "February 2023") or a year (`YYYY`). Numeric day/month orders
    ("03/04/2023") are refused as ambiguous unless `day_first` says how to read them (ACLED's own
    exports write dd-mm-yyyy)."""
    if isinstance(value, dt.datetime):
        day = _in_range(value.date())
        return day, day, "day"
    if isinstance(value, dt.date):
        day = _in_range(value)
        return day, day, "day"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= value <= 2100:
            year = int(value)
            return dt.date(year, 1, 1), dt.date(year, 12, 31), "year"
        raise CellError(f"{show(value)} is a number, not a date; write dates as YYYY-MM-DD")
    written = text(value)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]*)?", written):
            day = _in_range(dt.date.fromisoformat(written[:10]))
            return day, day, "day"
        if re.fullmatch(r"\d{4}-\d{2}", written):
            start, end = _month(int(written[:4]), int(written[5:]))
            return _in_range(start), end, "month"
        if re.fullmatch(r"\d{4}", written):
            year = int(written)
            return _in_range(dt.date(year, 1, 1)), dt.date(year, 12, 31), "year"
    except ValueError as error:
        if isinstance(error, CellError):
            raise
        raise CellError(f"{show(written)} is not a real date ({error})") from None
    slashed = _SLASHED.fullmatch(written)
    if slashed:
        first, second, year = (int(part) for part in slashed.groups())
        if not day_first:
            raise CellError(f"{show(written)} is ambiguous (day/month or month/day?); write dates as YYYY-MM-DD")
        try:
            day = _in_range(dt.date(year, second, first))
        except ValueError:
            raise CellError(f"{show(written)} is not a real date (read as day-month-year)") from None
        return day, day, "day"
    for formats, precision in ((_DAY_FORMATS, "day"), (_MONTH_FORMATS, "month")):
        for form in formats:
            try:
                parsed = dt.datetime.strptime(written, form).date()
            except ValueError:
                continue
            if precision == "day":
                return _in_range(parsed), parsed, "day"
            start, end = _month(parsed.year, parsed.month)
            return _in_range(start), end, "month"
    raise CellError(f"{show(written)} is not a date; write YYYY-MM-DD (or YYYY-MM for a month, YYYY for a year)")


def number(value: Any) -> float:
    """A cell as a finite number ('40.1', 40.1, or '40,1' with a decimal comma)."""
    if isinstance(value, bool):
        raise CellError(f"{show(value)} is not a number")
    if isinstance(value, (int, float)):
        result = float(value)
    else:
        written = text(value)
        if re.fullmatch(r"[+-]?\d+,\d+", written):  # a decimal comma, as European spreadsheets write
            written = written.replace(",", ".")
        try:
            result = float(written)
        except ValueError:
            raise CellError(f"{show(written)} is not a number") from None
    if not math.isfinite(result):
        raise CellError(f"{show(value)} is not a finite number")
    return result


def whole_number(value: Any, lowest: int = 0) -> int:
    """A cell as a whole number of at least `lowest` ('3', 3, 3.0)."""
    result = number(value)
    if not result.is_integer() or result < lowest:
        raise CellError(f"{show(value)} is not a whole number of at least {lowest}")
    return int(result)


def coordinates(latitude: Any, longitude: Any) -> tuple[float, float]:
    """(longitude, latitude) from two cells, with their ranges checked; raises CellError naming which
    of the two is wrong as `latitude: ...` or `longitude: ...` (swapped columns are spotted)."""
    try:
        lat = number(latitude)
    except CellError as error:
        raise CellError(f"latitude: {error}") from None
    try:
        lon = number(longitude)
    except CellError as error:
        raise CellError(f"longitude: {error}") from None
    if abs(lat) > 90:
        hint = "; latitude and longitude look swapped" if abs(lon) <= 90 else ""
        raise CellError(f"latitude: {show(latitude)} is out of range (-90..90){hint}")
    if abs(lon) > 180:
        raise CellError(f"longitude: {show(longitude)} is out of range (-180..180)")
    return lon, lat
