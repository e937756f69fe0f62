"""A throwaway PostgreSQL + PostGIS cluster for the tests: `initdb` in a temporary folder, `pg_ctl start` on a
free loopback port, stopped and removed afterwards.

Debian's `postgresql` and `postgresql-15-postgis-3` packages provide the server (scripts/test installs them
when missing). `initdb` refuses to run as root, so as root the cluster runs as the `postgres` OS user
(`runuser -u postgres --`). Connections over TCP need the superuser's password (scram-sha-256), so the tests
exercise real password authentication; the socket in the cluster's folder is trusted, for the harness only.
The conftest fixtures `postgres` (one cluster per test session) and `postgis_url` (a fresh database per test)
wrap `start_cluster`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SEARCH = ("/usr/lib/postgresql",)
TEMPLATE = "border_template"
START_SECONDS = 60


def server_binaries() -> Path | None:
    """The newest folder holding initdb and pg_ctl whose server also has the PostGIS extension, or None."""
    found = []
    for base in SEARCH:
        for bindir in Path(base).glob("*/bin"):
            version = bindir.parent.name
            control = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
            if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file() and control.is_file():
                found.append((float(version) if version.replace(".", "").isdigit() else 0.0, bindir))
    return max(found)[1] if found else None


def missing_reason() -> str | None:
    """Why no cluster can start here (None when one can)."""
    if server_binaries() is None:
        return ("PostgreSQL with PostGIS is not installed (Debian: postgresql and postgresql-15-postgis-3; "
                "scripts/test installs them as root)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser, so initdb cannot run as the postgres user"
    return None


@dataclass
class Cluster:
    """A running cluster: its folder, loopback port and superuser password."""

    directory: Path
    port: int
    password: str
    bindir: Path

    def url(self, database: str = "postgres", *, password: bool = True, user: str = "postgres") -> str:
        """A postgresql:// URL for `database` on this cluster (with the superuser's password unless told not)."""
        secret = f":{quote(self.password, safe='')}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement as the superuser (autocommit, so CREATE DATABASE works)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self, name: str, template: str = TEMPLATE) -> str:
        """A new empty database copied from `template` (PostGIS already created in it); returns its URL."""
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        try:
            _run(self.bindir / "pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(*command: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(_as_server_user([str(part) for part in command]), capture_output=True, text=True,
                            timeout=START_SECONDS, check=False, stdin=subprocess.DEVNULL)
    if result.returncode:
        raise RuntimeError(f"{' '.join(map(str, command[:2]))} failed ({result.returncode}): "
                           f"{(result.stderr or result.stdout).strip()[-2000:]}")
    return result


def start_cluster(port: int) -> Cluster:
    """initdb a cluster in a new temporary folder, start it on 127.0.0.1:`port` and create the PostGIS
    template database. Raises RuntimeError saying what failed (the folder is removed then)."""
    bindir = server_binaries()
    if bindir is None:
        raise RuntimeError(missing_reason() or "no PostgreSQL server")
    directory = Path(tempfile.mkdtemp(prefix="border-pg-"))
    password = secrets.token_urlsafe(18)
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        (directory / "pw").write_text(password + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            shutil.chown(directory / "pw", "postgres", "postgres")
        _run(bindir / "initdb", "-D", directory / "data", "-U", "postgres", "--pwfile", directory / "pw",
             "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
        options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=60")
        _run(bindir / "pg_ctl", "-D", directory / "data", "-l", directory / "server.log", "-o", options, "-w",
             "-t", str(START_SECONDS), "start")
        cluster = Cluster(directory, port, password, bindir)
        cluster.sql(f'CREATE DATABASE "{TEMPLATE}"')
        cluster.sql("CREATE EXTENSION postgis", TEMPLATE)
        return cluster
    except BaseException:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate",
                                        "stop"]), capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)
        raise
