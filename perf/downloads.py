"""`python -m perf downloads`: what the dashboard's downloads (geo.io.downloads) cost at scale.

Every format of N synthetic events (perf.bench) built the dashboard's way: each file's size, the first
(built in a child) and repeat (cached) time, and the child's peak memory.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from geo.io.downloads import (
    BUILD_MEMORY_BYTES,
    BUILD_SECONDS,
    MAX_FILE_BYTES,
    Built,
    DownloadRefused,
    download_bytes,
    download_file,
    last_build,
)
from geo.io.export import FORMAT_NAMES, export_bytes
from geo.io.geoparquet import write_events
from geo.io.prepared import CACHE_ENV, prepare
from perf.bench import synthetic_collection


def main(argv: list[str] | None = None) -> int:
    """`python -m perf downloads [--events N] [--in-process]`: build every format of N synthetic events
    (perf.bench) the dashboard's way, and print each file's size, the first (built in a child) and repeat
    (cached) time, and the child's peak memory; with --in-process also the time export_bytes takes in this
    process (what every click cost before). Everything is written in a temporary folder, removed afterwards."""
    parser = argparse.ArgumentParser(prog="python -m perf downloads", description=main.__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="synthetic events (default 100,000)")
    parser.add_argument("--in-process", action="store_true", help="also time export_bytes in this process")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="border-downloads-measure-") as scratch:
        os.environ[CACHE_ENV] = str(Path(scratch) / "prepared")
        data = Path(scratch) / "events.parquet"
        write_events(synthetic_collection(args.events), data)
        dataset = prepare(data)
        rows = np.arange(len(dataset.frame))
        print(f"{len(rows):,} synthetic events; limits: {MAX_FILE_BYTES / 1e6:,.0f} MB a file, "
              f"{BUILD_SECONDS} s and {BUILD_MEMORY_BYTES / 1e9:g} GB a build")
        print(f"{'format':8} {'MB':>7} {'first s':>8} {'repeat s':>9} {'child peak MB':>14} "
              f"{'child address space MB':>23}" + (f" {'in-process s':>13}" if args.in_process else ""))
        for fmt in FORMAT_NAMES:
            started = time.perf_counter()
            try:
                download_file(dataset, rows, fmt)
            except DownloadRefused as refused:
                print(f"{fmt:8} {refused}")
                continue
            first = time.perf_counter() - started
            started = time.perf_counter()
            size = len(download_bytes(dataset, rows, fmt))
            repeat = time.perf_counter() - started
            built = last_build() or Built(0, 0.0, 0, 0)
            line = (f"{fmt:8} {size / 1e6:7.1f} {first:8.1f} {repeat:9.2f} {built.peak_rss / 1e6:14.0f} "
                    f"{built.peak_address_space / 1e6:23.0f}")
            if args.in_process:
                started = time.perf_counter()
                export_bytes(dataset.frame, fmt)
                line += f" {time.perf_counter() - started:13.1f}"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
