"""A database password is never printed in any form — as typed, percent-encoded in either case of hex, escaped,
or inside libpq's, psycopg's or urllib's own text — by the store, the command line or the dashboard. Passwords
are generated (hypothesis) around two markers, so any fragment of one next to either end is caught too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from geo.store import StoreError, open_store
from geo.store.credentials import WITHHELD, connect, redact
from tests.browser import free_port
from tests.conftest import ROOT

START, END = "Zq7", "Xw9"
PASSWORDS = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=16).map(
    lambda core: f"{START}{core}{END}")
"""Any text (no lone surrogates: they cannot be passed to a process; no raw NUL: no C string holds one)."""


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


WRITTEN: dict[str, Callable[[str], str]] = {
    "percent-encoded": lambda password: quote(password, safe=""),
    "percent-encoded in lower-case hex": lambda password: lower_hex(quote(password, safe="")),
    "as typed": lambda password: password,
}


def url_with(password: str, written: str, port: int, *, database: str = "border", as_parameter: bool = False) -> str:
    text = WRITTEN[written](password)
    if as_parameter:
        return f"postgresql://editor@127.0.0.1:{port}/{database}?sslmode=disable&password={text}"
    return f"postgresql://editor:{text}@127.0.0.1:{port}/{database}"


def forms(password: str) -> set[str]:
    """Every way a message could show the password."""
    encoded = quote(password, safe="")
    return {password, encoded, lower_hex(encoded), quote_plus(password, safe=""), repr(password)[1:-1],
            password.encode("unicode_escape").decode("ascii"), quote(password, safe="!$&'()*+,;=:"), START, END}


def assert_not_shown(text: str, password: str) -> None:
    for form in forms(password):
        assert form.casefold() not in text.casefold(), (form, text)
    assert password.casefold() not in unquote(text).casefold(), text


@settings(max_examples=300, deadline=None)
@given(password=PASSWORDS, written=st.sampled_from(sorted(WRITTEN)), as_parameter=st.booleans())
@example(password=f"{START}%00{END}", written="as typed", as_parameter=False)
@example(password=f"{START}\x00{END}", written="percent-encoded", as_parameter=False)
@example(password=f"{START}p@ss:w/rd ?#{END}", written="as typed", as_parameter=False)
def test_the_stores_own_connect_never_shows_the_password(password, written, as_parameter):
    url = url_with(password, written, free_port(), as_parameter=as_parameter)
    with pytest.raises(StoreError) as caught:
        connect(url)
    assert_not_shown(str(caught.value), password)
    assert str(caught.value).startswith(("cannot reach postgresql://", "not a usable PostgreSQL URL"))
    store = open_store(url)
    assert_not_shown(f"{store.label} {store.name} {store!r}", password)
    with pytest.raises(StoreError) as caught:
        store.read()
    assert_not_shown(str(caught.value), password)


def run_geo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env)


TRICKY = [(f"{START}{core}{END}", written) for core, written in (
    ("%00", "as typed"), ("\x00", "percent-encoded"), ("%41%zz", "as typed"), ("p@ss:w/rd ?#", "as typed"),
    ("p@ss:w/rd ?#", "percent-encoded in lower-case hex"), ("é中文\u202e", "percent-encoded"),
    ("%2540+plus+", "percent-encoded in lower-case hex"), ("'\"\\", "as typed"))]


@pytest.mark.parametrize(("password", "written"), TRICKY)
@pytest.mark.parametrize("command", ["validate", "db init"])
def test_validate_and_db_init_on_an_unreachable_database_print_one_line_and_no_form_of_the_password(
        password, written, command):
    result = run_geo(*command.split(), url_with(password, written, free_port()))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert len((result.stdout + result.stderr).strip().splitlines()) == 1, result
    assert_not_shown(result.stdout + result.stderr, password)


@settings(max_examples=3, deadline=None)
@given(password=PASSWORDS, written=st.sampled_from(sorted(WRITTEN)))
def test_any_password_on_the_command_line_is_never_printed(password, written):
    result = run_geo("validate", url_with(password, written, free_port()))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert_not_shown(result.stdout + result.stderr, password)


# --- A real server, whose own messages may quote what the URL holds -------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=PASSWORDS, written=st.sampled_from(sorted(WRITTEN)))
def test_a_wrong_password_against_a_real_server_is_refused_without_showing_it(postgres, password, written):
    url = url_with(password, written, postgres.port).replace("editor", "postgres")
    with pytest.raises(StoreError) as caught:
        connect(url)
    message = str(caught.value)
    assert_not_shown(message, password)
    assert 'password authentication failed for user "postgres"' in message or "not a usable PostgreSQL URL" in message


def test_the_real_password_named_again_by_the_server_is_scrubbed(postgres):
    url = postgres.url(quote(postgres.password, safe=""))  # a database named like the password: the server says so
    with pytest.raises(StoreError) as caught:
        connect(url)
    message = str(caught.value)
    assert "does not exist" in message and postgres.password not in message
    assert postgres.password not in redact(url) and redact(url).endswith("/***")


def test_a_password_from_pgpassword_or_the_secrets_file_is_scrubbed_too(postgres, monkeypatch, tmp_path):
    bare = postgres.url(quote(postgres.password, safe=""), password=False)
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    with pytest.raises(StoreError) as caught:
        connect(bare)
    assert "does not exist" in str(caught.value) and postgres.password not in str(caught.value)
    monkeypatch.delenv("PGPASSWORD")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[connections.postgis]\npassword = "{postgres.password}"\n', encoding="utf-8")
    monkeypatch.setenv("BORDER_SECRETS", str(secrets))
    with pytest.raises(StoreError) as caught:
        connect(bare)
    assert "does not exist" in str(caught.value) and postgres.password not in str(caught.value)


def test_a_short_password_in_a_message_withholds_the_reason_rather_than_spell_it_around(postgres):
    url = postgres.url().replace(quote(postgres.password, safe=""), "ss")  # "password authentication failed"
    with pytest.raises(StoreError) as caught:
        connect(url)
    assert str(caught.value) == f"cannot reach postgresql://postgres@127.0.0.1:{postgres.port}/postgres: {WITHHELD}"


def test_the_dashboard_shows_an_unusable_url_without_its_password(monkeypatch):
    password = f"{START}%00@{END}"
    monkeypatch.setenv("BORDER_DATA", url_with(password, "percent-encoded", free_port()).replace("%40", "@"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error).replace("\\", "").replace("\u2060", "")
    assert "not a usable PostgreSQL URL" in shown
    assert_not_shown(" ".join(str(element.value) for element in [*at.error, *at.warning, *at.markdown, *at.caption]),
                     password)
