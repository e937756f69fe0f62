"""The dashboard's downloads (geo.io.downloads): each file built once in a real child process from the
dataset's prepared copy on disk, then read from the cache; one build at a time; too large a download refused
in a sentence before anything is built; the server's memory untouched by a build."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from shapely import wkb

from geo.events.dataset import read_json
from geo.io import downloads
from geo.io.downloads import (
    BUILD_NICENESS,
    BUSY,
    IN_PROCESS_BYTES,
    KEPT_FILES,
    OWN_COPY_PREFIX,
    ROW_BYTES,
    TOO_BIG_FOR_MEMORY,
    TOO_SLOW,
    DownloadRefused,
    download_bytes,
    download_file,
    downloads_dir,
    max_rows,
    refusal,
)
from geo.io.export import FORMATS, export_bytes
from geo.io.geoparquet import write_events
from geo.io.prepared import CACHE_ENV, Prepared, cache_path, prepare
from perf.bench import synthetic_collection
from tests.conftest import EVENTS_PATH, most_children_at_once

TYPES = ("border_closure", "repatriation", "worker_deployment", "defection")


@pytest.fixture(scope="module")
def prepared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """$BORDER_CACHE for this module: the prepared copies the dashboard would have written."""
    folder = tmp_path_factory.mktemp("prepared")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(folder))
        yield folder


@pytest.fixture(scope="module")
def curated(prepared_cache: Path) -> Prepared:
    """The curated dataset prepared as the dashboard prepares it (its prepared copy on disk)."""
    dataset = prepare(EVENTS_PATH)
    assert cache_path(dataset.digest).is_file()
    return dataset


@pytest.fixture(scope="module")
def synthetic(prepared_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """20,000 synthetic events (perf.bench), prepared: their KML is about 37 MB."""
    data = tmp_path_factory.mktemp("synthetic") / "events.parquet"
    write_events(synthetic_collection(20_000), data)
    return prepare(data)


def shown_rows(dataset: Prepared) -> np.ndarray:
    """Positions of the rows the dashboard shows for TYPES, as it passes them (ascending, not contiguous)."""
    return np.flatnonzero(dataset.frame["event_type"].isin(TYPES).to_numpy())


def same_geopackage(first: bytes, second: bytes, folder: Path) -> bool:
    """Whether two GeoPackages hold the same layer (GDAL stamps each file with its time of writing)."""
    (folder / "a.gpkg").write_bytes(first)
    (folder / "b.gpkg").write_bytes(second)
    a, b = pyogrio.read_dataframe(folder / "a.gpkg"), pyogrio.read_dataframe(folder / "b.gpkg")
    return a.drop(columns="geometry").equals(b.drop(columns="geometry")) and \
        [wkb.dumps(g) if g else None for g in a.geometry] == [wkb.dumps(g) if g else None for g in b.geometry]


def files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_every_format_is_the_file_export_bytes_gives_for_the_same_rows(curated, tmp_path, children):
    rows, folder = shown_rows(curated), tmp_path / "downloads"
    assert 0 < len(rows) < len(curated.frame)
    for fmt in FORMATS:
        got = download_file(curated, rows, fmt, cache_dir=folder).read_bytes()
        want = export_bytes(curated.frame.iloc[rows], fmt)
        assert got == want if fmt != "gpkg" else same_geopackage(got, want, tmp_path), fmt
    assert len(children) == len(FORMATS) and all(child.returncode == 0 for child in children)
    assert len(files(folder)) == len(FORMATS)


def test_a_small_download_is_built_at_once_in_the_request_without_a_child_or_a_file(curated, tmp_path, children):
    rows = shown_rows(curated)
    assert len(rows) * max(ROW_BYTES.values()) <= IN_PROCESS_BYTES
    for fmt in FORMATS:
        started = time.perf_counter()
        got = download_bytes(curated, rows, fmt, cache_dir=tmp_path)
        assert time.perf_counter() - started < 1.5, fmt
        want = export_bytes(curated.frame.iloc[rows], fmt)
        assert got == want if fmt != "gpkg" else same_geopackage(got, want, tmp_path), fmt
    assert children == [] and not (tmp_path / "downloads").exists()


def test_rows_in_another_order_or_another_view_are_another_file(curated, tmp_path, children):
    rows = shown_rows(curated)
    first = download_file(curated, rows, "csv", cache_dir=tmp_path).read_bytes()
    reordered = download_file(curated, rows[::-1], "csv", cache_dir=tmp_path).read_bytes()
    everything = download_file(curated, np.arange(len(curated.frame)), "csv", cache_dir=tmp_path).read_bytes()
    assert len(children) == 3 and len({first, reordered, everything}) == 3
    assert reordered == export_bytes(curated.frame.iloc[rows[::-1]], "csv")
    assert download_file(curated, np.array([], dtype=np.int64), "geojson", cache_dir=tmp_path).read_bytes() == \
        export_bytes(curated.frame.iloc[:0], "geojson")


def test_a_second_request_for_the_same_download_starts_no_child_and_is_fast(curated, tmp_path, children):
    rows = shown_rows(curated)
    started = time.perf_counter()
    first = download_file(curated, rows, "kml", cache_dir=tmp_path).read_bytes()
    built = time.perf_counter() - started
    assert len(children) == 1
    started = time.perf_counter()
    again = download_file(curated, rows, "kml", cache_dir=tmp_path).read_bytes()
    repeated = time.perf_counter() - started
    assert again == first and len(children) == 1, "the second request started a child"
    assert repeated < min(0.2, built / 5), f"a cached download took {repeated:.3f} s (the build {built:.2f} s)"


def test_two_visitors_asking_at_once_get_one_build(curated, tmp_path, children):
    rows, start = shown_rows(curated), threading.Barrier(2)
    results: list[bytes] = []

    def ask() -> None:
        start.wait()
        results.append(download_file(curated, rows, "geojson", cache_dir=tmp_path).read_bytes())

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1] == export_bytes(curated.frame.iloc[rows], "geojson")
    assert len(children) == 1


def run_at_once(asks: list[tuple[str, np.ndarray]], dataset: Prepared, folder: Path,
                children: list) -> tuple[list[tuple[str, float, str]], int]:
    """Ask for each (format, rows) download from its own thread at the same moment; each outcome ('ok' or the
    refusal's sentence) with the seconds it took, and the most child processes seen running at once."""
    start, outcomes = threading.Barrier(len(asks)), []

    def ask(fmt: str, rows: np.ndarray) -> None:
        start.wait()
        began = time.perf_counter()
        try:
            download_file(dataset, rows, fmt, cache_dir=folder).read_bytes()
            outcomes.append((fmt, time.perf_counter() - began, "ok"))
        except DownloadRefused as refused:
            outcomes.append((fmt, time.perf_counter() - began, str(refused)))

    threads = [threading.Thread(target=ask, args=ask_for) for ask_for in asks]
    most = most_children_at_once(threads, children)
    return outcomes, most


def test_one_build_at_a_time_one_request_waits_for_it_and_a_third_is_refused_at_once(curated, tmp_path, children):
    rows = shown_rows(curated)
    outcomes, most = run_at_once([("kml", rows), ("gpkg", rows), ("csv", rows)], curated, tmp_path, children)
    assert most == 1, f"{most} builds ran at once"
    assert sorted(outcome for _, _, outcome in outcomes) == [BUSY, "ok", "ok"]
    [(_, seconds, _)] = [outcome for outcome in outcomes if outcome[2] == BUSY]
    assert seconds < 1.0, f"the refused request was held {seconds:.2f} s"
    assert len(children) == 2


def test_a_request_waits_for_the_build_in_progress_only_a_bounded_time(curated, tmp_path, children, monkeypatch):
    monkeypatch.setattr(downloads, "WAIT_SECONDS", 0.3)
    rows = shown_rows(curated)
    outcomes, most = run_at_once([("kml", rows), ("hxl", rows)], curated, tmp_path, children)
    by_outcome = {outcome: seconds for _, seconds, outcome in outcomes}
    assert set(by_outcome) == {"ok", BUSY} and most == 1 and len(children) == 1
    assert 0.3 <= by_outcome[BUSY] < by_outcome["ok"], outcomes


def test_more_events_than_a_format_allows_are_refused_in_a_sentence_before_anything_is_built(curated, tmp_path,
                                                                                              children):
    for fmt in FORMATS:
        assert refusal(fmt, max_rows(fmt)) is None and refusal(fmt, 100_000) is None, fmt
        sentence = refusal(fmt, 1_000_000)
        assert sentence is not None, f"a million events in {fmt} would be built"
        too_many = np.arange(max_rows(fmt) + 1) % len(curated.frame)
        with pytest.raises(DownloadRefused) as refused:
            download_file(curated, too_many, fmt, cache_dir=tmp_path)
        said = str(refused.value)
        assert said == refusal(fmt, len(too_many)), fmt
        # One plain sentence: the numbers a reader recognises, no code, commands or field names.
        assert "\n" not in said and said.endswith(".") and f"{max_rows(fmt):,} events" in said
        assert f"{len(too_many):,}" in said and " MB" in said
        assert not re.search(r"`|python|rows|fmt|bytes|\b(gpkg|kml|hxl|csv|geojson)\b", said), said
    assert refusal("kml", 1_000_000).startswith("The KML download is offered for up to ")
    assert "5.9 GB" in refusal("kml", 1_000_000)
    assert children == [] and files(tmp_path) == []


def test_the_bytes_an_event_takes_in_each_format_are_at_most_what_the_caps_assume(curated):
    frame, doubled = curated.frame, curated.frame.iloc[np.r_[0:len(curated.frame), 0:len(curated.frame)]]
    for fmt in FORMATS:
        per_row = (len(export_bytes(doubled, fmt)) - len(export_bytes(frame, fmt))) / len(frame)
        # What the caps assume must cover the curated events, which are heavier than the bench's.
        assert per_row <= ROW_BYTES[fmt], (fmt, per_row)


def heavy_dataset(folder: Path) -> Prepared:
    """The curated events with every summary at the longest the schema allows (5,000 characters)."""
    collection = read_json(EVENTS_PATH)
    for number, feature in enumerate(collection["features"]):
        feature["properties"]["summary"] = f"Event {number}: " + "a long summary. " * 310
    data = folder / "heavy.parquet"
    write_events(collection, data)
    return prepare(data)


def test_events_far_heavier_than_usual_stop_at_the_file_limit_and_are_not_built_again(tmp_path, children,
                                                                                       monkeypatch, prepared_cache):
    heavy = heavy_dataset(tmp_path)
    rows = np.arange(len(heavy.frame))
    normal_size = len(export_bytes(heavy.frame.iloc[:0], "kml")) + ROW_BYTES["kml"] * len(rows)
    monkeypatch.setattr(downloads, "MAX_FILE_BYTES", normal_size + 10_000)  # the estimate lets them through
    assert refusal("kml", len(rows)) is None
    folder = tmp_path / "downloads"
    with pytest.raises(DownloadRefused) as refused:
        download_file(heavy, rows, "kml", cache_dir=folder)
    said = str(refused.value)
    assert said.startswith(f"The KML file of these {len(rows):,} events would be larger than ") and "\n" not in said
    assert len(children) == 1 and files(folder) == [], "a file or a temporary file was left behind"
    with pytest.raises(DownloadRefused) as again:
        download_file(heavy, rows, "kml", cache_dir=folder)
    assert str(again.value) == said and len(children) == 1, "the refused file was built again"


MEASURE_GROWTH = """
import re, sys
from pathlib import Path
import numpy as np
from geo.io.downloads import download_file
from geo.io.export import export_bytes
from geo.io.prepared import prepare

def status(field):
    return int(re.search(field + r":\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))

dataset = prepare(Path(sys.argv[1]))
Path("/proc/self/clear_refs").write_text("5")
before = status("VmRSS")
if sys.argv[3] == "child":
    download_file(dataset, np.arange(len(dataset.frame)), "kml", cache_dir=Path(sys.argv[2]))
else:
    export_bytes(dataset.frame, "kml")
print((status("VmHWM") - before) * 1024)
"""


def peak_growth(dataset: Prepared, folder: Path, how: str) -> int:
    """Bytes by which a fresh Python process's peak resident memory (Linux VmHWM, reset through
    /proc/self/clear_refs) rose while it made the dataset's KML, `how` = "child" (the server's way) or
    "in-process". A fresh process, because a long-lived one (the test session) reuses freed pages and
    barely grows."""
    done = subprocess.run([sys.executable, "-c", MEASURE_GROWTH, str(dataset.path), str(folder), how],
                          capture_output=True, text=True, timeout=600, env=os.environ, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1])


def test_the_server_does_not_hold_the_file_in_memory_while_a_child_builds_it(synthetic, tmp_path):
    growth = peak_growth(synthetic, tmp_path, "child")
    [built] = [path for path in tmp_path.iterdir() if path.suffix == ".kml"]
    size = built.stat().st_size
    assert size > 30e6
    assert growth < size / 10, f"the server grew {growth / 1e6:.1f} MB while a {size / 1e6:.0f} MB file was built"
    # The same file made in the process, as the dashboard did before: the memory grows by more than the file.
    in_process = peak_growth(synthetic, tmp_path, "in-process")
    assert in_process > size, f"in-process export grew {in_process / 1e6:.1f} MB"


def test_a_build_runs_at_the_idle_cpu_priority_below_the_server(curated, tmp_path, children):
    def niceness(pid: int) -> int | None:
        try:  # /proc/<pid>/stat: the 19th field is the nice value (after the command name in parentheses)
            return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[16])
        except (FileNotFoundError, ProcessLookupError):
            return None

    build = threading.Thread(target=download_file, args=(curated, shown_rows(curated), "kml"),
                             kwargs={"cache_dir": tmp_path})
    build.start()
    def policy(pid: int) -> int | None:
        try:
            return os.sched_getscheduler(pid)
        except (ProcessLookupError, PermissionError):
            return None

    seen: set[int | None] = set()
    policies: set[int | None] = set()
    while build.is_alive():
        for child in list(children):
            if child.poll() is None:
                seen.add(niceness(child.pid))
                policies.add(policy(child.pid))
        time.sleep(0.002)
    build.join()
    assert min(19, os.nice(0) + BUILD_NICENESS) in seen, f"the child's nice values seen: {seen}"
    assert os.SCHED_IDLE in policies, f"the child's scheduling classes seen: {policies}"
    assert len(children) == 1


def test_a_build_past_its_time_is_stopped_and_refused_in_a_sentence(curated, tmp_path, children, monkeypatch):
    monkeypatch.setattr(downloads, "BUILD_SECONDS", 0.3)  # less than the child needs to start
    with pytest.raises(DownloadRefused) as refused:
        download_file(curated, shown_rows(curated), "kml", cache_dir=tmp_path)
    assert str(refused.value) == TOO_SLOW and len(children) == 1 and children[0].returncode != 0
    assert not [name for name in files(tmp_path) if name.endswith(".kml")]


def test_a_build_past_its_memory_is_stopped_and_refused_in_a_sentence(curated, tmp_path, children, monkeypatch):
    monkeypatch.setattr(downloads, "BUILD_MEMORY_BYTES", 200_000_000)  # less than reading the dataset needs
    with pytest.raises(DownloadRefused) as refused:
        download_file(curated, shown_rows(curated), "gpkg", cache_dir=tmp_path)
    assert str(refused.value) == TOO_BIG_FOR_MEMORY and len(children) == 1


def test_without_a_prepared_copy_on_disk_the_server_writes_one_beside_the_downloads_once(tmp_path, children,
                                                                                         prepared_cache):
    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes().replace(b'"title": "', b'"title": "Copy: ', 1))
    dataset = prepare(data)
    cache_path(dataset.digest).unlink()  # as when the prepared-data folder could not be written
    rows, folder = shown_rows(dataset), tmp_path / "downloads"
    assert download_file(dataset, rows, "csv", cache_dir=folder).read_bytes() == \
        export_bytes(dataset.frame.iloc[rows], "csv")
    own = folder / f"{OWN_COPY_PREFIX}{cache_path(dataset.digest).name}"
    written = own.stat().st_mtime_ns
    assert download_file(dataset, rows, "kml", cache_dir=folder).read_bytes() == \
        export_bytes(dataset.frame.iloc[rows], "kml")
    assert own.stat().st_mtime_ns == written and len(children) == 2 and not cache_path(dataset.digest).exists()


def test_a_damaged_prepared_copy_is_replaced_by_the_servers_own(tmp_path, children, prepared_cache):
    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes().replace(b'"title": "', b'"title": "Damaged: ', 1))
    dataset = prepare(data)
    cache_path(dataset.digest).write_bytes(b"not parquet")
    rows, folder = shown_rows(dataset), tmp_path / "downloads"
    assert download_file(dataset, rows, "geojson", cache_dir=folder).read_bytes() == \
        export_bytes(dataset.frame.iloc[rows], "geojson")
    assert (folder / f"{OWN_COPY_PREFIX}{cache_path(dataset.digest).name}").is_file()
    assert len(children) == 2  # the first refused the damaged copy, the second read the server's own


def test_a_downloads_folder_that_cannot_be_written_gives_way_to_a_private_temporary_one(curated, tmp_path, children):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the downloads folder should be")
    path = download_file(curated, shown_rows(curated), "csv", cache_dir=blocker / "downloads")
    assert path.parent.name.startswith("border-downloads-") and path.is_relative_to(tempfile.gettempdir())
    assert path.read_bytes() == export_bytes(curated.frame.iloc[shown_rows(curated)], "csv")
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"


def test_downloads_are_kept_in_the_prepared_data_cache_by_default(curated, prepared_cache, children):
    path = download_file(curated, shown_rows(curated)[:3], "csv")
    assert path.parent == downloads_dir() == prepared_cache / "downloads"


def test_the_retention_removes_the_least_recently_used_files_beyond_its_count(curated, tmp_path, children,
                                                                             monkeypatch):
    monkeypatch.setattr(downloads, "KEPT_FILES", 3)
    views = [np.arange(start, start + 5) for start in range(5)]
    paths = [download_file(curated, view, "csv", cache_dir=tmp_path) for view in views[:3]]
    os.utime(paths[0], (time.time() - 100, time.time() - 100))
    os.utime(paths[1], (time.time() - 200, time.time() - 200))
    assert download_file(curated, views[0], "csv", cache_dir=tmp_path) == paths[0]  # a use: now the newest
    paths.append(download_file(curated, views[3], "csv", cache_dir=tmp_path))
    assert files(tmp_path) == sorted(path.name for path in (paths[0], paths[2], paths[3]))
    assert len(children) == 4 and KEPT_FILES >= 3 * len(FORMATS)


def test_the_retention_keeps_the_total_size_and_clears_what_a_killed_build_left(curated, tmp_path, children,
                                                                               monkeypatch):
    leftover, fresh = tmp_path / ".abc.kml.x1y2.tmp", tmp_path / ".def.kml.z3w4.tmp"
    leftover.write_bytes(b"half a file")
    fresh.write_bytes(b"a build under way")
    os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("not ours")
    first = download_file(curated, shown_rows(curated), "kml", cache_dir=tmp_path)
    monkeypatch.setattr(downloads, "KEPT_BYTES", first.stat().st_size + 1)
    second = download_file(curated, shown_rows(curated), "geojson", cache_dir=tmp_path)
    assert files(tmp_path) == sorted([fresh.name, second.name, unrelated.name])


def test_row_positions_outside_the_dataset_are_an_error_not_a_download(curated, tmp_path, children):
    with pytest.raises(ValueError, match="outside"):
        download_file(curated, np.array([0, len(curated.frame)]), "csv", cache_dir=tmp_path)
    assert children == []


# --- The names the files are offered under ------------------------------------------------------------------


@pytest.fixture(scope="module")
def whole_view(events):
    from geo.events.schema import LAYERS
    from geo.view.link import dataset_view

    return dataset_view(events, list(LAYERS))


def test_a_file_name_says_the_months_and_the_event_type_it_holds(whole_view):
    import datetime as dt
    from dataclasses import replace

    from geo.io.downloads import download_name

    chosen = replace(whole_view.filters, since=dt.date(2022, 1, 1), until=dt.date(2024, 12, 31),
                     event_types=("defection",))
    assert download_name(chosen, whole_view, ".csv") == "border-events_2022-01_2024-12_defection.csv"
    assert download_name(chosen, whole_view, ".csv", hxl=True) == "border-events_2022-01_2024-12_defection-hxl.csv"
    since, until = whole_view.filters.since, whole_view.filters.until
    assert download_name(whole_view.filters, whole_view, ".geojson") == \
        f"border-events_{since:%Y-%m}_{until:%Y-%m}_all.geojson"
    two = replace(chosen, event_types=("escape", "defection"))
    assert download_name(two, whole_view, ".kml") == "border-events_2022-01_2024-12_defection-and-escape.kml"


def test_other_filters_in_force_are_named_and_the_name_stays_short_and_plain(whole_view):
    from dataclasses import replace

    from geo.io.downloads import NAME_MAX, download_name

    many = replace(whole_view.filters, event_types=whole_view.filters.event_types[:7], max_border_km=10.0,
                   corroborated_only=True, include_undated=False, layers=("incidents",),
                   text='Dandong 丹东 "../../etc/passwd" ' + "x" * 500)
    name = download_name(many, whole_view, ".gpkg")
    assert name.startswith("border-events_") and name.endswith(".gpkg") and len(name) <= NAME_MAX
    assert re.fullmatch(r"[a-z0-9_.-]+", name) and ".." not in name and "/" not in name
    assert "_7-types_incidents_within-10km_corroborated_dated-only_search-" in name
    assert download_name(replace(many, event_types=()), whole_view, ".csv").split("_")[3] == "no-types"
