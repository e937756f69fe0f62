"""The article texts the dataset cites as `seeds/<hash>.txt` when an article has no URL.

A seed's name is derived from nothing but the sha256 of its text, so no input can choose where it
is written; `seed_path` also resolves the path and checks it lies directly inside `seeds/`. The
review page writes a seed only after the events citing it were appended.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from geo.store import _write_atomically

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
SEEDS_ENV = "BORDER_SEEDS"  # another folder for new seeds (tests, a server whose checkout is read-only)
SEED_NAME = re.compile(r"[0-9a-f]{16}\.txt")
URL_SCHEMES = ("http://", "https://")


def seed_ref(text: str) -> str:
    """The ref an article without a URL is cited by: `seeds/<first 16 hex digits of its sha256>.txt`."""
    return f"seeds/{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}.txt"


def is_url(ref: str) -> bool:
    """Whether `ref` is a web address a source may cite (http or https only)."""
    return ref.lower().startswith(URL_SCHEMES) and len(ref) > len("https://")


def seeds_dir() -> Path:
    """Where new seeds are written: $BORDER_SEEDS, by default the project's seeds/."""
    return Path(os.environ.get(SEEDS_ENV) or SEEDS_DIR)


def seed_path(ref: str, folder: Path | None = None) -> Path:
    """The file a seed ref names; ValueError unless it is a hash-named file directly inside the seeds folder."""
    folder = folder or seeds_dir()
    name = ref.removeprefix("seeds/")
    if not SEED_NAME.fullmatch(name):
        raise ValueError(f"not a seed ref made by seed_ref: {ref[:80]!r}")
    path = (folder / name).resolve()
    if path.parent != folder.resolve():
        raise ValueError(f"seed path escapes {folder}: {ref[:80]!r}")
    return path


def write_seed(text: str, folder: Path | None = None) -> Path:
    """Keep `text` as its seed file (atomically; an existing one is the same text and is left alone)."""
    path = seed_path(seed_ref(text), folder)
    if not path.exists():
        _write_atomically(path, text.encode("utf-8"))
    return path
