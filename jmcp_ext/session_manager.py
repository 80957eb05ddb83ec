"""The SDK's session manager with what jmcp adds to sessions: resumable streams and unique request ids."""

from __future__ import annotations

import contextlib
import json
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, AuthorizationContext, authorization_context
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER, StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from .direct_calls import DirectCalls
from .event_store import EventBuffers
from .json_answers import HOLD_SECONDS, json_answers
from .request_ids import INVALID_REQUEST, InFlightRequests, duplicate_error, parse_json, request_of


class SessionManager(StreamableHTTPSessionManager):
    """``StreamableHTTPSessionManager`` plus, for handshake-era sessions:

    - each session's transport gets its own view of ``events`` (the SDK would share one store between
      sessions whose streams are named by request id, so they would replay each other's events);
    - a GET whose ``Last-Event-ID`` is unknown or expired gets a 400 saying so (the SDK answers an empty
      200 stream, and clients reconnect to it again and again);
    - a request reusing an id still in flight in its session gets a 400 JSON-RPC error, and the first
      request still gets its answer (see ``request_ids``);
    - every way a session ends (DELETE, idle timeout, crash, a refused opening request) releases its
      events and ids, then calls ``on_session_end`` (callbacks must be idempotent);
    - the common requests of an open session are served by ``direct`` (``direct_calls``: the SDK's request
      pipeline without its per-request streams) when ``direct_calls`` is on; the SDK's own answers to the
      rest go out as one JSON body when they would be a one-event stream (``json_answers``).

    It overrides the SDK's private ``_admit_session`` and ``_discard_session``, reads its session tables, and for
    direct calls keeps a transport's idle accounting (``_requests_in_flight``, ``_idle_timeout``);
    tests/trust/test_session_manager.py and test_direct_calls.py drive the real SDK through all of it.
    """

    def __init__(
        self,
        app: Any,
        *,
        events: EventBuffers,
        on_session_end: Sequence[Callable[[str], None]] = (),
        direct_calls: bool = True,
        hold_seconds: float = HOLD_SECONDS,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("event_store", None)  # one store shared by all sessions would mix them; see above
        super().__init__(app, **kwargs)
        self.events = events
        self.in_flight = InFlightRequests()
        self._sdk = json_answers(super().handle_request, hold_seconds=hold_seconds)
        self.direct = (
            DirectCalls(app, events, self.in_flight, hold_seconds=hold_seconds, hold=self._holding)
            if direct_calls
            else None
        )
        if self.direct is not None:
            app.middleware.insert(0, self.direct.remember)  # notes each session's Connection as the SDK serves it
        # A request is done when its answer is stored, whether or not its client is still connected.
        previous = events.on_response

        def answered(session_id: str, request_id: str) -> None:
            self.in_flight.end(session_id, request_id)
            if previous is not None:
                previous(session_id, request_id)

        events.on_response = answered
        ended = [self.direct.end_session] if self.direct is not None else []
        self._on_session_end = [*ended, events.release, self.in_flight.release, *on_session_end]

    async def handle_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        session_id = self._session_of(scope)
        if session_id is None:  # no session, someone else's, or the stateless era: the SDK decides
            await self._sdk(scope, receive, send)
            return
        headers = Headers(scope=scope)
        last_event_id = headers.get("last-event-id")
        if scope["method"] == "GET" and last_event_id is not None:
            refusal = self.events.resume_refusal(session_id, last_event_id)
            if refusal is not None:
                await _json_error(refusal)(scope, receive, send)
                return
        if scope["method"] != "POST":
            await self._sdk(scope, receive, send)
            return
        body, receive = await _read_body(receive, self.max_request_body_size)
        parsed = parse_json(body) if body is not None else None
        message = request_of(parsed)
        if message is None:
            if self.direct is not None:
                self.direct.cancel(session_id, parsed)  # the SDK sees the notification too
            await self._sdk(scope, receive, send)
            return
        request_id = str(message["id"])
        if not self.in_flight.begin(session_id, request_id):
            await Response(duplicate_error(body or b""), 400, media_type="application/json")(scope, receive, send)
            return
        call = self.direct.accepts(session_id, scope, message) if self.direct and self._open(session_id) else None
        if call is not None:
            await self.direct.serve(call, receive, send)  # type: ignore[union-attr]  # call implies direct
            return
        status: int | None = None

        async def watch_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._sdk(scope, receive, watch_status)
        finally:
            if status != 200:  # refused before it was dispatched: no answer will be stored for it
                self.in_flight.end(session_id, request_id)

    def _open(self, session_id: str) -> bool:
        """The session's transport still serves requests (its idle time has not run out, it is not terminated)."""
        transport = self._server_instances.get(session_id)
        if transport is None or transport.is_terminated:
            return False
        return transport.idle_scope is None or not transport.idle_scope.cancel_called

    @contextlib.contextmanager
    def _holding(self, session_id: str) -> Iterator[None]:
        """Count a direct call as a request in flight of the session's transport, as its ``handle_request`` does
        for the requests it serves: the session's idle countdown waits while any runs (SDK private fields)."""
        transport = self._server_instances.get(session_id)
        idle_scope = getattr(transport, "idle_scope", None)
        timeout = getattr(transport, "_idle_timeout", None)
        if transport is None or idle_scope is None or timeout is None:
            yield
            return
        transport._requests_in_flight += 1
        idle_scope.deadline = math.inf
        try:
            yield
        finally:
            transport._requests_in_flight -= 1
            if not transport._requests_in_flight:
                idle_scope.deadline = anyio.current_time() + timeout

    def _session_of(self, scope: Scope) -> str | None:
        """The open handshake-era session the request belongs to, if its requestor owns it."""
        if scope["type"] != "http" or self.stateless:
            return None
        headers = Headers(scope=scope)
        session_id = headers.get(MCP_SESSION_ID_HEADER)
        version = headers.get(MCP_PROTOCOL_VERSION_HEADER)
        if session_id is None or session_id not in self._server_instances:
            return None
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            return None
        user = scope.get("user")
        requestor = authorization_context(user) if isinstance(user, AuthenticatedUser) else None
        return session_id if self._session_owners.get(session_id) == requestor else None

    def _admit_session(self, requestor: AuthorizationContext | None) -> StreamableHTTPServerTransport | None:
        transport = super()._admit_session(requestor)
        if transport is not None and transport.mcp_session_id is not None:
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


async def _read_body(receive: Receive, limit: int) -> tuple[bytes | None, Receive]:
    """The request body (None if over ``limit`` or cut short), and a ``receive`` that replays it."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > limit or not message.get("more_body", False):
            break
    last = messages[-1]
    complete = last["type"] == "http.request" and not last.get("more_body", False) and size <= limit
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request") if complete else None
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return body, replay


def _json_error(message: str) -> Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": message}}
    return Response(json.dumps(body), 400, media_type="application/json")
