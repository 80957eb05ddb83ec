"""Reach all of a big output: read it by pages (``offset``) or search it (``pattern``) with line numbers."""

from __future__ import annotations

import time

import regex

#: Characters shown of one long line around a match.
LINE_CHARS = 400
#: Seconds a search may take: a pattern with nested repeats can backtrack for hours on one line (``(a|aa)+$``);
#: the ``regex`` module (unlike ``re``) can stop a match after a timeout.
SEARCH_SECONDS = 2.0


class PatternError(ValueError):
    """A search pattern that is not a valid regular expression (the message says what to do)."""


def page_text(text: str, offset: int = 0, max_chars: int = 20_000, hint: str = "offset={offset} reads on") -> str:
    """The part of ``text`` from ``offset``, at most ``max_chars`` long (cut at a line end where possible).

    A header says which characters and lines these are; a footer what follows, with ``hint`` (``{offset}``
    becomes the offset to continue from).
    """
    total = len(text)
    offset = max(0, offset)
    if offset >= total:
        return f"[offset {offset:,} is at or past the end: the output has {total:,} characters]"
    end = min(total, offset + max(1, max_chars))
    if end < total:
        newline = text.rfind("\n", offset + (end - offset) // 2, end)
        end = newline + 1 if newline >= 0 else end
    first = text.count("\n", 0, offset) + 1
    last = first + text.count("\n", offset, end - 1)
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    header = f"[characters {offset:,}-{end:,} of {total:,}; lines {first:,}-{last:,} of {lines:,}]"
    page = text[offset:end]
    if end >= total:
        return f"{header}\n{page}"
    footer = f"[{total - end:,} more characters; {hint.replace('{offset}', str(end))}]"
    return f"{header}\n{page}{'' if page.endswith(chr(10)) else chr(10)}{footer}"


def _clip(line: str, at: int) -> str:
    """A long line shortened around position ``at``."""
    if len(line) <= LINE_CHARS:
        return line
    start = max(0, min(at - LINE_CHARS // 2, len(line) - LINE_CHARS))
    clipped = line[start : start + LINE_CHARS]
    return ("..." if start else "") + clipped + ("..." if start + LINE_CHARS < len(line) else "")


def search_text(
    text: str,
    pattern: str,
    *,
    context: int = 2,
    max_matches: int = 50,
    ignore_case: bool = False,
    seconds: float = SEARCH_SECONDS,
) -> str:
    """Lines of ``text`` matching the regular expression ``pattern``, grep style, with line numbers and context.

    Matching lines read ``12: text``, context lines ``11- text``; each group starts with the offset of its
    first line, for paging there. Raises ``PatternError`` for an invalid pattern, or one that takes longer
    than ``seconds`` (catastrophic backtracking).
    """
    flags = regex.MULTILINE | (regex.IGNORECASE if ignore_case else 0)  # ^ and $ match at line ends, as in grep
    try:
        compiled = regex.compile(pattern, flags)
    except (regex.error, ValueError) as exc:
        raise PatternError(
            f"pattern {pattern!r} is not a valid regular expression ({exc}); escape special characters such as "
            "( [ . * + ? with a backslash, or search for a simpler word."
        ) from None
    deadline = time.monotonic() + seconds
    # Search the whole text (C speed), one match per line: after a match, go on from the next line.
    hits: list[tuple[int, int, int]] = []  # (line number, line start, match position in line)
    line_no, counted_to, position = 1, 0, 0
    more = False
    while (match := _search(compiled, text, position, deadline, seconds)) is not None:
        at = match.start()
        line_no += text.count("\n", counted_to, at)
        counted_to = at
        if len(hits) >= max_matches:
            more = True
            break
        line_start = text.rfind("\n", 0, at) + 1
        hits.append((line_no, line_start, at - line_start))
        newline = text.find("\n", max(at, match.end() - 1))
        if newline < 0:
            break
        position = newline + 1
    if not hits:
        return f"[no line matches {pattern!r}]"
    return _format_hits(text, pattern, hits, context, more, max_matches)


def _search(
    compiled: regex.Pattern[str], text: str, position: int, deadline: float, seconds: float
) -> regex.Match[str] | None:
    try:
        return compiled.search(text, position, timeout=max(0.001, deadline - time.monotonic()))
    except TimeoutError:
        raise PatternError(
            f"pattern {compiled.pattern!r} took too long (over {seconds:g} s; nested repeats such as (a|aa)+ "
            "backtrack without end): search for a plain word or a simpler pattern."
        ) from None


def _line_at(text: str, start: int) -> tuple[str, int]:
    """The line starting at ``start`` and the start of the next one (or -1 at the end)."""
    end = text.find("\n", start)
    return (text[start:] if end < 0 else text[start:end]), (-1 if end < 0 else end + 1)


def _format_hits(
    text: str, pattern: str, hits: list[tuple[int, int, int]], context: int, more: bool, max_matches: int
) -> str:
    out: list[str] = []
    shown_to = 0  # last line number already printed
    for index, (line_no, start, column) in enumerate(hits):
        # Walk back for context lines, not repeating lines already shown.
        before: list[tuple[int, int]] = []
        cursor = start
        for back in range(1, context + 1):
            if line_no - back <= shown_to or cursor == 0:
                break
            cursor = text.rfind("\n", 0, cursor - 1) + 1
            before.append((line_no - back, cursor))
        before.reverse()
        group_start = before[0][1] if before else start
        first_line = before[0][0] if before else line_no
        if shown_to == 0 or first_line > shown_to + 1:
            out.append(f"-- offset {group_start}")  # no separators: it is passed back as a number
        for number, at in before:
            out.append(f"{number}- {_clip(_line_at(text, at)[0], 0)}")
        line, following = _line_at(text, start)
        out.append(f"{line_no}: {_clip(line, column)}")
        shown_to = line_no
        next_hit = hits[index + 1][0] if index + 1 < len(hits) else None
        for ahead in range(1, context + 1):
            if following < 0 or (next_hit is not None and line_no + ahead >= next_hit):
                break
            line, after = _line_at(text, following)
            out.append(f"{line_no + ahead}- {_clip(line, 0)}")
            shown_to = line_no + ahead
            following = after
    plural = "s" if len(hits) > 1 else ""
    count = f"first {max_matches} matching lines" if more else f"{len(hits)} matching line{plural}"
    tail = "; narrow the pattern to see the others" if more else ""
    return f"[{count} for {pattern!r}{tail}]\n" + "\n".join(out)
