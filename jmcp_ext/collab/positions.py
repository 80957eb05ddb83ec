"""Yjs relative positions in a cell's source, as JupyterLab's editors put them in awareness ``cursors``.

A position is ``{"type": ID of the source YText, "tname": None, "item": ID of the character after it or None at
the end, "assoc": 0}``. Browsers count UTF-16 code units; Python strings count code points; pycrdt's sticky
indexes count UTF-16 units too. All four keys are always sent: a position without ``item`` broke the person's
editor in that cell (keystrokes lost).
"""

from __future__ import annotations

from typing import Any

from pycrdt import Assoc, StickyIndex, Text, Transaction

Position = dict[str, Any]


def utf16_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def to_utf16(text: str, index: int) -> int:
    """A code-point index into ``text`` as a UTF-16 index (clamped to the text)."""
    index = max(0, min(index, len(text)))
    return utf16_length(text[:index])


def from_utf16(text: str, index: int) -> int:
    """A UTF-16 index into ``text`` as a code-point index (clamped; a split surrogate pair rounds down)."""
    units = 0
    for position, char in enumerate(text):
        step = 2 if ord(char) > 0xFFFF else 1
        if units + step > index:
            return position
        units += step
    return len(text)


def is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfacing from pycrdt (a BaseException, not an Exception)."""
    return type(exc).__name__ == "PanicException"


def text_type_id(text: Text) -> dict[str, int] | None:
    """The Yjs ID of a nested YText (``{"client", "clock"}``), or None for a root type."""
    found = StickyIndex.new(text, 0, Assoc.BEFORE).to_json().get("type")
    return found if isinstance(found, dict) else None


def position_in(text: Text, index: int) -> Position:
    """The relative position before the character at code-point ``index`` of ``text`` (clamped to its end)."""
    type_id = text_type_id(text)
    if type_id is None:
        raise ValueError("cursors can only point into a nested text (a cell's source)")
    current = str(text)
    units = to_utf16(current, index)
    item = None
    # pycrdt panics for a sticky index at the very end: that position is written by hand (item None).
    if units < utf16_length(current):
        item = StickyIndex.new(text, units, Assoc.AFTER).to_json().get("item")
    return {"type": type_id, "tname": None, "item": item, "assoc": 0}


def resolve(position: Any, text: Text, txn: Transaction | None = None) -> int | None:
    """The code-point index ``position`` points at in ``text``, or None when it cannot be resolved.

    An item the server has not seen yet (the cursor can arrive before the edit it sits in) makes pycrdt
    panic; that is answered with None like any other malformed position.
    """
    if not isinstance(position, dict):
        return None
    current = str(text)
    item = position.get("item")
    if item is None:
        return len(current)
    if not (isinstance(item, dict) and isinstance(item.get("client"), int) and isinstance(item.get("clock"), int)):
        return None
    data = {"item": {"client": item["client"], "clock": item["clock"]}, "assoc": _assoc(position.get("assoc"))}
    try:
        sticky = StickyIndex.from_json(data, text)
        units = sticky.get_index(txn)
    except BaseException as exc:
        if is_panic(exc) or isinstance(exc, Exception):
            return None
        raise
    return from_utf16(current, units)


def _assoc(value: Any) -> int:
    return -1 if isinstance(value, int) and value < 0 else 0


def same_id(a: Any, b: Any) -> bool:
    """Whether two Yjs IDs (``{"client", "clock"}`` dicts) are equal."""
    return (
        isinstance(a, dict)
        and isinstance(b, dict)
        and a.get("client") == b.get("client")
        and a.get("clock") == b.get("clock")
        and a.get("client") is not None
    )
