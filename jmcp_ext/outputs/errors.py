"""Error outputs for a model: a headline ``ename: evalue`` with where it happened, then the plain traceback."""

from __future__ import annotations

import re
from typing import Any

from .terminal import strip_ansi

STDIN_ERRORS = ("StdinNotImplementedError",)
STDIN_MESSAGE = (
    "input() cannot be answered here: the kernel cannot ask a person for input through MCP; "
    "pass the values in the code instead (e.g. assign them to variables)."
)

# IPython >= 8.5: "Cell In[3], line 2"; IPython 7-8.4: "Input In [3], in <cell line: 2>()".
_CELL = re.compile(r"^\s*(Cell In\[\d+\], line \d+(?:, in [\w.<>]+)?|Input In \[\d+\](?:, in <cell line: \d+>)?)")
# IPython: "File ~/lib/json/decoder.py:353, in JSONDecoder.raw_decode(self, s, idx)"; Python: File "x.py", line 3
_IPY_FILE = re.compile(r"^\s*File (\S.*?):(\d+)(?:, in ([\w.<>]+))?")
_PY_FILE = re.compile(r'^\s*File "([^"]+)", line (\d+)(?:, in ([\w.<>]+))?')
_BANNER = re.compile(r"^-{20,}$")
_TRACEBACK_TITLE = re.compile(r"^\S+\s+Traceback \(most recent call last\)$")
# A SyntaxError's value names IPython's compiled file: "invalid syntax (<ipython-input-4-41a2...>, line 1)".
_IPYTHON_INPUT = re.compile(r"\s*\(<ipython-input-[^>]*>, line \d+\)$")


def _lines(output: dict[str, Any]) -> list[str]:
    """The traceback's lines, ANSI stripped (ipykernel sends one frame per entry, with newlines inside)."""
    return strip_ansi("\n".join(output.get("traceback") or [])).split("\n")


def _where(lines: list[str]) -> str:
    """Where the error happened: the innermost cell frame, and the innermost frame when it is elsewhere."""
    cell = ""
    last = ""
    for line in lines:
        if match := _CELL.match(line):
            cell = last = match.group(1)
            continue
        match = _IPY_FILE.match(line) or _PY_FILE.match(line)
        if match:
            path, number, function = match.groups()
            parts = path.replace("\\", "/").split("/")
            short = path if len(parts) <= 3 else ".../" + "/".join(parts[-2:])  # the headline stays one short line
            last = f"{short}:{number}" + (f", in {function}" if function else "")
    if cell and last != cell:
        return f"{cell}; raised in {last}"
    return cell or last


def is_stdin_error(output: dict[str, Any]) -> bool:
    """Whether this error is ipykernel refusing ``input()`` because the client does not answer input requests."""
    return output.get("ename") in STDIN_ERRORS


def _evalue(output: dict[str, Any]) -> str:
    return _IPYTHON_INPUT.sub("", strip_ansi(str(output.get("evalue", ""))))


def error_headline(output: dict[str, Any]) -> str:
    """One line: ``ename: evalue (at where)``; for ``input()`` the one line saying what to do instead."""
    if is_stdin_error(output):
        return STDIN_MESSAGE
    ename = output.get("ename") or "Error"
    first = _evalue(output).strip().split("\n", 1)[0]
    where = _where(_lines(output))
    headline = f"{ename}: {first}" if first else ename
    return f"{headline} (at {where})" if where else headline


def error_text(output: dict[str, Any]) -> str:
    """The headline, then the traceback without ANSI codes, IPython's dashed banner or a repeated last line."""
    headline = error_headline(output)
    if is_stdin_error(output):
        return headline
    lines = _lines(output)
    ename = output.get("ename") or "Error"
    kept: list[str] = []
    for line in lines:
        if _BANNER.match(line):
            continue
        if _TRACEBACK_TITLE.match(line):
            kept.append("Traceback (most recent call last):")
            continue
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    # IPython ends with "ValueError: bad value", which the headline already says (evalue may span lines).
    for evalue in (strip_ansi(str(output.get("evalue", ""))), _evalue(output)):
        last = f"{ename}: {evalue}".rstrip().split("\n")
        if len(kept) >= len(last) and [k.rstrip() for k in kept[-len(last) :]] == [x.rstrip() for x in last]:
            del kept[-len(last) :]
            break
    while kept and not kept[-1].strip():
        kept.pop()
    if not kept or kept == ["Traceback (most recent call last):"]:
        return headline
    return headline + "\n" + "\n".join(kept)
