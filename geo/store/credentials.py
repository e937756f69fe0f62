"""Connecting to the PostgreSQL database a URL names, with credentials that are never shown.

The password comes, in libpq's own order, from the URL (`postgresql://user:password@host:port/db`), from
the standard `PG*` environment variables (PGPASSWORD, PGUSER, PGHOST, ..., or ~/.pgpass), or, when neither
gives one, from Streamlit's secrets file: `password` under `[connections.postgis]` in
`.streamlit/secrets.toml` (the project's; $BORDER_SECRETS names another). Every message names the database
by `redact(url)`, which drops the password, and any text that still contained it is scrubbed.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from geo.store.errors import StoreError

ROOT = Path(__file__).resolve().parent.parent.parent
SECRETS_ENV = "BORDER_SECRETS"
SECRETS_SECTION = "postgis"  # [connections.postgis], as st.connection("postgis") would read it
CONNECT_TIMEOUT_S = 10


def secrets_path() -> Path:
    """$BORDER_SECRETS, else the project's `.streamlit/secrets.toml`."""
    return Path(os.environ[SECRETS_ENV]) if os.environ.get(SECRETS_ENV) else ROOT / ".streamlit" / "secrets.toml"


def _url_password(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.password is not None:
        return unquote(parts.password)
    return next((value for key, value in parse_qsl(parts.query) if key == "password"), None)


def redact(url: str) -> str:
    """`url` without its password (in the user part or as a `password=` parameter): safe to print."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number, say
        return url.split("://", 1)[0] + "://…"
    user = f"{parts.username}@" if parts.username else ""
    netloc = f"{user}{f'[{host}]' if ':' in host else host}{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def secret_password(path: Path | None = None) -> str | None:
    """The password in the secrets file's [connections.postgis] section, or None (no file, no entry)."""
    path = path or secrets_path()
    try:
        with path.open("rb") as handle:
            secrets = tomllib.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise StoreError(f"{path}: cannot read the secrets file ({error})") from None
    section = (secrets.get("connections") or {}).get(SECRETS_SECTION) or {}
    password = section.get("password") if isinstance(section, dict) else None
    return str(password) if password is not None else None


def connect_arguments(url: str) -> dict[str, str]:
    """What libpq needs beyond the URL: the secrets file's password, when neither the URL nor the
    environment gives one."""
    if _url_password(url) is not None or os.environ.get("PGPASSWORD") or os.environ.get("PGPASSFILE"):
        return {}
    password = secret_password()
    return {"password": password} if password is not None else {}


def scrub(text: str, url: str) -> str:
    """`text` with any password `url` or the secrets file carries replaced by ***."""
    for secret in (_url_password(url), os.environ.get("PGPASSWORD")):
        if secret:
            text = text.replace(secret, "***")
    return text


def reason(error: BaseException) -> str:
    """libpq's reason for a failed connection, on one line and without its boilerplate: "connection
    refused", "password authentication failed for user "editor"", "database "x" does not exist"."""
    text = str(error).strip()
    last = text.split(" failed: ")[-1] if " failed: " in text else text
    line = next((part.strip() for part in last.splitlines() if part.strip()), "unknown error")
    line = line.removeprefix("FATAL:").strip()
    return line[:1].lower() + line[1:] if line[:1].isupper() and not line[1:2].isupper() else line


def connect(url: str, *, autocommit: bool = False):  # -> psycopg.Connection
    """An open psycopg connection to `url`; StoreError "cannot reach <url without password>: <reason>"
    when the server cannot be reached or refuses us."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="border-dashboard", **connect_arguments(url))
    except psycopg.Error as error:
        raise StoreError(scrub(f"cannot reach {redact(url)}: {reason(error)}", url)) from None
    except ValueError as error:  # a URL Python cannot even split (libpq's own parse errors are psycopg.Errors)
        raise StoreError(f"not a usable PostgreSQL URL {redact(url)}: {scrub(str(error), url)}") from None
