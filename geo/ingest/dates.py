"""Dates in an article's words, resolved against its publication date.

Relative dates are resolved against publication: weekdays ("on Monday": the latest Monday on or before
publication), yesterday, last/this week, last/this month, last/this year, a month or a day of a month
without a year (the latest one on or before publication, or of the year the text is dated in), early/
mid/late <month>, ranges ("between April 1937 and May 1943"), and their Korean and Chinese forms. An
inferred date says so (`DateGuess.inferred`, `note`). No guess runs past publication: a date that would
fall after it (a plan, "will resume on 17 January") leaves only publication as the latest day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from geo.ingest.sentences import CJK_CHAR

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTH_NAMES = {**{m: i for i, m in enumerate(calendar.month_name) if m},
               **{m: i for i, m in enumerate(calendar.month_abbr) if m}, "Sept": 9}
# Capitalised only: "may" and "march" are also verbs.
MONTH = r"(" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + r")\b\.?"  # \b: not "Oct" of "October"
SEASONS = {"winter": 12, "spring": 3, "summer": 6, "autumn": 9, "fall": 9}
SEASON = "(" + "|".join(SEASONS) + ")"
WEEKDAYS = {d: i for i, d in enumerate(calendar.day_name)}
WEEKDAY = r"\b(" + "|".join(calendar.day_name) + r")\b(?!s)"
KO_WEEKDAYS = {"월": 0, "화": 1, "수": 2, "목": 3, "금": 4, "토": 5, "일": 6}
ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# Case-sensitive: "May" is a month, "may" a plan.
FUTURE = re.compile(r"\b(?:[Ww]ill|would|is expected to|are expected to|expected to|plans? to|planned|is set to"
                    r"|are set to|scheduled to|could|may|might|next)\b"
                    r"|(?:할|될|갈|올|열|낼)\s*(?:것|수\s*있)|예정|계획|전망|将|计划|预计|拟")
PART_OF_MONTH = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}


# Relative date words, by what they mean: English (matched in lower case) and Korean/Chinese.
EN_RELATIVE = {
    "last year": r"\blast year\b", "this year": r"\b(?:earlier\s+)?this year\b", "last month": r"\blast month\b",
    "this month": r"\b(?:earlier\s+)?this month\b", "last week": r"\blast week\b",
    "this week": r"\b(?:earlier\s+)?this week\b", "yesterday": r"\byesterday\b", "today": r"\btoday\b",
}
CJK_RELATIVE = {
    "last year": r"지난해|작년|去年", "this year": r"올해|금년|今年", "last month": r"지난달|上个月|上月",
    "this month": r"이달|이번\s*달|本月|这个月", "last week": r"지난주|上周|上星期", "this week": r"이번\s*주|本周",
    "yesterday": r"어제|昨天|昨日",
}


def _relative_spans(published: dt.date) -> dict[str, tuple[dt.date, dt.date, str]]:
    """What each relative date word means in an article published on `published`: first day, last day,
    precision."""
    monday = _latest_weekday(published, 0)
    return {
        "last year": (dt.date(published.year - 1, 1, 1), dt.date(published.year - 1, 12, 31), "year"),
        "this year": (dt.date(published.year, 1, 1), published, "year"),
        "last month": (*_month_span(*_shift_month(published, -1)), "month"),
        "this month": (published.replace(day=1), published, "month"),
        "last week": (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1), "day"),
        "this week": (monday, published, "day"),
        "yesterday": (published - dt.timedelta(days=1), published - dt.timedelta(days=1), "day"),
        "today": (published, published, "day"),
    }


@dataclass(frozen=True)
class DateGuess:
    """What a date expression means: first and last possible day (None when unknown), the schema's
    date_precision, whether it was inferred rather than stated, and a note saying how it was read."""

    start: dt.date | None
    end: dt.date | None
    precision: str
    inferred: bool
    note: str


@dataclass
class DateContext:
    """What earlier sentences said about time: the last year named at all ("the same year"), the last
    year of a date given with its month ("11 January" after "14 January 2024" is of 2024), and the last day."""

    year: int | None = None
    dated_year: int | None = None
    day: DateGuess | None = None
    """The last single day named ("on the 16th"), for a later "that day" (이날, 当天)."""


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _season_span(year: int, season: str) -> tuple[dt.date, dt.date]:
    """The season starting in `year` (winter runs December to February)."""
    first = SEASONS[season]
    start = dt.date(year, first, 1)
    last_month = (first + 1) % 12 + 1
    last_year = year + (1 if first == 12 else 0)
    return start, _month_span(last_year, last_month)[1]


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _latest_weekday(published: dt.date, weekday: int, strictly_before: bool = False) -> dt.date:
    back = (published.weekday() - weekday) % 7
    if back == 0 and strictly_before:
        back = 7
    return published - dt.timedelta(days=back)


@dataclass(frozen=True)
class FoundDate:
    """A date expression in a sentence: where, and what it means (a guess), or None for a plan."""

    start: int
    end: int
    guess: DateGuess
    year: int | None = None  # the year it names, for DateContext
    dated: bool = False  # named with its month (or finer)


THAT_DAY = re.compile(r"\b(?:that|the same) (?:day|morning|afternoon|evening|night)\b|이날|당일|当天|当日",
                      re.IGNORECASE)
"""A day told as the one named before ("that morning", 이날 오전)."""


PLAN = "a plan or an expectation"
"""How a date note says the sentence's date lies after publication (geo.ingest.suggest does not suggest it)."""


def _plan(said: str, when: str, published: dt.date) -> DateGuess:
    return DateGuess(None, published, "unknown", True,
                     f"'{said}' points to {when}, after publication ({published}): {PLAN}, so the "
                     f"candidate is dated only by publication.")


def _without_year(said: str, month: int, day_span: tuple[int, int] | None, planned: bool, published: dt.date,
                  ctx: DateContext) -> DateGuess:
    """A month, or days of a month, named without a year: of the year the text is dated in (when that is not
    after publication), else the latest one on or before publication; a future one is a plan."""
    def span(year: int) -> tuple[dt.date, dt.date] | None:
        first, last = _month_span(year, month)
        if day_span is None:
            return first, last
        start, end = _day(year, month, day_span[0]), _day(year, month, min(day_span[1], last.day))
        return (start, end) if start and end else None

    precision = "month" if day_span is None else "day"
    if ctx.dated_year is not None and ctx.dated_year != published.year and (s := span(ctx.dated_year)) \
            and s[0] <= published:
        return DateGuess(s[0], min(s[1], published), precision, True,
                         f"'{said}' with no year, after the text named {ctx.dated_year}: read as of {ctx.dated_year}.")
    this_year = span(published.year)
    if this_year and this_year[0] <= published:
        return DateGuess(this_year[0], min(this_year[1], published), precision, True,
                         f"'{said}' with no year, in an article published {published}: {this_year[0]:%Y}, the latest "
                         f"one on or before publication.")
    if planned:
        return _plan(said, f"{calendar.month_name[month]} {published.year}", published)
    last_year = span(published.year - 1)
    if last_year is None:  # 29 February in a year without it
        return DateGuess(None, published, "unknown", True, f"'{said}' is not a day of {published.year - 1}.")
    return DateGuess(last_year[0], last_year[1], precision, True,
                     f"'{said}' with no year, in an article published {published}: {published.year - 1}, the latest "
                     f"one on or before publication.")


def _english_dates(sentence: str, published: dt.date, ctx: DateContext) -> list[FoundDate]:
    out: list[FoundDate] = []
    planned = bool(FUTURE.search(sentence))  # once per sentence: a date without a year after publication is a plan

    def add(m: re.Match[str], guess: DateGuess, year: int | None = None, dated: bool = False) -> None:
        out.append(FoundDate(m.start(), m.end(), guess, year, dated))

    # Ranges first: "between April 1937 and May 1943", "11–14 January 2024", "between 2014 and 2019".
    for m in re.finditer(rf"\b(?:between|from)\s+{MONTH}\s+(?:of\s+)?(\d{{4}})\s+(?:and|to|until|through)\s+{MONTH}"
                         rf"\s+(?:of\s+)?(\d{{4}})\b", sentence):
        start = _month_span(int(m.group(2)), MONTH_NAMES[m.group(1)])[0]
        end = _month_span(int(m.group(4)), MONTH_NAMES[m.group(3)])[1]
        if start <= end:
            add(m, DateGuess(start, end, "month", False, f"The sentence says '{m.group(0)}'."), int(m.group(4)), True)
    for m in re.finditer(rf"\b(?:between\s+|from\s+)?(\d{{1,2}})\s*(?:–|-|to|and|until)\s*(\d{{1,2}})\s+{MONTH},?\s+"
                         rf"(\d{{4}})\b", sentence):
        year, month = int(m.group(4)), MONTH_NAMES[m.group(3)]
        start, end = _day(year, month, int(m.group(1))), _day(year, month, int(m.group(2)))
        if start and end and start <= end:
            add(m, DateGuess(start, end, "day", False, f"The sentence says '{m.group(0)}'."), year, True)
    for m in re.finditer(rf"\b{MONTH}\s+(\d{{1,2}})\s*(?:–|-|to|and|until)\s*(\d{{1,2}}),?\s+(\d{{4}})\b", sentence):
        year, month = int(m.group(4)), MONTH_NAMES[m.group(1)]
        start, end = _day(year, month, int(m.group(2))), _day(year, month, int(m.group(3)))
        if start and end and start <= end:
            add(m, DateGuess(start, end, "day", False, f"The sentence says '{m.group(0)}'."), year, True)
    for m in re.finditer(r"\b(?:between|from)\s+((?:19|20)\d{2})\s+(?:and|to|until|through)\s+((?:19|20)\d{2})\b",
                         sentence):
        first, last = int(m.group(1)), int(m.group(2))
        if first <= last:
            add(m, DateGuess(dt.date(first, 1, 1), dt.date(last, 12, 31), "year", False,
                             f"The sentence says '{m.group(0)}'."), last)
    # Full dates: "22 August 2023", "Aug. 22, 2023", "the 21 May 1954".
    for m in re.finditer(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+(\d{{4}})\b", sentence):
        if day := _day(int(m.group(3)), MONTH_NAMES[m.group(2)], int(m.group(1))):
            add(m, DateGuess(day, day, "day", False, f"The sentence says '{m.group(0)}'."), day.year, True)
    for m in re.finditer(rf"\b{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", sentence):
        if day := _day(int(m.group(3)), MONTH_NAMES[m.group(1)], int(m.group(2))):
            add(m, DateGuess(day, day, "day", False, f"The sentence says '{m.group(0)}'."), day.year, True)
    # Parts of a month: "early June 2012", "mid-October", "late March".
    for m in re.finditer(rf"\b(early|mid|late)[\s-]+{MONTH}(?:\s+(?:of\s+)?(\d{{4}}))?", sentence, re.IGNORECASE):
        part, month = PART_OF_MONTH[m.group(1).lower()], MONTH_NAMES.get(m.group(2).capitalize())
        if month is None:
            continue
        if m.group(3):
            year = int(m.group(3))
            last = _month_span(year, month)[1].day
            start, end = dt.date(year, month, part[0]), dt.date(year, month, min(part[1], last))
            add(m, DateGuess(start, end, "day", True, f"'{m.group(0)}' read as days {part[0]}-{min(part[1], last)} "
                                                      f"of {start:%B %Y}."), year, True)
        else:
            add(m, _without_year(m.group(0), month, part, planned, published, ctx))
    # Month and year: "January 2020", "April of 1937"; "February last year".
    for m in re.finditer(rf"\b{MONTH}\s+(?:of\s+)?(\d{{4}})\b", sentence):
        year = int(m.group(2))
        start, end = _month_span(year, MONTH_NAMES[m.group(1)])
        add(m, DateGuess(start, end, "month", False, f"The sentence says '{m.group(0)}'."), year, True)
    for m in re.finditer(rf"\b{MONTH}\s+last year\b", sentence):
        year = published.year - 1
        start, end = _month_span(year, MONTH_NAMES[m.group(1)])
        add(m, DateGuess(start, end, "month", True, f"'{m.group(0)}' in an article published {published}: "
                                                    f"{start:%B %Y}."), year, True)
    # A day of a month without its year: "on Oct. 9", "October 9", "9 October".
    for m in re.finditer(rf"\b{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+"
                         rf"(?:of\s+)?{MONTH}(?!,?\s*\d)", sentence):
        month = MONTH_NAMES[m.group(1) or m.group(4)]
        day = int(m.group(2) or m.group(3))
        if 1 <= day <= 31:
            add(m, _without_year(m.group(0), month, (day, day), planned, published, ctx))
    # A month alone: "in March", "last March".
    for m in re.finditer(rf"\blast\s+{MONTH}(?!\s*\d)", sentence):
        month = MONTH_NAMES[m.group(1)]
        year = published.year if month < published.month else published.year - 1
        start, end = _month_span(year, month)
        add(m, DateGuess(start, end, "month", True, f"'{m.group(0)}' in an article published {published}: "
                                                    f"{start:%B %Y}."), year)
    for m in re.finditer(rf"\b(?:in|held in|by|until|since|during|of)\s+{MONTH}(?![\s.]*\d)", sentence):
        add(m, _without_year(m.group(0), MONTH_NAMES[m.group(1)], None, planned, published, ctx))
    lowered = sentence.lower()
    # Seasons.
    for m in re.finditer(rf"\b(?:the\s+)?{SEASON}\s+of\s+(?:the\s+)?same year\b", lowered):
        if ctx.year is not None:
            start, end = _season_span(ctx.year, m.group(1))
            add(m, DateGuess(start, min(end, published), "season", True,
                             f"'{sentence[m.start():m.end()]}' refers back to {ctx.year}; read as the {m.group(1)} "
                             f"starting {start:%B %Y}, up to publication at the latest."), ctx.year)
    for m in re.finditer(rf"\blast\s+{SEASON}\b", lowered):
        year = published.year if dt.date(published.year, SEASONS[m.group(1)], 1) <= published else published.year - 1
        start, end = _season_span(year, m.group(1))
        add(m, DateGuess(start, min(end, published), "season", True,
                         f"'{sentence[m.start():m.end()]}' in an article published {published}: read as the "
                         f"{m.group(1)} starting {start:%B %Y} (it could also mean the one before)."), year)
    # Relative to publication.
    spans = _relative_spans(published)
    for name, pattern in EN_RELATIVE.items():
        for m in re.finditer(pattern, lowered):
            start, end, precision = spans[name]
            add(m, DateGuess(start, end, precision, True, f"'{sentence[m.start():m.end()]}' in an article published "
                                                          f"{published}: {start} to {end}."), start.year)
    for m in re.finditer(r"\bnext (?:year|month|week)\b", lowered):
        add(m, _plan(sentence[m.start():m.end()], "a time after publication", published))
    for m in re.finditer(WEEKDAY, sentence):
        before = sentence[max(0, m.start() - 5):m.start()].lower()
        day = _latest_weekday(published, WEEKDAYS[m.group(1)], strictly_before=before.endswith("last "))
        add(m, DateGuess(day, day, "day", True, f"'{m.group(0)}' in an article published {published} "
                                                f"({published:%A}): the latest {m.group(1)} on or before it, {day}."))
    for m in re.finditer(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b(?:\s+of\s+(this|last)\s+month)?", lowered):
        if day := _day_of_month(int(m.group(1)), published, m.group(2) == "last"):
            add(m, DateGuess(day, day, "day", True, f"'{sentence[m.start():m.end()]}' in an article published "
                                                    f"{published}: {day}."), day.year)
    for m in re.finditer(r"\b((?:19|20)\d{2})\b(?!\s*(?:workers|people|km|kilomet|metres|meters|tonnes|tons|yuan|won"
                         r"|dollars|North Koreans))", sentence):
        year = int(m.group(1))
        add(m, DateGuess(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", False,
                         f"The sentence names the year {year}."), year)
    return out


def _shift_month(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _day_of_month(day: int, published: dt.date, last_month: bool = False) -> dt.date | None:
    """'On the 23rd': this month if that day is not after publication, else last month."""
    earlier = last_month or day > published.day
    year, month = _shift_month(published, -1) if earlier else (published.year, published.month)
    return _day(year, month, day)


def _cjk_dates(sentence: str, published: dt.date, ctx: DateContext) -> list[FoundDate]:
    out: list[FoundDate] = []
    planned = bool(FUTURE.search(sentence))

    def add(m: re.Match[str], guess: DateGuess, year: int | None = None, dated: bool = False) -> None:
        out.append(FoundDate(m.start(), m.end(), guess, year, dated))

    for m in re.finditer(r"(\d{4})\s*[년年]\s*(\d{1,2})\s*[월月]\s*(\d{1,2})\s*[일日]", sentence):
        if day := _day(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            add(m, DateGuess(day, day, "day", False, f"The sentence says '{m.group(0)}'."), day.year, True)
    for m in re.finditer(r"(\d{4})\s*[년年]\s*(\d{1,2})\s*[월月](?!\s*\d)", sentence):
        if 1 <= (month := int(m.group(2))) <= 12:
            start, end = _month_span(int(m.group(1)), month)
            add(m, DateGuess(start, end, "month", False, f"The sentence says '{m.group(0)}'."), start.year, True)
    for m in re.finditer(r"(?<![\d년年])(\d{1,2})\s*[월月]\s*(\d{1,2})\s*[일日]", sentence):
        if 1 <= (month := int(m.group(1))) <= 12 and 1 <= (day := int(m.group(2))) <= 31:
            add(m, _without_year(m.group(0), month, (day, day), planned, published, ctx))
    for m in re.finditer(r"(?<![\d월月])(\d{1,2})\s*[일日](?!\s*(?:간|동안|본|째))", sentence):
        if day := _day_of_month(int(m.group(1)), published):
            add(m, DateGuess(day, day, "day", True, f"'{m.group(0)}' in an article published {published}: {day}."),
                day.year)
    for m in re.finditer(r"(?<![\d년年])(?<!지난\s)(?<!지난)(\d{1,2})\s*월(?!\s*\d)", sentence):
        if 1 <= (month := int(m.group(1))) <= 12:
            add(m, _without_year(m.group(0), month, None, planned, published, ctx))
    for m in re.finditer(r"(?:지난|去年)\s*(\d{1,2})\s*[월月]", sentence):
        if 1 <= (month := int(m.group(1))) <= 12:
            year = published.year if month < published.month else published.year - 1
            start, end = _month_span(year, month)
            add(m, DateGuess(start, end, "month", True, f"'{m.group(0)}' in an article published {published}: "
                                                        f"{start:%B %Y}."), year)
    for m in re.finditer(r"(\d{4})\s*[년年](?!\s*\d{1,2}\s*[월月])", sentence):
        year = int(m.group(1))
        add(m, DateGuess(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", False,
                         f"The sentence names the year {year}."), year)
    spans = _relative_spans(published)
    for name, pattern in CJK_RELATIVE.items():
        for m in re.finditer(pattern, sentence):
            if name == "this month" and planned and "말" in sentence[m.end():m.end() + 3]:
                add(m, _plan(m.group(0), "the end of this month", published))
                continue
            start, end, precision = spans[name]
            add(m, DateGuess(start, end, precision, True, f"'{m.group(0)}' in an article published {published}: "
                                                          f"{start} to {end}."), start.year)
    for m in re.finditer(r"([월화수목금토일])요일|(?:星期|周)([一二三四五六日天])", sentence):
        weekday = KO_WEEKDAYS[m.group(1)] if m.group(1) else ZH_WEEKDAYS[m.group(2)]
        day = _latest_weekday(published, weekday)
        add(m, DateGuess(day, day, "day", True, f"'{m.group(0)}' in an article published {published} "
                                                f"({published:%A}): the latest such day on or before it, {day}."))
    return out


def find_dates(sentence: str, published: dt.date, ctx: DateContext | None = None) -> list[FoundDate]:
    """The date expressions of `sentence` in reading order, each resolved against `published` (and what
    earlier sentences said, `ctx`); where two overlap, the longer wins ("February last year"). No
    guess runs past publication: an end after it is cut to it, a start after it makes the guess a plan."""
    ctx = ctx or DateContext()
    found = _english_dates(sentence, published, ctx)
    if CJK_CHAR.search(sentence):
        found += _cjk_dates(sentence, published, ctx)
    if ctx.day is not None and ctx.day.start is not None:
        for m in THAT_DAY.finditer(sentence):
            found.append(FoundDate(m.start(), m.end(), DateGuess(
                ctx.day.start, ctx.day.end, "day", True,
                f"'{m.group(0)}' read as the day named before it, {ctx.day.start}."), ctx.day.start.year))
    found.sort(key=lambda f: (-(f.end - f.start), f.start))  # "February last year" over "in February"
    covered = bytearray(len(sentence) + 1)  # linear: each expression is short, and marks only its own span
    chosen: list[FoundDate] = []
    for f in found:
        if not any(covered[f.start:f.end]):
            covered[f.start:f.end] = b"\x01" * (f.end - f.start)
            chosen.append(f)
    kept: list[FoundDate] = []
    for f in sorted(chosen, key=lambda f: f.start):
        guess = f.guess
        if guess.start and guess.start > published:
            guess = _plan(sentence[f.start:f.end], str(guess.start), published)
        elif guess.end and guess.end > published:
            guess = DateGuess(guess.start, published, guess.precision, True,
                              guess.note + f" Cut at publication ({published}).")
        kept.append(FoundDate(f.start, f.end, guess, f.year, f.dated))
    return kept


def undated(sentence: str, published: dt.date) -> DateGuess:
    """The guess for a sentence that gives no date: known only to have been reported by `published`."""
    recent = re.search(r"\brecent(ly)?\b|최근|近日|最近", sentence, re.IGNORECASE)
    note = ("The sentence says only 'recently'" if recent else "The sentence gives no date")
    return DateGuess(None, published, "unknown", True,
                     f"{note}: known only to have been reported by publication ({published}).")


def resolve_date(sentence: str, published: dt.date, context_year: int | None) -> tuple[DateGuess, int | None]:
    """The first date a sentence's own words give, relative to `published`; and the year it talks about
    (for a later 'the same year')."""
    ctx = DateContext(context_year, None)
    found = find_dates(sentence, published, ctx)
    if not found:
        return undated(sentence, published), context_year
    first = found[0]
    return first.guess, first.year if first.year is not None else context_year


def update_context(ctx: DateContext, found: list[FoundDate]) -> None:
    """Remember in `ctx` the years and the day the sentence's dates (`found`) name, for the sentences after it."""
    for f in found:
        if f.guess.precision == "day" and f.guess.start is not None and f.guess.start == f.guess.end:
            ctx.day = f.guess
        if f.year is not None:
            ctx.year = f.year
            if f.dated:
                ctx.dated_year = f.year
