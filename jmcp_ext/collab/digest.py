"""The short text that opens a tool result: what others changed in the notebook since this session's previous call."""

from __future__ import annotations

from collections.abc import Callable

from .changes import Change, ChangeTracker

_VERBS = {
    "added": "added",
    "removed": "deleted",
    "moved": "moved",
    "edited": "edited",
    "ran": "ran",
    "metadata": "changed the metadata of",
}

#: Cells named per (author, kind) before the rest are counted.
MAX_CELLS = 8


def digest_since(tracker: ChangeTracker, session_id: str) -> str:
    """What others changed since the session's previous call on this notebook; empty on its first call.

    Call once at the start of every tool call on the notebook (before its own writes): it moves the mark.
    """
    previous = tracker.mark(session_id)
    if previous is None:
        return ""
    others = [c for c in tracker.changes_since(previous) if c.session_id != session_id]
    text = summarize(others, tracker.index_of)
    if text and tracker.truncated_before(previous):
        text = "(some earlier changes are not listed) " + text
    return text


def summarize(changes: list[Change], index_of: Callable[[str], int | None]) -> str:
    """One sentence per author, e.g. ``Ana edited cell 1a2b (index 3); Ana ran cell 1a2b (index 3).``"""
    kept = _net(changes)
    if not kept:
        return ""
    groups: dict[tuple[str, str], list[str]] = {}
    for change in kept:
        cells = groups.setdefault((change.author, change.kind), [])
        if change.cell_id not in cells:
            cells.append(change.cell_id)
    parts = [f"{author} {_VERBS[kind]} {_cells(cells, index_of, kind)}" for (author, kind), cells in groups.items()]
    return "Changed by others since your last call: " + "; ".join(parts) + "."


def _net(changes: list[Change]) -> list[Change]:
    """Keep what still matters at the end: a deleted cell only as deleted, a cell that came and went not at all."""
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for change in changes:
        if change.kind in ("added", "removed"):
            first.setdefault(change.cell_id, change.kind)
            last[change.cell_id] = change.kind
    added_by = {(c.cell_id, c.author) for c in changes if c.kind == "added"}
    kept: list[Change] = []
    for change in changes:
        end = last.get(change.cell_id)
        if end == "removed" and (first[change.cell_id] == "added" or change.kind != "removed"):
            continue
        if end == "added" and change.kind == "removed":
            continue
        if change.kind in ("edited", "ran", "metadata") and (change.cell_id, change.author) in added_by:
            continue  # "added" already says the cell is new
        kept.append(change)
    return kept


def _cells(cell_ids: list[str], index_of: Callable[[str], int | None], kind: str) -> str:
    shown = []
    for cell_id in cell_ids[:MAX_CELLS]:
        index = None if kind == "removed" else index_of(cell_id)
        shown.append(cell_id if index is None else f"{cell_id} (index {index})")
    text = ("cell " if len(cell_ids) == 1 else "cells ") + ", ".join(shown)
    if len(cell_ids) > MAX_CELLS:
        text += f" and {len(cell_ids) - MAX_CELLS} more"
    return text
