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
    It is rewritten atomically (mode 0600) under the lock `<file>.lock` (`geo.store.locked`).
    Replacing a password keeps the editor's `added` time.

Lockout
    5 failed sign-ins for one name within 15 minutes lock that name out for 15 minutes from the
    5th: `sign_in` then raises `LockedOut` without looking at the password, even a right one.
    Failures older than 15 minutes do not count. A successful sign-in, and the operator setting the
    name's password (`add_editor`), clear the name's failures. Names that are not editors are
    counted the same way and cost the same argon2 verification (against a dummy hash), so neither
    the answer nor its timing tells which names exist. (Text that is not a valid name at all, or a
    password longer than any editor can have, is refused with False and not recorded.)

Where failures are kept
    `<editors file>.failures.json` beside the editors file (mode 0600), rewritten atomically under
    the same lock, so a restarted server or a second server process on the machine sees them::

        {"alice": {"failures": [1796151600.0, 1796151612.5], "locked_until": 1796152500.0}}

    (UNIX times; `locked_until` only while locked; names with nothing current are dropped on write.)
    Each attempt is recorded as a failure before its password is checked and cleared if it was
    right, so parallel attempts cannot slip past the count.

No password or hash is ever logged, printed, put in an exception message or in a repr.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import math
import os
import re
import secrets
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from geo.schema import show
from geo.store import _write_atomically, locked

EDITORS_ENV = "BORDER_EDITORS"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EDITORS_PATH = PROJECT_ROOT / ".streamlit" / "editors.toml"

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MAX_FAILURES = 5  # failed sign-ins for one name within FAILURE_WINDOW that lock it out
FAILURE_WINDOW = 15 * 60  # seconds
LOCKOUT_SECONDS = 15 * 60
FILE_MODE = 0o600

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
    """Too many failed sign-ins for this name recently; `seconds_left` until it may try again."""

    def __init__(self, seconds_left: int):
        self.seconds_left = seconds_left
        minutes = max(1, math.ceil(seconds_left / 60))
        super().__init__(f"Too many failed sign-ins for this name: try again in {minutes} "
                         f"minute{'' if minutes == 1 else 's'}")


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
    _write_atomically(path, _encode(editors), FILE_MODE)


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


# --- failed sign-ins ----------------------------------------------------------------------------

def _load_failures(path: Path) -> dict[str, dict[str, Any]]:
    """The failures file beside the editors file at `path`, name -> {"failures": [...], "locked_until"?}."""
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
        raise EditorError(f"{where}: must be a JSON object of name -> failed sign-ins; delete it to reset")
    for name, entry in data.items():
        ok = (isinstance(entry, dict)
              and isinstance(entry.get("failures", []), list)
              and all(_is_number(t) for t in entry.get("failures", []))
              and _is_number(entry.get("locked_until", 0)))
        if not ok:
            raise EditorError(f"{where}: the entry for {show(name)} is malformed; delete the file to reset")
    return data


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _save_failures(path: Path, failures: dict[str, dict[str, Any]], now: float) -> None:
    current = {}
    for name, entry in failures.items():
        recent = [t for t in entry.get("failures", []) if now - t < FAILURE_WINDOW]
        locked_until = entry.get("locked_until")
        kept: dict[str, Any] = {"failures": recent}
        if locked_until is not None and locked_until > now:
            kept["locked_until"] = locked_until
        if recent or "locked_until" in kept:
            current[name] = kept
    where = failures_path(path)
    if not current and not where.exists():
        return
    _write_atomically(where, (json.dumps(current, indent=1, sort_keys=True) + "\n").encode("utf-8"), FILE_MODE)


def _clear_failures(path: Path, name: str, now: float | None = None) -> None:
    """Forget the failed sign-ins of `name` (call holding the lock)."""
    failures = _load_failures(path)
    if name in failures:
        del failures[name]
        _save_failures(path, failures, time.time() if now is None else now)


def _seconds_left(entry: dict[str, Any], now: float) -> int:
    locked_until = entry.get("locked_until")
    return math.ceil(locked_until - now) if locked_until is not None and locked_until > now else 0


def lockout_seconds_left(name: str, path: Path | str | None = None, now: float | None = None) -> int:
    """Seconds until `name` may sign in again (0 if it is not locked out)."""
    now = time.time() if now is None else now
    return _seconds_left(_load_failures(_resolve(path)).get(name, {}), now)


def _record_attempt(path: Path, name: str, now: float) -> None:
    """Raise LockedOut if `name` is locked out, else count one more failure (cleared if the password is right)."""
    with locked(path):
        failures = _load_failures(path)
        entry = failures.get(name, {})
        seconds_left = _seconds_left(entry, now)
        if seconds_left:
            raise LockedOut(seconds_left)
        recent = [t for t in entry.get("failures", []) if now - t < FAILURE_WINDOW] + [now]
        entry = {"failures": recent}
        if len(recent) >= MAX_FAILURES:
            entry = {"failures": [], "locked_until": now + LOCKOUT_SECONDS}
        failures[name] = entry
        _save_failures(path, failures, now)


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password with the same parameters, to verify against for names that are not editors."""
    return _hasher.hash(secrets.token_urlsafe(24))


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except VerificationError:
        return False


def sign_in(name: str, password: str, path: Path | str | None = None, now: float | None = None) -> bool:
    """Whether `password` is editor `name`'s password.

    Raises LockedOut (without checking the password) while the name is locked out, and EditorError
    if the editors or failures file is malformed. `now` is a UNIX time (default: the clock).
    See the module docstring for the lockout rule.
    """
    path = _resolve(path)
    now = time.time() if now is None else now
    exists = path.exists()
    editors = _load(path)
    plausible = is_valid_name(name) and isinstance(password, str) and len(password) <= MAX_PASSWORD_CHARS
    if not plausible or not exists:
        # Never an editor's password: nothing to protect or record, but the same time spent.
        _verify(_dummy_hash(), password[:MAX_PASSWORD_CHARS] if isinstance(password, str) else "")
        return False
    _record_attempt(path, name, now)
    entry = editors.get(name)
    right = _verify(entry["hash"] if entry else _dummy_hash(), password) and entry is not None
    if right:
        with locked(path):
            _clear_failures(path, name, now)
    return right


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
