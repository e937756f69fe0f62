"""Where the events dataset lives: one interface, two engines.

A *store spec* is what `BORDER_DATA` and every `--data` hold: a file path (geo.store.file: one GeoJSON
file, changes logged beside it) or a PostgreSQL URL, `postgresql://user@host:port/db` (geo.store.postgis:
PostGIS tables shared by several editors and app servers). `open_store(spec)` gives a `Store`; both engines
keep the same contract: `read()` gives the FeatureCollection and its digest in one consistent snapshot, the
digest (a sha256, hex; geo.store.changelog.version shows its first 8 digits) changes with every change of the data,
an append or revert validates the whole result, refuses a writer whose digest is stale (ConflictError) and
records the change with its editor, and nothing is written when anything fails.

The module-level functions take a spec, so callers need not open a store themselves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from geo.store.changelog import Change
from geo.store.edits import MAX_APPEND_FEATURES
from geo.store.errors import ConflictError, RevertError, StoreError, WrittenUnrecorded
from geo.store.file import FileStore, backup_path, backups, encode, locked

__all__ = [
    "MAX_APPEND_FEATURES", "ConflictError", "FileStore", "RevertError", "Store", "StoreError", "Spec",
    "WrittenUnrecorded",
    "append_features", "backup_path", "backups", "data_spec", "digest", "encode",
    "history", "is_database_url", "kept_as", "locked", "open_store", "read_collection", "revert_change",
    "spec_from_env", "store_label",
]

URL_SCHEMES = ("postgresql://", "postgres://")
DATA_ENV = "BORDER_DATA"
Spec = str | Path


class Store(Protocol):
    """What every engine offers (geo.store.file.FileStore, geo.store.postgis.PostgisStore)."""

    engine: str
    label: str  # for messages: the path, or the URL without its password
    name: str  # short, for page captions: the file's name, or the database's

    def read(self) -> tuple[Any, str]:
        """The FeatureCollection (not validated) and its digest, from one consistent snapshot."""

    def digest(self) -> str:
        """The current version's sha256 (hex)."""

    def stamp(self) -> str:
        """A cheap token that changes whenever the dataset may have changed (a cache key)."""

    def history(self) -> list[Change]:
        """Every recorded change, oldest first."""

    def history_stamp(self) -> str:
        """A cheap token that changes whenever the history may have."""

    def kept_as(self, change_id: str) -> str:
        """Where the version that change replaced is kept, for people."""

    def append_features(self, features: list[dict[str, Any]], *, editor: str,
                        expected_digest: str | None = None) -> Change:
        """Append `features` as `editor`, in one validated, recorded step; see the module docstring."""

    def revert_change(self, change_id: str, *, editor: str) -> Change:
        """Undo change `change_id` as a new recorded change."""


def is_database_url(spec: Spec) -> bool:
    """Whether `spec` names a PostgreSQL database rather than a file."""
    return isinstance(spec, str) and spec.lower().startswith(URL_SCHEMES)


def data_spec(text: str | Path) -> Spec:
    """A spec from a command-line argument or environment variable: a URL kept as text (a Path would
    fold its `//`), anything else as a Path."""
    return text if is_database_url(text) else Path(text)


def spec_from_env(default: Path) -> Spec:
    """The dataset the app serves: $BORDER_DATA (a path or a URL), else `default`."""
    value = os.environ.get(DATA_ENV)
    return data_spec(value) if value else default


def open_store(spec: Spec) -> Store:
    """The store `spec` names: PostGIS for a postgresql:// URL, else the file at that path. Opening does
    not connect; the first operation does (and raises StoreError, with the password left out, when it
    cannot)."""
    if is_database_url(spec):
        from geo.store.postgis import PostgisStore

        return PostgisStore(str(spec))
    return FileStore(Path(spec))


def store_label(spec: Spec) -> str:
    """How messages name the dataset: its path, or its URL without the password."""
    return open_store(spec).label


def read_collection(spec: Spec) -> Any:
    """The dataset's FeatureCollection (not validated); DatasetError when a file cannot be read."""
    return open_store(spec).read()[0]


def digest(spec: Spec) -> str:
    """The dataset's current version (sha256, hex): what a writer saw when it read the dataset."""
    return open_store(spec).digest()


def history(spec: Spec) -> list[Change]:
    """Every recorded change of the dataset, oldest first."""
    return open_store(spec).history()


def kept_as(spec: Spec, change_id: str) -> str:
    """Where the version change `change_id` replaced is kept (a backup file, or the database's change log)."""
    return open_store(spec).kept_as(change_id)


SUGGESTION_FIELDS = ("suggested", "suggested_reason")
"""A candidate's properties that are the review's, not the event's (geo.ingest.suggest.CANDIDATE_ONLY)."""


def append_features(spec: Spec, features: list[dict[str, Any]], *, editor: str,
                    expected_digest: str | None = None) -> Change:
    """Append `features` to the dataset as `editor`; returns the recorded change.

    Raises ConflictError when the dataset is no longer at `expected_digest`, and DatasetError when there
    are more than MAX_APPEND_FEATURES, or the new features (or the result) break the data contract or a
    size limit; in each case nothing is written. A candidate's suggestion (`suggested`, `suggested_reason`:
    the review's, geo.ingest.suggest) is never stored."""
    features = [{**f, "properties": {k: v for k, v in f["properties"].items() if k not in SUGGESTION_FIELDS}}
                if isinstance(f, dict) and isinstance(f.get("properties"), dict) else f for f in features]
    return open_store(spec).append_features(features, editor=editor, expected_digest=expected_digest)


def revert_change(spec: Spec, change_id: str, *, editor: str) -> Change:
    """Write a new version without what change `change_id` did, and record that as a change of its own.

    The events the change added are removed (their features kept in the log entry), and the events it
    removed (a revert's) are put back. Raises RevertError, and writes nothing, for an unknown change,
    one already reverted, or one whose events are all gone already."""
    return open_store(spec).revert_change(change_id, editor=editor)
