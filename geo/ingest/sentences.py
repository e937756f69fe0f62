"""Sentences: an article's text as the sentences and photo captions the rules read, none too long.

Hard-wrapped lines are joined again, Wikipedia's footnote marks dropped, and a "sentence" longer than
MAX_SENTENCE_CHARS (a paragraph of Korean or Chinese, or text without full stops) is read as consecutive
windows of at most that length, broken after a space or a sentence mark where possible.
"""

from __future__ import annotations

import re

MAX_SENTENCE_CHARS = 2_000  # also the schema's limit on `evidence`
CAPTION_TAG_CHARS = 200  # "[Image source=Yonhap News]"; bounded so that "[Image" x 10,000 is not quadratic
CAPTION = re.compile(rf"\[(?:Image|Photo)[^\]]{{0,{CAPTION_TAG_CHARS}}}\]", re.IGNORECASE)
# Wikipedia's footnote marks ("[1]", "[citation needed]") and empty edit brackets: not text.
REFERENCE_MARK = re.compile(r"\[(?:\d{1,3}|[a-z]|citation needed|clarification needed|note \d{1,3}|when\?|who\?"
                            r"|by whom\?|dubious[^\]]{0,40}|failed verification|)\]")
WINDOW_BREAKS = (" ", "\t", "。", "！", "？", "；", "，", "、")  # where a long sentence is best broken
SENTENCE_BREAK = re.compile(r'(?<=[.!?])["”’]?\s+(?=["“‘\[]?[A-Z\uac00-\ud7af\u3400-\u9fff])|(?<=[。！？])\s*')
LINE_END = re.compile(r'[.!?。！？:;…"”’)\]]$')
CJK_CHAR = re.compile(r"[\u3400-\u9fff\uac00-\ud7af]")
"""A character of Korean (Hangul) or Chinese (Han) script."""

WRAP_WIDTH = (55, 80)  # the line lengths of a text hard-wrapped for a terminal (Congress's bill texts: 70-72)


def _lines(text: str) -> list[str]:
    """The text's lines, with lines hard-wrapped inside a sentence joined again: a line that does not end a
    sentence is joined to the next when that starts with a small letter or, in a hard-wrapped text (at
    least half of its lines 55-80 characters long without a sentence mark at the end), always."""
    lines = [raw.strip() for raw in text.splitlines()]
    filled = [line for line in lines if line]
    wrapped = sum(WRAP_WIDTH[0] <= len(line) <= WRAP_WIDTH[1] and not LINE_END.search(line) for line in filled)
    hard_wrapped = wrapped >= max(3, len(filled) / 2)
    out: list[list[str]] = []  # each output line as its pieces, joined once at the end (linear, not quadratic)
    for line in lines:
        last = out[-1][-1] if out else ""
        if last and line and not LINE_END.search(last) and not CAPTION.search(last) \
                and (hard_wrapped or (line[0].islower() and line[0].isascii())):
            out[-1].append(line)
        else:
            out.append([line])
    return [" ".join(pieces) for pieces in out]


def split_sentences(text: str) -> list[tuple[str, bool]]:
    """Sentences and photo captions, in order; True marks a caption. None is longer than
    MAX_SENTENCE_CHARS: a longer one comes as consecutive windows (see `_windows`). Wikipedia's footnote
    marks are dropped and hard-wrapped lines joined first."""
    out: list[tuple[str, bool]] = []
    for line in _lines(text):
        line = REFERENCE_MARK.sub("", line).strip()
        if not line or line.startswith("©"):
            continue
        if CAPTION.search(line):
            out.extend((window, True) for window in _windows(CAPTION.sub("", line).strip()))
            continue
        for sentence in SENTENCE_BREAK.split(line):
            out.extend((window, False) for window in _windows(sentence.strip()))
    return out


def _windows(sentence: str) -> list[str]:
    """`sentence` (if not empty) in consecutive pieces of at most MAX_SENTENCE_CHARS characters, each
    broken after the last space or sentence mark in its second half, or else cut at the limit."""
    pieces: list[str] = []
    start = 0
    while len(sentence) - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        mark = max(sentence.rfind(ch, start + MAX_SENTENCE_CHARS // 2, limit) for ch in WINDOW_BREAKS)
        end = mark + 1 if mark >= 0 else limit
        pieces.append(sentence[start:end].strip())
        start = end
    pieces.append(sentence[start:].strip())
    return [piece for piece in pieces if piece]
