"""What an append or a revert does to a dataset, whatever holds it: pure functions from the current
FeatureCollection (and change log) to the next one, validated. Both engines (geo.store.file,
geo.store.postgis) call these under their own lock or transaction and then write the result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geo.store.changelog as changelog
from geo.events.dataset import DatasetError
from geo.events.schema import Problem, validate_collection
from geo.store.changelog import Change
from geo.store.errors import RevertError

MAX_APPEND_FEATURES = 300
"""Most events one append may add: a real article gives a few dozen; thousands mean a runaway ingest."""


@dataclass(frozen=True)
class Edit:
    """The next version of a dataset and what the change log records about it."""

    result: dict[str, Any]
    action: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    refs: tuple[str, ...] = ()
    reverts: str | None = None
    removed_features: tuple[dict[str, Any], ...] = ()
    attached: tuple[dict[str, Any], ...] = ()

    def change(self, changes: Sequence[Change], editor: str, before: str, after: str) -> Change:
        """The change-log entry for this edit, numbered after `changes`."""
        return Change(changelog.next_id(changes), changelog.now(), editor, self.action, self.refs, self.added,
                      self.removed, before, after, self.reverts, self.removed_features, self.attached)


def check_size(label: str, features: list[Any]) -> None:
    """Refuse more than MAX_APPEND_FEATURES candidates in one append (DatasetError), before any reading."""
    if len(features) > MAX_APPEND_FEATURES:
        raise DatasetError([Problem(label, "features", f"{len(features)} events in one append; at most "
                                                       f"{MAX_APPEND_FEATURES} may be added at once")])


def _number_new(problems: list[Problem], offset: int) -> list[Problem]:
    """Problems of a would-be result, saying which new feature each one is about."""
    return [Problem(p.file, p.field, p.message + (f" (new feature {p.index - offset})"
                                                  if p.index is not None and p.index >= offset else ""),
                    p.index, p.feature_id)
            for p in problems]


def validated(label: str, edit: Edit) -> Edit:
    """`edit` when its whole result satisfies the data contract; else DatasetError naming the new features."""
    problems = validate_collection(edit.result, label)
    if problems:
        raise DatasetError(_number_new(problems, len(edit.result["features"]) - len(edit.added)))
    return edit


def _refs(features: list[dict[str, Any]]) -> tuple[str, ...]:
    """The distinct source refs the features cite, in order: the articles a change came from."""
    refs: dict[str, None] = {}
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        for source in (props or {}).get("sources") or []:
            if isinstance(source, dict) and isinstance(source.get("ref"), str):
                refs.setdefault(source["ref"][:2000], None)
    return tuple(refs)


def plan_append(label: str, current: dict[str, Any], features: list[dict[str, Any]]) -> Edit:
    """The dataset `current` with `features` appended: new events at the end; candidates that `matches` an
    event become its sources (and figures). Raises DatasetError when nothing would change or the result
    breaks the data contract."""
    check_size(label, features)
    new, corroborating = [], []
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        (corroborating if isinstance(props, dict) and props.get("matches") else new).append(feature)
    existing = [*current["features"]]
    attached = _attach(label, existing, corroborating)
    if not new and not attached:
        raise DatasetError([Problem(label, "features", "nothing to add: the matched events already cite "
                                                       "every source of these candidates")])
    result = {**current, "features": [*existing, *new]}
    added = tuple(str((f.get("properties") or {}).get("id")) for f in new if isinstance(f, dict))
    return validated(label, Edit(result, "append", added, (), _refs(features), attached=tuple(attached)))


def _attach(label: str, features: list[dict[str, Any]], corroborating: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each matched event (in place, in `features`) the corroborating candidates' sources it does not
    cite yet, with their figures re-pointed at the new source positions. Returns what was attached, per
    event, for the change log (and so for a revert)."""
    position = {(f.get("properties") or {}).get("id"): n for n, f in enumerate(features)}
    attached = []
    for candidate in corroborating:
        props = candidate["properties"]
        target = position.get(props["matches"])
        if target is None:
            raise DatasetError([Problem(label, "properties.matches", f"the candidate {props.get('id')!r} matches "
                                        f"{props['matches']!r}, which is not in the dataset")])
        event = {**features[target], "properties": dict(features[target]["properties"])}
        had_figures = "figures" in event["properties"]
        sources = list(event["properties"].get("sources") or [])
        cited = {s.get("ref") for s in sources}
        new_at: dict[int, int] = {}
        added_sources = []
        for n, source in enumerate(props.get("sources") or []):
            if source.get("ref") in cited:
                continue
            new_at[n] = len(sources)
            sources.append(source)
            added_sources.append(source)
            cited.add(source.get("ref"))
        figures = [{**f, "source": new_at[f["source"]]}
                   for f in props.get("figures") or [] if f.get("source") in new_at]
        if not added_sources:
            continue
        event["properties"]["sources"] = sources
        if figures:
            event["properties"]["figures"] = [*(event["properties"].get("figures") or []), *figures]
        features[target] = event
        attached.append({"event": props["matches"], "sources": added_sources, "figures": figures,
                         "had_figures": had_figures})
    return attached


def _detach(features: list[dict[str, Any]], attached: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Take the sources (and their figures) a change attached back off their events, in place; returns
    the entries that were taken off."""
    position = {(f.get("properties") or {}).get("id"): n for n, f in enumerate(features)}
    detached = []
    for entry in attached:
        target = position.get(entry["event"])
        if target is None:
            continue
        props = dict(features[target]["properties"])
        refs = {s.get("ref") for s in entry["sources"]}
        old = props.get("sources") or []
        keep = [n for n, s in enumerate(old) if s.get("ref") not in refs]
        if len(keep) == len(old):
            continue
        new_at = {n: k for k, n in enumerate(keep)}
        props["sources"] = [old[n] for n in keep]
        figures = [{**f, "source": new_at[f["source"]]} for f in props.get("figures") or [] if f["source"] in new_at]
        if figures or entry.get("had_figures", True):  # put back exactly what was there, even an empty list
            props["figures"] = figures
        else:
            props.pop("figures", None)
        features[target] = {**features[target], "properties": props}
        detached.append(entry)
    return detached


def _version(kept: Path | None, digest: str) -> dict[str, Any] | None:
    """The collection kept at `kept` when that file is there and is exactly the version `digest` names (bytes the
    store wrote itself, read once)."""
    if kept is None:
        return None
    try:
        data = Path(kept).read_bytes()
        return json.loads(data) if hashlib.sha256(data).hexdigest() == digest else None
    except (OSError, ValueError):
        return None


def _by_id(collection: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {(f.get("properties") or {}).get("id"): f for f in collection.get("features") or []
            if isinstance(f, dict)}


def _canonical(values: Any) -> list[str]:
    """Values compared regardless of order (as sorted JSON text)."""
    return sorted(json.dumps(v, sort_keys=True, ensure_ascii=False) for v in values or [])


def _moved(entry: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """What is wrong with one `attached` entry of a change, given the event before and after it: None when
    the change did to that event exactly what the entry says (sources, with their figures, attached or
    taken off, and nothing else)."""
    def props(feature: dict[str, Any]) -> dict[str, Any]:
        return feature.get("properties") or {}

    def rest(feature: dict[str, Any]) -> dict[str, Any]:
        return {**feature, "properties": {k: v for k, v in props(feature).items() if k not in ("sources", "figures")}}

    refs = {s.get("ref") for s in entry["sources"]}
    attached = refs <= {s.get("ref") for s in props(after).get("sources") or []}
    big, small = (after, before) if attached else (before, after)
    big_sources = props(big).get("sources") or []
    if rest(big) != rest(small) \
            or [s for s in big_sources if s.get("ref") in refs] != list(entry["sources"]) \
            or [s for s in big_sources if s.get("ref") not in refs] != (props(small).get("sources") or []):
        return f"event {entry['event']!r} did not gain or lose exactly the sources recorded"
    moved_at = {n for n, s in enumerate(big_sources) if s.get("ref") in refs}
    figures = [{k: v for k, v in f.items() if k != "source"} for f in props(big).get("figures") or []
               if isinstance(f, dict) and f.get("source") in moved_at]
    if _canonical(figures) != _canonical({k: v for k, v in f.items() if k != "source"} for f in entry["figures"]):
        return f"event {entry['event']!r} did not gain or lose exactly the figures recorded"
    return None


def _disagreement(target: Change, before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """How change `target`'s record differs from what happened between its two versions (None: it agrees).
    What happened is read off the versions themselves: the events only the later one has were added, those
    only the earlier one has were removed (and must be kept whole, exactly), and an event in both that
    differs must be one whose sources the change attached or took off."""
    old, new = _by_id(before), _by_id(after)
    added = [i for i in new if i not in old]
    removed = [i for i in old if i not in new]
    if sorted(map(str, added)) != sorted(target.added):
        return f"it records adding {len(target.added)} events, but {len(added)} were added"
    if sorted(map(str, removed)) != sorted(target.removed):
        return f"it records removing {len(target.removed)} events, but {len(removed)} were removed"
    if any(f != old.get(f["properties"]["id"]) for f in target.removed_features):
        return "the events it kept are not the events it removed"
    changed = sorted(str(i) for i in old.keys() & new.keys() if old[i] != new[i])
    if sorted(e["event"] for e in target.attached) != changed:
        return f"it records changing the sources of {len(target.attached)} events, but {len(changed)} changed"
    return next((why for e in target.attached if (why := _moved(e, old[e["event"]], new[e["event"]]))), None)


def check_recorded(label: str, target: Change, changes: Sequence[Change], current: dict[str, Any],
                   current_digest: str | None, kept: Callable[[str], Path | None] | None) -> None:
    """Refuse (RevertError) to revert `target` unless its record agrees with the dataset's history: it starts
    from the version the change before it ended at, and ends at the version the next change (or, for the
    latest, the dataset now) starts from. Where the engine keeps earlier versions (`kept(change_id)`: the file
    holding the version that change replaced, the file engine's backup), both of `target`'s versions must be
    kept and exactly what the record says must have happened between them (`_disagreement`), so that a
    crafted or damaged entry can neither remove events the change did not add nor put back events the
    dataset never held."""
    position = next(n for n, c in enumerate(changes) if c is target)
    later = changes[position + 1] if position + 1 < len(changes) else None
    refuse = f"{label}: change {target.id} cannot be reverted"
    if position and changes[position - 1].digest_after != target.digest_before \
            or later is not None and later.digest_before != target.digest_after:
        raise RevertError(f"{refuse}: its versions do not follow on from the changes around it in the change log")
    if kept is None:
        return
    before = _version(kept(target.id), target.digest_before)
    if before is None:
        raise RevertError(f"{refuse}: the version before it (version {changelog.version(target.digest_before)}, "
                          f"kept as {getattr(kept(target.id), 'name', None)}) is no longer kept as it was, so "
                          "what it did cannot be checked; restore a backup by hand instead")
    if later is None:
        after = current if current_digest == target.digest_after else None
    else:
        after = None if later.action == "unrecorded" else _version(kept(later.id), target.digest_after)
    if after is None:
        raise RevertError(f"{refuse}: the version it made (version {changelog.version(target.digest_after)}) was "
                          "changed outside the app since, so what it did cannot be checked; restore a backup by "
                          "hand instead")
    why = _disagreement(target, before, after)
    if why:
        raise RevertError(f"{refuse}: its change-log entry does not agree with the versions it records ({why}); "
                          "nothing was changed")


def _reattached(features: list[dict[str, Any]], entry: dict[str, Any]) -> dict[str, Any]:
    """A revert's `attached` entry (sources it took off an event, with their figures) as a candidate that puts
    them back. The figures point at the sources' positions on the event when they were first attached, right
    after the sources it held then, which it holds again now; as a candidate's they point into its own
    sources."""
    event = next((f for f in features if (f.get("properties") or {}).get("id") == entry["event"]), None)
    held = len(((event or {}).get("properties") or {}).get("sources") or [])
    figures = [{**f, "source": f["source"] - held} for f in entry["figures"]
               if 0 <= f["source"] - held < len(entry["sources"])]
    return {"properties": {"matches": entry["event"], "sources": entry["sources"], "figures": figures}}


def plan_revert(label: str, current: dict[str, Any], changes: Sequence[Change], change_id: str,
                log_name: str, *, current_digest: str | None = None,
                kept: Callable[[str], Path | None] | None = None) -> Edit:
    """The dataset `current` (of digest `current_digest`) without what change `change_id` did: the events it
    added removed (kept whole in the log entry), the events it removed (a revert's) put back, the sources it
    attached taken off (or, for a revert, put back). Raises RevertError for an unknown change (`log_name`
    says where it was looked for), one made outside the app, one already reverted, one whose record does
    not agree with the dataset's history (`check_recorded`; `kept` gives where the engine keeps the version
    each change replaced), or one whose events are all gone already."""
    target = changelog.find(changes, change_id)
    if target is None:
        raise RevertError(f"{label}: no change {change_id[:40]!r} in {log_name}")
    if target.action == "unrecorded":
        raise RevertError(f"change {target.id} was made outside the app; what it changed is not known, "
                          "so it cannot be reverted (restore a backup by hand instead)")
    undone = next((c for c in changes if c.reverts == target.id), None)
    if undone is not None:
        raise RevertError(f"change {target.id} was already reverted by change {undone.id}")
    check_recorded(label, target, changes, current, current_digest, kept)
    drop = set(target.added)
    present = {(f.get("properties") or {}).get("id") for f in current["features"]}
    gone = tuple(f for f in current["features"] if (f.get("properties") or {}).get("id") in drop)
    back = [f for f in target.removed_features if f["properties"]["id"] not in present]
    staying = [f for f in current["features"] if (f.get("properties") or {}).get("id") not in drop]
    if target.action == "revert":  # undoing a revert puts back the sources it took off
        moved = _attach(label, staying, [_reattached(staying, e) for e in target.attached])
    else:
        moved = _detach(staying, target.attached)
    if not gone and not back and not moved:
        raise RevertError(f"nothing to revert: the events of change {target.id} are no longer in the dataset")
    result = {**current, "features": [*staying, *back]}
    return validated(label, Edit(result, "revert", tuple(f["properties"]["id"] for f in back),
                                 tuple(f["properties"]["id"] for f in gone), target.refs, target.id, gone,
                                 tuple(moved)))
