"""Event rules: which event types a sentence reports, by keywords in English, Korean and Chinese.

A rule is a list of alternatives; an alternative is one keyword pattern, or two that must both occur, the
second after the first within KEYWORD_GAP characters (CJK_KEYWORD_GAP in Korean and Chinese) in one
sentence. `types_in` tries an alternative of two keywords only when each keyword occurs, each found by one
linear search, so a sentence repeating one keyword costs a linear scan. Every event type of the vocabulary
(geo.events.vocabulary) but imports' `unclassified` has a rule, named through `EventType`.
"""

from __future__ import annotations

import re

from geo.events.vocabulary import EVENT_TYPES, UNCLASSIFIED, EventType

# The widest gap between the two keywords of a rule in the founding article is 96 characters
# ("truck traffic between Rason and Hunchun, ... has resumed"); twice that keeps every real sentence.
KEYWORD_GAP = 200
CJK_KEYWORD_GAP = 80  # Korean and Chinese say in 80 characters what English says in 200
_GAP = rf"[^.]{{0,{KEYWORD_GAP}}}"  # what may stand between two keywords: no full stop, and not much
_CJK_GAP = rf"[^.。!?！？]{{0,{CJK_KEYWORD_GAP}}}"

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


E = EventType  # short, so that the table below reads as a table
RULES: dict[str, list[Alternative]] = {
    E.BORDER_CLOSURE: [_en(r"lock(?:ed|s)?\s+down|lockdown|seal(?:ed|s|ing)?|clos(?:ed|ing|ure|ures)|shut(?:ting)?",
                           BORDER),
                       _en(BORDER, r"closed|closure|closures|sealed|shut|lockdown"),
                       _cjk("국경", "봉쇄|폐쇄"), _cjk("国境|边境|口岸", "关闭|封锁|封闭")],
    E.BORDER_REOPENING: [_en(r"reopen\w*|re-open\w*|open(?:ed|ing)?\s+up|lift(?:ed|ing|s)?|eas(?:ed|ing|es)"
                             r"|loosen\w*|relax\w*", BORDER),
                         _en(BORDER, r"reopen\w*|re-open\w*"),
                         _cjk("국경", "재개방|다시\\s*열|개방|완화|재개"), _cjk("边境|口岸", "重新开放|开放|恢复")],
    E.RAIL_FREIGHT_RESUMPTION: [_en(RESUME, TRAIN), _en(TRAIN, r"resum\w*|restart\w*|again"),
                                _en(r"(?:freight|cargo)\s+trains?", r"arriv\w*|cross\w*|enter\w*|roll\w*|ran|running"),
                                _cjk("열차", "재개|만에|다시|운행|도착|건너|출발|들어|오가"),
                                _cjk("재개|운행|운송", "열차"),
                                _cjk("列车|铁路|货运", "恢复|重启|开通")],
    E.RAIL_FREIGHT_SUSPENSION: [_en(SUSPEND, TRAIN), _en(TRAIN, r"suspend\w*|halt\w*|stopped|cancel\w*"),
                                _cjk("열차", "중단|중지|멈"), _cjk("列车|铁路", "暂停|中断|停运")],
    E.ROAD_FREIGHT_RESUMPTION: [_en(r"truck\w*", r"resum\w*|begun|began|restart\w*|reopen\w*"),
                                _en(r"resum\w*", r"truck\w*"),
                                _en(r"trucks?",
                                    r"cross(?:ed|es|ing)|roll(?:ed|ing)|drove|arriv\w*|pass(?:ed|ing) over"),
                                _en(r"road (?:traffic|trade|freight|route)|trucking", RESUME),
                                _cjk("트럭|화물차|육로", "재개"), _cjk("公路|卡车|货车", "恢复")],
    E.SEA_FREIGHT_RESUMPTION: [_en(r"(?:trade|freight|cargo|shipping)\s+by\s+(?:ship|sea)|sea\s+(?:trade|freight|route)"
                                   r"|(?:cargo\s+)?ships?|vessels?|shipping", RESUME + r"|again"),
                               _cjk("선박|해상\\s*무역|해운", "재개|다시"), _cjk("海运|船舶|货船", "恢复|重启")],
    E.CUSTOMS_REOPENING: [_en(r"customs", r"reactivat\w*|reopen\w*|resum\w*|normali[sz]\w*"),
                          _cjk("세관", "재개|정상화|다시"), _cjk("海关", "恢复|重新开放")],
    E.PASSENGER_RAIL_RESUMPTION: [_en(PASSENGER, RESUME + r"|again"), _en(RESUME, PASSENGER), _en("first", PASSENGER),
                                  _en(r"(?:international|through|sleeper|cross-border)\s+trains?",
                                      r"resum\w*|restart\w*|restor\w*|again"),
                                  _cjk("여객\\s*열차|여객열차", "재개|다시|만에"),
                                  _cjk("旅客列车|客运|客车", "恢复|重启|开通")],
    E.FLIGHT_RESUMPTION: [_en(FLIGHT, RESUME + r"|again"), _en(RESUME, FLIGHT),
                          _en(r"first", r"(?:flights?|plane|aircraft)"),
                          _cjk("항공편|항공|운항|고려항공", "재개|다시|만에"),
                          _cjk("航班|航线", "恢复|复航")],
    E.TOURISM_RESUMPTION: [_en(TOUR, RESUME + r"|allowed|welcom\w*|again"),
                           _en(RESUME + r"|allow\w*|welcom\w*", TOUR + r"|visitors"),
                           (r"\bfirst\s+(?:[\w-]+\s+){0,2}?(?:tourists?|tour\s+groups?|tours?)\b",),
                           _cjk("관광", "재개|다시|허용"), _cjk("旅游", "恢复|重启")],
    E.TOURISM_SUSPENSION: [_en(TOUR + r"|visitors", SUSPEND + r"|ban\w*|clos(?:ed|es|ing)|shut(?:s|ting)?|barred"),
                           _en(SUSPEND + r"|ban\w*|clos(?:ed|es|ing)|shut(?:s|ting)?|barred", TOUR),
                           _cjk("관광", "중단|금지|폐쇄|중지"), _cjk("旅游", "暂停|叫停|关闭")],
    E.CROSSING_CONSTRUCTION: [_en(BUILD, CROSSING_WORD), _en(CROSSING_WORD, BUILD),
                              (r"^\W*(?:the\s+)?construction\b(?! workers?)",),
                              _cjk("다리|대교|교량|세관", "건설|공사|착공|준공|완공"),
                              _cjk("건설|공사|착공", "다리|대교|교량"),
                              _cjk("大桥|桥梁|口岸", "建设|施工|开工|竣工"), _cjk("建设|修建|施工", "大桥|桥")],
    E.WORKER_DEPLOYMENT: [_en(WORKER, r"dispatch\w*|commut\w*|stationed|sent to|sent by|deploy\w*|employed|hired"
                                      r"|working in|working at|arriv\w*"),
                          _en(r"dispatched to"),
                          _en(r"accept\w*|hir(?:e|ed|es|ing)|employ\w*|recruit\w*|dispatch\w*|deploy\w*", WORKER),
                          _cjk("노동자|근로자", "파견|일하|근무|취업|투입|들어오|이동|오가|도착"),
                          _cjk("파견|투입", "노동자|근로자"), _cjk("劳工|工人|劳务人员", "派遣|派驻|入境|务工"),
                          _cjk("派遣", "劳工|工人")],
    E.WORKER_RETURN: [_en(WORKER, r"home|back to North Korea|return(?:ed|ing)|went back|headed back"),
                      _en(r"return(?:ed|ing|s)?", WORKER),
                      _cjk("노동자|근로자", "귀국|돌아가|돌아갔|복귀|철수"), _cjk("劳工|工人", "回国|返回朝鲜")],
    E.WORKER_STRIKE: [_en(WORKER, r"strikes?|striking|riot\w*|protest\w*|unrest|walk(?:ed)?\s*out|walkouts?"
                                  r"|stoppages?|occup(?:ied|ation|y)|hostages?|demonstrat\w*|revolt\w*|uprising"),
                      _en(r"strikes?|riots?|protests?|unrest|walkouts?|demonstrations?|uprisings?", WORKER),
                      _en(r"(?:staged|held|went on|launched)\s+(?:a\s+)?(?:strike|riot|protest|walkout)"),
                      _cjk("노동자|근로자", "파업|폭동|시위|소요|농성|봉기"), _cjk("파업|폭동", "노동자|근로자"),
                      _cjk("罢工|骚乱|暴动")],
    E.REPATRIATION: [(r"\brepatriat\w*|\bcall(?:ed|ing)? back\b|\bdeport\w*|\brefoul\w*|\bsent back\b"
                      r"|\bsen(?:d|ds|ding|t)\s+(?:[\w,-]+\s+){0,5}back\b|\breturned\s+(?:\w+\s+){0,4}to\s+North\s+Korea\b|\bforcibl[ye]\s+(?:return\w*|sen[dt]\w*)"
                      r"|\bhanded\s+(?:them\s+)?over\s+to\s+North\s+Korea\w*|\bhand(?:ed|s|ing)?\s+(?:[\w-]+\s+){0,8}(?:over\s+)?to\s+the\s+North\b|\bsent\s+across\s+the\s+(?:[\w–-]+\s+){0,3}border\b"
                      r"|\bhand(?:ed|s|ing)?\s+(?:[\w-]+\s+){0,12}?(?:over\s+)?to\s+(?:the\s+)?(?:Chinese|North\s+Korean)"
                      r"\s+(?:border\s+)?(?:guards|police|officers|officials|authorities|security)\b",),
                     _cjk("송환|북송|추방"), _cjk("遣返|遣送")],
    E.DEFECTION: [(r"\bdefect(?:ed|ion|ions|ing|s)?\b"
                   r"|\b(?:fled|flee\w*)\s+(?:from\s+)?(?:North Korea|the North|the country"
                   r"|their\s+(?:\w+\s+)?homeland)\b"
                   r"|\bcross(?:ed|es|ing)?\s+(?:the\s+(?:[\w–-]+\s+)?border\s+)?into\s+China\b",),
                  _cjk("탈북(?:했|한|하|을|해)"), _cjk("脱北|叛逃")],
    E.DISAPPEARANCE: [(r"\bdisappear\w*|\bwent missing\b|\bas .?missing|\bvanish\w*",), _cjk("실종|행방불명"),
                      _cjk("失踪")],
    E.ESCAPE: [(r"\bescap\w*",), _cjk("탈출|도주"), _cjk("逃跑|出逃")],
    E.DETENTION: [(r"\b(?:caught|arrest\w*|detain\w*|detention|imprison\w*|jail\w*|locked up|in custody|rounded up"
                   r"|captured)\b",), _cjk("체포|구금|수감|구류|붙잡"), _cjk("拘留|逮捕|关押|抓捕")],
    E.EXTORTION: [(r"\bextort\w*",), _en(r"wages?|salar\w*|earnings", r"confiscat\w*|seiz\w*|withh[eo]ld\w*|taken by"),
                  _cjk("갈취|착취|상납"), _cjk("勒索|克扣")],
    E.SURVEILLANCE: [(r"\bsurveillance\b|\bminders?\b|\b(?:watched|monitored|spied on)\s+by\b",), _cjk("감시"),
                     _cjk("监视|监控")],
}
assert set(RULES) == set(EVENT_TYPES) - {UNCLASSIFIED}, "every event type but imports' unclassified has a rule"
_BY_ID: dict[str, list[Alternative]] = {str(name): alts for name, alts in RULES.items()}  # keyed by the plain ids


def _alternative_pattern(alt: Alternative) -> str:
    gap = _GAP if alt[0].startswith(r"\b") else _CJK_GAP
    return alt[0] if len(alt) == 1 else f"{alt[0]}{gap}{alt[1]}"


EVENT_RULES: dict[str, re.Pattern[str]] = {
    name: re.compile("|".join(f"(?:{_alternative_pattern(a)})" for a in alts), re.IGNORECASE)
    for name, alts in _BY_ID.items()}
"""Each event type's whole rule as one pattern (what `types_in` decides, found the slow way)."""
_KEYWORDS: dict[str, list[tuple[re.Pattern[str], ...]]] = {
    name: [tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in alt) for alt in alts]
    for name, alts in _BY_ID.items()}
_PAIRS: dict[str, list[re.Pattern[str] | None]] = {
    name: [re.compile(_alternative_pattern(alt), re.IGNORECASE) if len(alt) == 2 else None for alt in alts]
    for name, alts in _BY_ID.items()}
FREIGHT_WORD = re.compile(r"\b(?:freight|cargo|goods)\b|화물|货", re.IGNORECASE)


def types_in(sentence: str) -> list[str]:
    """The event types whose rule matches `sentence`: an alternative of two keywords is tried (with its
    bounded gap) only when both keywords occur, so a sentence repeating one keyword costs a linear scan."""
    found = []
    for name, alternatives in _KEYWORDS.items():
        for keywords, pair in zip(alternatives, _PAIRS[name], strict=True):
            if all(k.search(sentence) for k in keywords) and (pair is None or pair.search(sentence)):
                found.append(name)
                break
    if {E.PASSENGER_RAIL_RESUMPTION, E.RAIL_FREIGHT_RESUMPTION} <= set(found) and not FREIGHT_WORD.search(sentence):
        found.remove(E.RAIL_FREIGHT_RESUMPTION)  # "resumed passenger train service" is not freight
    return found
