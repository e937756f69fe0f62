"""Connecting to the PostgreSQL database a URL names, with credentials that are never shown.

The password comes, in libpq's own order, from the URL (`postgresql://user:password@host:port/db`), from
the standard `PG*` environment variables (PGPASSWORD, PGUSER, PGHOST, ..., or ~/.pgpass), or, when neither
gives one, from Streamlit's secrets file: `password` under `[connections.postgis]` in
`.streamlit/secrets.toml` (the project's; $BORDER_SECRETS names another). Every message names the database
by `redact(url)`, which drops the password, and any text that still contained it is scrubbed.

A password is never printed in any form: raw, percent-encoded (in either case of hex, or with `+` for a
space), escaped as Python or JSON would show it, or inside an exception's text (libpq quotes a whole URL in
some of its errors; urllib quotes a port it cannot read). A URL that libpq and Python would split
differently (an `@`, `/`, `?` or `#` in the password left unencoded, a space, a control character, an
invalid or NUL `%` escape) is refused before it reaches either, with a message that quotes none of it.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from geo.paths import SETTINGS_DIR
from geo.store.errors import StoreError

SECRETS_ENV = "BORDER_SECRETS"
SECRETS_SECTION = "postgis"  # [connections.postgis], as st.connection("postgis") would read it
CONNECT_TIMEOUT_S = 10
SECRET_PARAMETERS = ("password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key")
"""libpq connection parameters that hold a secret: never shown, in a URL's query or anywhere else."""
SHORT_SECRET = 4
"""A secret shorter than this turns up inside ordinary words; a message that contains it (in any case) is
withheld whole rather than scrubbed letter by letter."""
WITHHELD = "the reason is not shown, as it contained text equal to the password"


def secrets_path() -> Path:
    """$BORDER_SECRETS, else the project's `.streamlit/secrets.toml`."""
    return Path(os.environ[SECRETS_ENV]) if os.environ.get(SECRETS_ENV) else SETTINGS_DIR / "secrets.toml"


def _url_password(url: str) -> str | None:
    """The password the URL gives libpq (decoded), from its user part or a `password=` parameter."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            return unquote(parts.password)
    except ValueError:
        return None
    return next((unquote(value) for key, value in _parameters(parts.query) if key == "password"), None)


def _parameters(query: str) -> list[tuple[str, str]]:
    """A URL query's key=value pairs as written (not decoded: libpq reads `+` as itself, urllib as a space)."""
    return [tuple(pair.split("=", 1)) if "=" in pair else (pair, "") for pair in query.split("&") if pair]


_AUTHORITY_END = re.compile(r"[/?#]")
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})|%00")
_SCHEME = re.compile(r"(?i)(postgres(?:ql)?)://")


def _unusable(url: str) -> str | None:
    """Why libpq and Python could read `url` differently (so a piece of its password could end up quoted as
    a host, a port or a bad token in an error), or None when it is an unambiguous URL. Says nothing of the
    URL's content."""
    scheme = _SCHEME.match(url)
    if not scheme:
        return "it does not start with postgresql://"
    rest = url[scheme.end():]
    authority = rest[: m.start()] if (m := _AUTHORITY_END.search(rest)) else rest
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        return "it holds a space or a control character; percent-encode them (a space as %20)"
    if _ESCAPE.search(url):
        return "it holds a % that does not start a two-digit hex escape, or the escape %00 (a NUL byte)"
    if authority.count("@") > 1 or "@" in rest[len(authority):] or "#" in rest:
        return ("the user name or password holds an @, /, ? or # as it is; percent-encode them "
                "(@ as %40, / as %2F, ? as %3F, # as %23)")
    query = rest.split("?", 1)[1] if "?" in rest else ""
    for pair in filter(None, query.split("&")):
        if pair.count("=") != 1 or unquote(pair.split("=")[0]) not in _keywords():
            return ("its query holds something other than known key=value parameters; percent-encode & and = "
                    "inside a value (as %26 and %3D)")
    return None


def _keywords() -> set[str]:
    """The connection parameters libpq knows (a URL's query may set any of them; `ssl` is its alias)."""
    import psycopg

    return {option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()} | {"ssl"}


def _secrets(url: str) -> list[str]:
    """Every secret the URL, the environment or the secrets file could hand libpq, each as written and as
    decoded, longest first."""
    found = {os.environ.get("PGPASSWORD") or "", _url_password(url) or ""}
    scheme = _SCHEME.match(url)
    rest = url[scheme.end():] if scheme else url
    userinfo = rest[: rest.rfind("@")] if "@" in rest else ""
    found.add(userinfo.split(":", 1)[1] if ":" in userinfo else "")  # as written, whichever way it splits
    query = rest.split("?", 1)[1].split("#", 1)[0] if "?" in rest else ""
    found.update(value for key, value in _parameters(query) if unquote_plus(key) in SECRET_PARAMETERS)
    found.add(connect_arguments(url, quietly=True).get("password", ""))
    for secret in list(found):
        found.update((unquote(secret), unquote_plus(secret)))
    return sorted((s for s in found if s), key=len, reverse=True)


def _forms(secret: str) -> set[str]:
    """The ways a message could show `secret`: as it is, percent-encoded (fully, as a URL's user part allows,
    or with + for a space), and escaped as Python's repr, unicode_escape, JSON or geo.events.schema's messages do."""
    from geo.events.schema import show

    forms = {secret, quote(secret, safe=""), quote(secret, safe="!$&'()*+,;=:"), quote_plus(secret, safe=""),
             repr(secret)[1:-1], secret.encode("unicode_escape").decode("ascii"), json.dumps(secret)[1:-1],
             json.dumps(secret, ensure_ascii=False)[1:-1], show(secret, len(secret) * 10 + 10)[1:-1]}
    return {form for form in forms if form}


def redact(url: str) -> str:
    """`url` without its password (in the user part or as a `password=` or `sslpassword=` parameter): safe
    to print. A URL Python cannot split, or that libpq would split differently, is shown as its scheme only."""
    scheme = url.split("://", 1)[0] if "://" in url else "postgresql"
    try:
        if _unusable(url):
            raise ValueError
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number, say
        return f"{scheme[:20]}://…"
    user = f"{parts.username}@" if parts.username else ""
    netloc = f"{user}{f'[{host}]' if ':' in host else host}{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k not in SECRET_PARAMETERS])
    shown = scrub(urlunsplit((parts.scheme, netloc, parts.path, query, "")), url)
    return f"{scheme[:20]}://…" if shown == WITHHELD else shown


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


def connect_arguments(url: str, *, quietly: bool = False) -> dict[str, str]:
    """What libpq needs beyond the URL: the secrets file's password, when neither the URL nor the
    environment gives one. `quietly`: a secrets file that cannot be read gives nothing, instead of StoreError."""
    if _url_password(url) is not None or os.environ.get("PGPASSWORD") or os.environ.get("PGPASSFILE"):
        return {}
    try:
        password = secret_password()
    except StoreError:
        if quietly:
            return {}
        raise
    return {"password": password} if password is not None else {}


def scrub(text: str, url: str) -> str:
    """`text` with every form (`_forms`) of every secret `url`, PGPASSWORD or the secrets file carries
    replaced by ***, in any case. A text that still shows a secret once its percent escapes are decoded, or
    that holds a secret shorter than SHORT_SECRET, is replaced by WITHHELD whole."""
    for secret in _secrets(url):
        if len(secret) < SHORT_SECRET:
            if secret.casefold() in text.casefold() or secret.casefold() in unquote(text).casefold():
                return WITHHELD
            continue
        for form in sorted(_forms(secret), key=len, reverse=True):
            text = re.sub(re.escape(form), "***", text, flags=re.IGNORECASE)
        if secret.casefold() in unquote(text).casefold():
            return WITHHELD
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

    problem = _unusable(url)
    if problem:  # refused before libpq or urllib can quote any of it
        raise StoreError(f"not a usable PostgreSQL URL ({redact(url)}): {problem}")
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="border-dashboard", **connect_arguments(url))
    except psycopg.Error as error:
        raise StoreError(f"cannot reach {redact(url)}: {scrub(reason(error), url)}") from None
    except ValueError as error:  # a URL Python cannot even split (libpq's own parse errors are psycopg.Errors)
        raise StoreError(f"not a usable PostgreSQL URL {redact(url)}: {scrub(str(error), url)}") from None
