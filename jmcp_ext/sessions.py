"""MCP sessions as jmcp sees them: per-session state, and which sessions are still alive.

The SDK keeps its sessions to itself, so jmcp watches the HTTP exchanges instead (an ASGI middleware
around the SDK's app): a session begins when an answer carries a new ``mcp-session-id``, is busy while
a request of it is in flight (an open GET stream included), and ends on DELETE, on a 404 for its id,
or after the same idle time after which the SDK closes it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

SESSION_HEADER = b"mcp-session-id"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
OnEnd = Callable[[str], None]


@dataclass
class SessionState:
    """What jmcp remembers for one MCP session."""

    id: str
    #: The notebook later calls use when they give no path.
    active_notebook: str | None = None
    in_flight: int = 0
    last_active: float = field(default_factory=time.monotonic)


class Sessions:
    """The live MCP sessions and their state; callbacks run when one ends."""

    def __init__(self, idle_timeout: float | None = None) -> None:
        self.idle_timeout = idle_timeout
        self._states: dict[str, SessionState] = {}
        self._on_end: list[OnEnd] = []

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._states

    def on_end(self, callback: OnEnd) -> None:
        """Call ``callback(session_id)`` when a session ends (callbacks must not raise)."""
        self._on_end.append(callback)

    def get(self, session_id: str) -> SessionState:
        """The state of a session, created on first use (a tool call can precede the tracker's notice)."""
        state = self._states.get(session_id)
        if state is None:
            state = self._states[session_id] = SessionState(session_id)
        return state

    def find(self, session_id: str) -> SessionState | None:
        return self._states.get(session_id)

    def ids(self) -> set[str]:
        return set(self._states)

    def begin_request(self, session_id: str) -> None:
        state = self.get(session_id)
        state.in_flight += 1
        state.last_active = time.monotonic()

    def end_request(self, session_id: str) -> None:
        state = self._states.get(session_id)
        if state is not None:
            state.in_flight = max(0, state.in_flight - 1)
            state.last_active = time.monotonic()

    def end(self, session_id: str) -> None:
        """Forget a session that ended, and tell the callbacks."""
        if self._states.pop(session_id, None) is None:
            return
        for callback in self._on_end:
            callback(session_id)

    def expire(self, now: float | None = None) -> list[str]:
        """End sessions idle for longer than the SDK keeps them; returns their ids."""
        if self.idle_timeout is None:
            return []
        now = time.monotonic() if now is None else now
        idle = [s.id for s in self._states.values() if s.in_flight == 0 and now - s.last_active > self.idle_timeout]
        for session_id in idle:
            self.end(session_id)
        return idle

    def tracking(self, app: ASGIApp) -> ASGIApp:
        """``app`` wrapped so that its HTTP exchanges keep this registry current."""

        async def tracked(scope: Scope, receive: Receive, send: Send) -> None:
            session_id = _header(scope, SESSION_HEADER)
            answer: dict[str, Any] = {}

            async def watch(message: Message) -> None:
                if message["type"] == "http.response.start":
                    answer["status"] = message["status"]
                    answer["session"] = next(
                        (v.decode("latin-1") for k, v in message.get("headers", []) if k.lower() == SESSION_HEADER),
                        None,
                    )
                await send(message)

            if session_id is not None and session_id in self:
                self.begin_request(session_id)
            try:
                await app(scope, receive, watch)
            finally:
                if session_id is not None:
                    self.end_request(session_id)
                    if answer.get("status") == 404 or scope.get("method") == "DELETE":
                        self.end(session_id)
                elif answer.get("session") and answer.get("status", 500) < 400:
                    self.get(answer["session"])

        return tracked


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
