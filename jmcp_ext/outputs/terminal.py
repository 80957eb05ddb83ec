"""Stream text as JupyterLab shows it: carriage returns, backspaces and newlines applied like its output area."""

from __future__ import annotations

import re

# CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-character escapes.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences (colours, cursor moves); the model reads plain text."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix of ``a`` and ``b``, comparing slices (C speed) by bisection."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo] and a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


class StreamText:
    """One stream output's text and cursor, edited as JupyterLab's ``OutputAreaModel`` (``processText``) does.

    JupyterLab's rules, in order of the characters received:
    - text overwrites from the cursor (after a ``\\r`` it overwrites the line's start, keeping any longer tail);
    - ``\\r`` moves the cursor to the start of the current line;
    - ``\\n`` appends a newline at the end of the text (so ``\\r\\n`` ends the line, keeping it whole);
    - ``\\b`` deletes the character before the cursor, and the one under it when the cursor is mid-line
      (``text.slice(0, i - 1) + text.slice(i + 1)`` upstream), never crossing a newline.
    The cursor never leaves the last line, so everything before the last newline is final: it is kept as
    chunks and only the last line is edited, which keeps long outputs linear instead of quadratic.
    """

    __slots__ = ("_col", "_done", "_done_len", "_line")

    def __init__(self, text: str = "") -> None:
        self._done: list[str] = []  # finished lines, each ending with "\n"
        self._done_len = 0
        self._line = ""  # the last line (no "\n"), the only one still edited
        self._col = 0  # the cursor, within the last line
        if text:
            self.write(text)

    @property
    def text(self) -> str:
        """The text as shown."""
        if len(self._done) > 1:
            self._done = ["".join(self._done)]
        return (self._done[0] if self._done else "") + self._line

    @property
    def line(self) -> str:
        """The last line (the one a progress bar redraws)."""
        return self._line

    def __len__(self) -> int:
        return self._done_len + len(self._line)

    def write(self, new: str) -> tuple[int, str, str] | None:
        """Apply ``new`` as JupyterLab appends a stream message; return ``(start, tail, removed)`` or None if unchanged.

        After the call the text equals the text before it cut at ``start``, followed by ``tail``; ``removed`` is
        what was cut (always part of the old last line), so a mirror can cut it from its end without reading it.
        """
        before_len = len(self)
        before_line = self._line
        before_chunks = len(self._done)
        self._apply(new)
        tail = "".join(self._done[before_chunks:]) + self._line
        same = _common_prefix(before_line, tail)
        start = before_len - len(before_line) + same
        if same == len(before_line) == len(tail):
            return None
        return start, tail[same:], before_line[same:]

    def _apply(self, new: str) -> None:
        first = new.find("\n")
        if first < 0:
            self._edit_line(new)
            return
        self._edit_line(new[:first])
        self._finish_line()
        last = new.rfind("\n")
        if last > first:
            middle = new[first + 1 : last]
            if "\r" in middle or "\b" in middle:
                for piece in middle.split("\n"):
                    self._edit_line(piece)
                    self._finish_line()
            else:  # plain lines: final as they are
                self._done.append(middle + "\n")
                self._done_len += len(middle) + 1
        self._edit_line(new[last + 1 :])

    def _finish_line(self) -> None:
        self._done.append(self._line + "\n")
        self._done_len += len(self._line) + 1
        self._line = ""
        self._col = 0

    def _overwrite(self, piece: str) -> None:
        line, col = self._line, self._col
        if col == len(line):
            self._line = line + piece
        else:
            self._line = line[:col] + piece + line[col + len(piece) :]
        self._col = col + len(piece)

    def _edit_line(self, piece: str) -> None:
        """Apply a piece holding no newline."""
        if "\b" in piece:
            for token in re.split(r"([\r\b])", piece):
                if token == "\r":
                    self._col = 0
                elif token == "\b":
                    if self._col > 0:
                        self._line = self._line[: self._col - 1] + self._line[self._col + 1 :]
                        self._col -= 1
                elif token:
                    self._overwrite(token)
            return
        if "\r" not in piece:
            self._overwrite(piece)
            return
        frames = piece.split("\r")
        self._overwrite(frames[0])
        # Every later frame is written from column 0: the line ends up as the last frame, extended by the
        # tail of any longer earlier frame (or of the line before them). Walk back only while one can be longer.
        result = frames[-1]
        longest = max(len(self._line), max(map(len, frames)))
        index = len(frames) - 2
        while len(result) < longest and index >= 1:
            frame = frames[index]
            if len(frame) > len(result):
                result += frame[len(result) :]
            index -= 1
        if len(result) < len(self._line):
            result += self._line[len(result) :]
        self._line = result
        self._col = len(frames[-1])


def apply_terminal(text: str) -> str:
    """The text JupyterLab shows for one stream output holding ``text``."""
    if "\r" not in text and "\b" not in text:
        return text
    return StreamText(text).text
