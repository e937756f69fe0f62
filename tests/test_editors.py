"""Editors who sign in: the editors file, password rules, the lockout, and the CLI's password prompt.

Real argon2 and real files throughout. A hash with argon2's default cost takes a noticeable fraction
of a second to make or check, so the tests of the lockout rule use an editors file written here with a
cheap argon2id hash for `alice` (verifying costs what the stored hash's parameters say); the tests of
adding and replacing passwords use `add_editor`, and so the defaults.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import argon2
import pytest

from geo.editors import (
    EDITORS_ENV,
    FAILURE_WINDOW,
    LOCKOUT_SECONDS,
    Editor,
    EditorError,
    LockedOut,
    add_editor,
    editors_path,
    failures_path,
    list_editors,
    lockout_seconds_left,
    read_new_password,
    remove_editor,
    sign_in,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
WRONG = "not the password"
T0 = 1_796_151_600.0  # 2026-12-01T19:00:00Z


@pytest.fixture(scope="module")
def cheap_hash() -> str:
    return argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@pytest.fixture
def editors(cheap_hash: str, tmp_path: Path) -> Path:
    """An editors file in tmp_path with one editor, `alice`, whose password is PASSWORD."""
    path = tmp_path / "editors.toml"
    path.write_text(f'[editors.alice]\nhash = "{cheap_hash}"\nadded = "2026-12-01T19:00:00Z"\n')
    path.chmod(0o600)
    return path


def fail(path: Path, name: str, times: int, now: float) -> None:
    for _ in range(times):
        assert sign_in(name, WRONG, path, now=now) is False


def test_an_added_editor_is_listed_and_a_removed_one_is_not(tmp_path):
    path = tmp_path / "editors.toml"
    assert add_editor("bob", PASSWORD, path) is True
    editors = list_editors(path)
    assert [e.name for e in editors] == ["bob"]
    assert editors[0].added.endswith("Z") and len(editors[0].added) == len("2026-12-01T19:00:00Z")
    remove_editor("bob", path)
    assert list_editors(path) == []
    with pytest.raises(EditorError, match="no editor 'bob'"):
        remove_editor("bob", path)


def test_adding_an_existing_editor_replaces_the_password_and_keeps_the_added_time(editors):
    before = list_editors(editors)
    assert add_editor("alice", "a brand new password", editors) is False
    assert list_editors(editors) == before
    assert sign_in("alice", PASSWORD, editors, now=T0) is False
    assert sign_in("alice", "a brand new password", editors, now=T0) is True


def test_a_wrong_password_fails_and_the_right_one_signs_in(editors):
    assert sign_in("alice", WRONG, editors, now=T0) is False
    assert sign_in("alice", PASSWORD, editors, now=T0) is True
    assert sign_in("Alice", PASSWORD, editors, now=T0) is False  # names are case-sensitive


def test_five_failures_lock_the_name_out_even_with_the_right_password(editors):
    fail(editors, "alice", 5, T0)
    with pytest.raises(LockedOut) as caught:
        sign_in("alice", PASSWORD, editors, now=T0 + 60)
    assert caught.value.seconds_left == LOCKOUT_SECONDS - 60
    assert str(caught.value) == "Too many failed sign-ins for this name: try again in 14 minutes"
    assert isinstance(caught.value, EditorError)  # a page catching EditorError shows the message


def test_four_failures_do_not_lock_and_a_success_clears_them(editors):
    fail(editors, "alice", 4, T0)
    assert sign_in("alice", PASSWORD, editors, now=T0 + 1) is True
    fail(editors, "alice", 4, T0 + 2)  # counted from zero again: still not locked
    assert sign_in("alice", PASSWORD, editors, now=T0 + 3) is True


def test_a_lockout_lasts_fifteen_minutes(editors):
    fail(editors, "alice", 5, T0)
    with pytest.raises(LockedOut) as caught:
        sign_in("alice", PASSWORD, editors, now=T0 + LOCKOUT_SECONDS - 1)
    assert caught.value.seconds_left == 1
    assert str(caught.value).endswith("try again in 1 minute")
    assert lockout_seconds_left("alice", editors, now=T0 + LOCKOUT_SECONDS) == 0
    assert sign_in("alice", PASSWORD, editors, now=T0 + LOCKOUT_SECONDS) is True


def test_failures_older_than_fifteen_minutes_do_not_count(editors):
    fail(editors, "alice", 4, T0)
    fail(editors, "alice", 1, T0 + FAILURE_WINDOW)  # the first four have aged out
    assert sign_in("alice", PASSWORD, editors, now=T0 + FAILURE_WINDOW + 1) is True


def test_names_that_are_not_editors_are_throttled_too(editors):
    fail(editors, "mallory", 5, T0)
    with pytest.raises(LockedOut):
        sign_in("mallory", WRONG, editors, now=T0 + 1)
    assert sign_in("alice", PASSWORD, editors, now=T0 + 1) is True  # other names are not locked
    recorded = json.loads(failures_path(editors).read_text())
    assert set(recorded) == {"mallory"}


def test_setting_a_password_clears_the_names_lockout(editors):
    fail(editors, "alice", 5, T0)
    assert add_editor("alice", "the operator's reset", editors) is False
    assert sign_in("alice", "the operator's reset", editors, now=T0 + 1) is True


def test_the_files_are_private_and_hold_no_plaintext_password(tmp_path):
    editors = tmp_path / "editors.toml"
    add_editor("alice", PASSWORD, editors)
    fail(editors, "alice", 1, T0)
    for path in (editors, failures_path(editors)):
        assert path.stat().st_mode & 0o777 == 0o600
        text = path.read_text()
        assert PASSWORD not in text and WRONG not in text
    document = tomllib.loads(editors.read_text())
    assert document["editors"]["alice"]["hash"].startswith("$argon2id$")
    assert [p.name for p in editors.parent.glob("*.tmp")] == []


def test_an_editor_and_errors_never_show_a_password_or_hash(editors):
    hashed = tomllib.loads(editors.read_text())["editors"]["alice"]["hash"]
    editor = list_editors(editors)[0]
    assert editor == Editor("alice", editor.added)
    assert hashed not in repr(editor) and PASSWORD not in repr(editor)
    for password in ("k3y!", "x" * 1025):
        with pytest.raises(EditorError) as caught:
            add_editor("alice", password, editors)
        assert password not in str(caught.value)


def test_a_missing_editors_file_means_no_editors(tmp_path):
    path = tmp_path / "nowhere" / "editors.toml"
    assert list_editors(path) == []
    assert sign_in("alice", PASSWORD, path, now=T0) is False
    assert not path.parent.exists()  # signing in creates nothing


def test_editors_path_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv(EDITORS_ENV, raising=False)
    assert editors_path() == ROOT / ".streamlit" / "editors.toml"
    monkeypatch.setenv(EDITORS_ENV, str(tmp_path / "e.toml"))
    assert editors_path() == tmp_path / "e.toml"


@pytest.mark.parametrize("text, complaint", [
    ("[editors.alice\nhash = 1\n", "not valid TOML"),
    ("editors = 3\n", "must be a table"),
    ("[users.alice]\n", "unexpected top-level key 'users'"),
    ("[editors.alice]\nadded = \"2026-12-01T19:00:00Z\"\n", "`hash` is missing"),
    ("[editors.alice]\nhash = \"plaintext\"\nadded = \"2026-12-01T19:00:00Z\"\n", "not an argon2 hash"),
    ("[editors.alice]\nhash = \"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA\"\n"
     "added = \"yesterday\"\n", "`added` must be a UTC time"),
    ("[editors.\"bad name\"]\n", "not a valid editor name"),
    ("[editors.alice]\nhash = \"x\"\nadded = \"x\"\nrole = \"admin\"\n", "unexpected key 'role'"),
])
def test_a_malformed_editors_file_gives_an_editor_error_naming_the_file(tmp_path, text, complaint):
    path = tmp_path / "editors.toml"
    path.write_text(text)
    for call in (lambda: list_editors(path), lambda: sign_in("alice", PASSWORD, path, now=T0),
                 lambda: add_editor("bob", PASSWORD, path)):
        with pytest.raises(EditorError) as caught:
            call()
        assert str(path) in str(caught.value) and complaint in str(caught.value)
    assert path.read_text() == text  # nothing was written over it


def test_a_malformed_failures_file_gives_an_editor_error_naming_it(editors):
    failures_path(editors).write_text("{not json")
    with pytest.raises(EditorError, match="failures.json: not valid JSON"):
        sign_in("alice", PASSWORD, editors, now=T0)


@pytest.mark.parametrize("name", ["", "-alice", ".hidden", "al ice", "alice\n", "a" * 65, "ålice", "a/b", "a]b"])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(EditorError, match="an editor name is 1 to 64 letters"):
        add_editor(name, PASSWORD, tmp_path / "editors.toml")
    assert not (tmp_path / "editors.toml").exists()


def test_short_empty_and_overlong_passwords_are_refused(tmp_path):
    path = tmp_path / "editors.toml"
    for password, complaint in (("", "empty"), ("1234567", "too short"), ("x" * 1025, "too long")):
        with pytest.raises(EditorError, match=complaint):
            add_editor("bob", password, path)
    assert not path.exists()
    assert add_editor("bob", "12345678", path) is True  # exactly 8 is enough


def test_read_new_password_reads_the_first_line_of_a_non_terminal_stream():
    stderr = io.StringIO()
    assert read_new_password(io.StringIO(" spaces kept \nsecond line\n"), stderr) == " spaces kept "
    assert read_new_password(io.StringIO("no newline at all"), stderr) == "no newline at all"
    assert read_new_password(io.StringIO("windows line\r\n"), stderr) == "windows line"
    assert stderr.getvalue() == ""


@pytest.mark.parametrize("text, complaint", [("", "no password"), ("\nsecond\n", "no password"),
                                             ("k3y!\n", "too short"), ("x" * 2000, "too long")])
def test_read_new_password_refuses_empty_short_or_long_input(text, complaint):
    with pytest.raises(EditorError, match=complaint) as caught:
        read_new_password(io.StringIO(text), io.StringIO())
    assert text.strip() == "" or text.strip() not in str(caught.value)


def test_a_second_process_sees_the_lockout_written_by_the_first(editors):
    fail(editors, "alice", 5, T0)
    code = (
        "import sys\n"
        "from geo.editors import LockedOut, sign_in\n"
        "try:\n"
        f"    sign_in('alice', sys.stdin.readline().rstrip('\\n'), {str(editors)!r}, now={T0 + 60!r})\n"
        "except LockedOut as locked:\n"
        "    print(locked.seconds_left)\n"
        "else:\n"
        "    print('not locked')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], input=PASSWORD + "\n", capture_output=True, text=True,
                            cwd=ROOT, timeout=60, check=True)
    assert result.stdout.strip() == str(LOCKOUT_SECONDS - 60)
