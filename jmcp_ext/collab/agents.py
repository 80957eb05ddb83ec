"""The agents shown in each room's awareness: one presence per session per room, kept alive and greeted to newcomers.

A YRoom does not send the states it holds to a websocket that connects later, so a tab opened (or reconnected)
after an agent appeared would only see it at the agent's next refresh. The room's public ``on_message`` hook runs
before each message from any of its websockets; when ``room.clients`` holds a websocket not seen before (its first
message, sync step 1, follows its connection at once), the agents' states are re-sent with the next clock and the
room broadcasts them. The clock must move: a reconnecting y-websocket tab keeps the clocks it saw while it drops
the states, and ignores a state whose clock it already knows. Watching the awareness for new client ids instead
would miss reconnecting tabs (same client id, often the same clock). Nothing in the room or its handler is replaced.
"""

from __future__ import annotations

import logging
import weakref
from inspect import isawaitable
from typing import Any

from pycrdt import Awareness

from .identity import Collaborator
from .presence import Presence

log = logging.getLogger(__name__)


class RoomAgents:
    """The agents of this process in one room's awareness, by session id."""

    def __init__(self, awareness: Awareness) -> None:
        self._awareness = weakref.ref(awareness)
        self._presences: dict[str, Presence] = {}

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

    def close(self) -> None:
        """Remove every agent of this room."""
        for session_id in list(self._presences):
            self.leave(session_id)


# Values hold their key (the awareness) only weakly, or no room would ever be freed.
_ROOMS: weakref.WeakKeyDictionary[Awareness, RoomAgents] = weakref.WeakKeyDictionary()
_GREETING_ROOMS: weakref.WeakSet[Any] = weakref.WeakSet()


def agents_in(room: Any) -> RoomAgents:
    """The agents of a room (a pycrdt-websocket ``YRoom``, or anything with an ``awareness``).

    The first call on a YRoom also starts greeting its new websockets with the agents' states.
    """
    awareness: Awareness = room.awareness
    found = _ROOMS.get(awareness)
    if found is None:
        found = _ROOMS[awareness] = RoomAgents(awareness)
    if hasattr(room, "on_message") and hasattr(room, "clients") and room not in _GREETING_ROOMS:
        greet_new_connections(room)
    return found


def greet_new_connections(room: Any) -> None:
    """Chain onto ``room.on_message`` so each websocket of the room gets the agents' states on its first message."""
    previous = room.on_message
    room_ref = weakref.ref(room)
    greeted: weakref.WeakSet[Any] = weakref.WeakSet()

    async def on_message(message: bytes) -> bool:
        current = room_ref()
        if current is not None:
            await _greet(current, greeted)
        if previous is None:
            return False
        skip = previous(message)
        return bool(await skip if isawaitable(skip) else skip)

    room.on_message = on_message
    _GREETING_ROOMS.add(room)


async def _greet(room: Any, greeted: weakref.WeakSet[Any]) -> None:
    # Runs in the room's message loop, before the message is handled: never raise into it.
    try:
        fresh = [channel for channel in list(room.clients) if channel not in greeted]
        if not fresh:
            return
        for channel in fresh:
            greeted.add(channel)
        agents = _ROOMS.get(room.awareness)
        if agents is not None:
            agents.refresh(nudge=False)
    except Exception:
        log.exception("jmcp could not greet a new connection with the agents' states")


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
