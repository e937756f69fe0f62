"""The event rules keep their keyword pairs within a bounded gap, and read the founding article as the unbounded
rules did."""

from __future__ import annotations

import re

from geo.ingest.rules import EVENT_RULES, KEYWORD_GAP
from geo.ingest.sentences import split_sentences
from tests.conftest import ROOT

SEED = ROOT / "seeds" / "000_c849781cc78fe4c5.txt"


def test_the_bounded_keyword_gap_reads_the_founding_article_as_the_unbounded_rules_did():
    gap = f"[^.]{{0,{KEYWORD_GAP}}}"
    assert all("[^.]*" not in rule.pattern for rule in EVENT_RULES.values())
    unbounded = {name: re.compile(rule.pattern.replace(gap, "[^.]*"), rule.flags)
                 for name, rule in EVENT_RULES.items()}
    # Every English gap is the constant (Korean and Chinese pairs have their own, CJK_KEYWORD_GAP).
    assert sum(rule.pattern.count("[^.]*") for rule in unbounded.values()) == sum(
        rule.pattern.count("[^.]{0,") for rule in EVENT_RULES.values()) > 8
    for sentence, _ in split_sentences(SEED.read_text(encoding="utf-8")):
        assert ([t for t, r in EVENT_RULES.items() if r.search(sentence)]
                == [t for t, r in unbounded.items() if r.search(sentence)]), sentence
    # ... and the rules do stop at the gap: keywords further apart are not a pair.
    assert EVENT_RULES["border_closure"].search("shut " + "x" * (KEYWORD_GAP - 2) + " border")
    assert not EVENT_RULES["border_closure"].search("shut " + "x" * (KEYWORD_GAP - 1) + " border")
