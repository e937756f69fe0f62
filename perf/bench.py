"""`python -m geo bench`: how the map scales, measured on deterministic synthetic data.

For each size it builds a FeatureCollection in the real schema (`synthetic_collection`), writes it to a
temporary file and measures, side by side: loading (read + validate + GeoDataFrame), filtering, building
the event layers plus serialising them to the JavaScript the browser receives, and the bytes per drawn
feature. The same is measured for a naive map (one folium Marker with Popup and Tooltip per event) and
for the floor (only longitude, latitude, id and type, serialised with orjson). It prints a table, a line
naming the machine and, last, one JSON object with every figure, the targets and which were met.
Figures are reported, never asserted: the command exits 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
import gc
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import orjson
import shapely

from geo.events.dataset import records
from geo.events.vocabulary import EVENT_LAYER, EVENT_TYPES, UNCLASSIFIED, EventType, Layer
from geo.io.events_file import load_events
from geo.view.filters import Filters, apply_filters

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_NAIVE_MAX = 10_000
DEFAULT_REPEAT = 3
LOAD_ONCE_FROM = 50_000
"""Files of at least this many events are loaded once, not best of `repeat` (each load takes seconds)."""
SLOW_RUN_S = 10.0
"""A step whose run takes longer than this is not repeated: its best of one is reported."""

TARGETS = {"rebuild_100k_s_max": 1.0, "bytes_per_feature_max": 100, "naive_speedup_min": 50, "floor_ratio_max": 5}

REGION = (115.0, 28.0, 135.0, 46.0)
"""lon/lat box of the whole map region (the basemap's extent)."""
BORDER_BOX = (124.0, 40.0, 131.0, 43.5)
"""lon/lat box around the China–DPRK border (within about 150 km of it), where most events are."""
FIRST_DAY, LAST_DAY = dt.date(2019, 1, 1), dt.date(2024, 12, 31)
FILTER = Filters(event_types=tuple(EVENT_TYPES)[::2], since=dt.date(2020, 1, 1), until=dt.date(2023, 12, 31))
"""The filter change measured: half the event types (every other one, so lines and points stay) and four years."""
AS_OF_DAY = dt.date(2023, 12, 31)

E = EventType


def _ids(*types: EventType) -> tuple[str, ...]:
    """The plain ids of `types`, as the data holds them."""
    return tuple(t.value for t in types)


LAYER_TYPES: dict[str, tuple[str, ...]] = {  # every type in its own layer, plus incidents seen at workplaces
    layer: tuple(t for t, home in EVENT_LAYER.items() if home == layer)
    + (_ids(E.REPATRIATION, E.EXTORTION, E.SURVEILLANCE) if layer == Layer.WORKER_LOCATIONS else ())
    for layer in dict.fromkeys(EVENT_LAYER.values())
}
PAIRS: tuple[tuple[str, str], ...] = tuple((layer, kind) for layer, kinds in LAYER_TYPES.items() for kind in kinds
                                            if kind != UNCLASSIFIED)  # news-like events: no import-only type
ROUTE_TYPES = _ids(E.BORDER_CLOSURE, E.RAIL_FREIGHT_RESUMPTION, E.ROAD_FREIGHT_RESUMPTION)
ROUTE_SHARE, UNLOCATED_SHARE, INFERRED_SHARE = 0.03, 0.05, 0.10
SEASONS = ((3, 5, "spring"), (6, 8, "summer"), (9, 11, "autumn"), (12, 2, "winter"))


def _place_names() -> list[str]:
    from geo.reference.places import load_places

    return list(load_places().index)


def _dates(rng: random.Random) -> dict[str, Any]:
    """date_start, date_end and date_precision for one event, inside FIRST_DAY..LAST_DAY."""
    precision = rng.choices(("day", "month", "season", "year"), weights=(3, 4, 2, 1))[0]
    year = rng.randint(FIRST_DAY.year, LAST_DAY.year)
    if precision == "day":
        start = end = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    elif precision == "month":
        month = rng.randint(1, 12)
        start, end = dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    elif precision == "season":
        first, last, _ = SEASONS[rng.randrange(4)]
        if first > last:  # winter: December to February of the next year, so not in the last year
            year = min(year, LAST_DAY.year - 1)
            start, end = dt.date(year, first, 1), dt.date(year + 1, last, calendar.monthrange(year + 1, last)[1])
        else:
            start, end = dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1])
    else:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return {"date_start": start.isoformat(), "date_end": end.isoformat(), "date_precision": precision}


def _point(rng: random.Random) -> list[float]:
    west, south, east, north = BORDER_BOX if rng.random() < 0.8 else REGION
    return [round(rng.uniform(west, east), 5), round(rng.uniform(south, north), 5)]


def _status_history(rng: random.Random) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = [{"status": "closed", "since": "2020-01-01", "precision": "month"}]
    if rng.random() < 0.6:
        since = dt.date(2022, 6, 1) + dt.timedelta(days=rng.randrange(365))
        history.append({"status": "partially_resumed", "since": since.isoformat(), "precision": "season",
                        "inferred": True, "note": "Synthetic: inferred from 'since last winter'."})
        if rng.random() < 0.5:
            since += dt.timedelta(days=rng.randrange(30, 400))
            history.append({"status": "resumed", "since": since.isoformat(), "precision": "day"})
    return history


def synthetic_collection(n: int, seed: int = 0) -> dict[str, Any]:
    """A FeatureCollection of `n` made-up events that passes `geo.events.schema.validate_collection`.

    Deterministic (same `n` and `seed` give byte-identical `json.dumps`). The first len(PAIRS) events
    cover every (layer, event type) pair but the import-only `unclassified`, the next is a route line and
    the one after has no location; then
    about 3% are route LineStrings in `trade_routes` (with status and status history), about 5% have no
    geometry (`location_precision` 'unknown'), and the rest are points, 80% of them near the China–DPRK
    border, the others anywhere in the region. Dates fall in 2019–2024 at day, month, season or year
    precision, about 10% of them inferred (with a note).
    """
    rng = random.Random(seed)
    places = _place_names()
    features = []
    for i in range(n):
        route = i == len(PAIRS) or (i > len(PAIRS) + 1 and rng.random() < ROUTE_SHARE)
        unlocated = i == len(PAIRS) + 1 or (not route and i > len(PAIRS) + 1 and rng.random() < UNLOCATED_SHARE)
        if route:
            layer, kind = Layer.TRADE_ROUTES.value, ROUTE_TYPES[i % len(ROUTE_TYPES)]
        else:
            layer, kind = PAIRS[i] if i < len(PAIRS) else PAIRS[rng.randrange(len(PAIRS))]
        label = EVENT_TYPES[kind]
        props: dict[str, Any] = {"id": f"synthetic-{i:06d}", "layer": layer, "event_type": kind}
        if route:
            stops = [places[(i + k) % len(places)] for k in range(rng.choice((2, 3)))]
            west, south, east, north = BORDER_BOX
            geometry: dict[str, Any] | None = {
                "type": "LineString",
                "coordinates": [[round(rng.uniform(west, east), 5), round(rng.uniform(south, north), 5)]
                                for _ in stops]}
            where, place, precision = " – ".join(stops), "", rng.choice(("city", "region"))
        elif unlocated:
            geometry, where, place, precision, stops = None, "an unknown place", "", "unknown", []
        else:
            place = places[i % len(places)]
            geometry = {"type": "Point", "coordinates": _point(rng)}
            where, precision, stops = place, rng.choices(("exact", "city", "region"), weights=(3, 5, 2))[0], []
        dates = _dates(rng)
        props.update({
            "title": f"{label} near {where}" if geometry else f"{label}, location unknown",
            "summary": f"Synthetic event {i}: {label.lower()} reported at {where} "
                       f"({dates['date_precision']} precision). Generated for benchmarking; not a real report.",
            "place": place,
            "location_precision": precision,
            **dates,
        })
        if rng.random() < INFERRED_SHARE:
            props["date_inferred"] = True
            props["date_note"] = "Synthetic: inferred from the report's publication date."
        if route:
            history = _status_history(rng)
            props.update({"status": history[-1]["status"], "status_history": history, "via": [stops]})
        published = min(dt.date.fromisoformat(dates["date_end"]) + dt.timedelta(days=rng.randrange(90)), LAST_DAY)
        props["sources"] = [{"publisher": "Synthetic benchmark", "title": f"Synthetic report {i:06d}",
                             "published": published.isoformat(), "ref": "synthetic"}]
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}


# --- what is measured -----------------------------------------------------------------------------------------


def _serializer() -> tuple[str, Callable[[list[folium.FeatureGroup]], int]]:
    """How layers become what the browser receives, and its name: a Map holding just the groups, rendered
    to HTML, minus the same render of an empty Map. These are the scripts st_folium sends and export-html
    writes; streamlit_folium's own helper is not called because nothing under geo/ imports Streamlit."""
    def rendered(groups: list[folium.FeatureGroup]) -> int:
        fmap = folium.Map(tiles=None)
        for group in groups:
            group.add_to(fmap)
        empty = folium.Map(tiles=None).get_root().render()
        return len(fmap.get_root().render().encode()) - len(empty.encode())

    return "folium Map.get_root().render() minus an empty Map's", rendered


def _best_of(step: Callable[[], Any], runs: int) -> tuple[float, Any, int]:
    """(fastest time, result of the last run, runs made); a run slower than SLOW_RUN_S is not repeated."""
    best, result, made = math.inf, None, 0
    for _ in range(runs):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = step()
        elapsed = time.perf_counter() - start
        best, made = min(best, elapsed), made + 1
        if elapsed > SLOW_RUN_S:
            break
    return best, result, made


def _latlon_lines(geometry: Any) -> list[list[tuple[float, float]]]:
    parts = geometry.geoms if geometry.geom_type == "MultiLineString" else [geometry]
    return [[(y, x) for x, y, *_ in part.coords] for part in parts]


def naive_layers(frame: gpd.GeoDataFrame) -> list[folium.FeatureGroup]:
    """The naive map: one folium Marker (routes: one PolyLine) with Popup and Tooltip per located event,
    all in one FeatureGroup."""
    from geo.map.popups import popup_html, tooltip_text

    group = folium.FeatureGroup(name="Events")
    for row in records(frame[frame.geometry.notna()]):
        geometry = row["geometry"]
        popup, tooltip = folium.Popup(popup_html(row)), folium.Tooltip(tooltip_text(row))
        if geometry.geom_type == "Point":
            folium.Marker((geometry.y, geometry.x), popup=popup, tooltip=tooltip).add_to(group)
        else:
            folium.PolyLine(_latlon_lines(geometry), popup=popup, tooltip=tooltip).add_to(group)
    return [group]


def floor_json(frame: gpd.GeoDataFrame) -> bytes:
    """The least the browser could get: `[[lon, lat, id, type], ...]` for the located rows (a line's first
    vertex), extracted column-wise and serialised with orjson."""
    shown = frame[frame.geometry.notna()]
    coords, owner = shapely.get_coordinates(np.asarray(shown.geometry.array), return_index=True)
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    rows = zip(coords[first, 0].tolist(), coords[first, 1].tolist(), shown["id"].tolist(),
               shown["event_type"].tolist(), strict=True)
    return orjson.dumps(list(rows))


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure(n: int, repeat: int, naive_max: int, seed: int, serialize: Callable[[list[folium.FeatureGroup]], int],
            workdir: Path) -> dict[str, Any]:
    """Every figure for one size."""
    from geo.map.layers import event_layers

    _progress(f"{n:,} events: generating")
    path = workdir / f"synthetic-{n}.geojson"
    collection = synthetic_collection(n, seed)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    del collection
    file_bytes = path.stat().st_size

    load_runs = 1 if n >= LOAD_ONCE_FROM else repeat
    _progress(f"{n:,} events: loading {file_bytes / 1e6:.1f} MB ({load_runs} run{'s' * (load_runs > 1)})")
    load_s, frame, load_made = _best_of(lambda: load_events(path), load_runs)
    filter_s, shown, _ = _best_of(lambda: apply_filters(frame, FILTER), repeat)
    drawn = int(shown.geometry.notna().sum())

    as_of_s = None
    try:
        from geo.view.time import as_of

        as_of_s, _, _ = _best_of(lambda: as_of(shown, AS_OF_DAY), repeat)
    except Exception as error:  # this figure is only informative: a failure is reported, never raised
        _progress(f"{n:,} events: as_of not measured ({error})")

    _progress(f"{n:,} events: building the map layers for {drawn:,} drawn features")
    build_s, size, build_made = _best_of(lambda: serialize(event_layers(shown)), repeat)

    naive_s = naive_size = None
    if n <= naive_max:
        _progress(f"{n:,} events: building the naive map")
        naive_s, naive_size, _ = _best_of(lambda: serialize(naive_layers(shown)), 1 if n >= 10_000 else repeat)
    floor_s, floor, _ = _best_of(lambda: floor_json(shown), repeat)

    def per_feature(total: int | None) -> float | None:
        return round(total / drawn, 1) if total is not None and drawn else None

    out = {
        "events": n, "file_bytes": file_bytes, "filtered": len(shown), "drawn": drawn,
        "load_s": _seconds(load_s), "load_runs": load_made, "filter_s": _seconds(filter_s),
        "as_of_s": _seconds(as_of_s),
        "build_s": _seconds(build_s), "build_runs": build_made, "rebuild_s": _seconds(filter_s + build_s),
        "bytes": size, "bytes_per_feature": per_feature(size),
        "naive_build_s": _seconds(naive_s), "naive_bytes": naive_size,
        "naive_bytes_per_feature": per_feature(naive_size),
        "floor_s": _seconds(floor_s), "floor_bytes": len(floor), "floor_bytes_per_feature": per_feature(len(floor)),
    }
    out.update({
        "naive_over_ours": _ratio(naive_s, build_s), "ours_over_floor": _ratio(build_s, floor_s),
        "naive_bytes_over_ours": _ratio(naive_size, size), "ours_bytes_over_floor": _ratio(size, len(floor)),
    })
    _progress(f"{n:,} events: done")
    return out


def targets_met(sizes: list[dict[str, Any]]) -> tuple[dict[str, bool], dict[str, int]]:
    """Which targets the figures meet, and at which size each was judged: the rebuild at 100,000 events,
    bytes per feature and the floor ratio (on time) at the largest size, the naive speed-up at the largest
    size where the naive map was built. A target with no such size is left out."""
    met: dict[str, bool] = {}
    at: dict[str, int] = {}
    by_size = {s["events"]: s for s in sizes}
    if 100_000 in by_size:
        met["rebuild_100k_s_max"] = by_size[100_000]["rebuild_s"] <= TARGETS["rebuild_100k_s_max"]
        at["rebuild_100k_s_max"] = 100_000
    largest = max(sizes, key=lambda s: s["events"])
    if largest["bytes_per_feature"] is not None:
        met["bytes_per_feature_max"] = largest["bytes_per_feature"] <= TARGETS["bytes_per_feature_max"]
        at["bytes_per_feature_max"] = largest["events"]
    naive = [s for s in sizes if s["naive_over_ours"] is not None]
    if naive:
        biggest = max(naive, key=lambda s: s["events"])
        met["naive_speedup_min"] = biggest["naive_over_ours"] >= TARGETS["naive_speedup_min"]
        at["naive_speedup_min"] = biggest["events"]
    if largest["ours_over_floor"] is not None:
        met["floor_ratio_max"] = largest["ours_over_floor"] <= TARGETS["floor_ratio_max"]
        at["floor_ratio_max"] = largest["events"]
    return met, at


COLUMNS = (("events", 9), ("drawn", 8), ("load s", 8), ("filter s", 9), ("build s", 8), ("rebuild s", 9),
           ("KB", 9), ("B/feature", 9), ("naive s", 8), ("naive B/feat", 12), ("floor s", 8),
           ("floor B/feat", 12), ("naive×", 7), ("floor×", 7))


def table(sizes: list[dict[str, Any]]) -> list[str]:
    def fmt(value: float | int | None, digits: int) -> str:
        if value is None:
            return "-"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"

    lines = ["  ".join(name.rjust(width) for name, width in COLUMNS)]
    for s in sizes:
        cells = (fmt(s["events"], 0), fmt(s["drawn"], 0), fmt(s["load_s"], 3), fmt(s["filter_s"], 4),
                 fmt(s["build_s"], 3), fmt(s["rebuild_s"], 3), fmt(s["bytes"] / 1000, 1),
                 fmt(s["bytes_per_feature"], 1), fmt(s["naive_build_s"], 3), fmt(s["naive_bytes_per_feature"], 1),
                 fmt(s["floor_s"], 4), fmt(s["floor_bytes_per_feature"], 1), fmt(s["naive_over_ours"], 1),
                 fmt(s["ours_over_floor"], 1))
        lines.append("  ".join(cell.rjust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True)))
    return lines


def machine() -> dict[str, Any]:
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "folium": folium.__version__, "geopandas": gpd.__version__, "shapely": shapely.__version__,
            "orjson": orjson.__version__}


def run(sizes: list[int] | tuple[int, ...] = DEFAULT_SIZES, naive_max: int = DEFAULT_NAIVE_MAX,
        repeat: int = DEFAULT_REPEAT, seed: int = 0, out: Any = None) -> dict[str, Any]:
    """Measure every size, print the table, the machine and (last line) the JSON; return the JSON object.

    Raises ValueError for a size or repeat below 1, or a negative naive_max."""
    out = out or sys.stdout
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError("--events: every size must be a whole number of at least 1")
    if repeat < 1:
        raise ValueError("--repeat must be at least 1")
    if naive_max < 0:
        raise ValueError("--naive-max must be 0 or more")
    serializer, serialize = _serializer()
    with tempfile.TemporaryDirectory(prefix="geo-bench-") as workdir:
        results = [measure(n, repeat, naive_max, seed, serialize, Path(workdir)) for n in sizes]
    met, met_at = targets_met(results)
    info = machine()
    from geo.map import layers

    report = {"machine": info, "serializer": serializer,
              "compact_above": getattr(layers, "COMPACT_ABOVE", None), "filter": {
        "event_types": list(FILTER.event_types or ()), "since": FILTER.since.isoformat(),
        "until": FILTER.until.isoformat()}, "sizes": results, "targets": TARGETS, "met": met, "met_at": met_at}
    print(f"Map build benchmark: best of {repeat} run{'s' * (repeat > 1)} (load of ≥ {LOAD_ONCE_FROM:,} events "
          f"and the naive map at ≥ 10,000: 1 run; any step slower than {SLOW_RUN_S:g} s: 1 run); build = "
          f"geo.map.layers.event_layers + {serializer}; rebuild = filter + build; "
          f"naive = one Marker+Popup+Tooltip per event; floor = orjson [[lon, lat, id, type]]", file=out)
    for line in table(results):
        print(line, file=out)
    print(f"machine: {info['cpu_count']} CPUs, {info['platform']}, Python {info['python']}", file=out)
    print(json.dumps(report, ensure_ascii=False), file=out, flush=True)
    return report


# --- server memory ---------------------------------------------------------------------------------------------

MEMORY_TARGET_MB = 3_000.0
"""Most resident memory the dashboard's server may hold at 1,000,000 events (issue #25)."""
MEMORY_DEADLINE_S = 3_600.0
TABLE_ROWS, FEED_ROWS, LIST_ROWS = 10_000, 200, 500
"""What the dashboard shows of the filtered events: the table's first rows, the feed's, the unlocated list's."""


def resident_mb() -> tuple[float, float]:
    """(resident MB now, peak resident MB so far) of this process, from /proc/self/status (Linux; 0 elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0, 0.0
    fields = dict(line.split(":", 1) for line in status.splitlines() if line.startswith(("VmRSS", "VmHWM")))
    return tuple(int(fields.get(name, "0 kB").split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))


def memory_dataset(n: int, seed: int, path: str) -> int:
    """(Runs in a child process.) Write `n` synthetic events as GeoParquet at `path`, as the browser bench gives
    the dashboard a large dataset; the file's size in bytes."""
    from geo.io.geoparquet import write_events

    write_events(synthetic_collection(n, seed), Path(path))
    return Path(path).stat().st_size


def memory_session(path: str, cache_dir: str) -> dict[str, Any]:
    """(Runs in a fresh process.) Load the events file at `path` as the dashboard does (geo.io.prepared.prepare:
    validated and prepared at first, its prepared copy in `cache_dir` read after) and make what a first reader
    sees, through the same geo functions: a filter change (FILTER), the map date's masks, the timeline, the
    points pack, the feed, the details of one event, the unlocated list and the table's page. Returns the
    resident memory before, after loading and at its peak (MB), the seconds taken, and the frame's columns'
    own sizes (pandas `memory_usage(deep=True)`, MB; nested Python objects are counted by their outer object
    only, so the resident figures are the ones to trust)."""
    from geo.io.prepared import prepare
    from geo.map.pack import pack_bytes, pack_frame
    from geo.report.charts import months_of, timeline_charts
    from geo.report.details import details_html, event_list_html
    from geo.report.feed import feed_rows
    from geo.report.table import reader_table
    from geo.view.filters import filter_mask
    from geo.view.time import as_of_mask, begun_mask

    before, _ = resident_mb()
    started = time.perf_counter()
    ready = prepare(Path(path), cache_dir=Path(cache_dir))
    load_s = time.perf_counter() - started
    frame = ready.frame
    gc.collect()
    loaded, load_peak = resident_mb()
    started = time.perf_counter()
    keep = filter_mask(frame, FILTER)
    on_day, _ = as_of_mask(frame, AS_OF_DAY)
    begun = begun_mask(frame, AS_OF_DAY)
    timeline_charts(None, frame, AS_OF_DAY, months_of(frame), keep)
    pack_bytes(pack_frame(frame))
    feed_rows(frame, keep & begun, FEED_ROWS)
    shown = np.flatnonzero(keep)
    details_html(records(frame.iloc[shown[:1]])[0], archived=False)
    unplaced = np.flatnonzero(keep & frame.geometry.isna().to_numpy())
    event_list_html(records(frame.iloc[unplaced[:LIST_ROWS]]))
    reader_table(frame.iloc[shown[:TABLE_ROWS]])
    view_s = time.perf_counter() - started
    after, peak = resident_mb()
    sizes = frame.memory_usage(deep=True, index=True) / 2**20
    return {"events": len(frame), "shown": len(shown), "on_map_date": int((keep & on_day).sum()),
            "from_cache": ready.from_cache, "load_s": round(load_s, 2), "view_s": round(view_s, 2),
            "rss_before_mb": round(before), "rss_loaded_mb": round(loaded), "peak_loading_mb": round(load_peak),
            "rss_after_view_mb": round(after), "peak_mb": round(peak),
            "frame_deep_mb": round(float(sizes.sum())),
            "columns_mb": {str(name): round(float(size), 1) for name, size in sizes.sort_values(ascending=False)
                           .items() if size >= 1}}


def memory(n: int, seed: int = 0, workdir: Path | None = None, out: Any = None) -> dict[str, Any]:
    """The dashboard server's memory at `n` synthetic events, each stage in a fresh process (geo.budget): the first
    open (validate and prepare the file) and a restart (read the prepared copy), each followed by what a first
    reader sees (`memory_session`). The GeoParquet file is written once into `workdir` (kept there, and reused
    by a later run with the same `n` and seed) or a temporary folder. Prints one line per stage, then the JSON."""
    from geo.budget import run_with_deadline

    out = out or sys.stdout
    if n < 1:
        raise ValueError("--events: the size must be a whole number of at least 1")
    with tempfile.TemporaryDirectory(prefix="geo-bench-memory-") as scratch:
        folder = Path(workdir) if workdir else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / f"synthetic-{n}-seed{seed}.parquet"
        if not data.is_file():
            _progress(f"{n:,} events: writing GeoParquet (in a child process)")
            run_with_deadline(MEMORY_DEADLINE_S, memory_dataset, n, seed, str(data))
        cache = Path(scratch) / "prepared"
        stages = {}
        for stage in ("first_open", "restart"):
            _progress(f"{n:,} events: {stage.replace('_', ' ')} in a fresh process")
            stages[stage] = run_with_deadline(MEMORY_DEADLINE_S, memory_session, str(data), str(cache))
    report = {"events": n, "file_bytes": data.stat().st_size if data.exists() else None, "target_mb": MEMORY_TARGET_MB,
              **stages, "machine": machine()}
    print(f"Server memory at {n:,} synthetic events (GeoParquet; a fresh process per stage; MB resident): "
          "load = geo.io.prepared.prepare, view = a filter change, map-date masks, timeline, points pack, feed, "
          "details, unlocated list and table page", file=out)
    for stage, figures in stages.items():
        print(f"{stage:10}  load {figures['load_s']:7.1f} s  before {figures['rss_before_mb']:6,}  loaded "
              f"{figures['rss_loaded_mb']:6,}  peak while loading {figures['peak_loading_mb']:6,}  after view "
              f"{figures['rss_after_view_mb']:6,}  peak {figures['peak_mb']:6,}  (target {MEMORY_TARGET_MB:,.0f})",
              file=out)
    print("frame columns (memory_usage deep, MB): " + ", ".join(
        f"{name} {size:,.0f}" for name, size in list(stages["restart"]["columns_mb"].items())[:12]), file=out)
    print(json.dumps(report, ensure_ascii=False), file=out, flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    """`python -m perf bench [--events N ...] [--naive-max N] [--repeat R] [--seed S] [--memory [--workdir DIR]]`: 0
    measured, 2 bad options."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m perf bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N",
                        help="synthetic dataset sizes (default: %(default)s)")
    parser.add_argument("--naive-max", type=int, default=DEFAULT_NAIVE_MAX, metavar="N",
                        help="largest size the naive map is built at (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, metavar="R",
                        help="best of R runs (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data (default: 0)")
    parser.add_argument("--memory", action="store_true",
                        help="instead: the server's resident memory at the one size --events gives, first open "
                             "and restart, each in a fresh process")
    parser.add_argument("--workdir", type=Path, default=None, metavar="DIR",
                        help="--memory: keep the generated file in DIR and reuse it (default: a temporary folder)")
    args = parser.parse_args(argv)
    try:
        if args.memory:
            if len(args.events) != 1:
                raise ValueError("--memory measures one size: give --events once with one number")
            memory(args.events[0], seed=args.seed, workdir=args.workdir)
        else:
            run(args.events, naive_max=args.naive_max, repeat=args.repeat, seed=args.seed)
    except ValueError as error:
        print(f"python -m perf bench: error: {error}", file=sys.stderr)
        return 2
    return 0
