"""The PostGIS engine: the events dataset in PostgreSQL tables (geo.store.migrations), for teams.

Reads take one REPEATABLE READ snapshot, so the collection and its digest always match. Each append or
revert is one transaction: it locks the one `dataset_state` row (so writers queue for the milliseconds the
transaction lasts, never across anyone's think time), refuses when the digest is not the one the caller read
(optimistic concurrency: ConflictError, nothing written), applies geo.store.edits to the current collection,
validates the whole result, writes only the events that changed, records the change in `changes` with its
editor, and stores the new digest (`version_digest`: the sha256 of the dataset as compact JSON), which plays
the part the file's sha256 plays for the file engine. Any statement that changes the events outside this
module (a SQL user's UPDATE) clears the stored digest through triggers; the digest is then computed from the
content, and the next append records an `unrecorded` change, as the file engine does for a hand edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import shapely

import geo.store.changelog as changelog
import geo.store.credentials as credentials
from geo.events.dataset import DatasetError
from geo.events.schema import Problem
from geo.store.changelog import Change
from geo.store.edits import Edit, check_size, plan_append, plan_revert
from geo.store.errors import ConflictError, StoreError
from geo.store.migrations import SCHEMA_VERSION, applied_version, check_version, migrate
from geo.store.rows import CHILDREN, EVENT_COLUMNS, feature_from_rows, feature_rows

if TYPE_CHECKING:
    from geo.io.geojson import EventsSource

_TIME = "%Y-%m-%dT%H:%M:%SZ"
_computed: dict[tuple[str, int], str] = {}  # (url, revision) -> digest computed for a dataset edited outside
_computed_lock = threading.Lock()


def version_digest(collection: dict[str, Any]) -> str:
    """The digest of a dataset held in PostGIS: the sha256 of its compact JSON (no spaces, UTF-8). Compact,
    because Python writes indented JSON ten times slower, and this runs on every append."""
    return hashlib.sha256(json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


class PostgisStore:
    """The events dataset in the PostgreSQL database `url` names (see the module docstring)."""

    engine = "postgis"

    def __init__(self, url: str):
        self._url = url
        self.label = credentials.redact(url)
        database = self.label.rsplit("/", 1)[-1].split("?")[0] or "postgres"
        self.name = f"{database} (PostGIS)"

    def __repr__(self) -> str:
        return f"PostgisStore({self.label!r})"

    # --- connections ------------------------------------------------------------------------------------------

    def connect(self, *, autocommit: bool = False):
        """A new connection (StoreError when the database cannot be reached)."""
        return credentials.connect(self._url, autocommit=autocommit)

    def _fail(self, error: Exception) -> StoreError:
        import psycopg

        message = error.diag.message_primary if isinstance(error, psycopg.Error) and error.diag else str(error)
        return StoreError(credentials.scrub(f"{self.label}: {message or type(error).__name__}", self._url))

    def _session(self, work, *, read_only: bool):
        """Run `work(connection)` in one transaction (REPEATABLE READ for reads), after checking the schema
        version; database errors become StoreError with a one-line message."""
        import psycopg

        with self.connect(autocommit=True) as connection:
            if read_only:
                connection.isolation_level, connection.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            try:
                with connection.transaction():
                    check_version(applied_version(connection), self.label)
                    return work(connection)
            except psycopg.Error as error:
                raise self._fail(error) from None

    # --- schema -----------------------------------------------------------------------------------------------

    def init(self) -> list[int]:
        """Create the tables, or migrate older ones (geo.store.migrations); returns the versions applied."""
        import psycopg

        with self.connect(autocommit=True) as connection:
            try:
                return migrate(connection, self.label)
            except psycopg.Error as error:
                raise self._fail(error) from None

    # --- reading ----------------------------------------------------------------------------------------------

    def _state(self, connection) -> tuple[int, str | None, list]:
        return connection.execute("SELECT revision, digest, members FROM dataset_state").fetchone()

    def _collection(self, connection, members: list) -> dict[str, Any]:
        children: dict[str, dict[str, list[tuple]]] = defaultdict(dict)
        for key, (table, columns) in CHILDREN.items():
            rows = connection.execute(f"SELECT event_id, position, {', '.join(columns)}, keys FROM {table} "
                                      "ORDER BY event_id, position").fetchall()
            grouped: dict[str, list[tuple]] = defaultdict(list)
            for row in rows:
                grouped[row[0]].append(row[1:])
            for event_id, items in grouped.items():
                children[event_id][key] = items
        names = [c for c in EVENT_COLUMNS if c != "geom"]
        cursor = connection.execute(f"SELECT {', '.join(names)}, ST_AsBinary(geom) FROM events ORDER BY position")
        rows = cursor.fetchall()
        geometries = shapely.from_wkb([row[-1] for row in rows]) if rows else []
        features = [feature_from_rows(dict(zip(names, row, strict=False)), children.get(row[0], {}), geometry)
                    for row, geometry in zip(rows, geometries, strict=True)]
        return {key: features if key == "features" else value for key, value in members}

    def _snapshot(self, connection) -> tuple[dict[str, Any], str, int]:
        revision, digest, members = self._state(connection)
        collection = self._collection(connection, members)
        if digest is None:
            digest = self._remember(revision, version_digest(collection))
        return collection, digest, revision

    def _remember(self, revision: int, digest: str) -> str:
        with _computed_lock:
            _computed[(self._url, revision)] = digest
        return digest

    def read(self) -> tuple[dict[str, Any], str]:
        """The FeatureCollection and its digest, from one snapshot."""
        collection, digest, _ = self._session(self._snapshot, read_only=True)
        return collection, digest

    def digest(self) -> str:
        """The current version's digest (one small query; the content is read only after an outside edit)."""
        def work(connection) -> str:
            revision, digest, _ = self._state(connection)
            if digest is None:
                digest = _computed.get((self._url, revision)) or self._snapshot(connection)[1]
            return digest

        return self._session(work, read_only=True)

    def stamp(self) -> str:
        """The revision and digest: they change with every change of the events."""
        return self._session(lambda c: "{}:{}".format(*self._state(c)[:2]), read_only=True)

    def history(self) -> list[Change]:
        """Every recorded change, oldest first."""
        return self._session(self._changes, read_only=True)

    def history_stamp(self) -> str:
        """The number of the latest change."""
        return self._session(lambda c: str(c.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]),
                             read_only=True)

    def kept_as(self, change_id: str) -> str:
        """Where the version that change replaced is kept: the change log, from which a revert restores it."""
        return f"change {change_id} in the database's change log (python -m geo revert {change_id} undoes it)"

    def _changes(self, connection) -> list[Change]:
        rows = connection.execute("SELECT id, time, editor, action, refs, added, removed, digest_before, "
                                  "digest_after, reverts, removed_features, attached FROM changes "
                                  "ORDER BY seq").fetchall()
        changes = []
        for r in rows:  # checked as the file engine checks each line: a row written by hand is not trusted
            entry = {"id": r[0], "time": r[1].astimezone(dt.UTC).strftime(_TIME), "editor": r[2], "action": r[3],
                     "refs": r[4], "added": r[5], "removed": r[6], "digest_before": r[7], "digest_after": r[8],
                     "reverts": r[9], "removed_features": r[10], "attached": r[11]}
            try:
                changes.append(changelog.checked_change(entry))
            except ValueError as error:
                raise changelog.ChangeLogError(f"{self.name}: change {str(r[0])[:40]!r}: {error}") from None
        return changes

    # --- writing ----------------------------------------------------------------------------------------------

    def _copy(self, connection, features: list[dict[str, Any]], first_position: int,
              positions: list[int] | None = None) -> None:
        """Insert `features` (with their child rows) by COPY, at `positions` or from `first_position` on."""
        with connection.cursor() as cursor:
            children: dict[str, list[tuple]] = defaultdict(list)
            where = positions if positions is not None else range(first_position, first_position + len(features))
            with cursor.copy(f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for row, kids in feature_rows(features, list(where)):
                    copy.write_row(row)
                    for key, items in kids.items():
                        children[key].extend((row[0], *item) for item in items)
            for key, (table, columns) in CHILDREN.items():
                if children[key]:
                    with cursor.copy(f"COPY {table} (event_id, position, {', '.join(columns)}, keys) "
                                     "FROM STDIN") as copy:
                        for item in children[key]:
                            copy.write_row(item)

    def _write(self, connection, current: list[dict[str, Any]], result: list[dict[str, Any]]) -> None:
        """Make the tables hold `result` given they hold `current`: delete what went, rewrite what changed
        (at its old position), append what is new (after the last position)."""
        ids = [f["properties"]["id"] for f in result]
        positions = dict(connection.execute("SELECT id, position FROM events").fetchall())
        before = {f["properties"]["id"]: f for f in current}
        keep = set(ids)
        changed = [f for f in result if f["properties"]["id"] in before and f is not before[f["properties"]["id"]]
                   and f != before[f["properties"]["id"]]]
        new = [f for f in result if f["properties"]["id"] not in before]
        gone = [i for i in before if i not in keep] + [f["properties"]["id"] for f in changed]
        if gone:
            connection.execute("DELETE FROM events WHERE id = ANY(%s)", (gone,))
        order = [positions[i] for i in ids if i in before]
        if order != sorted(order):  # cannot happen for appends and reverts; rewrite everything then
            connection.execute("DELETE FROM events")
            self._copy(connection, result, 0)
            return
        if changed:
            self._copy(connection, changed, 0, [positions[f["properties"]["id"]] for f in changed])
        if new:
            self._copy(connection, new, max(positions.values(), default=-1) + 1)

    def _commit(self, connection, current: dict[str, Any], before: str, edit: Edit, editor: str) -> Change:
        changes = self._changes(connection)
        written = connection.execute("SELECT written FROM dataset_state").fetchone()[0]
        if written != before:  # the tables were edited outside the app since it last wrote them
            self._record(connection, Change(changelog.next_id(changes), changelog.now(), "unknown", "unrecorded",
                                            (), (), (), written, before))
            changes = self._changes(connection)
        self._write(connection, current["features"], edit.result["features"])
        change = edit.change(changes, editor, before, self._set_digest(connection, edit.result))
        self._record(connection, change)
        return change

    def _set_digest(self, connection, collection: dict[str, Any], digest: str | None = None) -> str:
        """Store the digest of `collection` (now in the tables; `digest` when already computed, its features
        then left out of `collection`) and its members besides the features."""
        digest = digest or version_digest(collection)
        members = [[k, None if k == "features" else v] for k, v in collection.items()]
        connection.execute("UPDATE dataset_state SET digest = %s, written = %s, members = %s",
                           (digest, digest, json.dumps(members, ensure_ascii=False)))
        return digest

    def _record(self, connection, change: Change) -> None:
        connection.execute(
            "INSERT INTO changes (seq, id, time, editor, action, refs, added, removed, digest_before, digest_after, "
            "reverts, removed_features, attached) VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM changes), "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (change.id, dt.datetime.strptime(change.time, _TIME).replace(tzinfo=dt.UTC), change.editor,
             change.action, list(change.refs), list(change.added), list(change.removed), change.digest_before,
             change.digest_after, change.reverts, json.dumps(list(change.removed_features), ensure_ascii=False),
             json.dumps(list(change.attached), ensure_ascii=False)))

    def _locked_current(self, connection, expected_digest: str | None) -> tuple[dict[str, Any], str]:
        """Lock the dataset for this transaction, refuse a stale writer, and read the current version (not
        validated here: every plan validates its whole result, old events included)."""
        connection.execute("SELECT 1 FROM dataset_state FOR UPDATE")
        current, digest, _ = self._snapshot(connection)
        if expected_digest is not None and digest != expected_digest:
            raise ConflictError(self.label, expected_digest, digest)
        return current, digest

    def append_features(self, features: list[dict[str, Any]], *, editor: str,
                        expected_digest: str | None = None) -> Change:
        """Append `features` as `editor` in one transaction (see the module docstring); ConflictError or
        DatasetError, with nothing written, as for the file engine."""
        check_size(self.label, features)

        def work(connection) -> Change:
            current, before = self._locked_current(connection, expected_digest)
            return self._commit(connection, current, before, plan_append(self.label, current, features), editor)

        return self._session(work, read_only=False)

    def revert_change(self, change_id: str, *, editor: str) -> Change:
        """Undo change `change_id` as a new change, in one transaction; RevertError when it cannot be undone."""
        def work(connection) -> Change:
            current, before = self._locked_current(connection, None)
            edit = plan_revert(self.label, current, self._changes(connection), change_id, "the database's change log")
            return self._commit(connection, current, before, edit, editor)

        return self._session(work, read_only=False)

    def import_collection(self, collection: dict[str, Any] | EventsSource) -> int:
        """Load a valid FeatureCollection into the empty dataset, in one transaction; returns the number of
        events. `collection` is a parsed collection or a geo.io.geojson source (a GeoJSON file of any size,
        read feature by feature): its features are validated as they are read and copied in batches, so the
        memory used does not grow with the file. DatasetError (nothing written) when it is invalid or the
        dataset already holds events."""
        import psycopg

        from geo.io.geojson import CollectionSource, CollectionText

        source = CollectionSource(collection, "<import>") if isinstance(collection, dict) else collection

        def work(connection) -> int:
            connection.execute("SELECT 1 FROM dataset_state FOR UPDATE")
            held = connection.execute("SELECT count(*) FROM events").fetchone()[0]
            logged = connection.execute("SELECT count(*) FROM changes").fetchone()[0]
            if held or logged:
                raise DatasetError([Problem(self.label, "events", f"the dataset already holds {held:,} events "
                                            f"and {logged:,} changes; db import loads into a new, empty one "
                                            "(db init a new database, or add events with python -m geo add)")])
            digest, text = hashlib.sha256(), CollectionText()  # version_digest's text, made batch by batch
            copied, failure = 0, None

            def copy(batch: list[dict[str, Any]], members: list[tuple[str, Any]]) -> None:
                nonlocal copied, failure
                if failure is not None:
                    return
                if not copied:
                    digest.update(text.start(members).encode())
                digest.update(text.features(batch).encode())
                try:  # two events with one id fail here before the check of the whole collection says so
                    self._copy(connection, batch, copied)
                except psycopg.Error as error:
                    failure = error
                copied += len(batch)

            problems = source.stream(copy)
            if problems:
                raise DatasetError(problems)
            if failure is not None:
                raise failure
            members = dict(source.members)
            if not copied:
                digest.update(text.start(source.members).encode())
            digest.update(text.end(source.members).encode())
            self._set_digest(connection, {**members, "features": []}, digest.hexdigest())
            return copied

        return self._session(work, read_only=False)

__all__ = ["SCHEMA_VERSION", "PostgisStore"]
