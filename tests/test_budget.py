"""A call run with a deadline gives its answer or its exception, and is killed when it overruns."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import signal
import threading
import time

import pytest

from geo import budget
from geo.budget import ChildDied, DeadlineExceeded, run_with_deadline
from geo.ingest.candidates import MAX_ARTICLE_CHARS, ArticleTooLong, candidates_from_text


def test_the_answer_comes_back_from_the_child_process(children):
    assert run_with_deadline(5, divmod, 17, 5) == (3, 2)
    assert run_with_deadline(5, os.getpid) != os.getpid()
    assert all(child.returncode == 0 for child in children)


def test_a_print_in_the_child_does_not_corrupt_its_answer():
    assert run_with_deadline(5, print, "noise on stdout") is None


def test_an_exception_raised_in_the_child_comes_back_as_the_same_type_and_message():
    with pytest.raises(ValueError) as local:
        int("not a number")
    with pytest.raises(ValueError) as remote:
        run_with_deadline(5, int, "not a number")
    assert type(remote.value) is ValueError and str(remote.value) == str(local.value)
    assert any("In the child process" in note for note in remote.value.__notes__)


def test_an_over_long_article_raises_article_too_long_from_the_child():
    text = "x" * (MAX_ARTICLE_CHARS + 1)
    with pytest.raises(ArticleTooLong) as error:
        run_with_deadline(5, candidates_from_text, text, dt.date(2023, 2, 23), "E", "t", "x")
    assert str(error.value) == str(ArticleTooLong(len(text)))
    assert (error.value.size, error.value.limit) == (MAX_ARTICLE_CHARS + 1, MAX_ARTICLE_CHARS)


def test_a_call_over_its_deadline_is_killed_and_reaped(children):
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded, match=r"sleep did not finish within 0\.5 s"):
        run_with_deadline(0.5, time.sleep, 30)
    assert time.perf_counter() - started < 2
    [child] = children
    assert child.returncode == -signal.SIGKILL
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)


def test_a_child_that_dies_without_an_answer_is_reported():
    with pytest.raises(ChildDied, match="exit status 3"):
        run_with_deadline(5, os._exit, 3)


def test_an_exception_that_cannot_be_rebuilt_is_reported_by_name():
    answer = pickle.dumps(("error", None, "Odd: cannot pickle me", "Traceback (most recent call last): ..."))
    with pytest.raises(ChildDied, match="raised Odd: cannot pickle me"):
        budget._unpack(answer, b"", 0)


def test_calls_from_several_threads_at_once_each_get_their_own_answer():
    results: dict[int, int] = {}

    def call(n: int) -> None:
        results[n] = run_with_deadline(5, pow, n, 2)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: n * n for n in range(4)}


def test_stopping_a_process_group_ends_the_leader_and_its_children():
    import subprocess

    from geo.budget import stop_process_group

    leader = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60"], start_new_session=True)
    time.sleep(0.3)
    stop_process_group(leader, grace_seconds=5)
    assert leader.returncode is not None
    deadline = time.monotonic() + 5  # the orphaned sleep is reaped by init, not by us: give it a moment
    while time.monotonic() < deadline:
        try:
            os.killpg(leader.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    with pytest.raises(ProcessLookupError):
        os.killpg(leader.pid, 0)  # nothing of the group is left


def test_a_child_that_allocates_past_its_memory_limit_raises_memory_error_here(children):
    limits = budget.Limits(10, memory_bytes=512 << 20)
    with pytest.raises(MemoryError):
        budget.run_bounded(limits, bytearray, 1 << 30)  # 1 GiB, twice the cap
    assert budget.run_bounded(limits, len, bytearray(1 << 20)) == 1 << 20  # and a small call still works
    assert all(child.returncode == 0 for child in children)


def test_a_child_nobody_wants_any_more_is_killed_within_a_poll(children):
    started = time.perf_counter()
    wanted = threading.Event()
    wanted.set()
    threading.Timer(0.5, wanted.clear).start()
    with pytest.raises(budget.Abandoned, match="no longer wanted"):
        budget.run_bounded(budget.Limits(30, still_wanted=wanted.is_set), time.sleep, 30)
    assert time.perf_counter() - started < 0.5 + 2 * budget.POLL_SECONDS + 1
    [child] = children
    assert child.returncode == -signal.SIGKILL


def test_a_deadline_still_holds_while_the_caller_polls(children):
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded):
        budget.run_bounded(budget.Limits(0.7, still_wanted=lambda: True), time.sleep, 30)
    assert 0.7 <= time.perf_counter() - started < 2


def test_a_large_call_reaches_the_child_while_the_caller_polls():
    data = bytes(range(256)) * 40_000  # 10 MB: far more than a pipe holds
    assert budget.run_bounded(budget.Limits(20, still_wanted=lambda: True), len, data) == len(data)


def test_a_child_that_runs_out_of_memory_while_loading_a_library_raises_memory_error_here():
    import importlib

    with pytest.raises(MemoryError, match="past the memory cap of 25,000,000 bytes"):
        budget.run_bounded(budget.Limits(20, memory_bytes=25_000_000), importlib.import_module, "pyarrow.parquet")
