"""The SDK's session manager, giving each session its own event store view and telling us when sessions end."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthorizationContext
from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from .event_store import EventBuffers


class SessionManager(StreamableHTTPSessionManager):
    """``StreamableHTTPSessionManager`` with per-session resumability and end-of-session callbacks.

    The SDK shares one event store between all sessions while naming streams by request id, so
    sessions would replay each other's events; here each transport gets its own view of ``events``.
    Every way a session ends (DELETE, idle timeout, crash, a refused opening request) goes through
    ``_discard_session``, which then calls ``on_session_end`` (callbacks must be idempotent).
    These two hooks are private SDK methods: tests/trust/test_session_manager.py checks them.
    """

    def __init__(
        self,
        app: Any,
        *,
        events: EventBuffers | None = None,
        on_session_end: Sequence[Callable[[str], None]] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.pop("event_store", None)  # the shared store would mix sessions; see above
        super().__init__(app, **kwargs)
        self.events = events
        self._on_session_end = list(on_session_end)
        if events is not None:
            self._on_session_end.append(events.release)

    def _admit_session(self, requestor: AuthorizationContext | None) -> StreamableHTTPServerTransport | None:
        transport = super()._admit_session(requestor)
        if transport is not None and self.events is not None and transport.mcp_session_id is not None:
            # Set before the transport serves anything, so every event of the session lands in its view.
            transport._event_store = self.events.for_session(transport.mcp_session_id)
        return transport

    async def _discard_session(self, session_id: str, transport: StreamableHTTPServerTransport) -> None:
        try:
            await super()._discard_session(session_id, transport)
        finally:
            for callback in self._on_session_end:
                callback(session_id)

    def session_ids(self) -> set[str]:
        """The ids of the sessions open now."""
        return set(self._server_instances)
