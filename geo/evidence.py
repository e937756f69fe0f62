"""How sure we are about an event: how many independent publishers report it."""

from __future__ import annotations

from typing import Any


def independent_publishers(sources: list[dict[str, Any]]) -> int:
    """Distinct publishers among the sources (case and spacing ignored); one outlet's several
    articles count once."""
    return len({" ".join(s["publisher"].casefold().split()) for s in sources or []})


def is_corroborated(sources: list[dict[str, Any]]) -> bool:
    """True when at least two independent publishers report the event."""
    return independent_publishers(sources) >= 2


def confidence_label(sources: list[dict[str, Any]]) -> str:
    """'single source' or 'corroborated by N independent publishers'."""
    n = independent_publishers(sources)
    return f"corroborated by {n} independent publishers" if n >= 2 else "single source"
