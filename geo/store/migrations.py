"""The PostGIS store's tables, versioned: each migration takes the schema one version up, in order.

`schema_version` records every version applied (and when). `migrate` applies the ones a database lacks, each
in its own transaction, so `python -m geo db init URL` both creates a new dataset and brings an older one up
to date; a store refuses to work on a database whose version differs from SCHEMA_VERSION, saying which
command fixes it. A later version of the project adds a migration at the end of MIGRATIONS and never edits
an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.store.errors import StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


_TOUCH = """
CREATE TRIGGER {table}_touched AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION border_touched();
"""

V1 = """
CREATE TABLE dataset_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision bigint NOT NULL DEFAULT 0,   -- raised by every statement that changes the events (triggers)
    digest text,                          -- the version: sha256 of the dataset as compact JSON; NULL after an edit
                                          -- made outside the app, until the next append records it
    written text,                         -- the digest the app itself last wrote (import, append, revert)
    members json NOT NULL                 -- the FeatureCollection's members in order ("features": null)
);
INSERT INTO dataset_state (members, digest)
VALUES ('[["type", "FeatureCollection"], ["features", null]]',
        encode(sha256(convert_to('{"type":"FeatureCollection","features":[]}', 'UTF8')), 'hex'));
UPDATE dataset_state SET written = digest;

CREATE TABLE events (
    id text PRIMARY KEY,
    position bigint NOT NULL UNIQUE,      -- the feature's place in the collection
    layer text NOT NULL,
    event_type text NOT NULL,
    title text NOT NULL,
    summary text NOT NULL,
    place text,
    place_text text,
    evidence text,
    country text,
    location_precision text NOT NULL,
    location_note text,
    date_start date,
    date_end date,
    date_precision text NOT NULL,
    date_inferred boolean,
    date_note text,
    status text,
    matches text,
    via jsonb,
    geom geometry(Geometry, 4326),
    keys text[] NOT NULL,                 -- the feature's property names, in order (absent ones left out)
    raw json                              -- the feature as given, only when the columns cannot hold it exactly
);
CREATE INDEX events_geom ON events USING gist (geom);
CREATE INDEX events_event_type ON events (event_type);
CREATE INDEX events_dates ON events (date_start, date_end);

CREATE TABLE sources (
    event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position integer NOT NULL,            -- the source's index in the event's `sources` (figures cite it)
    publisher text,
    title text,
    published date,
    ref text,
    author text,
    note text,
    original text,
    attributed_to text,
    claim text,
    keys text[] NOT NULL,
    PRIMARY KEY (event_id, position)
);
CREATE INDEX sources_ref ON sources (ref);
CREATE INDEX sources_publisher ON sources (publisher);

CREATE TABLE status_history (
    event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position integer NOT NULL,
    status text,
    since date,
    precision text,
    inferred boolean,
    note text,
    keys text[] NOT NULL,
    PRIMARY KEY (event_id, position)
);

CREATE TABLE figures (
    event_id text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position integer NOT NULL,
    quantity text,
    value bigint,
    value_max bigint,
    qualifier text,
    source integer,                       -- which of the event's sources gives it (sources.position)
    keys text[] NOT NULL,
    PRIMARY KEY (event_id, position),
    FOREIGN KEY (event_id, source) REFERENCES sources (event_id, position) ON DELETE CASCADE
);

CREATE TABLE changes (                    -- the change log: who changed what, when, from which version
    seq integer PRIMARY KEY,
    id text NOT NULL UNIQUE,              -- as `python -m geo history` shows it: 0001, 0002, ...
    time timestamptz NOT NULL,
    editor text NOT NULL,
    action text NOT NULL CHECK (action IN ('append', 'revert', 'unrecorded')),
    refs text[] NOT NULL,
    added text[] NOT NULL,
    removed text[] NOT NULL,
    digest_before text NOT NULL,
    digest_after text NOT NULL,
    reverts text,
    removed_features json NOT NULL,       -- whole features a revert removed, so reverting it brings them back
    attached json NOT NULL                -- sources attached to (a revert: taken off) existing events
);

CREATE FUNCTION border_touched() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dataset_state SET revision = revision + 1, digest = NULL;
    RETURN NULL;
END $$;
""" + "".join(_TOUCH.format(table=table) for table in ("events", "sources", "status_history", "figures"))

V2 = """
ALTER TABLE sources ADD COLUMN url text;  -- the publisher's address of a report whose ref is the stored copy
"""

V3 = """
ALTER TABLE events ADD COLUMN crossings jsonb;  -- the crossings (ids) a MultiPoint event's points stand for
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "events, sources, status history, figures, change log", V1),
    Migration(2, "a source's publisher address beside its stored copy", V2),
    Migration(3, "the crossings an event at several places was at", V3),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

_CREATE_VERSIONS = """
CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def applied_version(connection) -> int | None:
    """The schema version of the database (None: never initialised)."""
    row = connection.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row[0]:
        return None
    return connection.execute("SELECT max(version) FROM schema_version").fetchone()[0]


def migrate(connection, label: str, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Create PostGIS (when missing) and apply every migration the database lacks, each in one transaction,
    serialised against other `migrate` calls by an advisory lock. Returns the versions applied. Raises
    StoreError when PostGIS cannot be created or the database is of a newer version than `migrations`."""
    import psycopg

    applied: list[int] = []
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(hashtext('border-dashboard schema'))")
        try:
            with connection.transaction():
                connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as error:
            raise StoreError(f"{label}: PostGIS is not available in this database ({error.diag.message_primary}); "
                             "install it (Debian: postgresql-15-postgis-3) and have a superuser run "
                             "CREATE EXTENSION postgis") from None
        connection.execute(_CREATE_VERSIONS)
        have = connection.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        newest = migrations[-1].version
        if have > newest:
            raise StoreError(f"{label}: the tables are of schema version {have}, newer than this program's "
                             f"{newest}; update the program")
        for migration in migrations:
            if migration.version > have:
                with connection.transaction():
                    connection.execute(migration.sql)
                    connection.execute("INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                                       (migration.version, migration.description))
                applied.append(migration.version)
    return applied


def check_version(version: int | None, label: str) -> None:
    """Raise StoreError saying what to run when the database is not at SCHEMA_VERSION."""
    if version is None:
        raise StoreError(f"{label}: no events dataset here yet; create one with: python -m geo db init URL")
    if version < SCHEMA_VERSION:
        raise StoreError(f"{label}: the tables are of schema version {version}, this program needs "
                         f"{SCHEMA_VERSION}; migrate them with: python -m geo db init URL")
    if version > SCHEMA_VERSION:
        raise StoreError(f"{label}: the tables are of schema version {version}, newer than this program's "
                         f"{SCHEMA_VERSION}; update the program")
