"""The dashboard's downloads: each file built once, in a child process, and kept on disk.

A download is the rows a visitor sees (their positions in a prepared dataset, geo.io.prepared) in one of
geo.io.export's FORMATS. `download_bytes(dataset, rows, fmt)` gives its bytes:

- **Refused before anything is built** when the rows are more than the format's `max_rows`: that is,
  when `rows x ROW_BYTES[fmt]` (the bytes an event with a few sources takes in that format, measured on the
  curated data) would pass MAX_FILE_BYTES. `refusal(fmt, rows)` gives the sentence the reader sees, so the
  dashboard can say it without a click. The child also stops writing as soon as the file passes
  MAX_FILE_BYTES (events with far longer text than usual), and that refusal is remembered for the file.
- **Read from the cache** when the same file was built before: `<downloads folder>/<key>.<format>`, where
  the key is a hash of the prepared copy's name (the dataset's digest, the prepared layout, the reference
  data), the code that writes exports (every geo/ source file), the format and the row positions. A new
  dataset version, a new filter or new code is a new file; the same view asked for again is read from disk.
- **Built in a child process** otherwise (geo.budget.run_bounded: at most BUILD_SECONDS and
  BUILD_MEMORY_BYTES, at a lower CPU priority than the server's), so the server's GIL, memory and CPU stay
  free for visitors' reruns while it works: the child reads the prepared copy from disk, takes the rows
  and streams the file to disk (geo.io.export.write_export); the server sends it only the row positions
  and gets back only the file's size.
- **One build at a time per server process.** One more request may wait for it, up to WAIT_SECONDS (two
  visitors asking for the same file at once get the one build); any other is refused at once with a
  sentence asking to try again, so downloads never hold more than two of the server's worker threads.

Where the files are: `downloads_dir()`, the `downloads` folder inside the prepared-data cache
(geo.io.prepared.default_cache_dir: $BORDER_CACHE, else .cache/prepared). Retention: after each build the
least recently used files there are removed beyond KEPT_FILES files or KEPT_BYTES bytes in all (a cache hit
counts as a use), and temporary files a killed build left behind once they are older than any build can run.

When the dataset has no prepared copy on disk (its cache folder was read-only, or the copy was pruned
since), the server writes one copy of its frame into the downloads folder, once per dataset version, and
the child reads that. When the downloads folder itself cannot be written, a private temporary folder of
this process is used instead (removed when the process exits), so downloads keep working; the server's
log says so. Only when no folder at all can be written is a download refused, in one sentence.
"""

from __future__ import annotations

import atexit
import errno
import functools
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geo.budget import ChildDied, DeadlineExceeded, Limits, run_bounded
from geo.io.export import FORMAT_NAMES, ExportTooLarge, check_format, export_bytes, write_export
from geo.io.prepared import Prepared, cache_path, default_cache_dir, read_prepared, write_prepared

if TYPE_CHECKING:
    from geo.view.filters import Filters
    from geo.view.link import View

MAX_FILE_BYTES = 600_000_000
"""The largest file one download may be (600 MB: the server holds it in memory while a visitor fetches it)."""

ROW_BYTES: dict[str, int] = {"kml": 5_900, "gpkg": 5_000, "geojson": 3_900, "csv": 1_600, "hxl": 1_600}
"""Bytes one event takes in each format, rounded up from the curated dataset (events with several sources
and full summaries; the synthetic bench events take less). Only used to refuse before building."""

IN_PROCESS_BYTES = 2_000_000
"""A download estimated at most this big (rows x ROW_BYTES: a few hundred events) is built in the request's own
thread, in well under a second; larger ones in a child process, once, and cached."""

BUILD_SECONDS = 300
"""Wall-clock time one build may take in its child process (100,000 events: 9 to 16 s a format, measured)."""

BUILD_MEMORY_BYTES = 8_000_000_000
"""Address space one build's child process may use (it reads the whole prepared dataset)."""

BUILD_NICENESS = 19
"""How much lower the build's CPU priority is than the server's (os.nice), on top of the idle scheduling
class (SCHED_IDLE, Linux): the build runs only on CPU time no visitor's rerun wants."""

WAIT_SECONDS = 60
"""How long a request waits for the build in progress before it is refused."""

KEPT_FILES = 64
KEPT_BYTES = 4_000_000_000
"""Retention of the downloads folder: at most KEPT_FILES files and KEPT_BYTES bytes, least recently used
removed first (the file just built is always kept)."""

FOLDER_NAME = "downloads"

BUSY = "Another download is being prepared on this server. Please try again in a minute."
TOO_SLOW = ("This download took too long to prepare and was stopped. Narrow the filters to fewer events "
            "and try again.")
TOO_BIG_FOR_MEMORY = ("This download needs more memory than this server allows for one file. Narrow the filters "
                      "to fewer events and try again.")
NO_ROOM = "This server has no room to prepare downloads right now. Please try again later."
FAILED = "This download could not be prepared. Please try again later."

_LOG = logging.getLogger(__name__)
_KEY_LENGTH = 32
_DOWNLOAD_NAME = re.compile(rf"[0-9a-f]{{{_KEY_LENGTH}}}\.({'|'.join(FORMAT_NAMES)})")
OWN_COPY_PREFIX = "prepared-"
"""A prepared copy the server wrote into the downloads folder is named this plus geo.io.prepared.cache_path's name."""
_OWN_COPY_NAME = re.compile(rf"{OWN_COPY_PREFIX}[^/]+\.parquet")
_TEMPORARY_NAME = re.compile(r"\..+\.tmp(\.gpkg.*)?")  # geo.io.atomic.write_atomically's (and GDAL's beside it)
_STALE_SECONDS = BUILD_SECONDS + 60

_building = threading.Lock()  # held while a child builds a file
_admitted = threading.BoundedSemaphore(2)  # the request building and one waiting for it
_too_large: dict[str, None] = {}  # names of files a child found larger than MAX_FILE_BYTES (bounded)
_private_lock = threading.Lock()
_private: Path | None = None


@dataclass(frozen=True)
class Built:
    """One build: the file's size, the seconds it took (the child's start-up included), and the child's
    peak resident memory and peak address space in bytes (0 where the system does not say)."""

    size: int
    seconds: float
    peak_rss: int
    peak_address_space: int


_last_build: Built | None = None


def last_build() -> Built | None:
    """The most recent build in this process (None before the first): what `python -m perf.downloads`
    reports."""
    return _last_build


class DownloadRefused(Exception):
    """This download is not given; `str(error)` is one plain sentence for the reader saying why."""


class PreparedCopyUnreadable(Exception):
    """(In the child) the prepared copy named for the build is missing or not what geo.io.prepared wrote."""


def max_rows(fmt: str) -> int:
    """The most events a download in `fmt` is offered for: MAX_FILE_BYTES / ROW_BYTES[fmt], rounded down
    to a thousand from 10,000 on."""
    check_format(fmt)
    rows = MAX_FILE_BYTES // ROW_BYTES[fmt]
    return rows // 1000 * 1000 if rows >= 10_000 else rows


def _size_text(size: int) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.0f} MB"


def refusal(fmt: str, rows: int) -> str | None:
    """Why a download of `rows` events in `fmt` (one of FORMATS) is not offered, in one plain sentence, or
    None when it is. Decided from the count alone, before anything is built."""
    limit = max_rows(fmt)
    if rows <= limit:
        return None
    return (f"The {FORMAT_NAMES[fmt]} download is offered for up to {limit:,} events: these {rows:,} would make "
            f"a file of about {_size_text(rows * ROW_BYTES[fmt])}. Narrow the filters to {limit:,} events or fewer.")


def _too_large_sentence(fmt: str, rows: int) -> str:
    return (f"The {FORMAT_NAMES[fmt]} file of these {rows:,} events would be larger than "
            f"{_size_text(MAX_FILE_BYTES)}, the most this server offers in one download. Narrow the filters to "
            "fewer events.")


def downloads_dir() -> Path:
    """The folder downloads are kept in: `downloads` inside geo.io.prepared.default_cache_dir()."""
    return default_cache_dir() / FOLDER_NAME


@functools.cache
def _code_digest() -> str:
    """A short hash of every source file of the geo package: new code that writes exports misses the cache."""
    hasher = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):
        hasher.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes() + b"\0")
    return hasher.hexdigest()[:12]


def cache_name(digest: str, rows: np.ndarray, fmt: str) -> str:
    """The cache file's name for these row positions of the prepared dataset with `digest`, in `fmt`."""
    hasher = hashlib.sha256(f"{cache_path(digest).name}\0{_code_digest()}\0{fmt}\0".encode())
    hasher.update(np.ascontiguousarray(rows, dtype="<i8").tobytes())
    return f"{hasher.hexdigest()[:_KEY_LENGTH]}.{fmt}"


NAME_PREFIX = "border-events"
NAME_MAX = 100
"""The longest file name `download_name` gives (its extension included)."""
TYPES_NAMED = 2
"""Up to this many chosen event types are named in a file name; more are counted ('3-types')."""


def _name_part(text: str) -> str:
    """`text` as a file-name part: lower case, runs of anything but [a-z0-9] as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _chosen(chosen: tuple[str, ...] | None, whole: tuple[str, ...] | None, noun: str) -> str | None:
    """How a name says a multiple choice: None when it is the whole (nothing left out), else the one or two ids
    ('defection', 'defection-and-escape'), or their count ('3-types'), or 'no-types'."""
    if chosen is None or (whole is not None and set(chosen) >= set(whole)):
        return None
    if not chosen:
        return f"no-{noun}s"
    if len(chosen) <= TYPES_NAMED:
        return "-and-".join(_name_part(value) for value in sorted(chosen))
    return f"{len(chosen)}-{noun}s"


def download_name(filters: Filters, default: View | Filters, extension: str, *, hxl: bool = False) -> str:
    """The file name a download is offered under, saying what it holds: the months it spans, the event types
    ('all', one or two by name, or how many), then any other filter in force, then '-hxl' for the HXL variant and
    `extension` ('.csv'): e.g. `border-events_2022-01_2024-12_defection.csv`. A filter at its value in `default`
    (the dataset's whole view, geo.view.link.dataset_view) is not named. Only [a-z0-9_.-], at most NAME_MAX
    characters (the end cut, the extension kept)."""
    whole: Filters = getattr(default, "filters", default)
    since, until = filters.since or whole.since, filters.until or whole.until
    parts = [NAME_PREFIX, f"{since:%Y-%m}" if since else "start", f"{until:%Y-%m}" if until else "end",
             _chosen(filters.event_types, whole.event_types, "type") or "all"]
    if layers := _chosen(filters.layers, whole.layers, "layer"):
        parts.append(layers)
    if filters.max_border_km is not None and filters.max_border_km != whole.max_border_km:
        parts.append(f"within-{filters.max_border_km:g}km")
    if filters.corroborated_only and not whole.corroborated_only:
        parts.append("corroborated")
    if not filters.include_undated and whole.include_undated:
        parts.append("dated-only")
    if filters.text.strip() and filters.text != whole.text:
        parts.append("search-" + _name_part(filters.text)[:24].strip("-"))
    suffix = ("-hxl" if hxl else "") + "." + _name_part(extension)
    stem = re.sub(r"[^a-z0-9_.-]", "", "_".join(part for part in parts if part))
    return stem[:NAME_MAX - len(suffix)].rstrip("_-.") + suffix


def _private_folder(unusable: Path, problem: str) -> Path:
    """A temporary folder only this process uses (made once, said once in the server's log, removed when the
    process exits), for when `unusable`, the downloads folder, cannot be written."""
    global _private
    with _private_lock:
        if _private is None or not _private.is_dir():
            _private = Path(tempfile.mkdtemp(prefix="border-downloads-"))
            atexit.register(shutil.rmtree, _private, ignore_errors=True)
            _LOG.warning("downloads: %s cannot be used (%s); keeping downloads in %s until this server stops",
                         unusable, problem, _private)
        return _private


def _writable_folder(cache_dir: Path | None) -> Path:
    """`cache_dir` (default downloads_dir()), made if missing, or this process's private folder when it
    cannot be written. Raises DownloadRefused when neither can."""
    folder = Path(cache_dir) if cache_dir is not None else downloads_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK | os.X_OK):
            return folder
        problem = "it is not writable"
    except OSError as error:
        problem = error.strerror or str(error)
    try:
        return _private_folder(folder, problem)
    except OSError as error:
        _LOG.warning("downloads: neither %s (%s) nor a temporary folder can be written: %s", folder, problem, error)
        raise DownloadRefused(NO_ROOM) from None


def _used(path: Path) -> bool:
    """Whether `path` exists; if so it is marked as just used (its modification time), for the retention."""
    try:
        os.utime(path)
        return True
    except FileNotFoundError:
        return False


def download_file(dataset: Prepared, rows: np.ndarray, fmt: str, *, cache_dir: Path | None = None) -> Path:
    """The cached file holding the rows at positions `rows` (in order) of `dataset.frame`, in `fmt` (one of
    FORMATS): exactly the file geo.io.export gives for `dataset.frame.iloc[rows]`. Built in a child process
    the first time (see the module's docstring), then found in `cache_dir` (default downloads_dir()).

    Raises DownloadRefused (a sentence for the reader) when the download is too large, the server is busy
    with another build past WAIT_SECONDS, or the build failed (the reason is logged); ExportError for an
    unknown format and ValueError for positions outside the dataset."""
    check_format(fmt)
    positions = np.asarray(rows, dtype=np.int64)
    if positions.ndim != 1:
        raise ValueError("row positions must be a one-dimensional array")
    if why := refusal(fmt, len(positions)):
        raise DownloadRefused(why)
    if len(positions) and (positions.min() < 0 or positions.max() >= len(dataset.frame)):
        raise ValueError(f"row positions outside the dataset's {len(dataset.frame):,} rows")
    folder = _writable_folder(cache_dir)
    target = folder / cache_name(dataset.digest, positions, fmt)
    if _used(target):
        return target
    if target.name in _too_large:
        raise DownloadRefused(_too_large_sentence(fmt, len(positions)))
    with build_slot():
        if _used(target):  # built by the request this one waited for
            return target
        if target.name in _too_large:
            raise DownloadRefused(_too_large_sentence(fmt, len(positions)))
        source = _build(dataset, positions, fmt, target, folder)
        _prune(folder, keep={target, source})
        return target


@contextmanager
def build_slot() -> Iterator[None]:
    """This server's one build slot, held for the block: every download is built in it (the dashboard's map
    download too), one at a time. One more request may wait for it, up to WAIT_SECONDS; any other is refused
    at once with DownloadRefused(BUSY), so builds never hold more than two of the server's worker threads."""
    if not _admitted.acquire(blocking=False):
        raise DownloadRefused(BUSY)
    try:
        if not _building.acquire(timeout=WAIT_SECONDS):
            raise DownloadRefused(BUSY)
        try:
            yield
        finally:
            _building.release()
    finally:
        _admitted.release()


def download_bytes(dataset: Prepared, rows: np.ndarray, fmt: str, *, cache_dir: Path | None = None) -> bytes:
    """What the dashboard's download button serves for the rows at positions `rows` of `dataset.frame` in `fmt`:
    a small file (at most IN_PROCESS_BYTES by its estimate) built right here, where a child and a read of the
    whole prepared copy would cost seconds for milliseconds of work; any other the bytes of
    `download_file(dataset, rows, fmt, cache_dir=cache_dir)`. Raises as download_file does."""
    check_format(fmt)
    if len(rows) * ROW_BYTES[fmt] <= IN_PROCESS_BYTES:
        return export_bytes(dataset.frame.iloc[np.asarray(rows, dtype=np.int64)], fmt)
    for _ in range(2):
        path = download_file(dataset, rows, fmt, cache_dir=cache_dir)
        try:
            return path.read_bytes()
        except FileNotFoundError:  # removed by another server's retention in between: built again
            continue
    raise DownloadRefused(FAILED)


def _own_copy(dataset: Prepared, folder: Path, *, rewrite: bool = False) -> Path:
    """A prepared copy of `dataset` in `folder` (written by this process, once per dataset version)."""
    path = folder / f"{OWN_COPY_PREFIX}{cache_path(dataset.digest).name}"
    if rewrite or not path.is_file():
        _LOG.warning("downloads: no readable prepared copy of dataset %s in the cache; writing one to %s",
                     dataset.digest[:12], folder)
        write_prepared(dataset.frame, path, dataset.digest)
    return path


def _build(dataset: Prepared, rows: np.ndarray, fmt: str, target: Path, folder: Path) -> Path:
    """Build `target` in a child process from the dataset's prepared copy; the copy it read. Raises
    DownloadRefused for every way a build can fail that is not a defect in the code."""
    source = cache_path(dataset.digest)
    build = Limits(BUILD_SECONDS, BUILD_MEMORY_BYTES)
    try:
        if not source.is_file():
            source = _own_copy(dataset, folder)
        started = time.perf_counter()
        try:
            built = run_bounded(build, write_download, str(source), dataset.digest, rows, fmt, str(target),
                                MAX_FILE_BYTES)
        except PreparedCopyUnreadable:  # damaged, or removed by the prepared cache's retention meanwhile
            source = _own_copy(dataset, folder, rewrite=True)
            built = run_bounded(build, write_download, str(source), dataset.digest, rows, fmt, str(target),
                                MAX_FILE_BYTES)
        global _last_build
        _last_build = Built(built.size, time.perf_counter() - started, built.peak_rss, built.peak_address_space)
        _LOG.info("downloads: %s of %s rows built: %s bytes in %.1f s, the child's peak memory %s MB",
                  fmt, len(rows), built.size, _last_build.seconds, built.peak_rss >> 20)
        return source
    except ExportTooLarge:
        while len(_too_large) >= 1024:
            del _too_large[next(iter(_too_large))]
        _too_large[target.name] = None
        raise DownloadRefused(_too_large_sentence(fmt, len(rows))) from None
    except DeadlineExceeded:
        _LOG.warning("downloads: %s of %s rows took longer than %s s; stopped", fmt, len(rows), BUILD_SECONDS)
        raise DownloadRefused(TOO_SLOW) from None
    except MemoryError:
        _LOG.warning("downloads: %s of %s rows needed more than %s bytes; stopped", fmt, len(rows),
                     BUILD_MEMORY_BYTES)
        raise DownloadRefused(TOO_BIG_FOR_MEMORY) from None
    except OSError as error:
        _LOG.warning("downloads: %s of %s rows could not be written: %s", fmt, len(rows), error)
        raise DownloadRefused(NO_ROOM if error.errno in (errno.ENOSPC, errno.EDQUOT) else FAILED) from None
    except (ChildDied, PreparedCopyUnreadable) as error:
        _LOG.warning("downloads: %s of %s rows failed: %s", fmt, len(rows), error)
        raise DownloadRefused(FAILED) from None


def write_download(source: str, digest: str, rows: np.ndarray, fmt: str, target: str, max_bytes: int) -> Built:
    """(Runs in the child process.) Read the prepared copy at `source` (for content `digest`), take the rows
    at positions `rows` and write them in `fmt` to `target` atomically; the file's size and this process's
    peak memory (`seconds` 0: the caller times it). Raises PreparedCopyUnreadable when the copy is missing
    or not trusted, ExportTooLarge past `max_bytes`. Runs at the idle CPU priority (see BUILD_NICENESS)."""
    os.nice(BUILD_NICENESS)
    if hasattr(os, "SCHED_IDLE"):  # Linux: below every nice value; lowering one's own class needs no privilege
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    frame = read_prepared(Path(source), digest)
    if frame is None:
        raise PreparedCopyUnreadable(f"no readable prepared copy at {source}")
    chosen = frame.iloc[rows]
    del frame  # the rows not chosen are freed before writing
    size = write_export(chosen, fmt, Path(target), max_bytes=max_bytes)
    return Built(size, 0.0, *_peak_memory())


def _peak_memory() -> tuple[int, int]:
    """This process's peak resident memory and peak address space in bytes, from /proc (Linux); 0 elsewhere."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0, 0
    peaks = dict(re.findall(r"^(VmHWM|VmPeak):\s+(\d+) kB", status, re.MULTILINE))
    return int(peaks.get("VmHWM", 0)) * 1024, int(peaks.get("VmPeak", 0)) * 1024


def _prune(folder: Path, keep: set[Path]) -> None:
    """Apply the retention to `folder`: least recently used downloads and prepared copies removed beyond
    KEPT_FILES files and KEPT_BYTES bytes (`keep` always kept), and temporary files older than any build."""
    now, entries = time.time(), []
    for path in folder.iterdir():
        try:
            status = path.stat()
        except FileNotFoundError:
            continue
        if _TEMPORARY_NAME.fullmatch(path.name):
            if now - status.st_mtime > _STALE_SECONDS:
                path.unlink(missing_ok=True)
        elif _DOWNLOAD_NAME.fullmatch(path.name) or _OWN_COPY_NAME.fullmatch(path.name):
            entries.append((status.st_mtime, status.st_size, path))
    count = total = 0
    for _, size, path in sorted(entries, key=lambda entry: entry[0], reverse=True):
        if path in keep or (count < KEPT_FILES and total + size <= KEPT_BYTES):
            count, total = count + 1, total + size
        else:
            path.unlink(missing_ok=True)
