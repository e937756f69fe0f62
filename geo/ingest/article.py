"""From a news article to candidate events in the dataset schema, for a person to review.

Rules, not a model: each sentence (and photo caption) is checked for event keywords, place names
(geo.reference.gazetteer) and date expressions, which are resolved against the article's publication date.
Every candidate keeps the sentence it came from as `evidence` and the place as written, says how its
date and place were chosen, and is validated against the data contract before it is returned.

What the rules cover, by category of wording rather than by article:
- every event type of the vocabulary (geo.events.schema.EVENT_TYPES) in ordinary English news wording ("resumed
  passenger train service", "the first flight since 2020", "workers staged a strike", "forcibly repatriated",
  "tour groups", "bridge construction"), and its common Korean and Chinese wording (재개, 송환, 恢复, 遣返 ...);
- numbers of people ("more than 500 North Koreans", "600여 명") as `figures`, with the source's qualifier;
- crossings named by their two towns ("the Dandong–Sinuiju crossing", "Hunchun-Rason", "between Tumen and
  Namyang") read as the crossing; "the bridge" read as the crossing last named;
- relative dates resolved against publication: weekdays ("on Monday": the latest Monday on or before
  publication), yesterday, last/this week, last/this month, last/this year, a month or a day of a month
  without a year (the latest one on or before publication, or of the year the text is dated in), early/
  mid/late <month>, ranges ("between April 1937 and May 1943"), and their Korean and Chinese forms. An
  inferred date says so (date_inferred, date_note). No candidate is dated after publication: a date that
  would fall after it (a plan, "will resume on 17 January") leaves the candidate dated only by publication.
What it will not do: put a pin on a capital or country named as an actor ("Pyongyang said", "Beijing's
approach", "China's foreign ministry"), on a country, a river or "the border" alone, or on a place named only
to describe another (the venue of "the Asian Games held in Hangzhou", "a replacement for the Friendship
Bridge", "Dandong, across the river from Sinuiju"); those events are kept without that location.

Limits, so that reading takes time linear in the text (a regex holds the GIL: one slow article would
stall every session of the server):
- an article longer than MAX_ARTICLE_CHARS (200,000 characters) is refused with ArticleTooLong;
- the two keywords of a rule ("shut ... border") may be at most KEYWORD_GAP (200) characters apart,
  within one sentence (CJK_KEYWORD_GAP, 80 characters, in Korean and Chinese); a rule is tried only when
  each of its keywords occurs in the sentence, each found by one linear search;
- a "sentence" longer than MAX_SENTENCE_CHARS (2,000 characters: a paragraph of Korean or Chinese, or
  text without full stops) is read as consecutive windows of at most that length, broken after a space
  or a sentence mark where possible; a keyword pair or a name straddling a break is missed;
- candidates_within runs the whole reading in a separate process and kills it after INGEST_SECONDS
  (10 s) of wall-clock time; candidates_from_text itself has no time limit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geo.budget import DeadlineExceeded, Limits, run_bounded
from geo.events.dates import date_label
from geo.events.schema import EVENT_LAYER, EVENT_TYPES, UNCLASSIFIED, validate_collection
from geo.reference.gazetteer import PIN_KINDS, Gazetteer, Mention, load_gazetteer

MAX_ARTICLE_CHARS = 200_000
MAX_SENTENCE_CHARS = 2_000  # also the schema's limit on `evidence`
# The widest gap between the two keywords of a rule in the founding article is 96 characters
# ("truck traffic between Rason and Hunchun, ... has resumed"); twice that keeps every real sentence.
KEYWORD_GAP = 200
CJK_KEYWORD_GAP = 80  # Korean and Chinese say in 80 characters what English says in 200
INGEST_SECONDS = 10
_GAP = rf"[^.]{{0,{KEYWORD_GAP}}}"  # what may stand between two keywords: no full stop, and not much
_CJK_GAP = rf"[^.。!?！？]{{0,{CJK_KEYWORD_GAP}}}"


class ArticleTooLong(ValueError):
    """The article is longer than MAX_ARTICLE_CHARS; nothing of it was read."""

    def __init__(self, size: int, limit: int = MAX_ARTICLE_CHARS):
        super().__init__(f"The article is {size:,} characters long; the limit is {limit:,} characters "
                         f"(MAX_ARTICLE_CHARS). Split it, or paste only the article's own text.")
        self.size, self.limit = size, limit

    def __reduce__(self) -> tuple[type, tuple[int, int]]:  # so that it survives the trip from a child process
        return type(self), (self.size, self.limit)


class IngestTimeout(Exception):
    """Reading an article took longer than its budget; the process reading it was killed."""


# --- Event rules -------------------------------------------------------------------------------------------
# A rule is a list of alternatives; an alternative is one keyword pattern, or two that must both occur, the
# second after the first within the gap. Korean and Chinese alternatives have no \b (Hangul and Han are word
# characters, and their words run into their particles). Patterns are matched case-insensitively.

RESUME = r"resum\w*|restart\w*|reopen\w*|re-open\w*|restor\w*"
SUSPEND = r"suspend\w*|suspension|halt\w*|stop(?:s|ped|ping)?|paus\w*|cancel\w*|interrupt\w*|cut off"
TRAIN = r"trains?|rail\w*"
WORKER = r"workers?|labou?rers?|employees|waitress\w*"
BORDER = r"borders?|frontier"
PASSENGER = r"passenger\s+(?:trains?|rail|railway|train services?|services?)"
FLIGHT = r"flights?|air\s+(?:services?|routes?|links?)|Air Koryo|Air China"
TOUR = r"touris(?:m|ts?)|tours?|tour groups?"
CROSSING_WORD = (r"bridges?|crossings?|checkpoints?|ports? of entry|border posts?"
                 r"|customs (?:house|complex|building|facilit\w*|area|station)")
BUILD = r"construct\w*(?! workers?)|under construction|built|build(?:s|ing)?|rebuilt|being built|renovat\w*|upgrad\w*"

Alternative = tuple[str, ...]  # one pattern, or (first, second): both, second within the gap after first


def _en(*patterns: str) -> Alternative:
    return tuple(rf"\b(?:{p})\b" for p in patterns)


def _cjk(*patterns: str) -> Alternative:
    return tuple(f"(?:{p})" for p in patterns)


RULES: dict[str, list[Alternative]] = {
    "border_closure": [_en(r"lock(?:ed|s)?\s+down|lockdown|seal(?:ed|s|ing)?|clos(?:ed|ing|ure|ures)|shut(?:ting)?",
                           BORDER),
                       _en(BORDER, r"closed|closure|closures|sealed|shut|lockdown"),
                       _cjk("국경", "봉쇄|폐쇄"), _cjk("国境|边境|口岸", "关闭|封锁|封闭")],
    "border_reopening": [_en(r"reopen\w*|re-open\w*|open(?:ed|ing)?\s+up|lift(?:ed|ing|s)?|eas(?:ed|ing|es)"
                             r"|loosen\w*|relax\w*", BORDER),
                         _en(BORDER, r"reopen\w*|re-open\w*"),
                         _cjk("국경", "재개방|다시\\s*열|개방|완화|재개"), _cjk("边境|口岸", "重新开放|开放|恢复")],
    "rail_freight_resumption": [_en(RESUME, TRAIN), _en(TRAIN, r"resum\w*|restart\w*|again"),
                                _en(r"(?:freight|cargo)\s+trains?", r"arriv\w*|cross\w*|enter\w*|roll\w*|ran|running"),
                                _cjk("열차", "재개|만에|다시|운행|도착|건너|출발|들어|오가"),
                                _cjk("재개|운행|운송", "열차"),
                                _cjk("列车|铁路|货运", "恢复|重启|开通")],
    "rail_freight_suspension": [_en(SUSPEND, TRAIN), _en(TRAIN, r"suspend\w*|halt\w*|stopped|cancel\w*"),
                                _cjk("열차", "중단|중지|멈"), _cjk("列车|铁路", "暂停|中断|停运")],
    "road_freight_resumption": [_en(r"truck\w*", r"resum\w*|begun|began|restart\w*|reopen\w*"),
                                _en(r"resum\w*", r"truck\w*"),
                                _en(r"road (?:traffic|trade|freight|route)|trucking", RESUME),
                                _cjk("트럭|화물차|육로", "재개"), _cjk("公路|卡车|货车", "恢复")],
    "customs_reopening": [_en(r"customs", r"reactivat\w*|reopen\w*|resum\w*|normali[sz]\w*"),
                          _cjk("세관", "재개|정상화|다시"), _cjk("海关", "恢复|重新开放")],
    "passenger_rail_resumption": [_en(PASSENGER, RESUME + r"|again"), _en(RESUME, PASSENGER), _en("first", PASSENGER),
                                  _en(r"(?:international|through|sleeper|cross-border)\s+trains?",
                                      r"resum\w*|restart\w*|restor\w*|again"),
                                  _cjk("여객\\s*열차|여객열차", "재개|다시|만에"),
                                  _cjk("旅客列车|客运|客车", "恢复|重启|开通")],
    "flight_resumption": [_en(FLIGHT, RESUME + r"|again"), _en(RESUME, FLIGHT),
                          _en(r"first", r"(?:flights?|plane|aircraft)"),
                          _cjk("항공편|항공|운항|고려항공", "재개|다시|만에"),
                          _cjk("航班|航线", "恢复|复航")],
    "tourism_resumption": [_en(TOUR, RESUME + r"|allowed|welcom\w*|again"),
                           _en(RESUME + r"|allow\w*|welcom\w*", TOUR + r"|visitors"),
                           _cjk("관광", "재개|다시|허용"), _cjk("旅游", "恢复|重启")],
    "tourism_suspension": [_en(TOUR + r"|visitors", SUSPEND + r"|ban\w*|clos(?:ed|es|ing)|barred"),
                           _en(SUSPEND + r"|ban\w*|clos(?:ed|es|ing)|barred", TOUR),
                           _cjk("관광", "중단|금지|폐쇄|중지"), _cjk("旅游", "暂停|叫停|关闭")],
    "crossing_construction": [_en(BUILD, CROSSING_WORD), _en(CROSSING_WORD, BUILD),
                              (r"^\W*(?:the\s+)?construction\b(?! workers?)",),
                              _cjk("다리|대교|교량|세관", "건설|공사|착공|준공|완공"),
                              _cjk("건설|공사|착공", "다리|대교|교량"),
                              _cjk("大桥|桥梁|口岸", "建设|施工|开工|竣工"), _cjk("建设|修建|施工", "大桥|桥")],
    "worker_deployment": [_en(WORKER, r"dispatch\w*|commut\w*|stationed|sent to|sent by|deploy\w*|employed|hired"
                                      r"|working in|working at|arriv\w*"),
                          _en(r"dispatched to"),
                          _en(r"accept\w*|hir(?:e|ed|es|ing)|employ\w*|recruit\w*|dispatch\w*|deploy\w*", WORKER),
                          _cjk("노동자|근로자", "파견|일하|근무|취업|투입|들어오|이동|오가|도착"),
                          _cjk("파견|투입", "노동자|근로자"), _cjk("劳工|工人|劳务人员", "派遣|派驻|入境|务工"),
                          _cjk("派遣", "劳工|工人")],
    "worker_return": [_en(WORKER, r"home|back to North Korea"),
                      _cjk("노동자|근로자", "귀국|돌아가|돌아갔|복귀|철수"), _cjk("劳工|工人", "回国|返回朝鲜")],
    "worker_strike": [_en(WORKER, r"strikes?|striking|riot\w*|protest\w*|unrest|walk(?:ed)?\s*out|walkouts?"
                                  r"|stoppages?|occup(?:ied|ation|y)|hostages?|demonstrat\w*|revolt\w*|uprising"),
                      _en(r"strikes?|riots?|protests?|unrest|walkouts?|demonstrations?|uprisings?", WORKER),
                      _en(r"(?:staged|held|went on|launched)\s+(?:a\s+)?(?:strike|riot|protest|walkout)"),
                      _cjk("노동자|근로자", "파업|폭동|시위|소요|농성|봉기"), _cjk("파업|폭동", "노동자|근로자"),
                      _cjk("罢工|骚乱|暴动")],
    "repatriation": [(r"\brepatriat\w*|\bcall(?:ed|ing)? back\b|\bdeport\w*|\brefoul\w*|\bsent back\b"
                      r"|\bsend(?:s|ing)?\s+(?:\w+\s+){0,3}back\b|\bforcibl[ye]\s+(?:return\w*|sen[dt]\w*)"
                      r"|\bhanded\s+(?:them\s+)?over\s+to\s+North\s+Korea\w*|\bsent\s+across\s+the\s+(?:[\w–-]+\s+){0,3}border\b",),
                     _cjk("송환|북송|추방"), _cjk("遣返|遣送")],
    "defection": [(r"\bdefect(?:ed|ion|ions|ing|s)?\b"
                   r"|\b(?:fled|flee\w*)\s+(?:from\s+)?(?:North Korea|the North|the country"
                   r"|their\s+(?:\w+\s+)?homeland)\b"
                   r"|\bcross(?:ed|es|ing)?\s+(?:the\s+(?:[\w–-]+\s+)?border\s+)?into\s+China\b",),
                  _cjk("탈북(?:했|한|하|을|해)"), _cjk("脱北|叛逃")],
    "disappearance": [(r"\bdisappear\w*|\bwent missing\b|\bas .?missing|\bvanish\w*",), _cjk("실종|행방불명"),
                      _cjk("失踪")],
    "escape": [(r"\bescap\w*",), _cjk("탈출|도주"), _cjk("逃跑|出逃")],
    "detention": [(r"\b(?:caught|arrest\w*|detain\w*|detention|imprison\w*|jail\w*|locked up|in custody|rounded up"
                   r"|captured)\b",), _cjk("체포|구금|수감|구류|붙잡"), _cjk("拘留|逮捕|关押|抓捕")],
    "extortion": [(r"\bextort\w*",), _en(r"wages?|salar\w*|earnings", r"confiscat\w*|seiz\w*|withh[eo]ld\w*|taken by"),
                  _cjk("갈취|착취|상납"), _cjk("勒索|克扣")],
    "surveillance": [(r"\bsurveillance\b|\bminders?\b|\b(?:watched|monitored|spied on)\s+by\b",), _cjk("감시"),
                     _cjk("监视|监控")],
}
assert set(RULES) == set(EVENT_TYPES) - {UNCLASSIFIED}, "every event type but imports' unclassified has a rule"


def _alternative_pattern(alt: Alternative) -> str:
    gap = _GAP if alt[0].startswith(r"\b") else _CJK_GAP
    return alt[0] if len(alt) == 1 else f"{alt[0]}{gap}{alt[1]}"


EVENT_RULES: dict[str, re.Pattern[str]] = {
    name: re.compile("|".join(f"(?:{_alternative_pattern(a)})" for a in alts), re.IGNORECASE)
    for name, alts in RULES.items()}
"""Each event type's whole rule as one pattern (what `_types_in` decides, found the slow way)."""
_KEYWORDS: dict[str, list[tuple[re.Pattern[str], ...]]] = {
    name: [tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in alt) for alt in alts]
    for name, alts in RULES.items()}
_PAIRS: dict[str, list[re.Pattern[str] | None]] = {
    name: [re.compile(_alternative_pattern(alt), re.IGNORECASE) if len(alt) == 2 else None for alt in alts]
    for name, alts in RULES.items()}
FREIGHT_WORD = re.compile(r"\b(?:freight|cargo|goods)\b|화물|货", re.IGNORECASE)


def _types_in(sentence: str) -> list[str]:
    """The event types whose rule matches `sentence`: an alternative of two keywords is tried (with its
    bounded gap) only when both keywords occur, so a sentence repeating one keyword costs a linear scan."""
    found = []
    for name, alternatives in _KEYWORDS.items():
        for keywords, pair in zip(alternatives, _PAIRS[name], strict=True):
            if all(k.search(sentence) for k in keywords) and (pair is None or pair.search(sentence)):
                found.append(name)
                break
    if {"passenger_rail_resumption", "rail_freight_resumption"} <= set(found) and not FREIGHT_WORD.search(sentence):
        found.remove("rail_freight_resumption")  # "resumed passenger train service" is not freight
    return found


CAPTION_RAIL = re.compile(r"\b(station|platform|train|railway)\b", re.IGNORECASE)
CAPTION_TAG_CHARS = 200  # "[Image source=Yonhap News]"; bounded so that "[Image" x 10,000 is not quadratic
CAPTION = re.compile(rf"\[(?:Image|Photo)[^\]]{{0,{CAPTION_TAG_CHARS}}}\]", re.IGNORECASE)
# Wikipedia's footnote marks ("[1]", "[citation needed]") and empty edit brackets: not text.
REFERENCE_MARK = re.compile(r"\[(?:\d{1,3}|[a-z]|citation needed|clarification needed|note \d{1,3}|when\?|who\?"
                            r"|by whom\?|dubious[^\]]{0,40}|failed verification|)\]")
WINDOW_BREAKS = (" ", "\t", "。", "！", "？", "；", "，", "、")  # where a long sentence is best broken
SENTENCE_BREAK = re.compile(r'(?<=[.!?])["”’]?\s+(?=["“‘\[]?[A-Z\uac00-\ud7af\u3400-\u9fff])|(?<=[。！？])\s*')
LINE_END = re.compile(r'[.!?。！？:;…"”’)\]]$')
LOCATIVE = re.compile(r"\b(in|at|to|into|from|near|outside|inside|around)\s+$", re.IGNORECASE)
CJK_LOCATIVE_AFTER = re.compile(r"(?:에서|에는|에|으로|로|까지)")  # Korean marks place after the name
CJK_LOCATIVE_BEFORE = re.compile(r"(?:在|到|从|于|赴)$")
# A place named only to describe another thing: the venue of an event of another kind, what something
# replaces or resembles, what a town faces. Checked in the 40 characters before (and, in Korean, after) it.
NOT_SCENE_BEFORE = re.compile(r"(?:\b(?:held|hosted|took place|staged)\s+(?:in|at)|\bacross\s+(?:the\s+\w+\s+)?from"
                              r"|\bopposite|\bfacing|\bfaces|\breplacement\s+for(?:\s+the)?|\binstead\s+of(?:\s+the)?"
                              r"|\brather\s+than(?:\s+the)?|\bsimilar\s+to(?:\s+the)?|\bcompared\s+(?:with|to)(?:\s+the)?)"
                              r",?\s+$", re.IGNORECASE)
NOT_SCENE_AFTER = re.compile(r"(?:와|과|을|를)\s*마주")
PAIR_JOINER = re.compile(r"\s*(?:-|–|—|/|and|&|to)\s*", re.IGNORECASE)
CROSSING_AFTER = re.compile(r"\s+(?:(?:border|road|rail(?:way)?|river)\s+)?(?:crossings?|bridges?|checkpoints?|ports?"
                            r"|customs|border posts?)\b", re.IGNORECASE)
CROSSING_BEFORE = re.compile(r"\b(?:crossings?|bridges?|checkpoints?|ports?|customs)\s+(?:at|between|linking|connecting"
                             r"|of|joining)\s+$", re.IGNORECASE)
THE_BRIDGE = re.compile(r"\b(?:the|this|that)\s+(?:bridge|crossing)\b(?!s)", re.IGNORECASE)
CONSTRUCTION_FIRST = re.compile(r"\W*(?:the\s+)?construction\b(?! workers?)", re.IGNORECASE)
ANAPHORA_SENTENCES = 8  # how far back "the bridge" may look for the crossing it means
IN_COUNTRY = re.compile(r"\b(?:in|to|into|across|throughout)\s+(China|North Korea|Russia)\b")
COUNTRY_CODES = {"China": "CN", "North Korea": "KP", "Russia": "RU"}


# --- Dates ------------------------------------------------------------------------------------------------

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
    start: dt.date | None
    end: dt.date | None
    precision: str
    inferred: bool
    note: str


@dataclass
class DateContext:
    """What earlier sentences said about time: the last year named at all ("the same year"), and the last
    year of a date given with its month ("11 January" after "14 January 2024" is of 2024)."""

    year: int | None = None
    dated_year: int | None = None


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
class _Found:
    """A date expression in a sentence: where, and what it means (a guess), or None for a plan."""

    start: int
    end: int
    guess: DateGuess
    year: int | None = None  # the year it names, for DateContext
    dated: bool = False  # named with its month (or finer)


def _plan(said: str, when: str, published: dt.date) -> DateGuess:
    return DateGuess(None, published, "unknown", True,
                     f"'{said}' points to {when}, after publication ({published}): a plan or an expectation, so the "
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


def _english_dates(sentence: str, published: dt.date, ctx: DateContext) -> list[_Found]:
    out: list[_Found] = []
    planned = bool(FUTURE.search(sentence))  # once per sentence: a date without a year after publication is a plan

    def add(m: re.Match[str], guess: DateGuess, year: int | None = None, dated: bool = False) -> None:
        out.append(_Found(m.start(), m.end(), guess, year, dated))

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


def _cjk_dates(sentence: str, published: dt.date, ctx: DateContext) -> list[_Found]:
    out: list[_Found] = []
    planned = bool(FUTURE.search(sentence))

    def add(m: re.Match[str], guess: DateGuess, year: int | None = None, dated: bool = False) -> None:
        out.append(_Found(m.start(), m.end(), guess, year, dated))

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


CJK_CHAR = re.compile(r"[\u3400-\u9fff\uac00-\ud7af]")


def find_dates(sentence: str, published: dt.date, ctx: DateContext | None = None) -> list[_Found]:
    """The date expressions of `sentence` in reading order, each resolved against `published` (and what
    earlier sentences said, `ctx`); where two overlap, the longer wins ("February last year"). No
    guess runs past publication: an end after it is cut to it, a start after it makes the guess a plan."""
    ctx = ctx or DateContext()
    found = _english_dates(sentence, published, ctx)
    if CJK_CHAR.search(sentence):
        found += _cjk_dates(sentence, published, ctx)
    found.sort(key=lambda f: (-(f.end - f.start), f.start))  # "February last year" over "in February"
    covered = bytearray(len(sentence) + 1)  # linear: each expression is short, and marks only its own span
    chosen: list[_Found] = []
    for f in found:
        if not any(covered[f.start:f.end]):
            covered[f.start:f.end] = b"\x01" * (f.end - f.start)
            chosen.append(f)
    kept: list[_Found] = []
    for f in sorted(chosen, key=lambda f: f.start):
        guess = f.guess
        if guess.start and guess.start > published:
            guess = _plan(sentence[f.start:f.end], str(guess.start), published)
        elif guess.end and guess.end > published:
            guess = DateGuess(guess.start, published, guess.precision, True,
                              guess.note + f" Cut at publication ({published}).")
        kept.append(_Found(f.start, f.end, guess, f.year, f.dated))
    return kept


def _undated(sentence: str, published: dt.date) -> DateGuess:
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
        return _undated(sentence, published), context_year
    first = found[0]
    return first.guess, first.year if first.year is not None else context_year


def _update_context(ctx: DateContext, found: list[_Found]) -> None:
    for f in found:
        if f.year is not None:
            ctx.year = f.year
            if f.dated:
                ctx.dated_year = f.year


# --- Numbers of people --------------------------------------------------------------------------------------

PERSON_NOUN = (r"people|persons|individuals|North Koreans?|Koreans|defectors?|refugees?|escapees?|workers?|labou?rers?"
               r"|women|men|children|migrants?|asylum seekers?|tourists?|passengers?|prisoners?|detainees?|residents?"
               r"|citizens|nationals|soldiers|students|waitress(?:es)?|employees|deportees|returnees")
WORD_NUMBERS = {w: i for i, w in enumerate(("zero one two three four five six seven eight nine ten eleven twelve "
                                            "thirteen fourteen fifteen sixteen seventeen eighteen nineteen "
                                            "twenty").split())}
WORD_NUMBERS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
QUALIFIERS = {"more than": "more than", "over": "more than", "upwards of": "more than", "at least": "at least",
              "up to": "up to", "as many as": "up to", "fewer than": "fewer than", "less than": "fewer than",
              "under": "fewer than", "about": "about", "around": "about", "approximately": "about", "roughly": "about",
              "some": "about", "nearly": "about", "almost": "about", "close to": "about", "an estimated": "about",
              "estimated": "about", "exactly": "exactly"}
_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+|" + "|".join(WORD_NUMBERS)
FIGURE = re.compile(
    rf"\b(?:(?P<q>{'|'.join(sorted(QUALIFIERS, key=len, reverse=True))})\s+)?(?:between\s+)?(?P<n>{_NUMBER})"
    rf"(?:\s*(?:-|–|to|and)\s*(?P<m>\d{{1,3}}(?:,\d{{3}})+|\d+))?(?:\s+(?P<mult>thousand|million))?\s+"
    rf"(?:(?:[A-Z][\w-]*|[a-z]+)\s+){{0,3}}?(?:{PERSON_NOUN})\b", re.IGNORECASE)
KO_FIGURE = re.compile(r"(?P<q>약|최소|최대)?\s*(?P<n>\d{1,3}(?:,\d{3})+|\d+)\s*(?:~\s*(?P<m>\d+))?\s*(?P<yeo>여)?\s*"
                       r"(?:명|名)(?P<after>\s*(?:이상|이하|미만|넘|余|多))?")


def _number(text: str) -> int | None:
    text = text.lower()
    if text in WORD_NUMBERS:
        return WORD_NUMBERS[text]
    value = int(text.replace(",", ""))
    return value if value <= 10**9 else None


def figures_in(sentence: str) -> list[dict[str, Any]]:
    """Numbers of people the sentence gives, as schema Figures (quantity 'people', source 0) with the source's
    qualifier: 'more than 500 North Koreans', 'between 2,000 and 3,000 workers', '600여 명'. A bare number
    that could be a year (1900-2100, no comma) is not read as people."""
    out: list[dict[str, Any]] = []
    for m in FIGURE.finditer(sentence):
        value, high = _number(m.group("n")), _number(m.group("m")) if m.group("m") else None
        if value is None or (m.group("n").isdigit() and 1900 <= value <= 2100 and not m.group("m")):
            continue
        factor = {"thousand": 1_000, "million": 1_000_000}.get((m.group("mult") or "").lower(), 1)
        figure = {"quantity": "people", "value": value * factor,
                  "qualifier": QUALIFIERS[m.group("q").lower()] if m.group("q") else "exactly", "source": 0}
        if high is not None and high * factor >= value * factor:
            figure["value_max"] = high * factor
        if figure["value"] <= 10**9 and figure.get("value_max", 0) <= 10**9:
            out.append(figure)
    for m in KO_FIGURE.finditer(sentence):
        value, high = _number(m.group("n")), _number(m.group("m")) if m.group("m") else None
        after = (m.group("after") or "").strip()
        qualifier = ("about" if m.group("q") == "약" else "at least" if m.group("q") == "최소" or after == "이상"
                     else "up to" if m.group("q") == "최대" or after == "이하" else "fewer than" if after == "미만"
                     else "more than" if m.group("yeo") or after in ("넘", "余", "多") else "exactly")
        if value is None:
            continue
        figure = {"quantity": "people", "value": value, "qualifier": qualifier, "source": 0}
        if high is not None and high >= value:
            figure["value_max"] = high
        out.append(figure)
    unique: list[dict[str, Any]] = []
    for figure in out:
        if figure not in unique:
            unique.append(figure)
    return unique


# --- Sentences ----------------------------------------------------------------------------------------------

WRAP_WIDTH = (55, 80)  # the line lengths of a text hard-wrapped for a terminal (Congress's bill texts: 70-72)


def _lines(text: str) -> list[str]:
    """The text's lines, with lines hard-wrapped inside a sentence joined again: a line that does not end a
    sentence is joined to the next when that starts with a small letter or, in a hard-wrapped text (at
    least half of its lines 55-80 characters long without a sentence mark at the end), always."""
    lines = [raw.strip() for raw in text.splitlines()]
    filled = [line for line in lines if line]
    wrapped = sum(WRAP_WIDTH[0] <= len(line) <= WRAP_WIDTH[1] and not LINE_END.search(line) for line in filled)
    hard_wrapped = wrapped >= max(3, len(filled) / 2)
    out: list[list[str]] = []  # each output line as its pieces, joined once at the end (linear, not quadratic)
    for line in lines:
        last = out[-1][-1] if out else ""
        if last and line and not LINE_END.search(last) and not CAPTION.search(last) \
                and (hard_wrapped or (line[0].islower() and line[0].isascii())):
            out[-1].append(line)
        else:
            out.append([line])
    return [" ".join(pieces) for pieces in out]


def split_sentences(text: str) -> list[tuple[str, bool]]:
    """Sentences and photo captions, in order; True marks a caption. None is longer than
    MAX_SENTENCE_CHARS: a longer one comes as consecutive windows (see `_windows`). Wikipedia's footnote
    marks are dropped and hard-wrapped lines joined first."""
    out: list[tuple[str, bool]] = []
    for line in _lines(text):
        line = REFERENCE_MARK.sub("", line).strip()
        if not line or line.startswith("©"):
            continue
        if CAPTION.search(line):
            out.extend((window, True) for window in _windows(CAPTION.sub("", line).strip()))
            continue
        for sentence in SENTENCE_BREAK.split(line):
            out.extend((window, False) for window in _windows(sentence.strip()))
    return out


def _windows(sentence: str) -> list[str]:
    """`sentence` (if not empty) in consecutive pieces of at most MAX_SENTENCE_CHARS characters, each
    broken after the last space or sentence mark in its second half, or else cut at the limit."""
    pieces: list[str] = []
    start = 0
    while len(sentence) - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        mark = max(sentence.rfind(ch, start + MAX_SENTENCE_CHARS // 2, limit) for ch in WINDOW_BREAKS)
        end = mark + 1 if mark >= 0 else limit
        pieces.append(sentence[start:end].strip())
        start = end
    pieces.append(sentence[start:].strip())
    return [piece for piece in pieces if piece]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "x"


# --- Places -------------------------------------------------------------------------------------------------

def _is_cjk(mention: Mention) -> bool:
    return bool(CJK_CHAR.match(mention.text))


def _is_actor(sentence: str, mention: Mention) -> bool:
    """A capital named without a locative word with it ('Pyongyang said', 'entering Pyongyang', 'Beijing's
    approach', '평양 역') stands for a government or a destination, not the scene of the event. In English the
    locative is a preposition before the name; in Korean a particle after it (평양에서), in Chinese a word
    before it (在北京)."""
    if mention.place.kind != "capital":
        return False
    if _is_cjk(mention):
        return not (CJK_LOCATIVE_AFTER.match(sentence, mention.end)
                    or CJK_LOCATIVE_BEFORE.search(sentence, max(0, mention.start - 1), mention.start))
    if sentence.startswith(("'s", "’s"), mention.end):
        return True
    # LOCATIVE ends with the spaces before the name and a preposition (of 7 letters at most) before
    # those: search only there, not the whole sentence before every capital it names.
    word_end = mention.start
    while word_end > 0 and sentence[word_end - 1].isspace():
        word_end -= 1
    return not LOCATIVE.search(sentence, max(0, word_end - 8), mention.start)


def _describes_another(sentence: str, mention: Mention) -> bool:
    """The place is named only to describe something else: a venue ('the Games held in Hangzhou'), what is
    replaced or compared ('a replacement for the Friendship Bridge'), what a town faces ('across the river
    from Sinuiju', '신의주와 마주보고 있는')."""
    return bool(NOT_SCENE_BEFORE.search(sentence, max(0, mention.start - 40), mention.start)
                or NOT_SCENE_AFTER.match(sentence, mention.end))


@dataclass
class _Reading:
    """What the reading of one article remembers from sentence to sentence."""

    gazetteer: Gazetteer
    last_crossing: Mention | None = None
    last_crossing_sentence: int = -1
    dates: DateContext = field(default_factory=DateContext)


def _pair_crossings(sentence: str, mentions: list[Mention], gazetteer: Gazetteer) -> list[Mention]:
    """`mentions` with two towns of one crossing named as the crossing ('the Dandong–Sinuiju crossing', 'the
    Hunchun-Rason road', 'the bridge between Tumen and Namyang', 'Tumen and Namyang border crossing') read as
    that crossing instead; a town of the pair stays where the sentence names it again on its own. Two towns
    merely joined by 'and' ('truck traffic between Rason and Hunchun') stay the two towns: a route between
    them, which the sentence does not say crosses where."""
    out: list[Mention] = []
    paired: list[Mention] = []
    i = 0
    while i < len(mentions):
        m1 = mentions[i]
        m2 = mentions[i + 1] if i + 1 < len(mentions) else None
        crossing = None
        if m2 is not None and m1.place.kind == m2.place.kind == "town" \
                and (joiner := PAIR_JOINER.fullmatch(sentence, m1.end, m2.start)) \
                and (joiner.group(0).strip() in ("-", "–", "—", "/")
                     or CROSSING_AFTER.match(sentence, m2.end)
                     or CROSSING_BEFORE.search(sentence, max(0, m1.start - 40), m1.start)):
            crossing = gazetteer.crossing_of_towns.get(frozenset((m1.place.name, m2.place.name)))
        if crossing is None:
            out.append(m1)
            i += 1
            continue
        written = sentence[m1.start:m2.end]
        out.append(Mention(written, m1.start, m2.end, crossing,
                           f"'{written}' names the two towns of {crossing.name} (crossing, CN/KP)"))
        paired += [m1, m2]
        i += 2
    alone = {m.place.name for m in out}
    return out + [m for m in paired if m.place.name in alone and m not in out]


def _places_for(sentence: str, mentions: list[Mention], reading: _Reading | None = None,
                index: int = 0) -> list[Mention]:
    """The mentions an event can be placed at: towns, crossings, regions; provinces only when no town
    of the same country is named; never countries, rivers, actor capitals or places named only to describe
    another. Two towns of a crossing named together also give the crossing; 'the bridge' with no crossing
    named is the crossing last named in the article."""
    gazetteer = reading.gazetteer if reading else load_gazetteer()
    usable = [m for m in mentions if m.place.kind not in ("country", "river") and not _is_actor(sentence, m)
              and not _describes_another(sentence, m)]
    usable = _pair_crossings(sentence, usable, gazetteer)
    if reading is not None and not any(m.place.kind == "crossing" for m in usable) and reading.last_crossing:
        # "The bridge was built ...", or "Construction began in 2011" with no place at all: the crossing the
        # article last named (within ANAPHORA_SENTENCES), as a reader would take it.
        the = THE_BRIDGE.search(sentence) or (None if usable else CONSTRUCTION_FIRST.match(sentence))
        named = reading.last_crossing
        if the and index - reading.last_crossing_sentence <= ANAPHORA_SENTENCES:
            written = the.group(0).strip(" \t,.")
            usable.append(Mention(written, the.start(), the.end(), named.place,
                                  f"'{written}' read as {named.place.name}, the crossing last named "
                                  f"('{named.text}', {index - reading.last_crossing_sentence} sentence(s) before)"))
    towns = {m.place.country for m in usable if m.place.kind in PIN_KINDS}
    usable = [m for m in usable if not (m.place.kind == "province" and m.place.country in towns)]
    unique: dict[str, Mention] = {}
    for m in usable:
        unique.setdefault(m.place.name, m)
    return list(unique.values())


def _nearest(found: list[_Found], position: int) -> _Found | None:
    return min(found, key=lambda f: (abs(f.start - position), f.start)) if found else None


def candidates_from_text(text: str, published: dt.date, publisher: str, title: str, ref: str,
                         gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """A FeatureCollection of candidate events in the dataset schema (validated). Raises ArticleTooLong
    for a text longer than MAX_ARTICLE_CHARS. Runs in this process, unbounded in time: a server should
    call candidates_within. No candidate is dated after `published`."""
    if len(text) > MAX_ARTICLE_CHARS:
        raise ArticleTooLong(len(text))
    gazetteer = gazetteer or load_gazetteer()
    source = {"publisher": publisher, "title": title, "published": published.isoformat(), "ref": ref}
    reading = _Reading(gazetteer)
    features: list[dict[str, Any]] = []
    for index, (sentence, caption) in enumerate(split_sentences(text)):
        found = find_dates(sentence, published, reading.dates)
        _update_context(reading.dates, found)
        types = _types_in(sentence)
        caption_note = ""
        if caption and not types and CAPTION_RAIL.search(sentence):
            types, caption_note = ["rail_freight_resumption"], (
                " From a photo caption about a station or train; the event type is a guess to check.")
        mentions = gazetteer.find(sentence) if types or "bridge" in sentence.lower() or "crossing" in sentence.lower() \
            else []
        named_crossings = [m for m in mentions if m.place.kind == "crossing" and not _describes_another(sentence, m)]
        if not types:
            if named_crossings:
                reading.last_crossing, reading.last_crossing_sentence = named_crossings[-1], index
            continue
        places = _places_for(sentence, mentions, reading, index)
        if named_crossings:
            reading.last_crossing, reading.last_crossing_sentence = named_crossings[-1], index
        country_match = IN_COUNTRY.search(sentence)
        country = COUNTRY_CODES[country_match.group(1)] if country_match else None
        figures = figures_in(sentence)
        first = found[0] if found else None
        for event_type in types:
            for mention in places or [None]:
                date = _nearest(found, mention.start) if mention is not None else first
                guess = date.guess if date else _undated(sentence, published)
                features.append(_candidate(event_type, mention, sentence, guess, country, source, caption_note,
                                           figures))
    collection = {"type": "FeatureCollection", "features": _unique_ids(features)}
    problems = validate_collection(collection, "<ingest>")
    if problems:  # a bug here, not bad input: never hand out candidates that would break the dataset
        raise ValueError("ingest produced invalid candidates: " + "; ".join(str(p) for p in problems[:5]))
    return collection


def candidates_within(text: str, published: dt.date, publisher: str, title: str, ref: str,
                      seconds: float = INGEST_SECONDS,
                      still_wanted: Callable[[], bool] | None = None) -> dict[str, Any]:
    """candidates_from_text run in a separate process that is killed after `seconds` of wall-clock time
    (its start-up, about 0.2 s, included), or as soon as `still_wanted()` says False (the reader left), so that a
    slow article cannot stall the caller's process. Raises IngestTimeout when the budget runs out,
    geo.budget.Abandoned when nobody wants the answer, ArticleTooLong at once for an over-long text, and any
    other exception of the reading as itself. Safe to call from any thread (see geo.budget)."""
    if len(text) > MAX_ARTICLE_CHARS:  # refused here: no process is started for it
        raise ArticleTooLong(len(text))
    try:
        return run_bounded(Limits(seconds, still_wanted=still_wanted), candidates_from_text, text, published,
                           publisher, title, ref)
    except DeadlineExceeded:
        raise IngestTimeout(f"Reading the article took longer than {seconds:g} s and was stopped; no "
                            f"candidates were produced. The text may be unusually long or oddly formed.") from None


def _candidate(event_type: str, mention: Mention | None, sentence: str, guess: DateGuess, country: str | None,
               source: dict[str, str], caption_note: str,
               figures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    place = mention.place if mention else None
    point = place is not None and place.lon is not None and place.kind in PIN_KINDS
    precision = ("exact" if place.kind == "crossing" else "city") if point else (
        "region" if place else ("country" if country else "unknown"))
    label = EVENT_TYPES[event_type]
    where = place.name if place else "no place given"
    when = date_label(guess.start and guess.start.isoformat(), guess.end and guess.end.isoformat(),
                      guess.precision, guess.inferred)
    props: dict[str, Any] = {
        "id": "",
        "layer": EVENT_LAYER[event_type],
        "event_type": event_type,
        "title": f"{label}: {where}",
        "summary": (f"{source['publisher']} reports {label.lower()} ({where}; {when}). Automatic candidate: "
                    f"check it against the evidence sentence before accepting."),
        "place": place.name if place else "",
        "place_text": mention.text if mention else None,
        "country": (place.country if place and len(place.country) == 2 else country),
        "location_precision": precision,
        "location_note": ((mention.why + "." if mention else "No place in the sentence.") + caption_note).strip(),
        "date_start": guess.start.isoformat() if guess.start else None,
        "date_end": guess.end.isoformat() if guess.end else None,
        "date_precision": guess.precision,
        "date_inferred": guess.inferred,
        "date_note": guess.note,
        "evidence": sentence[:MAX_SENTENCE_CHARS],
        "sources": [source],
        "figures": list(figures or []),
    }
    props = {k: v for k, v in props.items() if v is not None}
    geometry = {"type": "Point", "coordinates": [place.lon, place.lat]} if point else None
    digest = hashlib.sha1(f"{event_type}|{where}|{sentence}".encode()).hexdigest()[:8]
    props["id"] = f"{_slug(event_type)}-{_slug(where)}-{digest}"[:120]
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _unique_ids(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One candidate per event type, place and dates: a headline that repeats the body (or two sentences
    saying the same) gives one candidate, whose evidence is the first sentence that said it."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for feature in features:
        p = feature["properties"]
        key = (p["event_type"], p["place"], p.get("country"), p.get("date_start"), p.get("date_end"))
        if key not in seen:  # the id hashes type, place and sentence, so equal ids have equal keys
            seen.add(key)
            out.append(feature)
    return out


REVIEW_COLUMNS = ("accept", "place", "event_type", "title", "date_start", "date_end", "date_precision",
                  "location_precision", "evidence", "summary", "id")


def review_rows(collection: dict[str, Any]) -> list[dict[str, Any]]:
    """One editable row per candidate, located ones first and ticked, the rest unticked."""
    rows = []
    for feature in sorted(collection["features"], key=lambda f: f["geometry"] is None):
        p = feature["properties"]
        rows.append({"accept": feature["geometry"] is not None,
                     **{k: p.get(k) for k in REVIEW_COLUMNS if k != "accept"}})
    return rows


def apply_review(collection: dict[str, Any], rows: list[dict[str, Any]],
                 gazetteer: Gazetteer | None = None) -> list[dict[str, Any]]:
    """The accepted candidates with the reviewer's edits applied; a changed place moves the point to
    that gazetteer place (or removes it for a region or an unknown place). Not yet validated."""
    gazetteer = gazetteer or load_gazetteer()
    by_id = {f["properties"]["id"]: f for f in collection["features"]}
    accepted = []
    for row in rows:
        if not row.get("accept") or row.get("id") not in by_id:
            continue
        feature = {"type": "Feature", "geometry": by_id[row["id"]]["geometry"],
                   "properties": dict(by_id[row["id"]]["properties"])}
        props = feature["properties"]
        for key in ("event_type", "title", "summary", "date_start", "date_end", "date_precision",
                    "location_precision"):
            value = row.get(key)
            if isinstance(value, float) and value != value:  # an empty cell of a data editor
                value = None
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
