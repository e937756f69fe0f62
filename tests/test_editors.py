"""Editors who sign in: the editors file, password rules, the lockout, and the CLI's password prompt.

Real argon2 and real files throughout. A hash with argon2's default cost takes a noticeable fraction
of a second to make or check, so the tests of the lockout rule use an editors file written here with a
cheap argon2id hash for `alice` (verifying costs what the stored hash's parameters say); the tests of
adding and replacing passwords use `add_editor`, and so the defaults.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import argon2
import pytest

import geo.store.editors
from geo.store.editors import (
    EDITORS_ENV,
    FAILURE_WINDOW,
    LOCAL_CLIENT,
    LOCKOUT_SECONDS,
    MAX_ADDRESS_FAILURES,
    MAX_TRACKED,
    SESSION_ATTEMPTS,
    SESSION_WINDOW,
    Busy,
    Credential,
    Editor,
    EditorError,
    LockedOut,
    SignedOut,
    add_editor,
    check_credential,
    client_key,
    credential_version,
    editors_path,
    failures_path,
    list_editors,
    lockout_seconds_left,
    read_new_password,
    remove_editor,
    session_wait,
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
        assert sign_in(name, WRONG, path, now=now) is None


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
    assert sign_in("alice", PASSWORD, editors, now=T0) is None
    assert sign_in("alice", "a brand new password", editors, now=T0) is not None


def test_a_wrong_password_fails_and_the_right_one_signs_in(editors):
    assert sign_in("alice", WRONG, editors, now=T0) is None
    assert sign_in("alice", PASSWORD, editors, now=T0) is not None
    assert sign_in("Alice", PASSWORD, editors, now=T0) is None  # names are case-sensitive


def test_five_failures_lock_the_name_out_even_with_the_right_password(editors):
    fail(editors, "alice", 5, T0)
    with pytest.raises(LockedOut) as caught:
        sign_in("alice", PASSWORD, editors, now=T0 + 60)
    assert caught.value.seconds_left == LOCKOUT_SECONDS - 60
    assert str(caught.value) == "Too many failed sign-ins for this name from your address: try again in 14 minutes"
    assert isinstance(caught.value, EditorError)  # a page catching EditorError shows the message


def test_four_failures_do_not_lock_and_a_success_clears_them(editors):
    fail(editors, "alice", 4, T0)
    assert sign_in("alice", PASSWORD, editors, now=T0 + 1) is not None
    fail(editors, "alice", 4, T0 + 2)  # counted from zero again: still not locked
    assert sign_in("alice", PASSWORD, editors, now=T0 + 3) is not None


def test_a_lockout_lasts_fifteen_minutes(editors):
    fail(editors, "alice", 5, T0)
    with pytest.raises(LockedOut) as caught:
        sign_in("alice", PASSWORD, editors, now=T0 + LOCKOUT_SECONDS - 1)
    assert caught.value.seconds_left == 1
    assert str(caught.value).endswith("try again in 1 minute")
    assert lockout_seconds_left("alice", editors, now=T0 + LOCKOUT_SECONDS) == 0
    assert sign_in("alice", PASSWORD, editors, now=T0 + LOCKOUT_SECONDS) is not None


def test_failures_older_than_fifteen_minutes_do_not_count(editors):
    fail(editors, "alice", 4, T0)
    fail(editors, "alice", 1, T0 + FAILURE_WINDOW)  # the first four have aged out
    assert sign_in("alice", PASSWORD, editors, now=T0 + FAILURE_WINDOW + 1) is not None


def test_names_that_are_not_editors_are_throttled_too(editors):
    fail(editors, "mallory", 5, T0)
    with pytest.raises(LockedOut):
        sign_in("mallory", WRONG, editors, now=T0 + 1)
    assert sign_in("alice", PASSWORD, editors, now=T0 + 1) is not None  # other names are not locked
    recorded = json.loads(failures_path(editors).read_text())
    assert set(recorded) == {"mallory@local", "@local"}  # the name from this machine, and this machine


def test_setting_a_password_clears_the_names_lockout(editors):
    fail(editors, "alice", 5, T0)
    assert add_editor("alice", "the operator's reset", editors) is False
    assert sign_in("alice", "the operator's reset", editors, now=T0 + 1) is not None


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
    assert sign_in("alice", PASSWORD, path, now=T0) is None
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
        "from geo.store.editors import LockedOut, sign_in\n"
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


# --- lockouts per address, the cost of a check, the credential version -----------------------------------

A, B = "198.51.100.7", "203.0.113.9"


def test_a_guesser_locking_a_name_from_one_address_does_not_lock_the_editor_out_from_another(editors):
    fail_from(editors, "alice", 5, T0, A)
    with pytest.raises(LockedOut) as caught:
        sign_in("alice", PASSWORD, editors, now=T0 + 1, client=A)
    assert not caught.value.whole_address and lockout_seconds_left("alice", editors, T0 + 1, client=A) > 0
    assert lockout_seconds_left("alice", editors, T0 + 1, client=B) == 0
    assert sign_in("alice", PASSWORD, editors, now=T0 + 1, client=B) == Credential("alice", version_of(editors))


def test_fifty_guesses_from_one_address_cost_five_checks_and_leave_other_addresses_alone(editors):
    answers = []
    for i in range(50):
        try:
            answers.append(sign_in("alice", WRONG, editors, now=T0 + i, client=A))
        except LockedOut:
            answers.append("locked")
    assert answers == [None] * 5 + ["locked"] * 45
    assert json.loads(failures_path(editors).read_text())[f"@{A}"]["failures"] == [T0 + i for i in range(5)]
    assert sign_in("alice", PASSWORD, editors, now=T0 + 50, client=B) is not None


def test_twenty_failures_from_one_address_for_any_names_lock_that_address_out_and_no_other(editors):
    for i in range(20):
        assert sign_in(f"name{i // 4}", WRONG, editors, now=T0 + i, client=A) is None  # 4 per name: no pair lock
    with pytest.raises(LockedOut) as caught:
        sign_in("alice", PASSWORD, editors, now=T0 + 21, client=A)
    assert caught.value.whole_address and str(caught.value).startswith("Too many failed sign-ins from your address")
    assert sign_in("alice", PASSWORD, editors, now=T0 + 21, client=B) is not None
    assert sign_in("alice", PASSWORD, editors, now=T0 + 21 + LOCKOUT_SECONDS, client=A) is not None


def test_a_right_password_counts_as_no_failure_of_its_address(editors):
    for i in range(MAX_ADDRESS_FAILURES + 5):  # an editor signing in from many tabs of one office
        assert sign_in("alice", PASSWORD, editors, now=T0 + i, client=A) is not None
    for i in range(MAX_ADDRESS_FAILURES - 1):  # then 19 failures, 4 per name at most: no lock yet
        assert sign_in(f"name{i // 4}", WRONG, editors, now=T0 + 30 + i, client=A) is None
    assert sign_in("alice", PASSWORD, editors, now=T0 + 50, client=A) is not None  # the 20th attempt, right
    assert lockout_seconds_left("alice", editors, T0 + 51, client=A) == 0
    assert sign_in("name9", WRONG, editors, now=T0 + 52, client=A) is None  # the 20th failure locks it
    assert lockout_seconds_left("alice", editors, T0 + 53, client=A) > 0


@pytest.mark.parametrize("one, other, same", [
    ("2001:db8:1:2::5", "2001:db8:1:2:ffff:ffff:ffff:1", True),  # one subscriber's /64
    ("2001:db8:1:2::5", "2001:db8:1:3::5", False),
    ("::ffff:198.51.100.7", "198.51.100.7", True),
    ("198.51.100.7", "198.51.100.8", False),
    (None, "", True),
])
def test_addresses_are_counted_by_ipv4_address_or_ipv6_network(one, other, same):
    assert (client_key(one) == client_key(other)) is same


def test_text_that_is_no_address_is_counted_as_one_unknown_client():
    assert client_key("not an address") == client_key("1.2.3.4.5") == "unknown"
    assert client_key(None) == LOCAL_CLIENT


def test_the_failures_of_the_older_per_name_layout_are_ignored(editors):
    failures_path(editors).write_text(json.dumps({"alice": {"failures": [], "locked_until": T0 + 900}}))
    assert sign_in("alice", PASSWORD, editors, now=T0 + 1) is not None


def test_the_failures_file_keeps_at_most_max_tracked_keys_dropping_the_least_recently_active(editors):
    crowd = {f"name{i}@{A}": {"failures": [T0 + i * 0.01]} for i in range(MAX_TRACKED)}
    failures_path(editors).write_text(json.dumps(crowd))
    assert sign_in("alice", WRONG, editors, now=T0 + 200, client=B) is None
    kept = json.loads(failures_path(editors).read_text())
    assert len(kept) == MAX_TRACKED and {f"alice@{B}", f"@{B}"} <= set(kept)
    assert "name0@" + A not in kept and "name1@" + A not in kept and f"name{MAX_TRACKED - 1}@{A}" in kept


def test_a_session_may_try_five_times_a_minute():
    assert session_wait([], now=T0) == 0
    assert session_wait([T0 + i for i in range(SESSION_ATTEMPTS - 1)], now=T0 + 10) == 0
    attempts = [T0 + i for i in range(SESSION_ATTEMPTS)]
    assert session_wait(attempts, now=T0 + 10) == SESSION_WINDOW - 10
    assert session_wait(attempts, now=T0 + SESSION_WINDOW) == 0  # the first has aged out


@pytest.fixture
def slow_editors(tmp_path: Path) -> Path:
    """An editors file whose one editor's hash takes seconds to check (argon2 time cost 40, 64 MB)."""
    path = tmp_path / "editors.toml"
    slow = argon2.PasswordHasher(time_cost=40, memory_cost=65536, parallelism=1).hash(PASSWORD)
    path.write_text(f'[editors.alice]\nhash = "{slow}"\nadded = "2026-12-01T19:00:00Z"\n')
    return path


def test_a_third_attempt_while_two_checks_run_is_refused_as_busy_and_not_counted(slow_editors, monkeypatch):
    assert sign_in("alice", WRONG, slow_editors, client="192.0.2.98") is None  # warm: the dummy hash made
    started = time.monotonic()
    assert sign_in("alice", WRONG, slow_editors, client="192.0.2.99") is None  # one check alone
    check_seconds = time.monotonic() - started
    # The third waits a quarter of a check for a slot (2 s on a server), however fast this machine checks.
    monkeypatch.setattr(geo.store.editors, "CHECK_WAIT_SECONDS", check_seconds / 4)
    outcomes: dict[str, object] = {}

    def attempt(label: str, client: str) -> None:
        try:
            outcomes[label] = sign_in("alice", WRONG, slow_editors, client=client)
        except Busy as busy:
            outcomes[label] = busy

    running = [threading.Thread(target=attempt, args=(f"slow{i}", f"192.0.2.{i}")) for i in range(2)]
    for thread in running:
        thread.start()
    time.sleep(check_seconds / 4)  # both are checking now
    attempt("third", A)
    for thread in running:
        thread.join()
    assert outcomes["slow0"] is None and outcomes["slow1"] is None
    assert isinstance(outcomes["third"], Busy) and "busy" in str(outcomes["third"])
    assert not any(key.endswith(A) for key in json.loads(failures_path(slow_editors).read_text()))


def test_a_name_that_is_not_an_editor_takes_as_long_as_an_editors_wrong_password(tmp_path):
    # The editor's hash is cheaper than argon2's defaults: the dummy checked for other names must cost the same.
    path = tmp_path / "editors.toml"
    cheaper = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    path.write_text(f'[editors.alice]\nhash = "{cheaper}"\nadded = "2026-12-01T19:00:00Z"\n')
    sign_in("warm", WRONG, path, client="192.0.2.1")  # the dummy hash is made on the first attempt

    def median_seconds(name: str) -> float:
        times = []
        for i in range(7):
            started = time.perf_counter()
            assert sign_in(name, WRONG, path, client=f"192.0.2.{10 + i}") is None
            times.append(time.perf_counter() - started)
        return sorted(times)[3]

    editor, nobody = median_seconds("alice"), median_seconds("nobody")
    assert 0.5 < nobody / editor < 2, (editor, nobody)


def version_of(path: Path) -> str:
    return credential_version(tomllib.loads(path.read_text())["editors"]["alice"]["hash"])


def test_a_credential_holds_until_the_editor_is_removed(editors):
    credential = sign_in("alice", PASSWORD, editors, now=T0)
    assert credential == Credential("alice", version_of(editors))
    check_credential(credential, editors)
    assert add_editor("bob", "another passphrase", editors) is True  # other editors' changes do not matter
    check_credential(credential, editors)
    remove_editor("alice", editors)
    with pytest.raises(SignedOut) as caught:
        check_credential(credential, editors)
    assert caught.value.reason == "removed" and "alice is no longer an editor" in str(caught.value)


def test_a_credential_ends_when_the_password_is_set_again_even_to_the_same_one(editors):
    credential = sign_in("alice", PASSWORD, editors, now=T0)
    add_editor("alice", PASSWORD, editors)
    with pytest.raises(SignedOut) as caught:
        check_credential(credential, editors)
    assert caught.value.reason == "changed" and "password of alice was changed" in str(caught.value)
    fresh = sign_in("alice", PASSWORD, editors, now=T0 + 1)
    assert fresh != credential
    check_credential(fresh, editors)
    hashed = tomllib.loads(editors.read_text())["editors"]["alice"]["hash"]
    assert PASSWORD not in repr(fresh) and hashed not in repr(fresh)


def test_a_second_process_removing_the_editor_ends_the_credential(editors):
    credential = sign_in("alice", PASSWORD, editors, now=T0)
    env = {**os.environ, EDITORS_ENV: str(editors)}
    subprocess.run([sys.executable, "-m", "geo", "editors", "remove", "alice"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    with pytest.raises(SignedOut, match="no longer an editor"):
        check_credential(credential, editors)


def fail_from(path: Path, name: str, times: int, now: float, client: str) -> None:
    for _ in range(times):
        assert sign_in(name, WRONG, path, now=now, client=client) is None
