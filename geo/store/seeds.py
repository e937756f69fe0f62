"""The article texts the dataset cites as `seeds/<hash>.txt` when an article has no URL.

A seed's name is derived from nothing but the sha256 of its text, so no input can choose where it
is written; `seed_path` also resolves the path and checks it lies directly inside `seeds/`.

An append that cites a new seed writes it first and commits after (`seed_kept_for`): a crash or a full disk
can then leave at worst a seed nobody cites, never an event citing a file that does not exist, and a commit
that fails takes back the seed it created (never one that was there before: other events may cite it).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.io.atomic import write_bytes_atomically
from geo.paths import SEEDS_DIR
from geo.store.errors import WrittenUnrecorded

SEEDS_ENV = "BORDER_SEEDS"  # another folder for new seeds (tests, a server whose checkout is read-only)
SEED_NAME = re.compile(r"[0-9a-f]{16}\.txt")
URL_SCHEMES = ("http://", "https://")


class SeedError(Exception):
    """An article's text cannot be kept in the seeds folder (a full disk, no permission); nothing of it was
    left there. The message is one line for people, naming no server path."""


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


@contextmanager
def seed_kept_for(text: str, folder: Path | None = None) -> Iterator[str]:
    """Keep `text` as its seed for the block, which commits the events citing it; yields the seed's ref.

    The seed is written (atomically) before the block runs; if the block raises, a seed written here is
    removed again and the exception goes on, unless it is geo.store.WrittenUnrecorded (the events citing it were
    written). A seed that existed before is left alone either way. The seeds
    folder is locked (flock on the folder itself, so no lock file appears in it) until the block ends, so
    two appends citing the same text cannot remove the file under each other. SeedError when the seed
    cannot be written (a full disk: ENOSPC); then nothing is left of it and the block does not run."""
    folder = folder or seeds_dir()
    path = seed_path(seed_ref(text), folder)
    with _folder_locked(folder):
        created = not path.exists()
        try:
            if created:
                try:
                    write_bytes_atomically(path, text.encode("utf-8"))
                except OSError as error:
                    raise SeedError("the article's text could not be kept in seeds/: "
                                    f"{error.strerror or type(error).__name__}") from None
            yield seed_ref(text)
        except BaseException as error:
            if created and not isinstance(error, WrittenUnrecorded):  # the events were written: they cite it
                path.unlink(missing_ok=True)
            raise


@contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the folder itself (waits for other holders); SeedError if there is
    no such folder."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise SeedError(f"the seeds folder cannot be used: {error.strerror or type(error).__name__}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock
