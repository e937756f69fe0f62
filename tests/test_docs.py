"""The README and docs/ describe the code as it is: every command they show exists with the flags shown,
every link and repo path they name is there, and the layout page names every package.

Read from the real argparse parser (`geo.cli.main.parser()`), perf's `COMMANDS` and the folder tree, so a
renamed command, flag, module or package fails here instead of leaving the docs quietly wrong.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from geo.cli.main import parser as geo_parser
from perf.__main__ import COMMANDS as PERF_COMMANDS

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "data" / "README.md"]

# Paths the docs name that the app or scripts/setup create at run time, so a fresh clone has none of them.
MADE_AT_RUN_TIME = (".cache/", "artifacts/", "static/packs/", "static/vendor/", ".streamlit/editors.toml",
                    ".streamlit/secrets.toml")

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
COMMAND = re.compile(r"python -m (geo|perf)\b(\.[\w.]+)?([^`\n]*)")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def _text(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


def _name(doc: Path) -> str:
    return str(doc.relative_to(ROOT))


def _prose(text: str) -> str:
    """The text outside fenced code blocks (their paths are examples of output, not the repo's files)."""
    return FENCE.sub("", text)


def _commands(text: str) -> list[tuple[str, str | None, str]]:
    """Each `python -m geo|perf ...` shown: (package, dotted module or None, the rest of its command line)."""
    joined = re.sub(r"\\\n\s*", " ", text)  # a shell line continued with a backslash is one command
    found = []
    for match in COMMAND.finditer(joined):
        package, module, rest = match.groups()
        rest = re.split(r"\s#\s|\s\|\s|\s>\s|;|&&", rest)[0]
        found.append((package, module, rest.strip()))
    return found


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _geo_command(rest: str) -> tuple[list[str], argparse.ArgumentParser | None]:
    """The words naming a geo (sub)command at the start of `rest`, and its parser (None: no such command)."""
    words = rest.split()
    current, path = geo_parser(), []
    while (choices := _subparsers(current)) and words and re.fullmatch(r"[a-z][a-z-]*", words[0]):
        if words[0] not in choices:
            return [*path, words[0]], None
        path.append(words.pop(0))
        current = choices[path[-1]]
    return path, current


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def _github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", _prose(_text(doc)), re.M)
    return {_github_anchor(heading) for heading in headings}


def _repo_path(span: str) -> str | None:
    """The span as a path into this repository, or None when it is not one (a URL, a placeholder, a module)."""
    if re.search(r"\s|://|[<>{}*$~…]|\.\.\.", span) or "/" not in span or span.startswith("/"):
        return None
    tracked_top = {entry.name for entry in ROOT.iterdir() if entry.name not in {".git", ".venv"}}
    return span if span.split("/")[0] in tracked_top else None


def test_there_is_a_readme_and_reference_pages_behind_it():
    names = {doc.name for doc in DOCS}
    assert {"README.md", "commands.md", "teams.md", "scale.md", "safety.md", "data.md", "layout.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_geo_command_shown_exists_with_the_flags_shown(doc):
    problems = []
    for package, module, rest in _commands(_text(doc)):
        if package != "geo" or module:
            continue
        words, command = _geo_command(rest)
        if command is None:
            problems.append(f"python -m geo {' '.join(words)}: no such command")
            continue
        unknown = sorted(set(FLAG.findall(rest)) - _options(command))
        if unknown:
            problems.append(f"python -m geo {' '.join(words)}: no option {', '.join(unknown)}")
    assert problems == []


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_perf_command_shown_exists(doc):
    shown = [(rest.split() or [""])[0] for package, module, rest in _commands(_text(doc))
             if package == "perf" and not module]
    unknown = [name for word in shown for name in word.split("|") if re.fullmatch(r"[a-z-]+", name)
               and name not in PERF_COMMANDS]
    assert unknown == []


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_module_run_with_python_m_exists(doc):
    modules = {f"{package}{module}" for package, module, _ in _commands(_text(doc)) if module}
    assert [name for name in sorted(modules) if not _module_exists(name)] == []


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_relative_link_and_its_anchor_exists(doc):
    broken = []
    for target in LINK.findall(_prose(_text(doc))):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        if not linked.exists():
            broken.append(target)
        elif fragment and linked.suffix == ".md" and fragment not in _anchors(linked):
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_repo_path_in_backticks_exists(doc):
    paths = {path for span in INLINE_CODE.findall(_prose(_text(doc))) if (path := _repo_path(span))}
    missing = [path for path in sorted(paths)
               if not path.startswith(MADE_AT_RUN_TIME) and not (ROOT / path).exists()]
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_dotted_geo_or_perf_name_in_backticks_exists(doc):
    names = {span for span in INLINE_CODE.findall(_prose(_text(doc)))
             if re.fullmatch(r"(geo|perf)(\.\w+)+", span)}
    missing = []
    for name in sorted(names):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            module = ".".join(parts[:cut])
            if _module_exists(module):
                break
        if cut < len(parts):
            target = importlib.import_module(module)
            for attribute in parts[cut:]:
                target = getattr(target, attribute, None)
            if target is None:
                missing.append(name)
    assert missing == []


def test_the_layout_page_names_every_package():
    layout = _text(ROOT / "docs" / "layout.md")
    packages = [f"geo/{init.parent.name}" for init in sorted((ROOT / "geo").glob("*/__init__.py"))]
    packages += [name for name in ("perf", "app") if (ROOT / name).is_dir()]
    assert [name for name in packages if not re.search(rf"`{name}/?`", layout)] == []
