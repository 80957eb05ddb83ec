"""Per-session undo and redo of an agent's changes to a live notebook, with the CRDT's own undo manager.

Each session gets its own ``UndoManager`` over the cells array that tracks only its edit origin, so undo leaves
a person's typing (and other sessions' changes) in place, even in the same cell. pycrdt cannot be told to stop
capturing, and changes closer together than the capture timeout merge into one step; the manager's clock is
therefore a step counter scaled past the timeout, moved forward once per tool call: one call, one step.
jupyter_ydoc's own ``YNotebook.undo_manager`` is never used (it records the browsers' updates too).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pycrdt import UndoManager

from ..errors import JmcpError
from .changes import Change, ChangeTracker, current_seq
from .identity import AgentOrigin

log = logging.getLogger(__name__)

#: Transactions within one step share a timestamp (0 apart); steps are ten timeouts apart.
CAPTURE_MILLIS = 1_000
_STEP_MILLIS = 10 * CAPTURE_MILLIS

UNDO_REFUSAL = (
    "Undoing your last step would delete cells you added that others have since changed: {cells}; their work "
    "in those cells would go too. Ask them, edit the cells instead, or call undo again with force=true."
)
REDO_REFUSAL = (
    "Redoing would delete again cells your undo brought back, which others have changed since: {cells}; their "
    "work in those cells would go too. Ask them, edit the cells instead, or call redo again with force=true."
)

_UNDONE = {
    "added": "brought back",
    "removed": "removed",
    "moved": "moved back",
    "edited": "restored the source of",
    "ran": "restored the outputs of",
    "metadata": "restored the metadata of",
}


@dataclass(frozen=True)
class UndoResult:
    """What one undo or redo did."""

    done: bool
    changes: list[Change]
    remaining: int

    def describe(self, verb: str, index_of: Callable[[str], int | None]) -> str:
        """A sentence for the tool result (``verb`` is "Undid" or "Redid")."""
        if not self.done:
            action = "redo" if verb.lower().startswith("re") else "undo"
            return f"Nothing to {action}: this session has no change of its own left in this notebook to {action}."
        parts: dict[str, list[str]] = {}
        for change in self.changes:
            index = None if change.kind == "removed" else index_of(change.cell_id)
            cell = change.cell_id if index is None else f"{change.cell_id} (index {index})"
            cells = parts.setdefault(_UNDONE[change.kind], [])
            if cell not in cells:
                cells.append(cell)
        what = "; ".join(f"{action} cell{'s' if len(c) > 1 else ''} {', '.join(c)}" for action, c in parts.items())
        return f"{verb} one step: {what or 'no visible change'}. {self.remaining} more step(s) can be taken back."


class _StepClock:
    """The undo manager's clock: the step number scaled past the capture timeout.

    A separate object, not a method: pycrdt keeps the callable inside Rust, out of the garbage collector's sight,
    so a bound method would keep its history alive for good.
    """

    def __init__(self) -> None:
        self.step = 1  # pycrdt never extends a step whose timestamp is 0

    def __call__(self) -> int:
        return self.step * _STEP_MILLIS


@dataclass(frozen=True)
class _Step:
    start: int  # change numbers bounding the step
    end: int
    undone_at: int = 0  # the change number when the step was undone (0: not undone)


class SessionUndo:
    """One session's undo history in one live notebook."""

    def __init__(
        self,
        ynotebook: Any,
        origin: AgentOrigin,
        tracker: ChangeTracker,
    ) -> None:
        self._origin = origin
        self._tracker = tracker
        self._clock = _StepClock()
        self._step_start = current_seq()
        self._manager = UndoManager(
            scopes=[ynotebook.ycells], capture_timeout_millis=CAPTURE_MILLIS, timestamp=self._clock
        )
        self._manager.include_origin(origin)
        # Read once here: reading it inside an observer while an undo runs raises "Already mutably borrowed".
        self.manager_origin: int = self._manager.origin
        tracker.alias(self.manager_origin, origin)
        self._undo_steps: list[_Step] = []
        self._redo_steps: list[_Step] = []
        self._stack_seen = 0
        # No observer of its own (a subscription held here would form a cycle through Rust that is never freed):
        # the tracker counts the room's reloads from disk.
        self._reloads_seen = tracker.reloads

    def next_step(self) -> None:
        """Start a new step: call at the start of every tool call that may change the notebook."""
        self._drop_if_reloaded()
        self._close_step()
        self._clock.step += 1
        self._step_start = current_seq()

    def can_undo(self) -> bool:
        self._drop_if_reloaded()
        return self._manager.can_undo()

    def can_redo(self) -> bool:
        self._drop_if_reloaded()
        return self._manager.can_redo()

    def undo(self, force: bool = False) -> UndoResult:
        """Take back the session's latest step; refuses (unless ``force``) to delete cells others typed into."""
        self._drop_if_reloaded()
        self._close_step()
        if not self._manager.can_undo():
            return UndoResult(False, [], 0)
        step = self._undo_steps[-1] if len(self._undo_steps) == len(self._manager.undo_stack) else None
        if step is not None and not force:
            self._refuse_if_others_edited(step, "added", step.start, UNDO_REFUSAL)
        changes = self._apply(self._manager.undo)
        if step is not None:
            self._redo_steps.append(replace(self._undo_steps.pop(), undone_at=current_seq()))
        self._stack_seen = len(self._manager.undo_stack)
        return UndoResult(True, changes, len(self._manager.undo_stack))

    def redo(self, force: bool = False) -> UndoResult:
        """Re-apply the step the session undid last; refuses (unless ``force``) to delete again cells others
        typed into after the undo brought them back."""
        self._drop_if_reloaded()
        self._close_step()
        if not self._manager.can_redo():
            return UndoResult(False, [], 0)
        step = self._redo_steps[-1] if len(self._redo_steps) == len(self._manager.redo_stack) else None
        if step is not None and not force:
            self._refuse_if_others_edited(step, "removed", step.undone_at, REDO_REFUSAL)
        changes = self._apply(self._manager.redo)
        if self._redo_steps:
            self._undo_steps.append(replace(self._redo_steps.pop(), undone_at=0))
        self._stack_seen = len(self._manager.undo_stack)
        return UndoResult(True, changes, len(self._manager.redo_stack))

    def clear(self) -> None:
        """Forget every step."""
        self._manager.clear()
        self._undo_steps.clear()
        self._redo_steps.clear()
        self._stack_seen = 0

    def close(self) -> None:
        """Forget everything (the session ended)."""
        self.clear()

    def _apply(self, operation: Callable[[], bool]) -> list[Change]:
        before = current_seq()
        operation()
        session = self._origin.session_id
        return [c for c in self._tracker.changes_since(before) if c.session_id == session]

    def _close_step(self) -> None:
        size = len(self._manager.undo_stack)
        if size > self._stack_seen:
            # New undo items: the session changed something in the step that is ending.
            self._undo_steps.extend(_Step(self._step_start, current_seq()) for _ in range(size - self._stack_seen))
            self._redo_steps.clear()  # pycrdt drops its redo stack on a new change, too
        elif size < self._stack_seen:
            del self._undo_steps[size:]
        self._stack_seen = size

    def _refuse_if_others_edited(self, step: _Step, kind: str, since: int, message: str) -> None:
        """Refuse when taking the step back (or again) would delete cells others changed since ``since``.

        ``kind`` is what the session did to those cells in the step: undoing an "added" cell deletes it, and
        redoing a "removed" one deletes it again.
        """
        session = self._origin.session_id
        cells = {
            c.cell_id
            for c in self._tracker.changes_since(step.start)
            if c.seq <= step.end and c.session_id == session and c.kind == kind
        }
        touched = []
        for cell_id in sorted(cells):
            change = self._tracker.changed_by_others(cell_id, session, since, ("edited", "ran", "metadata"))
            if change is not None and self._tracker.index_of(cell_id) is not None:
                touched.append(f"{cell_id} ({change.author})")
        if touched:
            raise JmcpError(message.format(cells=", ".join(touched)))

    def _drop_if_reloaded(self) -> None:
        # Undo after the room reloaded the file can corrupt cells: the reload rewrote what the steps refer to.
        if self._tracker.reloads != self._reloads_seen:
            self._reloads_seen = self._tracker.reloads
            self.clear()


_HISTORIES: weakref.WeakKeyDictionary[Any, dict[str, SessionUndo]] = weakref.WeakKeyDictionary()


def session_undo(ynotebook: Any, origin: AgentOrigin, tracker: ChangeTracker) -> SessionUndo:
    """The session's undo history for a live notebook; create it before the session's first change there."""
    per_session = _HISTORIES.get(ynotebook)
    if per_session is None:
        per_session = _HISTORIES[ynotebook] = {}
    found = per_session.get(origin.session_id)
    if found is None:
        found = per_session[origin.session_id] = SessionUndo(ynotebook, origin, tracker)
    return found


def existing_undo(ynotebook: Any, session_id: str) -> SessionUndo | None:
    """The session's history for the notebook if it has one (undo on a notebook it never changed has none)."""
    return _HISTORIES.get(ynotebook, {}).get(session_id)


def drop_notebook(ynotebook: Any) -> None:
    """Forget every session's history of one notebook (it was reverted: its steps would interleave with that)."""
    for history in _HISTORIES.pop(ynotebook, {}).values():
        history.close()


def drop_session(session_id: str) -> None:
    """Forget a finished session's histories everywhere."""
    for per_session in list(_HISTORIES.values()):
        found = per_session.pop(session_id, None)
        if found is not None:
            found.close()
