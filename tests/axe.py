"""axe-core in a real page: the serious and critical accessibility violations a browser test fails on.

axe-core is pinned in package.json and installed into node_modules by `npm ci` (scripts/install_assets); it is
injected into the page under test (and its frames), never served to readers. Playwright is imported by the
caller; this module only drives the page it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tests.conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")

# Runs axe over the document and its frames; each violation's nodes are dropped where an (rule, selector) pair of
# `exclude` names that rule and the node's own element matches that selector (top-level nodes only: a node inside a
# frame is never excused).
_RUN = """async ([failing, exclude]) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  const excused = (rule, target) => target.length === 1 && exclude.some(([id, selector]) => {
    const element = id === rule && document.querySelector(target[0]);
    return Boolean(element) && element.matches(selector);
  });
  return result.violations.filter((v) => failing.includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.filter((n) => !excused(v.id, n.target)).map((n) => n.target.join(" >>> ")),
  })).filter((v) => v.targets.length > 0);
}"""


def axe_violations(page: Page, exclude: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations on `page` as it is now, its frames included: each a dict of
    `id` (the rule), `impact`, `help` and `targets` (a CSS selector per element; a frame's element as
    "frame >>> element"). `exclude` is (rule id, CSS selector) pairs: an element matching the selector is excused
    from that rule only, for a violation in markup the project does not own (say why where it is passed)."""
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `npm ci` (scripts/install_assets installs it)")
    for frame in page.frames:  # axe checks a frame only where it runs too
        if not frame.is_detached() and not frame.evaluate("typeof window.axe !== 'undefined'"):
            frame.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN, [list(FAILING), [list(pair) for pair in exclude]])


def described(violations: list[dict[str, Any]]) -> str:
    """Violations as lines a failing test prints: rule, impact, what it asks, and each element."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}: {', '.join(v['targets'])}" for v in violations)
