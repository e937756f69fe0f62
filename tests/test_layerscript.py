"""geo.map.layerscript: the event layers joined from kept scripts, shared across versions by content."""

from __future__ import annotations

import numpy as np

from geo.map.layers import event_layers
from geo.map.layerscript import content_keys, scripted_layers


def joined(layers: list) -> list[str]:
    """Each layer's ready-made script, as st_folium would take it."""
    return ["\n".join(child.code() for child in layer._children.values()) for layer in layers]


def test_a_new_version_renders_only_the_event_it_changed_when_scripts_are_kept_by_content(events):
    rendered: dict[tuple, str] = {}
    first = joined(scripted_layers(events, rendered, keys=content_keys(events)))
    kept = dict(rendered)
    assert len(kept) == int(events.geometry.notna().sum())  # one script per located event (pin or line)
    changed = events.copy()
    row = int(np.flatnonzero(changed.geometry.notna().to_numpy())[0])
    changed.iloc[row, changed.columns.get_loc("title")] = "A title the new version gives this event"
    again = joined(scripted_layers(changed, rendered, keys=content_keys(changed)))
    added = set(rendered) - set(kept)
    assert len(added) == 1 and all(rendered[key] == script for key, script in kept.items())
    assert "A title the new version gives this event" in rendered[added.pop()]
    assert again != first


def test_content_keys_differ_for_every_event_and_stay_the_same_for_the_same_content(events):
    keys = content_keys(events)
    assert len(set(keys)) == len(events)
    assert list(keys) == list(content_keys(events.copy()))


def test_a_status_on_the_map_date_gets_its_own_script_and_the_shown_mask_draws_only_those_rows(events):
    rendered: dict[tuple, str] = {}
    routes = np.flatnonzero((events["layer"] == "trade_routes").to_numpy() & events.geometry.notna().to_numpy())
    shown = np.zeros(len(events), dtype=bool)
    shown[routes[:2]] = True
    statuses = events["status"].copy()
    statuses.iloc[routes[0]] = "closed" if statuses.iloc[routes[0]] != "closed" else "open"
    layers = scripted_layers(events, rendered, shown, statuses)
    assert len(rendered) == 2 and {key[1] for key in rendered} >= {statuses.iloc[routes[0]]}
    assert all(key[0] in set(events["id"].iloc[routes[:2]]) for key in rendered)
    assert sum(len(script) for script in joined(layers)) > 0
    assert len(event_layers(events[shown])) == len(layers) == 3
