"""The agents shown in each room's awareness: one presence per session per room, kept alive and greeted to newcomers.

A YRoom does not send the states it holds to a browser that connects later, so a tab opened after an agent
appeared would only see it at its next refresh. Every JupyterLab tab announces its own awareness state right
after connecting; when the room's awareness reports such a new client, the agents' states are sent again (with
the next clock) and the room broadcasts them, the newcomer included. No handler or room method is wrapped.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from typing import Any

from pycrdt import Awareness, create_awareness_message

from .identity import Collaborator
from .presence import BROADCAST_ORIGIN, Presence

log = logging.getLogger(__name__)


class RoomAgents:
    """The agents of this process in one room's awareness, by session id."""

    def __init__(self, awareness: Awareness) -> None:
        self._awareness = weakref.ref(awareness)
        self._presences: dict[str, Presence] = {}
        self._subscription = awareness.observe(self._on_awareness)

    def presence(self, session_id: str, who: Collaborator) -> Presence:
        """The session's presence in this room (created, not yet shown, on first use)."""
        found = self._presences.get(session_id)
        if found is None:
            awareness = self._awareness()
            if awareness is None:
                raise RuntimeError("the room is gone")
            found = self._presences[session_id] = Presence(awareness, who)
        return found

    def get(self, session_id: str) -> Presence | None:
        return self._presences.get(session_id)

    @property
    def client_ids(self) -> set[int]:
        """The invented client ids of the agents in this room."""
        return {p.client_id for p in self._presences.values()}

    def leave(self, session_id: str) -> None:
        """Remove the session's entry from the room at once."""
        found = self._presences.pop(session_id, None)
        if found is not None:
            found.leave()

    def refresh(self, nudge: bool = False) -> None:
        """Re-send every shown state (run every 10-15 s, or receivers drop them after 30 s)."""
        for presence in list(self._presences.values()):
            presence.refresh(nudge=nudge)

    def greeting(self) -> bytes | None:
        """An awareness message with the agents' current states, to send to one websocket; None if none shown."""
        awareness = self._awareness()
        shown = [p.client_id for p in self._presences.values() if p.state is not None]
        if awareness is None or not shown:
            return None
        return bytes(create_awareness_message(awareness.encode_awareness_update(shown)))

    def _on_awareness(self, topic: str, changes: tuple[dict[str, Any], Any]) -> None:
        # Runs inside the room's message loop: it must never raise.
        try:
            if topic != "change":
                return
            diff, origin = changes
            if origin == BROADCAST_ORIGIN:
                return
            mine = self.client_ids
            if any(client not in mine for client in diff.get("added", ())):
                self.refresh(nudge=False)
        except Exception:
            log.exception("jmcp could not greet a new collaborator")

    def close(self) -> None:
        """Remove every agent of this room and stop watching it."""
        for session_id in list(self._presences):
            self.leave(session_id)
        awareness = self._awareness()
        if awareness is not None:
            with contextlib.suppress(KeyError):
                awareness.unobserve(self._subscription)


# The value must not hold its key strongly (it holds the awareness weakly), or no room would ever be freed.
_ROOMS: weakref.WeakKeyDictionary[Awareness, RoomAgents] = weakref.WeakKeyDictionary()


def agents_in(awareness: Awareness) -> RoomAgents:
    """The agents registry of the room that owns ``awareness`` (``room.awareness``; ``ynotebook.awareness``)."""
    found = _ROOMS.get(awareness)
    if found is None:
        found = _ROOMS[awareness] = RoomAgents(awareness)
    return found


def all_rooms() -> list[RoomAgents]:
    """Every room that has (or had) agents and is still alive."""
    return list(_ROOMS.values())


def leave_everywhere(session_id: str) -> None:
    """Remove a session from every room at once (its MCP session ended or went idle)."""
    for room in all_rooms():
        room.leave(session_id)


def refresh_everywhere(nudge: bool = True) -> None:
    """Keep every agent visible; the caller runs this every 10-15 s."""
    for room in all_rooms():
        room.refresh(nudge=nudge)
