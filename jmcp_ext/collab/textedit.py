"""Change a shared text into a new value with small edits, so unchanged parts keep their identity.

Replacing a whole text moves every collaborator's cursor to one end and turns a person's concurrent typing into a
fight; editing only the lines (and, within them, the characters) that differ leaves the rest untouched.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from pycrdt import Text

Edit = tuple[int, int, str]  # replace old[start:end] (code points) with the string


def line_edits(old: str, new: str) -> list[Edit]:
    """Edits turning ``old`` into ``new``: changed line blocks, trimmed to the characters that differ."""
    if old == new:
        return []
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    old_starts = _starts(old_lines)
    new_starts = _starts(new_lines)
    edits: list[Edit] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            # As many lines changed as replaced them: pair them up, so untouched text between stays untouched.
            for offset in range(i2 - i1):
                edits.append(_trim(old, old_starts[i1 + offset], old_starts[i1 + offset + 1], new_lines[j1 + offset]))
            continue
        start, end = old_starts[i1], old_starts[i2]
        replacement = new[new_starts[j1] : new_starts[j2]]
        edits.append(_trim(old, start, end, replacement))
    return [e for e in edits if e[0] != e[1] or e[2]]


def _starts(lines: list[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def _trim(old: str, start: int, end: int, replacement: str) -> Edit:
    # Keep the characters the old and new blocks share at either end (a word changed mid-line).
    segment = old[start:end]
    prefix = 0
    limit = min(len(segment), len(replacement))
    while prefix < limit and segment[prefix] == replacement[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and segment[-1 - suffix] == replacement[-1 - suffix]:
        suffix += 1
    return start + prefix, end - suffix, replacement[prefix : len(replacement) - suffix]


def set_text(text: Text, new: str) -> int:
    """Make ``text`` read ``new`` with small edits (inside the caller's transaction, if any); returns how many.

    pycrdt indexes text by UTF-8 bytes; edits are applied from the end so earlier offsets stay valid.
    """
    old = str(text)
    edits = line_edits(old, new)
    if not edits:
        return 0
    with text.doc.transaction():
        for start, end, replacement in reversed(edits):
            begin = len(old[:start].encode())
            length = len(old[start:end].encode())
            if length:
                del text[begin : begin + length]
            if replacement:
                text.insert(begin, replacement)
    return len(edits)
