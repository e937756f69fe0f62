"""The fast lane (`pytest -m "not slow"`) stays fast and stays honest: every test that starts a server, a
browser, AppTest or PostgreSQL is marked slow by tests/conftest.py, the lists there name only tests that exist,
and a pure test module never imports Playwright.

Which test reaches what is read from the source with `ast`: from each test function through the functions,
fixtures and constants it names, in its own module, in conftest and in the tests/ and perf/ modules it imports
from, to the names that start something slow."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import ROOT

TESTS = ROOT / "tests"

# A name that, once reached, means the test starts something slow; and what it starts.
STARTS = {
    "AppTest": "runs a page in Streamlit's AppTest",
    "streamlit_command": "starts `streamlit run`",
    "sync_playwright": "drives a browser",
    "start_cluster": "starts PostgreSQL",
}
# Two words in a row in a command line written as a list of strings that start a server.
COMMANDS = {
    "streamlit run": "starts `streamlit run`",
    "perf loadtest": "runs the load test (servers)",
    "perf browser": "runs the browser benchmark (servers, a browser)",
}


@dataclass
class Module:
    """One parsed module: its top-level definitions and the names it imports from project modules."""

    name: str
    definitions: dict[str, ast.AST] = field(default_factory=dict)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, name)
    tests: dict[str, ast.FunctionDef] = field(default_factory=dict)


def parse(path: Path, name: str) -> Module:
    module = Module(name)
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            module.definitions[node.name] = node
            if node.name.startswith("test"):
                module.tests[node.name] = node
        elif isinstance(node, ast.ClassDef):
            module.definitions[node.name] = node
            if node.name.startswith("Test"):
                for method in node.body:
                    if isinstance(method, ast.FunctionDef) and method.name.startswith("test"):
                        module.tests[method.name] = method
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    module.definitions[target.id] = node
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in {"tests", "perf"}:
            for alias in node.names:
                module.imported[alias.asname or alias.name] = (node.module, alias.name)
    return module


@cache
def project_modules() -> dict[str, Module]:
    """tests/*.py and perf/*.py, by dotted name."""
    found = {}
    for folder in ("tests", "perf"):
        for path in sorted((ROOT / folder).glob("*.py")):
            name = f"{folder}.{path.stem}" if path.stem != "__init__" else folder
            found[name] = parse(path, name)
    return found


@dataclass(frozen=True)
class Facts:
    """What one definition says by itself: what it starts, its parameters, and the names it uses."""

    starts: frozenset[str]
    parameters: tuple[str, ...]
    names: frozenset[str]


def read_facts(node: ast.AST) -> Facts:
    starts, names = set(), set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            names.add(inner.id)
            starts.update([STARTS[inner.id]] if inner.id in STARTS else [])
        elif isinstance(inner, ast.Attribute) and inner.attr in STARTS:
            starts.add(STARTS[inner.attr])
        elif isinstance(inner, (ast.List, ast.Tuple)):  # a command line written as a list of strings
            words = [e.value if isinstance(e, ast.Constant) else None for e in inner.elts]
            pairs = {f"{first} {second}" for first, second in zip(words, words[1:], strict=False)
                     if isinstance(first, str) and isinstance(second, str)}
            starts.update(what for command, what in COMMANDS.items() if command in pairs)
        elif (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "make_dataset"
              and inner.args and isinstance(inner.args[0], ast.Constant) and inner.args[0].value == "postgis"):
            starts.add("starts PostgreSQL")  # conftest's make_dataset starts it for the "postgis" engine only
    parameters = ()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parameters = tuple(argument.arg for argument in node.args.args)
    return Facts(frozenset(starts), parameters, frozenset(names))


@dataclass
class Reach:
    """What a test reaches: the slow things it starts, and the fixtures it uses (pytest's closure, read from
    the parameters of the test and of every fixture it reaches)."""

    starts: set[str] = field(default_factory=set)
    fixtures: set[str] = field(default_factory=set)


def reach(modules: dict[str, Module], module: Module, test: ast.FunctionDef) -> Reach:
    """Follow `test` through every definition it names (its parameters also as conftest's fixtures)."""
    found = Reach()
    seen: set[int] = set()
    root = modules["tests.conftest"]

    def resolve(where: Module, name: str) -> tuple[Module, ast.AST] | None:
        if name in where.definitions:
            return where, where.definitions[name]
        if name in where.imported:
            source, original = where.imported[name]
            if source in modules and original in modules[source].definitions:
                return modules[source], modules[source].definitions[original]
        return None

    stack = [(module, test)]
    while stack:
        where, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        facts = FACTS.get(id(node)) or FACTS.setdefault(id(node), read_facts(node))
        found.starts |= facts.starts
        found.fixtures.update(facts.parameters)
        targets = [resolve(where, name) for name in facts.names]
        targets += [resolve(where, name) or resolve(root, name) for name in facts.parameters]
        stack += [target for target in targets if target is not None]
    return found


FACTS: dict[int, Facts] = {}  # by id() of a node of the cached project_modules()


def each_test_module() -> Iterator[tuple[str, Path]]:
    for path in sorted(TESTS.glob("test_*.py")):
        yield path.stem, path


def test_every_test_that_starts_a_server_a_browser_apptest_or_postgresql_is_in_the_slow_lane():
    modules = project_modules()
    unmarked = []
    for stem, _ in each_test_module():
        module = modules[f"tests.{stem}"]
        for name, test in module.tests.items():
            reached = reach(modules, module, test)
            if reached.starts and not conftest.slow_reason(stem, name, reached.fixtures, {}):
                unmarked.append(f"{stem}::{name} ({', '.join(sorted(reached.starts))})")
    assert unmarked == [], ("mark these slow in tests/conftest.py (SLOW_MODULES or SLOW_TESTS), or the fast "
                            "lane starts servers:\n" + "\n".join(unmarked))


def test_every_test_the_slow_lists_name_exists():
    modules = project_modules()
    missing = [f"{stem} (module)" for stem in conftest.SLOW_MODULES if f"tests.{stem}" not in modules]
    for stem, names in [*conftest.SLOW_TESTS.items(), *conftest.SLOW_ALONE.items()]:
        tests = modules[f"tests.{stem}"].tests if f"tests.{stem}" in modules else {}
        missing += [f"{stem}::{name}" for name in names if name not in tests]
    assert missing == [], "tests/conftest.py names tests that no longer exist: " + ", ".join(missing)


def test_a_module_listed_as_wholly_slow_is_not_also_listed_test_by_test():
    assert set(conftest.SLOW_MODULES) & (set(conftest.SLOW_TESTS) | set(conftest.SLOW_ALONE)) == set()


@pytest.mark.parametrize("fixture", sorted(conftest.SLOW_FIXTURES))
def test_a_test_using_a_slow_fixture_is_slow_wherever_it_lives(fixture):
    assert conftest.slow_reason("test_anything_new", "test_anything", {fixture}, {})


def test_a_store_test_is_slow_on_postgis_and_fast_on_a_file():
    assert conftest.slow_reason("test_store", "test_x", {"make_dataset", "engine"}, {"engine": "postgis"})
    assert not conftest.slow_reason("test_store", "test_x", {"make_dataset", "engine"}, {"engine": "file"})


PROBE = """
import os, sys
def pytest_sessionfinish(session):
    with open(os.environ["LOADED_MODULES"], "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
"""


def test_a_pure_test_module_runs_without_importing_playwright(tmp_path: Path):
    (tmp_path / "probe_plugin.py").write_text(PROBE, encoding="utf-8")
    loaded = tmp_path / "loaded.txt"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "probe_plugin", "tests/test_dates.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "LOADED_MODULES": str(loaded)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    modules = loaded.read_text(encoding="utf-8").split()
    assert "test_dates" in modules  # it ran (pytest names a module in tests/, which has no __init__, by its file)
    assert [name for name in modules if name.split(".")[0] == "playwright"] == []
