"""Stale-write protection: refuse to replace or remove a cell that someone else changed after the session read it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import JmcpError
from .changes import CONTENT_KINDS, Change, ChangeTracker, current_seq

#: Longest current source quoted in a refusal before it is cut (the model can read_cell for the rest).
QUOTE_LIMIT = 4000


class StaleCellError(JmcpError):
    """The cell changed under the agent since it last read it; the message quotes the cell as it is now."""


@dataclass
class ReadMarks:
    """What one session has seen of one notebook: a change number for the whole notebook and per cell."""

    notebook: int = 0
    cells: dict[str, int] = field(default_factory=dict)

    def saw_notebook(self) -> None:
        """The session has just read every cell (read_notebook)."""
        self.notebook = current_seq()
        self.cells.clear()

    def saw_cells(self, cell_ids: Iterable[str]) -> None:
        """The session has just read these cells (read_cell), or written them and been shown the result."""
        now = current_seq()
        for cell_id in cell_ids:
            self.cells[cell_id] = now

    def seen(self, cell_id: str) -> int:
        """The change number as of which the session knows the cell (0: never read)."""
        return max(self.notebook, self.cells.get(cell_id, 0))


def stale_change(
    tracker: ChangeTracker, marks: ReadMarks, session_id: str, cell_id: str, kinds: Iterable[str] = CONTENT_KINDS
) -> Change | None:
    """The latest change by someone else to the cell since the session last read it, if any."""
    return tracker.changed_by_others(cell_id, session_id, marks.seen(cell_id), kinds)


def check_replace(
    tracker: ChangeTracker,
    marks: ReadMarks,
    session_id: str,
    cell_id: str,
    current_source: str,
    *,
    action: str = "overwrite",
    kinds: Iterable[str] = CONTENT_KINDS,
) -> None:
    """Raise ``StaleCellError`` if someone else changed the cell since the session last read it.

    ``action`` names what was refused (``overwrite``, ``delete``, ``clear the outputs of``, ``move``). The
    session's own edits never count. Pass ``kinds=("added", "edited")`` to ignore outputs (a person running the
    cell does not make its source stale).
    """
    change = stale_change(tracker, marks, session_id, cell_id, kinds)
    if change is None:
        return
    raise StaleCellError(refusal(change, action, current_source))


def refusal(change: Change, action: str, current_source: str) -> str:
    """The model-facing message: who changed the cell, its current source, and the two ways forward."""
    what = {"ran": "ran it (its outputs changed)", "added": "added it", "moved": "moved it"}.get(
        change.kind, "edited it"
    )
    quoted = current_source
    if len(quoted) > QUOTE_LIMIT:
        quoted = quoted[:QUOTE_LIMIT] + f"\n... ({len(current_source) - QUOTE_LIMIT} more characters)"
    return (
        f"Refused to {action} cell {change.cell_id}: {change.author} {what} after you last read it, "
        f"and your change would overwrite theirs. Its current source is:\n"
        f"```\n{quoted}\n```\n"
        "Re-read the cell (read_cell) and apply your change to the current text (edit_cell_source changes only "
        "the snippet you name), or repeat the call with force=true to replace it anyway."
    )
