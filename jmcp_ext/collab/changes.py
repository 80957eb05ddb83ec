"""Who changed which cell of a live notebook: a log of cell changes with their authors, fed by the document's events.

Agents write with an ``AgentOrigin``, which names them. Browsers' updates reach the server with origin None; their
author is the first client id in the update's header (a browser's update carries only its own structs), whose
awareness state names the person. A pure deletion carries no struct, so its author is the only person in the room
or "someone in JupyterLab". The room's reloads from disk also have origin None, while its update lock is held.

Observers run inside a transaction's commit: an exception there is re-raised from the next transaction anywhere,
so every observer here catches everything.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pycrdt import Array, Awareness, Decoder, Map, TransactionEvent

from .identity import AgentOrigin, is_agent_state

log = logging.getLogger(__name__)

ChangeKind = Literal["added", "removed", "moved", "edited", "ran", "metadata"]

#: Kinds that change what a cell holds (a move or a metadata change does not).
CONTENT_KINDS: frozenset[str] = frozenset({"added", "edited", "ran"})

RELOAD_AUTHOR = "a reload from disk"
UNKNOWN_PERSON = "someone in JupyterLab"
SERVER_AUTHOR = "the server"

_RUN_KEYS = frozenset({"outputs", "execution_count", "execution_state"})

# Process-wide, so change numbers stay comparable when a room (and its tracker) is recreated.
_counter = itertools.count(1)
_last_seq = 0


def _next_seq() -> int:
    global _last_seq
    _last_seq = next(_counter)
    return _last_seq


def current_seq() -> int:
    """The number of the latest change recorded anywhere; later changes have larger numbers."""
    return _last_seq


class Lock(Protocol):
    """What is needed of the room's update lock (``DocumentRoom._update_lock``, an ``asyncio.Lock``)."""

    def locked(self) -> bool: ...


@dataclass(frozen=True)
class Change:
    """One change to one cell."""

    seq: int
    cell_id: str
    kind: ChangeKind
    author: str
    session_id: str | None  # the agent session that made it; None for people, reloads and the server


def first_client(update: bytes) -> int | None:
    """The client id of the first struct group of a Yjs v1 update, or None for a deletion-only update."""
    decoder = Decoder(update)
    if decoder.read_var_uint() == 0:
        return None
    decoder.read_var_uint()  # number of structs in the group
    return decoder.read_var_uint()


def _cell_id(value: Any) -> str:
    return str(value.get("id", "")) if isinstance(value, Map) else ""


def read_cell_ids(cells: Array) -> list[str]:
    """The ids of all cells in order, in one pass.

    Reading item i of a pycrdt Array walks the array from its start (all ids item by item: a second at 10,000
    cells); yrs serialises the whole array natively in linear time.
    """
    try:
        with cells.doc.transaction() as txn:
            assert txn._txn is not None
            values = json.loads(cells.integrated.to_json(txn._txn))
        return [str(c.get("id", "")) if isinstance(c, dict) else "" for c in values]
    except Exception:  # pycrdt internals changed: take the slow, public way
        return [_cell_id(cell) for cell in cells]


class ChangeTracker:
    """The recent cell changes of one live notebook, with per-cell history for stale-write checks."""

    def __init__(
        self,
        ynotebook: Any,
        *,
        reload_lock: Lock | None = None,
        awareness: Awareness | None = None,
        log_size: int = 5000,
        per_cell: int = 32,
    ) -> None:
        # Only weak references to the document's side: the cells array and the awareness reach the room (through
        # its observers) and so the notebook, which is this tracker's key in a weak mapping; a strong path from
        # value to key would keep every room's notebook alive forever.
        self._cells_ref = weakref.ref(ynotebook.ycells)
        self._doc_client = ynotebook.ydoc.client_id
        awareness = awareness if awareness is not None else getattr(ynotebook, "awareness", None)
        self._awareness_ref = weakref.ref(awareness) if awareness is not None else None
        # The lock itself, not a function of the room: anything reaching the room would keep it alive from here.
        self._reload_lock = reload_lock
        self._log: deque[Change] = deque(maxlen=log_size)
        self._per_cell_size = per_cell
        self._by_cell: dict[str, deque[Change]] = {}
        self._pending: list[tuple[str, ChangeKind]] = []
        self._aliases: dict[int, AgentOrigin] = {}
        self._marks: dict[str, int] = {}
        #: How many times the room rewrote the cells from the file (undo histories are void after one).
        self.reloads = 0
        self._ids: list[str] | None = self._read_ids()
        ynotebook.ycells.observe_deep(self._on_cells)
        # pycrdt's document observers hold the document itself from inside Rust, a cycle the garbage collector
        # cannot see: this one is removed when the notebook goes, or the document and tracker would live on.
        subscription = ynotebook.ydoc.observe(self._on_update)
        weakref.finalize(ynotebook, _unobserve, ynotebook.ydoc, subscription)

    @property
    def _cells(self) -> Array:
        cells = self._cells_ref()
        if cells is None:
            raise RuntimeError("the notebook is gone")
        return cells

    # -- what the rest of jmcp asks ------------------------------------------------------------------

    def reloading(self) -> bool:
        """Whether the room is reloading the file from disk right now (its update lock is held)."""
        return self._reload_lock is not None and self._reload_lock.locked()

    def alias(self, origin: int, agent: AgentOrigin) -> None:
        """Attribute transactions with ``origin`` (an UndoManager's ``origin``) to ``agent``."""
        self._aliases[origin] = agent

    def changes_since(self, seq: int) -> list[Change]:
        """Changes recorded after change number ``seq``, oldest first."""
        self._flush_pending(None)
        found = []
        for change in reversed(self._log):  # newest first: a call reads only what is new, not the whole log
            if change.seq <= seq:
                break
            found.append(change)
        found.reverse()
        return found

    def truncated_before(self, seq: int) -> bool:
        """Whether changes after ``seq`` may have been dropped from the bounded log."""
        return len(self._log) == self._log.maxlen and self._log[0].seq > seq + 1

    def cell_changes(self, cell_id: str) -> list[Change]:
        """The recent changes of one cell, oldest first."""
        self._flush_pending(None)
        return list(self._by_cell.get(cell_id, ()))

    def changed_by_others(
        self, cell_id: str, session_id: str, after: int, kinds: Iterable[str] = CONTENT_KINDS
    ) -> Change | None:
        """The latest change to ``cell_id`` after change number ``after`` by anyone but ``session_id``."""
        wanted = set(kinds)
        for change in reversed(self.cell_changes(cell_id)):
            if change.seq <= after:
                break
            if change.session_id != session_id and change.kind in wanted:
                return change
        return None

    def index_of(self, cell_id: str) -> int | None:
        """The cell's current index, from the tracker's own list of ids."""
        ids = self._current_ids()
        try:
            return ids.index(cell_id)
        except ValueError:
            return None

    def mark(self, session_id: str) -> int | None:
        """Move the session's digest mark to now; returns the previous mark (None on its first call)."""
        self._flush_pending(None)
        previous = self._marks.get(session_id)
        self._marks[session_id] = current_seq()
        return previous

    def forget(self, session_id: str) -> None:
        self._marks.pop(session_id, None)

    # -- observers -------------------------------------------------------------------------------------

    def _on_cells(self, events: list[Any], txn: Any) -> None:
        try:
            self._flush_pending(None)  # a previous transaction's update never came: keep its changes anyway
            origin = txn.origin
            reloading = origin is None and self.reloading()
            if reloading:
                self.reloads += 1
            entries = self._classify(events)
            if not entries:
                return
            if origin is None and not reloading:
                self._pending.extend(entries)  # the author is in the update, emitted right after this
                return
            author, session_id = self._author_of(origin)
            self._record(entries, author, session_id)
        except Exception:
            self._ids = None
            log.exception("jmcp could not record a notebook change")

    def _on_update(self, event: TransactionEvent) -> None:
        if not self._pending:
            return
        try:
            client = first_client(event.update)
        except Exception:
            client = None
        try:
            self._flush_pending(client)
        except Exception:
            self._pending.clear()
            log.exception("jmcp could not record a notebook change")

    # -- internals ---------------------------------------------------------------------------------------

    def _flush_pending(self, client: int | None) -> None:
        if not self._pending:
            return
        entries, self._pending = self._pending, []
        self._record(entries, self._person(client), None)

    def _author_of(self, origin: Any) -> tuple[str, str | None]:
        if isinstance(origin, AgentOrigin):
            return origin.display_name, origin.session_id
        if isinstance(origin, int) and origin in self._aliases:
            agent = self._aliases[origin]
            return agent.display_name, agent.session_id
        if origin is None:
            return RELOAD_AUTHOR, None
        return SERVER_AUTHOR, None

    def _person(self, client: int | None) -> str:
        if client == self._doc_client:
            return SERVER_AUTHOR
        awareness = self._awareness_ref() if self._awareness_ref is not None else None
        states = awareness.states if awareness is not None else {}
        state = states.get(client) if client is not None else None
        name = _user_name(state)
        if name:
            return name
        people = {n for s in states.values() if not is_agent_state(s) and (n := _user_name(s))}
        return people.pop() if len(people) == 1 else UNKNOWN_PERSON

    def _record(self, entries: list[tuple[str, ChangeKind]], author: str, session_id: str | None) -> None:
        for cell_id, kind in entries:
            change = Change(_next_seq(), cell_id, kind, author, session_id)
            self._log.append(change)
            history = self._by_cell.get(cell_id)
            if history is None:
                history = self._by_cell[cell_id] = deque(maxlen=self._per_cell_size)
            history.append(change)

    def _read_ids(self) -> list[str]:
        return read_cell_ids(self._cells)

    def _current_ids(self) -> list[str]:
        if self._cells_ref() is None:
            return []
        if self._ids is None or len(self._ids) != len(self._cells):
            self._ids = self._read_ids()
        return self._ids

    def _classify(self, events: list[Any]) -> list[tuple[str, ChangeKind]]:
        entries: list[tuple[str, ChangeKind]] = []
        for event in events:
            if not event.path:
                entries.extend(self._apply_delta(event.delta))
        ids = self._current_ids()
        for event in events:
            path = event.path
            if not path or not isinstance(path[0], int) or path[0] >= len(ids):
                continue
            kind = _nested_kind(path, event)
            if kind is not None:
                entries.append((ids[path[0]], kind))
        return list(dict.fromkeys(entries))

    def _apply_delta(self, delta: list[dict[str, Any]]) -> list[tuple[str, ChangeKind]]:
        ids = self._ids
        if ids is None:
            # The list before this change is unknown: what was deleted cannot be told, what was inserted can.
            self._ids = self._read_ids()
            return [(_cell_id(c), "added") for op in delta if "insert" in op for c in op["insert"]]
        position = old = 0
        removed: dict[str, int] = {}
        inserted: dict[str, int] = {}
        for op in delta:
            if "retain" in op:
                position += op["retain"]
                old += op["retain"]
            elif "delete" in op:
                count = op["delete"]
                for offset, cell_id in enumerate(ids[position : position + count]):
                    removed.setdefault(cell_id, old + offset)
                del ids[position : position + count]
                old += count
            elif "insert" in op:
                new = [_cell_id(c) for c in op["insert"]]
                for offset, cell_id in enumerate(new):
                    inserted.setdefault(cell_id, position + offset)
                ids[position:position] = new
                position += len(new)
        if len(ids) != len(self._cells):
            self._ids = None
        entries: list[tuple[str, ChangeKind]] = []
        for cell_id, at in inserted.items():
            if cell_id not in removed:
                entries.append((cell_id, "added"))
            else:
                # Re-inserted under the same id: a move, or a replacement in place (e.g. a changed cell type).
                entries.append((cell_id, "edited" if removed[cell_id] == at else "moved"))
        entries.extend((cell_id, "removed") for cell_id in removed if cell_id not in inserted)
        return entries


def _unobserve(doc: Any, subscription: Any) -> None:
    with contextlib.suppress(Exception):
        doc.unobserve(subscription)


def _nested_kind(path: list[Any], event: Any) -> ChangeKind | None:
    if len(path) > 1:
        key = path[1]
    else:
        keys = set(getattr(event, "keys", {}) or {})
        if not keys:
            return None
        if keys <= _RUN_KEYS:
            return "ran"
        if keys == {"metadata"}:
            return "metadata"
        return "edited"
    if key in _RUN_KEYS:
        return "ran"
    if key == "metadata":
        return "metadata"
    return "edited"


def _user_name(state: Any) -> str:
    if not isinstance(state, dict) or is_agent_state(state):
        return ""
    user = state.get("user")
    if not isinstance(user, dict):
        return ""
    return str(user.get("display_name") or user.get("name") or user.get("username") or "")


_TRACKERS: weakref.WeakKeyDictionary[Any, ChangeTracker] = weakref.WeakKeyDictionary()


def tracker_for(ynotebook: Any, *, reload_lock: Lock | None = None) -> ChangeTracker:
    """The tracker of a live notebook (created on first use with the room's ``_update_lock``).

    Create it when the room is opened, before any change that should be reported.
    """
    found = _TRACKERS.get(ynotebook)
    if found is None:
        found = _TRACKERS[ynotebook] = ChangeTracker(ynotebook, reload_lock=reload_lock)
    return found


def forget_session(session_id: str) -> None:
    """Drop a finished session's digest marks everywhere."""
    for tracker in list(_TRACKERS.values()):
        tracker.forget(session_id)
