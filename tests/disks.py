"""A real full disk for tests: a small tmpfs mounted for the length of a block.

Mounting needs root (or CAP_SYS_ADMIN); where it is impossible the test is skipped, saying why. Writes past
the mount's size fail with ENOSPC, as on a full disk, in this process and in any other.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_disk(where: Path, size_bytes: int) -> Iterator[Path]:
    """A tmpfs of `size_bytes` (rounded up to whole pages) mounted at `where` (created) until the block ends."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0755", "tmpfs", str(where)],
                             capture_output=True, text=True, timeout=30)
    if mounted.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here ({mounted.stderr.strip() or mounted.returncode}), so a "
                    "full disk cannot be made")
    try:
        yield where
    finally:
        subprocess.run(["umount", "--lazy", str(where)], check=True, timeout=30)


def fill(folder: Path) -> None:
    """Fill the disk `folder` is on until a write fails with no space left (the filler file stays)."""
    with (folder / "filler.bin").open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
