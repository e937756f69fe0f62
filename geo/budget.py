"""Run a function in a separate process with a wall-clock deadline (and, if asked, a memory limit), and kill
the process past it, or as soon as nobody wants its answer any more.

Python's `re` and pure-Python loops hold the GIL, so one slow call in a server thread stalls every other
thread of that server. `run_with_deadline(seconds, func, *args, **kwargs)` instead runs `func` in a fresh
interpreter (`sys.executable -I -c ...`, started by `subprocess`: fork and exec done in C, safe from a
multi-threaded process, unlike multiprocessing's `fork`), sends it the call and reads back the answer as
pickles over its stdin and stdout, and kills the child (its whole process group) when `seconds` run
out, start-up included. The child also arms `alarm(2)` for a little past the deadline, so it dies even if
the caller itself is killed before it can kill the child.

`run_bounded(Limits(seconds, memory_bytes, still_wanted), func, ...)` adds two bounds: the child's address space
is capped with `resource.setrlimit(RLIMIT_AS)` before the call is even unpickled (an allocation past it raises
MemoryError in the child, which comes back as MemoryError here), and `still_wanted()` is asked every
POLL_SECONDS while the child works: once it says False (the visitor closed the tab), the child is killed and
`Abandoned` raised.

What it costs: a new interpreter per call (about 0.03 s) plus whatever `func` imports and loads
(geo.ingest.candidates' candidates_from_text: about 0.2 s in all). What it needs: `func` importable by module
and name (no lambda, nothing defined in `__main__`), and picklable arguments and result. An exception
raised by `func` is raised again in the caller as itself, with the child's traceback as a note; one
that cannot be pickled becomes ChildDied.
"""

from __future__ import annotations

import errno
import math
import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from geo.paths import PROJECT_ROOT

T = TypeVar("T")
_ROOT = str(PROJECT_ROOT)  # where the child finds this package
_CHILD = f"import sys; sys.path.insert(0, {_ROOT!r}); from geo.budget import _serve; _serve()"
_ALARM_MARGIN = 2  # seconds the child may outlive its deadline when nobody is left to kill it
_REPORT_BYTES = 64 << 20  # address space a child that ran out of memory gets back to report it
POLL_SECONDS = 0.2
"""How often `Limits.still_wanted` is asked while a child works."""


class DeadlineExceeded(Exception):
    """The call did not finish within its budget; its process was killed."""


class ChildDied(RuntimeError):
    """The child process ended without an answer (it crashed, was killed, or its answer was unreadable)."""


class Abandoned(Exception):
    """Nobody wanted the answer any more (`Limits.still_wanted` said False); the child was killed."""


@dataclass(frozen=True)
class Limits:
    """What a child may cost: `seconds` of wall-clock time (start-up included), at most `memory_bytes` of
    address space (None: no cap), and only as long as `still_wanted()` says True (None: always)."""

    seconds: float
    memory_bytes: int | None = None
    still_wanted: Callable[[], bool] | None = None


def run_with_deadline(seconds: float, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` computed in a child process; its result, or its exception re-raised here.

    Raises DeadlineExceeded if no answer came within `seconds` (the child is then killed and reaped
    before this returns), ChildDied if the child ended without one."""
    return run_bounded(Limits(seconds), func, *args, **kwargs)


def run_bounded(limits: Limits, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` computed in a child process within `limits`; its result, or its exception
    re-raised here (MemoryError when it needed more than `limits.memory_bytes`).

    Raises DeadlineExceeded past `limits.seconds`, Abandoned once `limits.still_wanted()` is False (asked before
    the child starts and every POLL_SECONDS while it works; the child is killed and reaped before this returns),
    ChildDied if the child ended without an answer."""
    payload = (pickle.dumps({"sys_path": list(sys.path), "seconds": limits.seconds,
                             "memory_bytes": limits.memory_bytes})
               + pickle.dumps((func, args, kwargs)))  # before starting anything: fails here if unpicklable
    name = getattr(func, "__qualname__", repr(func))
    if limits.still_wanted is not None and not limits.still_wanted():  # gone already: nothing is started
        raise Abandoned(f"{name} was no longer wanted before it started")
    started = time.perf_counter()
    # The call goes in through a file, not a pipe: Popen.communicate stops writing its input after a timeout
    # (and refuses it given again), so a pipe would stall any call over 64 KB while still_wanted is polled.
    with tempfile.TemporaryFile() as call:
        call.write(payload)
        call.seek(0)
        child = subprocess.Popen([sys.executable, "-I", "-c", _CHILD], stdin=call,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while True:
            left = limits.seconds - (time.perf_counter() - started)
            wait = max(0.0, left if limits.still_wanted is None else min(left, POLL_SECONDS))
            try:
                answer, errors = child.communicate(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                pass
            elapsed = time.perf_counter() - started
            if elapsed >= limits.seconds:
                stop: Exception = DeadlineExceeded(f"{name} did not finish within {limits.seconds:g} s "
                                                   f"({elapsed:.2f} s elapsed); its process was killed")
            elif limits.still_wanted is not None and not limits.still_wanted():
                stop = Abandoned(f"{name} was no longer wanted after {elapsed:.2f} s; its process was killed")
            else:
                continue
            _kill(child)
            child.communicate()  # reap it and close the pipes
            raise stop
    finally:
        if child.poll() is None:  # interrupted (KeyboardInterrupt, ...): leave nothing running
            _kill(child)
            child.wait()
    return _unpack(answer, errors, child.returncode)


def stop_process_group(process: subprocess.Popen, grace_seconds: float = 10) -> None:
    """End a process started with start_new_session=True and everything in its group: SIGTERM, SIGKILL
    after `grace_seconds`, then SIGKILL for any children left in the group after the leader exited."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace_seconds)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace_seconds)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)  # the child leads its own process group (start_new_session)
    except (ProcessLookupError, PermissionError):
        child.kill()


def _unpack(answer: bytes, errors: bytes, returncode: int) -> Any:
    try:
        outcome = pickle.loads(answer)
    except Exception:
        tail = errors.decode(errors="replace")[-2000:].strip()
        raise ChildDied(f"the child process ended (exit status {returncode}) without an answer"
                        + (f": {tail}" if tail else "")) from None
    if outcome[0] == "ok":
        return outcome[1]
    _, pickled, described, child_traceback = outcome
    try:
        error = pickle.loads(pickled) if pickled is not None else None
    except Exception:
        error = None
    if not isinstance(error, BaseException):
        error = ChildDied(f"the child process raised {described}")
    error.add_note("In the child process:\n" + child_traceback.rstrip())
    raise error


def _out_of_memory(error: BaseException) -> bool:
    """Whether `error` is how running out of address space showed itself: a MemoryError, an OSError ENOMEM (a
    failed mmap), or an import whose shared library could not be mapped."""
    return (isinstance(error, MemoryError) or isinstance(error, OSError) and error.errno == errno.ENOMEM
            or isinstance(error, ImportError) and "failed to map segment" in str(error))


def _serve() -> None:
    """The child's side: read the call from stdin, write ("ok", result) or ("error", ...) to stdout."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a print() in the called function must not corrupt the answer
    setup = pickle.load(stdin)
    if hasattr(signal, "alarm"):  # SIGALRM's default action ends the process: no handler, no core file
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(max(1, math.ceil(setup["seconds"])) + _ALARM_MARGIN)
    sys.path[:] = setup["sys_path"]
    cap = setup.get("memory_bytes")
    if cap:  # before the call is unpickled: its imports count too (soft limit: raised a little to report)
        resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    try:
        func, args, kwargs = pickle.load(stdin)
        data = pickle.dumps(("ok", func(*args, **kwargs)))
    except Exception as error:
        if cap and _out_of_memory(error):  # room to write the answer, which says MemoryError however it surfaced
            resource.setrlimit(resource.RLIMIT_AS, (cap + _REPORT_BYTES, resource.getrlimit(resource.RLIMIT_AS)[1]))
            error = MemoryError(f"past the memory cap of {cap:,} bytes ({type(error).__qualname__}: {error})")
        try:
            pickled: bytes | None = pickle.dumps(error)
        except Exception:
            pickled = None
        data = pickle.dumps(("error", pickled, f"{type(error).__qualname__}: {error}", traceback.format_exc()))
    stdout.write(data)
    stdout.flush()
