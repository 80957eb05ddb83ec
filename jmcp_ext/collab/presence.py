"""An agent's entry in a room's awareness, under a client id of its own (no Yjs document behind it).

Awareness keeps one state per client id, so each agent gets an invented id and its updates are encoded by hand
(``varuint(count)``, then per client ``varuint(id) varuint(clock) varstring(JSON)``, ``"null"`` to remove).
Applied with origin ``"local"``, a YRoom broadcasts them to every connected browser and keeps them for later.
Receivers drop a state ~30 s after its last update, so ``refresh`` must run every 10-15 s.
"""

from __future__ import annotations

import json
import logging
import secrets
import weakref
from collections.abc import Iterable
from typing import Any

from pycrdt import Awareness, Encoder, Text

from .identity import Collaborator, is_agent_state
from .positions import Position, position_in

log = logging.getLogger(__name__)

#: The origin that makes a YRoom broadcast an awareness change to its clients.
BROADCAST_ORIGIN = "local"

#: A field changed on every nudge: JupyterLab shows a remote cursor's name label for ~2 s after a state change.
NUDGE_FIELD = "jmcp_seq"


def new_client_id() -> int:
    """A client id that no browser uses: Yjs ids are 32-bit, these sit above that (and below 2**53 for JS)."""
    return (1 << 32) + secrets.randbelow((1 << 53) - (1 << 32))


def encode_update(entries: Iterable[tuple[int, int, dict[str, Any] | None]]) -> bytes:
    """An awareness update for ``(client_id, clock, state or None)`` entries; None removes the client."""
    items = list(entries)
    encoder = Encoder()
    encoder.write_var_uint(len(items))
    for client_id, clock, state in items:
        encoder.write_var_uint(client_id)
        encoder.write_var_uint(clock)
        encoder.write_var_string(json.dumps(state, separators=(",", ":")))
    return encoder.to_bytes()


def global_state(who: Collaborator, path: str | None, documents: Iterable[str] = ()) -> dict[str, Any]:
    """The state for ``JupyterLab:globalAwareness``, which the Collaboration panel lists."""
    docs = list(dict.fromkeys(documents))
    if path is not None and path not in docs:
        docs.insert(0, path)
    state: dict[str, Any] = {"user": who.user_state(), "documents": docs}
    if path is not None:
        state["current"] = f"notebook:{path}"
    return state


def notebook_state(who: Collaborator, cursors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The state for a notebook's room: the user (for the cursor label) and its cursors, if any."""
    state: dict[str, Any] = {"user": who.user_state()}
    if cursors:
        state["cursors"] = cursors
    return state


def cursor(head: Position, anchor: Position | None = None) -> dict[str, Any]:
    """One entry of ``cursors`` as JupyterLab's editor writes it."""
    anchor = head if anchor is None else anchor
    return {"anchor": anchor, "head": head, "primary": True, "empty": anchor == head}


def _follow_autosave(state: dict[str, Any], awareness: Awareness) -> None:
    # A notebook room autosaves when any state says "autosave" (a state without the field counts as yes), so an
    # agent without it would turn autosave back on for a person who switched it off: follow the people instead.
    wanted = [
        bool(s["autosave"])
        for s in awareness.states.values()
        if isinstance(s, dict) and "autosave" in s and not is_agent_state(s)
    ]
    if wanted:
        state["autosave"] = any(wanted)
    else:
        state.pop("autosave", None)


class Presence:
    """One agent's entry in one room's awareness: shown, refreshed, moved, and removed at once on leave."""

    def __init__(self, awareness: Awareness, who: Collaborator, client_id: int | None = None) -> None:
        # Held weakly: a presence must not keep a deleted room's awareness alive; it goes quiet instead.
        self._awareness = weakref.ref(awareness)
        self.who = who
        self.client_id = new_client_id() if client_id is None else client_id
        self._clock = 0
        self._state: dict[str, Any] | None = None
        self._nudges = 0
        self._notebook_room = False  # set by show*: a notebook's room (cursors, autosave) or the global one

    @property
    def awareness(self) -> Awareness | None:
        """The room's awareness, or None once the room is gone."""
        return self._awareness()

    @property
    def state(self) -> dict[str, Any] | None:
        """The state last sent, or None when not shown."""
        return self._state

    @property
    def clock(self) -> int:
        return self._clock

    def set_state(self, state: dict[str, Any] | None) -> None:
        """Send a new state (None removes the entry); the clock always moves forward."""
        self._state = None if state is None else dict(state)
        self._send()

    def show_global(self, path: str | None, documents: Iterable[str] = ()) -> None:
        """Appear in the Collaboration panel, working on ``path``."""
        self._notebook_room = False
        self.set_state(global_state(self.who, path, documents))

    def show(self, source: Text, index: int, anchor: int | None = None) -> None:
        """Put the cursor at code-point ``index`` of a cell's source (a selection from ``anchor`` if given)."""
        head = position_in(source, index)
        start = None if anchor is None or anchor == index else position_in(source, anchor)
        self._nudges += 1
        state = notebook_state(self.who, [cursor(head, start)])
        state[NUDGE_FIELD] = self._nudges
        self._notebook_room = True
        self.set_state(state)

    def show_without_cursor(self) -> None:
        """Be present in the notebook's room with no cursor (e.g. the cell it was on was deleted)."""
        self._notebook_room = True
        self.set_state(notebook_state(self.who))

    def refresh(self, nudge: bool = True) -> None:
        """Re-send the current state before receivers time it out; ``nudge`` brings the name label back."""
        if self._state is None:
            return
        if nudge:
            self._nudges += 1
            self._state[NUDGE_FIELD] = self._nudges
        self._send()

    def leave(self) -> None:
        """Remove the entry now (browsers drop it in ~60 ms instead of after their 30 s timeout)."""
        awareness = self.awareness
        if self._state is None and (awareness is None or self.client_id not in awareness.states):
            return
        self._state = None
        self._send()

    def _send(self) -> None:
        awareness = self.awareness
        if awareness is None:
            return
        # The room's own record of our clock can be ahead (it bumps it when it times a state out).
        meta = awareness.meta.get(self.client_id)
        known = int(meta["clock"]) if meta else 0
        self._clock = max(self._clock, known) + 1
        if self._state is not None and self._notebook_room:
            _follow_autosave(self._state, awareness)
        update = encode_update([(self.client_id, self._clock, self._state)])
        try:
            awareness.apply_awareness_update(update, BROADCAST_ORIGIN)
        except Exception:  # a subscriber of the room failed: presence is cosmetic, never fail a tool for it
            log.exception("jmcp could not update its awareness entry")
