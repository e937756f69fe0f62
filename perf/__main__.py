"""`python -m perf bench|browser|loadtest|downloads`: the measurements, each with its own options (`--help`).

- `bench`: the library's load, filter and map build on synthetic data, beside a naive build (perf.bench);
- `browser`: what a reader waits for in Chromium, ours beside the naive peer (perf.browser_bench);
- `loadtest`: real Streamlit sessions over the websocket protocol, with appends (perf.loadtest);
- `downloads`: every download format built the dashboard's way at scale: size, time, peak memory (perf.downloads).
"""

from __future__ import annotations

import sys

COMMANDS = ("bench", "browser", "loadtest", "downloads")


def main(argv: list[str] | None = None) -> int:
    """Run one measurement with the rest of `argv`; 2 for an unknown one."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m perf {{{','.join(COMMANDS)}}} [options]\n{__doc__.strip()}", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "bench":
        from perf.bench import main as run
    elif command == "browser":
        from perf.browser_bench import main as run
    elif command == "loadtest":
        from perf.loadtest import main as run
    else:
        from perf.downloads import main as run
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
