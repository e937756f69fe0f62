"""How well the rule-based ingest reads articles it was not tuned to: a labelled set and its scores.

A folder (default tests/ingest_eval) holds articles as NAME.txt (plain UTF-8, as retrieved) and, beside
each, its labels as NAME.json: publisher, title, published (YYYY-MM-DD), url, licence, partial, and
- places: canonical gazetteer names that should get a pin (the scenes of the article's events);
- metonyms: names that stand for a government or an actor ("Beijing said") and must get no pin;
- events: the article's events, each {event_type, place ("" when it has none or the gazetteer lacks
  it), date_start, date_end ("" when unknown or open)}, and optionally `core` (default true): false for an
  event the text mentions only as background (a detention before the repatriation it reports, a closure
  years before), which a suggested candidate should not offer. A text that reports no event (a place
  described) has `events: []`. Old labels, without `core`, keep working: all their events are core.

`evaluate(folder)` runs the real ingest (geo.ingest.candidates.candidates_from_text, with each label's publication
date, publisher, title and url) on every article and scores it:
- place precision and recall: the distinct places of the located candidates (those with a point) against
  `places`; a pin on a metonym is a false positive, and is also counted on its own; a labelled place the
  gazetteer does not (or no longer) hold cannot be pinned, so it is listed as such and not counted;
- event-type accuracy: the share of labelled events matched by a candidate of the same type at the same
  place (or, for a place "", at any place or none);
- date accuracy: among the matched labelled events that have a date, the share for which a matching
  candidate with a known date (date_precision not "unknown") has an interval overlapping the label's;
- candidates dated after publication, and pins on metonyms;
- candidate precision: the share of the suggested candidates (`suggested` true, those the review page ticks)
  that report a core event of the text: same type, the label's place (any when it is ""), and dates
  overlapping the label's when both have them;
- event recall: the share of the labelled core events found by at least one suggested candidate (same test).
The overall figures are micro-averaged: counts are summed over all articles before dividing. A ratio with
nothing to count (no pins at all, say) is 1.0. Labels marked `written_for_this_set` (short paragraphs written
for the suggestion's targets) and the others (retrieved articles) are also summed apart, as `sets`; when a
folder holds both, the candidate precision and event recall targets are the written set's, the place targets
the whole folder's.

`main(folder)` prints one line per article, a line per set, an overall line and, last, one JSON line of the overall
figures; it returns 0 when the targets (TARGETS) are met, 1 otherwise. No streamlit here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geo.ingest.candidates import candidates_from_text
from geo.paths import PROJECT_ROOT
from geo.reference.gazetteer import load_gazetteer

DEFAULT_FOLDER = PROJECT_ROOT / "tests" / "ingest_eval"
TARGETS = {"place_recall": 0.9, "place_precision": 0.85, "candidate_precision": 0.85, "event_recall": 0.8,
           "after_publication": 0, "metonym_pins": 0}
"""Minimum recall and precision, maximum counts: what `main` checks."""
RATIOS = ("place_recall", "place_precision", "candidate_precision", "event_recall")
"""The TARGETS that are minimum ratios; the others are maximum counts."""


@dataclass
class ArticleScore:
    """The counts for one article (see the module docstring for what each means)."""

    name: str
    written: bool = False
    candidates: int = 0
    located: int = 0
    true_pins: list[str] = field(default_factory=list)
    false_pins: list[str] = field(default_factory=list)
    missed_places: list[str] = field(default_factory=list)
    metonym_pins: int = 0
    not_in_gazetteer: list[str] = field(default_factory=list)
    events: int = 0
    events_matched: int = 0
    dated_events: int = 0
    dates_right: int = 0
    after_publication: int = 0
    unmatched_events: list[str] = field(default_factory=list)
    suggested: int = 0
    suggested_core: int = 0
    core_events: int = 0
    core_found: int = 0
    wrong_suggestions: list[str] = field(default_factory=list)
    missed_core: list[str] = field(default_factory=list)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _overlaps(start: dt.date | None, end: dt.date | None, other_start: dt.date | None,
              other_end: dt.date | None) -> bool:
    """Closed intervals, a missing bound being open."""
    return (other_end is None or start is None or start <= other_end) and (
        end is None or other_start is None or other_start <= end)


class LabelError(ValueError):
    """A labelled article cannot be read; the message names the file and what is wrong."""


def _read_labels(label_path: Path) -> dict[str, Any]:
    try:
        labels = json.loads(label_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LabelError(f"{label_path}: file: cannot read the labels as UTF-8 JSON ({error})") from None
    if not isinstance(labels, dict):
        raise LabelError(f"{label_path}: file: the labels must be a JSON object")
    for key in ("publisher", "title", "published"):
        if not isinstance(labels.get(key), str) or not labels[key]:
            raise LabelError(f"{label_path}: {key}: missing or not text")
    try:
        dt.date.fromisoformat(labels["published"])
    except ValueError:
        raise LabelError(f"{label_path}: published: not a YYYY-MM-DD date") from None
    for key in ("places", "metonyms", "events"):
        if not isinstance(labels.get(key, []), list):
            raise LabelError(f"{label_path}: {key}: must be a list")
    if not all(isinstance(e, dict) and isinstance(e.get("core", True), bool) for e in labels.get("events", [])):
        raise LabelError(f"{label_path}: events: `core` must be true or false")
    if not all(isinstance(e, dict) and isinstance(e.get("event_type"), str) for e in labels.get("events", [])):
        raise LabelError(f"{label_path}: events: each must be an object with an event_type")
    return labels


def load_labels(folder: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, text, labels) for every NAME.txt of `folder` that has a NAME.json, in name order; raises
    LabelError naming the file for an article or labels that cannot be read."""
    out = []
    for text_path in sorted(folder.glob("*.txt")):
        label_path = text_path.with_suffix(".json")
        if label_path.exists():
            try:
                text = text_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise LabelError(f"{text_path}: file: cannot read the article as UTF-8 text ({error})") from None
            out.append((text_path.stem, text, _read_labels(label_path)))
    return out


def score_article(name: str, text: str, labels: dict[str, Any]) -> ArticleScore:
    """Run the ingest on one article and count what it got right against its labels."""
    published = dt.date.fromisoformat(labels["published"])
    collection = candidates_from_text(text, published, labels["publisher"], labels["title"],
                                      labels.get("url") or name)
    props = [f["properties"] | {"_located": f["geometry"] is not None} for f in collection["features"]]
    score = ArticleScore(name, written=bool(labels.get("written_for_this_set")), candidates=len(props))
    known = load_gazetteer().places
    labelled = set(labels.get("places", []))
    score.not_in_gazetteer = sorted(p for p in labelled if p not in known)
    expected, metonyms = labelled - set(score.not_in_gazetteer), set(labels.get("metonyms", []))
    located = [p for p in props if p["_located"]]
    score.located = len(located)
    pinned = {p["place"] for p in located}
    score.true_pins = sorted(pinned & expected)
    score.false_pins = sorted(pinned - expected)
    score.missed_places = sorted(expected - pinned)
    score.metonym_pins = sum(p["place"] in metonyms for p in located)
    score.after_publication = sum(any(d and _day(d) > published for d in (p.get("date_start"), p.get("date_end")))
                                  for p in props)
    for event in labels.get("events", []):
        score.events += 1
        matches = [p for p in props if _reports(p, event, dated=False)]
        if not matches:
            score.unmatched_events.append(f"{event['event_type']}@{event['place'] or '*'}")
            continue
        score.events_matched += 1
        start, end = _day(event.get("date_start")), _day(event.get("date_end"))
        if start or end:
            score.dated_events += 1
            score.dates_right += any(p["date_precision"] != "unknown"
                                     and _overlaps(_day(p.get("date_start")), _day(p.get("date_end")), start, end)
                                     for p in matches)
    core = [e for e in labels.get("events", []) if e.get("core", True)]
    suggested = [p for p in props if p.get("suggested")]
    score.suggested, score.core_events = len(suggested), len(core)
    for p in suggested:
        if any(_reports(p, event) for event in core):
            score.suggested_core += 1
        else:
            score.wrong_suggestions.append(f"{p['event_type']}@{p['place'] or '*'}")
    for event in core:
        if any(_reports(p, event) for p in suggested):
            score.core_found += 1
        else:
            score.missed_core.append(f"{event['event_type']}@{event['place'] or '*'}")
    return score


def _reports(candidate: dict[str, Any], event: dict[str, Any], dated: bool = True) -> bool:
    """Whether a candidate reports a labelled event: the same type, the label's place (any when it is ""), and,
    when `dated` and both have dates (the candidate's known, not 'unknown'), overlapping intervals."""
    if candidate["event_type"] != event["event_type"] or (event.get("place") and candidate["place"] != event["place"]):
        return False
    start, end = _day(event.get("date_start")), _day(event.get("date_end"))
    if not dated or not (start or end) or candidate.get("date_precision") == "unknown":
        return True
    return _overlaps(_day(candidate.get("date_start")), _day(candidate.get("date_end")), start, end)


def summary(scores: list[ArticleScore]) -> dict[str, Any]:
    """Micro-averaged figures over `scores`, and whether TARGETS are met."""
    true = sum(len(s.true_pins) for s in scores)
    false = sum(len(s.false_pins) for s in scores)
    missed = sum(len(s.missed_places) for s in scores)
    figures: dict[str, Any] = {
        "articles": len(scores),
        "candidates": sum(s.candidates for s in scores),
        "place_precision": round(_ratio(true, true + false), 3),
        "place_recall": round(_ratio(true, true + missed), 3),
        "event_type_accuracy": round(_ratio(sum(s.events_matched for s in scores), sum(s.events for s in scores)), 3),
        "date_accuracy": round(_ratio(sum(s.dates_right for s in scores), sum(s.dated_events for s in scores)), 3),
        "suggested": sum(s.suggested for s in scores),
        "candidate_precision": round(_ratio(sum(s.suggested_core for s in scores),
                                            sum(s.suggested for s in scores)), 3),
        "event_recall": round(_ratio(sum(s.core_found for s in scores), sum(s.core_events for s in scores)), 3),
        "after_publication": sum(s.after_publication for s in scores),
        "metonym_pins": sum(s.metonym_pins for s in scores),
        "averaging": "micro (counts summed over articles)",
    }
    figures["targets_met"] = (all(figures[name] >= TARGETS[name] for name in RATIOS)
                              and figures["after_publication"] <= TARGETS["after_publication"]
                              and figures["metonym_pins"] <= TARGETS["metonym_pins"])
    return figures


def evaluate(folder: Path) -> dict[str, Any]:
    """Scores of every labelled article of `folder`: {"articles": [per-article counts], "overall": figures}.
    Raises FileNotFoundError when the folder holds no labelled article."""
    articles = load_labels(folder)
    if not articles:
        raise FileNotFoundError(f"no labelled article (NAME.txt with NAME.json) in {folder}")
    scores = [score_article(name, text, labels) for name, text, labels in articles]
    sets = {name: summary([s for s in scores if s.written == written])
            for name, written in (("retrieved", False), ("written", True)) if any(s.written == written for s in scores)}
    overall = summary(scores)
    if "written" in sets and "retrieved" in sets:  # the suggestion's targets are the written set's (see README)
        judged = sets["written"]
        overall["targets_met"] = (all(overall[n] >= TARGETS[n] for n in ("place_recall", "place_precision"))
                                  and all(judged[n] >= TARGETS[n] for n in ("candidate_precision", "event_recall"))
                                  and overall["after_publication"] <= TARGETS["after_publication"]
                                  and overall["metonym_pins"] <= TARGETS["metonym_pins"])
    return {"articles": [asdict(s) for s in scores], "sets": sets, "overall": overall}


def _line(a: dict[str, Any]) -> str:
    true, false, missed = len(a["true_pins"]), len(a["false_pins"]), len(a["missed_places"])
    parts = [f"{a['name']}: {a['candidates']} candidates, {a['located']} located",
             f"pins right {true}, wrong {false}{' ' + str(a['false_pins']) if false else ''}, "
             f"missed {missed}{' ' + str(a['missed_places']) if missed else ''}",
             f"events {a['events_matched']}/{a['events']}"
             + (f" (missing {', '.join(a['unmatched_events'])})" if a["unmatched_events"] else ""),
             f"dates {a['dates_right']}/{a['dated_events']}",
             f"suggested {a['suggested_core']}/{a['suggested']} core"
             + (f" (not core: {', '.join(a['wrong_suggestions'])})" if a["wrong_suggestions"] else ""),
             f"core events found {a['core_found']}/{a['core_events']}"
             + (f" (missing {', '.join(a['missed_core'])})" if a["missed_core"] else "")]
    if a["after_publication"]:
        parts.append(f"AFTER PUBLICATION {a['after_publication']}")
    if a["metonym_pins"]:
        parts.append(f"ON METONYMS {a['metonym_pins']}")
    if a["not_in_gazetteer"]:
        parts.append(f"not in the gazetteer, not counted: {a['not_in_gazetteer']}")
    return "; ".join(parts)


def main(folder: Path | None = None) -> int:
    """Print the evaluation of `folder` (default tests/ingest_eval); 0 when TARGETS are met, else 1."""
    result = evaluate(folder or DEFAULT_FOLDER)
    for article in result["articles"]:
        print(_line(article))
    for name, o in result.get("sets", {}).items():
        print(f"{name} set ({o['articles']} articles): place precision {o['place_precision']:.3f}, recall "
              f"{o['place_recall']:.3f}; event types {o['event_type_accuracy']:.3f}; dates {o['date_accuracy']:.3f}; "
              f"candidate precision {o['candidate_precision']:.3f} ({o['suggested']} suggested), event recall "
              f"{o['event_recall']:.3f}")
    o = result["overall"]
    print(f"overall ({o['articles']} articles, micro-averaged): place precision {o['place_precision']:.3f}, "
          f"recall {o['place_recall']:.3f}; event types {o['event_type_accuracy']:.3f}; "
          f"dates {o['date_accuracy']:.3f}; candidate precision {o['candidate_precision']:.3f} "
          f"({o['suggested']} suggested), event recall {o['event_recall']:.3f}; "
          f"after publication {o['after_publication']}; pins on metonyms {o['metonym_pins']}; "
          f"targets {'met' if o['targets_met'] else 'NOT met'}")
    print(json.dumps(o, sort_keys=True))
    return 0 if o["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
