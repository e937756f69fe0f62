"""House rules over the whole tree, read from the source with `ast` (imports inside functions included):
geo/ never imports streamlit, perf or tests; geo's modules import one another without a cycle; one module
touches folium's and branca's private parts; geo/ holds at most 12 modules of its own; no module is a
grab-bag named utils or helpers; the code is ruff clean."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.conftest import ROOT

GEO = ROOT / "geo"
FOLIUM_PARTS = "geo/map/folium_parts.py"  # the one module that may touch folium's and branca's private parts
FOLIUM_PRIVATE = {"_id", "_children", "_template", "_parent", "_name"}
MOST_MODULES_DIRECTLY_IN_GEO = 12
GRAB_BAG_NAMES = {"utils", "util", "helpers", "helper"}
NOT_PROJECT = {".venv", ".git", "node_modules", "__pycache__", ".ruff_cache", ".pytest_cache", "build", "dist"}


def module_name(path: Path) -> str:
    """geo/store/__init__.py -> geo.store; geo/store/file.py -> geo.store.file."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def geo_modules() -> dict[str, tuple[Path, ast.Module]]:
    """Every module under geo/, parsed, by dotted name."""
    return {module_name(path): (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
            for path in sorted(GEO.rglob("*.py"))}


def project_files() -> Iterator[Path]:
    """Every Python file of the project (not the virtualenv, caches or build output)."""
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(name for name in subfolders if name not in NOT_PROJECT)
        yield from (Path(folder) / name for name in sorted(files) if name.endswith(".py"))


def imported(name: str, path: Path, tree: ast.Module) -> Iterator[tuple[str, int]]:
    """(module, line) for every import in the module `name` (at path), wherever it is written; a relative
    import resolved; `from pkg import sub` gives pkg.sub when that is a module under geo/, else pkg."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in geo_modules() else base), node.lineno


def offenders(top_levels: set[str]) -> list[str]:
    """Where a module under geo/ imports a package in `top_levels`: "geo/x.py:12 imports y"."""
    return [f"{path.relative_to(ROOT)}:{line} imports {target}"
            for name, (path, tree) in geo_modules().items()
            for target, line in imported(name, path, tree) if target.split(".")[0] in top_levels]


def test_no_module_under_geo_imports_streamlit_at_any_depth():
    assert offenders({"streamlit", "streamlit_folium"}) == []


def test_nothing_under_geo_imports_perf_or_tests():
    assert offenders({"perf", "tests"}) == []


def import_graph() -> dict[str, set[str]]:
    """geo module -> the geo modules it imports."""
    return {name: {target for target, _ in imported(name, path, tree) if target in geo_modules() and target != name}
            for name, (path, tree) in geo_modules().items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle, as its modules in import order, for each strongly connected group of `graph` (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for after in sorted(graph[node]):
            if after not in index:
                connect(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [one_cycle(graph, group) for group in groups]


def one_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest path inside `group` from its first module back to itself."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for after in sorted(graph[node] & members):
            if after == start:
                return [*paths[node], start]
            if after not in paths:
                paths[after] = [*paths[node], after]
                queue.append(after)
    raise AssertionError(f"no cycle in the strongly connected group {group}")


def test_the_geo_modules_import_one_another_without_a_cycle():
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_cycle_finder_reports_a_cycle_as_its_modules_and_nothing_for_a_chain():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def touches_folium_private_parts(tree: ast.Module) -> list[int]:
    """Lines where `tree` reads or writes `x._id`, `x._children`, `x._template`, `x._parent` or `x._name`,
    names one of them to getattr/setattr/hasattr, or sets a class's `_template`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FOLIUM_PRIVATE:
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in {"getattr", "setattr", "hasattr"} and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and node.args[1].value in FOLIUM_PRIVATE):
            lines.append(node.lineno)
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                targets = (statement.targets if isinstance(statement, ast.Assign)
                           else [statement.target] if isinstance(statement, ast.AnnAssign) else [])
                lines += [statement.lineno for target in targets
                          if isinstance(target, ast.Name) and target.id == "_template"]
    return sorted(lines)


def test_only_one_module_touches_folium_and_branca_private_parts():
    """Library and app code (tests may look inside, to pin the installed versions)."""
    touching = {}
    for path in project_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("tests/"):
            continue
        lines = touches_folium_private_parts(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if lines and relative != FOLIUM_PARTS:
            touching[relative] = lines
    assert touching == {}, f"only {FOLIUM_PARTS} may touch folium's private parts; also: {touching}"


def test_the_module_allowed_to_touch_folium_private_parts_exists():
    assert (ROOT / FOLIUM_PARTS).is_file()


def test_geo_holds_at_most_twelve_modules_of_its_own():
    directly = sorted(path.name for path in GEO.glob("*.py"))
    assert len(directly) <= MOST_MODULES_DIRECTLY_IN_GEO, directly


def test_no_module_or_package_is_named_utils_or_helpers():
    named = [path.relative_to(ROOT).as_posix() for path in project_files()
             if path.stem in GRAB_BAG_NAMES or (path.name == "__init__.py" and path.parent.name in GRAB_BAG_NAMES)]
    assert named == []


def test_the_import_reader_sees_imports_inside_functions_and_resolves_relative_and_submodule_imports():
    tree = ast.parse("import os\nfrom . import file\nfrom .errors import StoreError\n"
                     "def late():\n    import streamlit as st\n    from geo.store import postgis\n")
    found = [target for target, _ in imported("geo.store", GEO / "store" / "__init__.py", tree)]
    assert found == ["os", "geo.store.file", "geo.store.errors", "streamlit", "geo.store.postgis"]


def test_the_code_is_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
