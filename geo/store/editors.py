"""Editors: the people who may sign in to the dashboard and append events; the operator manages them.

Anonymous visitors only read. An editor signs in with a name and a password; the operator adds,
replaces and removes editors with `python -m geo editors ...`, which calls the functions below.

The editors file
    `editors_path()`: the file named by the `BORDER_EDITORS` environment variable, by default
    `<project root>/.streamlit/editors.toml`. It is TOML (read with `tomllib`)::

        [editors.alice]
        hash = "$argon2id$v=19$m=65536,t=3,p=4$..."
        added = "2026-12-01T19:00:00Z"

    Only the table `editors` is allowed at the top, and each editor has exactly `hash` (an argon2
    hash made by `argon2.PasswordHasher()`, argon2id defaults) and `added` (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    Names match `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$` and are case-sensitive. Passwords have 8 to
    1,024 characters. No file means no editors. Anything else wrong raises `EditorError` naming the file.
    It is rewritten atomically (mode 0600) under the lock `<file>.lock` (`geo.store.file.locked`).
    Replacing a password keeps the editor's `added` time.

The credential version
    `credential_version(hash)`: the first 16 hex digits of the sha256 of an editor's stored hash. argon2
    salts every hash afresh, so the version changes whenever the operator sets the password (even to the
    same one) and is gone when the editor is removed; files written before versions existed need nothing
    new. `sign_in` returns it in a `Credential`; `check_credential` (the page calls it before every append)
    raises `SignedOut` once the editor is removed or the password was set again.

What a sign-in may cost
    At most MAX_CONCURRENT_CHECKS (2) passwords are checked at once in one server process (each argon2
    check takes about 64 MB and a quarter of a second of CPU); an attempt that finds no free slot within
    CHECK_WAIT_SECONDS (2 s) is refused with `Busy`, without being checked or counted. Lockouts are read
    before a slot is taken, so a refused attempt costs no argon2 work. `session_wait` is the per-session
    rule a page applies: SESSION_ATTEMPTS (5) attempts per SESSION_WINDOW (60 s).

Lockout, per client address
    Failures are counted per (name, client address) and per client address. 5 failed sign-ins for one name
    from one address within 15 minutes lock that name for that address for 15 minutes from the 5th; 20
    failed sign-ins from one address (any names) within 15 minutes lock that address out for 15 minutes.
    While locked, `sign_in` raises `LockedOut` without looking at the password, even a right one; other
    addresses are not affected, so a visitor guessing at a name cannot keep the editor out. The address is
    what the caller passes (`client`: the page gives the one Streamlit reports, see `client_key`); None
    stands for the server's own machine. An IPv6 address counts by its /64 network (one subscriber's block).
    Failures older than 15 minutes do not count. A successful sign-in forgets its name's failures from its
    address; the operator setting a name's password (`add_editor`) forgets the name's failures from every
    address. Names that are not editors are counted the same way and cost the same argon2 verification
    (against a dummy hash with the parameters of the editors' hashes), so neither the answer nor its
    timing tells which names exist. (Text that is not a valid name at all, or a password longer than any
    editor can have, is refused with None at once, not checked and not recorded: that says nothing about
    any editor.)

Where failures are kept
    `<editors file>.failures.json` beside the editors file (mode 0600), rewritten atomically under
    the same lock, so a restarted server or a second server process on the machine sees them::

        {"alice@203.0.113.7": {"failures": [1796151600.0, 1796151612.5], "locked_until": 1796152500.0},
         "@203.0.113.7": {"failures": [1796151600.0, 1796151612.5]}}

    (`NAME@ADDRESS` for a name from an address, `@ADDRESS` for the address; UNIX times; `locked_until` only
    while locked; keys with nothing current are dropped on write, and beyond MAX_TRACKED (10,000) keys the
    least recently active are dropped. Keys of the older per-name layout are ignored.) Each attempt is
    recorded as a failure before its password is checked and forgiven if it was right, so parallel
    attempts cannot slip past the count.

No password or hash is ever logged, printed, put in an exception message or in a repr.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import ipaddress
import json
import math
import os
import re
import secrets
import threading
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from geo.events.schema import show
from geo.io.atomic import write_bytes_atomically
from geo.paths import SETTINGS_DIR
from geo.store.file import locked

EDITORS_ENV = "BORDER_EDITORS"
DEFAULT_EDITORS_PATH = SETTINGS_DIR / "editors.toml"

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MAX_FAILURES = 5  # failed sign-ins for one name from one address within FAILURE_WINDOW that lock that pair out
MAX_ADDRESS_FAILURES = 20  # failed sign-ins from one address (any names) within FAILURE_WINDOW that lock it out
FAILURE_WINDOW = 15 * 60  # seconds
LOCKOUT_SECONDS = 15 * 60
MAX_TRACKED = 10_000  # keys kept in the failures file; beyond it the least recently active are dropped
MAX_CONCURRENT_CHECKS = 2  # argon2 checks at once in one process (each about 64 MB and 0.25 s of CPU)
CHECK_WAIT_SECONDS = 2.0  # how long an attempt waits for a free check before it is refused as Busy
SESSION_ATTEMPTS = 5  # sign-in attempts one browser session may make within SESSION_WINDOW
SESSION_WINDOW = 60  # seconds
FILE_MODE = 0o600
LOCAL_CLIENT = "local"  # the failures key of a client on the server's own machine (no address reported)

_NAME = re.compile(NAME_PATTERN.removeprefix("^").removesuffix("$"))
_ADDED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_HASH_CHARS = re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9$=,+/]+")
_HEADER = (
    "# Editors of the border dashboard: who may sign in and append events.\n"
    "# Written by `python -m geo editors add/remove`; hashes are argon2id. Never put a password here.\n"
)
_hasher = argon2.PasswordHasher()


class EditorError(Exception):
    """Something about editors is wrong: a bad name or password, an unknown editor, a malformed file.

    The message is meant for people; it never contains a password or a hash.
    """


class LockedOut(EditorError):
    """Too many failed sign-ins recently, for this name from this address (`whole_address` False) or from
    this address for any name (True); `seconds_left` until it may try again."""

    def __init__(self, seconds_left: int, whole_address: bool = False):
        self.seconds_left, self.whole_address = seconds_left, whole_address
        minutes = max(1, math.ceil(seconds_left / 60))
        what = "from your address" if whole_address else "for this name from your address"
        super().__init__(f"Too many failed sign-ins {what}: try again in {minutes} "
                         f"minute{'' if minutes == 1 else 's'}")


class Busy(EditorError):
    """Every password check of this server process is taken; nothing was checked or counted."""

    def __init__(self) -> None:
        super().__init__("The server is busy checking other sign-ins: try again in a moment")


class SignedOut(EditorError):
    """A signed-in editor's credential no longer holds: the editor was removed (`reason` "removed") or the
    password was set again (`reason` "changed"). The message says which, for the editor to read."""

    def __init__(self, name: str, reason: str):
        self.name, self.reason = name, reason
        why = (f"{name} is no longer an editor on this server" if reason == "removed"
               else f"the password of {name} was changed; sign in again with the new one")
        super().__init__(f"You have been signed out: {why}")


@dataclass(frozen=True)
class Credential:
    """Who signed in, and the credential version (`credential_version`) their password had then."""

    name: str
    version: str


@dataclass(frozen=True)
class Editor:
    """An editor as listed: the name and when it was added (UTC, `YYYY-MM-DDTHH:MM:SSZ`); never the hash."""

    name: str
    added: str


def editors_path() -> Path:
    """The editors file: `$BORDER_EDITORS` if set (and not empty), else `<project root>/.streamlit/editors.toml`."""
    named = os.environ.get(EDITORS_ENV, "")
    return Path(named).expanduser() if named else DEFAULT_EDITORS_PATH


def failures_path(path: Path | str | None = None) -> Path:
    """Where failed sign-ins are kept: `<editors file>.failures.json` beside the editors file."""
    path = _resolve(path)
    return path.with_name(path.name + ".failures.json")


def _resolve(path: Path | str | None) -> Path:
    return editors_path() if path is None else Path(path)


def is_valid_name(name: object) -> bool:
    """Whether `name` is a possible editor name (letters, digits, `_`, `.`, `-`; 1 to 64; no leading punctuation)."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def check_name(name: object) -> str:
    """`name` if it is a valid editor name, else EditorError saying what names look like."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise EditorError("an editor name is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter "
                          f"or digit; got {show(name)}")
    return name


def check_password(password: object) -> str:
    """`password` if it is acceptable (8 to 1,024 characters), else EditorError (which never quotes it)."""
    if not isinstance(password, str):
        raise EditorError("a password must be text")
    if not password:
        raise EditorError("the password is empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise EditorError(f"the password is too short: use at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise EditorError(f"the password is too long: use at most {MAX_PASSWORD_CHARS:,} characters")
    return password


# --- the editors file ---------------------------------------------------------------------------

def _load(path: Path) -> dict[str, dict[str, str]]:
    """The editors in the file at `path`, name -> {"hash", "added"}, in file order; {} if there is no file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as err:
        raise EditorError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise EditorError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise EditorError(f"{path}: not valid TOML: {err}") from None
    unexpected = sorted(set(document) - {"editors"})
    if unexpected:
        raise EditorError(f"{path}: unexpected top-level key {show(unexpected[0])}; only [editors.NAME] tables belong "
                          "here")
    table = document.get("editors", {})
    if not isinstance(table, dict):
        raise EditorError(f"{path}: `editors` must be a table of [editors.NAME] tables")
    editors: dict[str, dict[str, str]] = {}
    for name, entry in table.items():
        if not is_valid_name(name):
            raise EditorError(f"{path}: {show(name)} is not a valid editor name (1 to 64 letters, digits, '_', '.' "
                              "or '-', starting with a letter or digit)")
        where = f"{path}: editors.{name}"
        if not isinstance(entry, dict):
            raise EditorError(f"{where}: must be a table with `hash` and `added`")
        for key in ("hash", "added"):
            if key not in entry:
                raise EditorError(f"{where}: `{key}` is missing")
        extra = sorted(set(entry) - {"hash", "added"})
        if extra:
            raise EditorError(f"{where}: unexpected key {show(extra[0])}; only `hash` and `added` belong here")
        hashed, added = entry["hash"], entry["added"]
        if not isinstance(hashed, str) or not _HASH_CHARS.fullmatch(hashed) or not _is_argon2_hash(hashed):
            raise EditorError(f"{where}: `hash` is not an argon2 hash (set the password again with "
                              f"`python -m geo editors add {name}`)")
        if not isinstance(added, str) or not _ADDED.fullmatch(added) or not _is_time(added):
            raise EditorError(f"{where}: `added` must be a UTC time like \"2026-12-01T19:00:00Z\", got "
                              f"{show(added)}")
        editors[name] = {"hash": hashed, "added": added}
    return editors


def _is_argon2_hash(hashed: str) -> bool:
    try:
        argon2.extract_parameters(hashed)
    except InvalidHashError:
        return False
    return True


def _is_time(text: str) -> bool:
    try:
        dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def _toml_string(text: str) -> str:
    """`text` as a TOML basic string (JSON's escapes with ensure_ascii are all valid TOML escapes)."""
    return json.dumps(text, ensure_ascii=True)


def _encode(editors: dict[str, dict[str, str]]) -> bytes:
    parts = [_HEADER]
    for name, entry in editors.items():
        parts.append(f"\n[editors.{name}]\nhash = {_toml_string(entry['hash'])}\n"
                     f"added = {_toml_string(entry['added'])}\n")
    return "".join(parts).encode("utf-8")


def _save(path: Path, editors: dict[str, dict[str, str]]) -> None:
    write_bytes_atomically(path, _encode(editors), FILE_MODE)


def _utc_now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_editor(name: str, password: str, path: Path | str | None = None) -> bool:
    """Add editor `name` with `password`, or replace the password of an existing one.

    Returns True if the editor was added, False if an existing editor's password was replaced (its
    `added` time is kept). Either way the name's failed sign-ins and any lockout are cleared.
    """
    check_name(name)
    check_password(password)
    path = _resolve(path)
    _load(path)  # a malformed file is reported before the wait for the hash
    hashed = _hasher.hash(password)  # before taking the lock: it takes a while
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        editors = _load(path)
        added = name not in editors
        editors[name] = {"hash": hashed, "added": _utc_now_text() if added else editors[name]["added"]}
        _save(path, editors)
        _clear_failures(path, name)
    return added


def remove_editor(name: str, path: Path | str | None = None) -> None:
    """Remove editor `name`; EditorError if there is no such editor."""
    check_name(name)
    path = _resolve(path)
    if not path.exists():
        raise EditorError(f"{path}: there is no editor {name!r} (there are no editors)")
    with locked(path):
        editors = _load(path)
        if name not in editors:
            raise EditorError(f"{path}: there is no editor {name!r}")
        del editors[name]
        _save(path, editors)


def list_editors(path: Path | str | None = None) -> list[Editor]:
    """The editors, sorted by name (empty if there is no editors file)."""
    editors = _load(_resolve(path))
    return [Editor(name, entry["added"]) for name, entry in sorted(editors.items())]


# --- the credential version ---------------------------------------------------------------------

def credential_version(hashed: str) -> str:
    """The version of a stored hash: the first 16 hex digits of its sha256 (never the hash itself)."""
    return hashlib.sha256(hashed.encode("ascii")).hexdigest()[:16]


def check_credential(credential: Credential, path: Path | str | None = None) -> None:
    """Return if `credential` still holds: its editor exists and the password was not set since it was issued.

    Raises SignedOut (a kind of EditorError) when the editor was removed or the password set again, and
    EditorError when the editors file is malformed (then nobody can be vouched for). No argon2 work."""
    entry = _load(_resolve(path)).get(credential.name)
    if entry is None:
        raise SignedOut(credential.name, "removed")
    if credential_version(entry["hash"]) != credential.version:
        raise SignedOut(credential.name, "changed")


# --- failed sign-ins ----------------------------------------------------------------------------

def client_key(address: str | None) -> str:
    """How failures from a client address are counted: an IPv4 address as itself, an IPv6 address by its
    /64 network (an IPv4-mapped one as its IPv4 address), None (the server's own machine: Streamlit
    reports no address for a loopback client) as LOCAL_CLIENT, and text that is no address as "unknown"."""
    if address is None or not address.strip():
        return LOCAL_CLIENT
    try:
        parsed = ipaddress.ip_address(address.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def _pair(name: str, client: str) -> str:
    return f"{name}@{client}"


def _load_failures(path: Path) -> dict[str, dict[str, Any]]:
    """The failures file beside the editors file at `path`, key -> {"failures": [...], "locked_until"?}."""
    where = failures_path(path)
    try:
        data = json.loads(where.read_bytes())
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError) as err:
        raise EditorError(f"{where}: not valid JSON ({err}); delete it to forget all failed sign-ins") from None
    except OSError as err:
        raise EditorError(f"{where}: cannot be read ({err.strerror})") from None
    if not isinstance(data, dict):
        raise EditorError(f"{where}: must be a JSON object of name@address -> failed sign-ins; delete it to reset")
    for key, entry in data.items():
        ok = (isinstance(entry, dict)
              and isinstance(entry.get("failures", []), list)
              and all(_is_number(t) for t in entry.get("failures", []))
              and _is_number(entry.get("locked_until", 0)))
        if not ok:
            raise EditorError(f"{where}: the entry for {show(key)} is malformed; delete the file to reset")
    return data


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _last_active(entry: dict[str, Any]) -> float:
    return max([*entry.get("failures", []), entry.get("locked_until", 0)])


def _save_failures(path: Path, failures: dict[str, dict[str, Any]], now: float) -> None:
    current = {}
    for key, entry in failures.items():
        recent = [t for t in entry.get("failures", []) if now - t < FAILURE_WINDOW]
        locked_until = entry.get("locked_until")
        kept: dict[str, Any] = {"failures": recent}
        if locked_until is not None and locked_until > now:
            kept["locked_until"] = locked_until
        if recent or "locked_until" in kept:
            current[key] = kept
    if len(current) > MAX_TRACKED:
        current = dict(sorted(current.items(), key=lambda item: _last_active(item[1]))[-MAX_TRACKED:])
    where = failures_path(path)
    if not current and not where.exists():
        return
    write_bytes_atomically(where, (json.dumps(current, indent=1, sort_keys=True) + "\n").encode("utf-8"), FILE_MODE)


def _clear_failures(path: Path, name: str, now: float | None = None) -> None:
    """Forget the failed sign-ins of `name` from every address (call holding the lock)."""
    failures = _load_failures(path)
    kept = {key: entry for key, entry in failures.items() if not key.startswith(_pair(name, ""))}
    if len(kept) != len(failures):
        _save_failures(path, kept, time.time() if now is None else now)


def _seconds_left(entry: dict[str, Any], now: float) -> int:
    locked_until = entry.get("locked_until")
    return math.ceil(locked_until - now) if locked_until is not None and locked_until > now else 0


def _check_locks(failures: dict[str, dict[str, Any]], name: str, client: str, now: float) -> None:
    """Raise LockedOut if `client` is locked out, or `name` is for `client`."""
    seconds_left = _seconds_left(failures.get(_pair("", client), {}), now)
    if seconds_left:
        raise LockedOut(seconds_left, whole_address=True)
    seconds_left = _seconds_left(failures.get(_pair(name, client), {}), now)
    if seconds_left:
        raise LockedOut(seconds_left)


def lockout_seconds_left(name: str, path: Path | str | None = None, now: float | None = None,
                         client: str | None = None) -> int:
    """Seconds until `name` may sign in again from client address `client` (0 if it is not locked out)."""
    now = time.time() if now is None else now
    try:
        _check_locks(_load_failures(_resolve(path)), name, client_key(client), now)
    except LockedOut as locked_out:
        return locked_out.seconds_left
    return 0


def _record_attempt(path: Path, name: str, client: str, now: float) -> None:
    """Raise LockedOut if `name` is locked out for `client` (or `client` is), else count one more failure for
    both (forgiven by `_forgive` if the password is right)."""
    with locked(path):
        failures = _load_failures(path)
        _check_locks(failures, name, client, now)
        for key, limit in ((_pair(name, client), MAX_FAILURES), (_pair("", client), MAX_ADDRESS_FAILURES)):
            entry = failures.get(key, {})
            recent = [t for t in entry.get("failures", []) if now - t < FAILURE_WINDOW] + [now]
            failures[key] = {"failures": recent}
            if len(recent) >= limit:
                failures[key]["locked_until"] = now + LOCKOUT_SECONDS
        _save_failures(path, failures, now)


def _forgive(path: Path, name: str, client: str, now: float) -> None:
    """Undo `_record_attempt(path, name, client, now)` for a right password: the pair's failures are
    forgotten, and the address's count (and a lock that attempt set) taken back."""
    with locked(path):
        failures = _load_failures(path)
        failures.pop(_pair(name, client), None)
        entry = failures.get(_pair("", client))
        if entry is not None:
            times = list(entry.get("failures", []))
            if now in times:
                times.remove(now)
            entry["failures"] = times
            if entry.get("locked_until") == now + LOCKOUT_SECONDS and len(times) < MAX_ADDRESS_FAILURES:
                del entry["locked_until"]
        _save_failures(path, failures, now)


# --- signing in ---------------------------------------------------------------------------------

_checks = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)
_dummies: dict[tuple[Any, ...], str] = {}
_dummies_lock = threading.Lock()


def _dummy_hash(like: str) -> str:
    """A hash of a random password with the parameters of the hash `like`, to verify against for names that
    are not editors: it then costs what an editor's check costs. Made once per set of parameters."""
    parameters = argon2.extract_parameters(like)
    key = (parameters.type, parameters.version, parameters.salt_len, parameters.hash_len, parameters.time_cost,
           parameters.memory_cost, parameters.parallelism)
    with _dummies_lock:
        if key not in _dummies:
            _dummies[key] = argon2.PasswordHasher.from_parameters(parameters).hash(secrets.token_urlsafe(24))
        return _dummies[key]


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except VerificationError:
        return False


def session_wait(attempts: Sequence[float], now: float | None = None) -> int:
    """Seconds until a browser session that made sign-in attempts at the UNIX times `attempts` may make
    another (0: now): at most SESSION_ATTEMPTS within SESSION_WINDOW. The page keeps the times and applies it
    before calling `sign_in`; a new session starts afresh, which is why the lockout is per address."""
    now = time.time() if now is None else now
    recent = sorted(t for t in attempts if now - t < SESSION_WINDOW)
    if len(recent) < SESSION_ATTEMPTS:
        return 0
    return max(1, math.ceil(recent[-SESSION_ATTEMPTS] + SESSION_WINDOW - now))


def sign_in(name: str, password: str, path: Path | str | None = None, now: float | None = None,
            client: str | None = None) -> Credential | None:
    """The editor's Credential if `password` is editor `name`'s password, else None.

    `client` is the client's address as the server reports it (None: this machine); see `client_key`.
    Raises LockedOut (without checking the password) while `name` is locked out for that address, or the
    address is; Busy when no password check is free within CHECK_WAIT_SECONDS (nothing checked or counted);
    EditorError if the editors or failures file is malformed. `now` is a UNIX time (default: the clock).
    See the module docstring for the rules.
    """
    path = _resolve(path)
    now = time.time() if now is None else now
    editors = _load(path)
    plausible = is_valid_name(name) and isinstance(password, str) and len(password) <= MAX_PASSWORD_CHARS
    if not plausible or not editors:
        return None  # never an editor's password; says nothing about any editor
    key = client_key(client)
    _check_locks(_load_failures(path), name, key, now)  # refused before any argon2 work
    if not _checks.acquire(timeout=CHECK_WAIT_SECONDS):
        raise Busy()
    try:
        _record_attempt(path, name, key, now)
        dummy = _dummy_hash(next(iter(editors.values()))["hash"])  # made (once) whichever name is tried
        entry = editors.get(name)
        hashed = entry["hash"] if entry else dummy
        right = _verify(hashed, password) and entry is not None
    finally:
        _checks.release()
    if not right:
        return None
    _forgive(path, name, key, now)
    return Credential(name, credential_version(hashed))


# --- the CLI's password prompt ------------------------------------------------------------------

def read_new_password(stdin: TextIO, stderr: TextIO) -> str:
    """A new password for `python -m geo editors add NAME`, checked (8 to 1,024 characters).

    From a pipe or file, the first line of `stdin` (only the line ending removed); from a terminal,
    asked twice with `getpass` (prompts on `stderr` when there is no /dev/tty) and both must match.
    Raises EditorError for empty, too short, too long or mismatched input.
    """
    if not stdin.isatty():
        line = stdin.readline(MAX_PASSWORD_CHARS + 2)
        if line.endswith("\n"):
            line = line[:-1]
            if line.endswith("\r"):
                line = line[:-1]
        if not line:
            raise EditorError("no password on standard input: give it as the first line")
        return check_password(line)
    first = getpass.getpass("New password: ", stream=stderr)
    if not first:
        raise EditorError("no password given")
    check_password(first)
    second = getpass.getpass("Repeat the password: ", stream=stderr)
    if second != first:
        raise EditorError("the two passwords do not match; nothing changed")
    return first
