"""Serve a session's requests in the task that received them, without the SDK's per-request stream plumbing.

The SDK's 2025-era transport hands every POSTed request to the session's message loop through memory
streams, runs it in a task of its dispatcher, routes the answer back through a router task to a per-request
stream and writes it as an SSE response with its own task group and keep-alive task. That is about 1 ms of
CPU per call on a 2-core machine, more than all of jmcp's own code in an ``execute_code`` call. For the
common requests of an open session (tool calls, listings, prompt and resource reads) this module runs the
SDK's own request pipeline instead, ``ServerRunner.on_request``: the same method validation, initialisation
gate, server middleware (Jupyter's authorizer included), handler and result serialisation, on the session's
own ``Connection``, then writes the answer itself:

- An answer ready within ``hold_seconds`` goes out as one ``application/json`` body.
- A call still running then, or one that sends a notification (progress, a log message) first, commits an
  SSE stream: a priming event, the notifications, the answer. Every event of that stream is stored in the
  session's ``EventBuffers`` under the request's id, as the SDK stores its own, so a client whose
  connection drops resumes with ``Last-Event-ID`` through the SDK's GET path (``EventBuffers.replay`` follows
  the request's stream until its answer is stored).
- A client that goes away does not stop the call; its answer is stored for a resuming client.
- ``notifications/cancelled`` for a direct call cancels it and the request is answered with the 2025
  era's "Request cancelled" error, as the SDK's transport answers it.
- A session that ends cancels its direct calls.

Everything else (``initialize``, notifications, GET and DELETE, requests of other eras, methods that keep
the request's ``ServerSession`` for later such as ``resources/subscribe``) goes through the SDK unchanged.
A direct call cannot send a request to the client (sampling, elicitation, roots): no jmcp tool does,
and the context says so (``can_send_request`` is False) rather than parking a request no answer reaches.

SDK private members used: the SDK offers no public handle on a session's ``Connection``, so ``remember`` (a
server middleware) picks it off ``ctx.session._connection`` when the session's ``initialize`` passes through the
SDK; ``SessionManager._holding`` counts a direct call in the transport's idle accounting. Both are exercised
against the real SDK in tests/trust/test_direct_calls.py. A 2025-era transport that chose JSON or a stream per
request, without its per-request tasks, would make this module unnecessary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import anyio
import pydantic_core
from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.server.runner import CallNext, HandlerResult, ServerRunner
from mcp.server.streamable_http import REQUEST_CANCELLED, check_accept_headers
from mcp.shared.dispatcher import CallOptions, coerce_request_id
from mcp.shared.exceptions import NoBackChannelError
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data, progress_token_from_params
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import CONNECTION_CLOSED, PROTOCOL_VERSION_META_KEY
from starlette.requests import Request

from .event_store import EventBuffers
from .request_ids import InFlightRequests
from .sessions import Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: Requests served directly. Left to the SDK: ``resources/list`` and ``resources/subscribe`` keep the
#: request's session to send list and update notifications later; ``initialize`` and the rest change the
#: session's state.
METHODS = frozenset(
    {"tools/call", "tools/list", "prompts/list", "prompts/get", "resources/read", "resources/templates/list", "ping"}
)
#: The error a call gets when its session ends under it (the SDK's dispatcher answers the same at shutdown).
CLOSED = {"code": CONNECTION_CLOSED, "message": "Connection closed"}
#: Priming events (an id with empty data) are sent only to clients of this protocol version or later;
#: older ones cannot parse them (as in the SDK).
PRIMING_SINCE = "2025-11-25"
_REQUEST_KEYS = frozenset({"jsonrpc", "id", "method", "params"})


@dataclass
class _Call:
    """One request being served directly."""

    session_id: str
    runner: ServerRunner[Any]
    request: Request
    request_id: str | int
    method: str
    params: dict[str, Any] | None
    progress_token: str | int | None
    task: asyncio.Task[None] | None = None
    cancel_requested: anyio.Event = field(default_factory=anyio.Event)

    @property
    def key(self) -> tuple[str, str | int]:
        """Where ``DirectCalls`` files the call: its session and its id as the SDK keys it."""
        return self.session_id, coerce_request_id(self.request_id)


class DirectCalls:
    """The direct lane: which requests it takes (``accepts``), serving them (``serve``), and its bookkeeping."""

    def __init__(
        self,
        server: Server[Any],
        events: EventBuffers,
        in_flight: InFlightRequests,
        *,
        hold_seconds: float,
        hold: Callable[[str], AbstractContextManager[None]] = lambda _: contextlib.nullcontext(),
    ) -> None:
        self._server = server
        self._events = events
        self._in_flight = in_flight
        self.hold_seconds = hold_seconds
        self._hold = hold  # keeps the session from idling out while a call runs
        self.served = 0  # calls taken since start
        self._runners: dict[str, ServerRunner[Any]] = {}
        self._calls: dict[tuple[str, str | int], _Call] = {}

    # --- bookkeeping -----------------------------------------------------------------------------

    async def remember(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Server middleware: note the ``Connection`` of each handshake-era session the SDK serves."""
        connection = getattr(ctx.session, "_connection", None)  # no public accessor (see the module docstring)
        if isinstance(connection, Connection) and connection.session_id is not None:
            runner = self._runners.get(connection.session_id)
            if runner is None or runner.connection is not connection:
                self._runners[connection.session_id] = ServerRunner(self._server, connection, ctx.lifespan_context)
        return await call_next(ctx)

    def end_session(self, session_id: str) -> None:
        """The session ended: forget it and cancel its calls (each is answered 'Connection closed')."""
        self._runners.pop(session_id, None)
        for key, call in list(self._calls.items()):
            if key[0] == session_id and call.task is not None:
                call.task.cancel()

    @property
    def calls_in_flight(self) -> int:
        return len(self._calls)

    def cancel(self, session_id: str, message: Any) -> bool:
        """Apply a ``notifications/cancelled`` aimed at one of the session's direct calls; True if it was."""
        if not isinstance(message, dict) or message.get("method") != "notifications/cancelled" or "id" in message:
            return False
        params = message.get("params")
        request_id = params.get("requestId") if isinstance(params, dict) else None
        if isinstance(request_id, bool) or not isinstance(request_id, int | str):
            return False
        call = self._calls.get((session_id, coerce_request_id(request_id)))
        if call is None or call.task is None:
            return False
        call.cancel_requested.set()
        call.task.cancel()
        return True

    # --- taking and serving a request ------------------------------------------------------------

    def accepts(self, session_id: str, scope: Scope, message: dict[str, Any]) -> _Call | None:
        """The call to serve directly, or None to leave the request to the SDK (which also answers what is wrong)."""
        runner = self._runners.get(session_id)
        if runner is None or not runner.connection.initialize_accepted:
            return None
        method, params = message["method"], message.get("params")
        if method not in METHODS or message.get("jsonrpc") != "2.0" or not _REQUEST_KEYS.issuperset(message):
            return None
        if params is not None and not isinstance(params, dict):
            return None
        meta = params.get("_meta") if params else None
        if isinstance(meta, Mapping) and PROTOCOL_VERSION_META_KEY in meta:
            return None  # a 2026-07-28 envelope on a handshake session: whatever the SDK makes of it
        request = Request(scope)
        headers = request.headers
        has_json, has_sse = check_accept_headers(request)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if not (has_json and has_sse) or content_type != "application/json":
            return None
        token = progress_token_from_params(params)
        return _Call(session_id, runner, request, message["id"], method, params, token)

    async def serve(self, call: _Call, receive: Receive, send: Send) -> None:
        """Answer ``call`` on this HTTP exchange. Its id is already marked in flight; the mark is cleared when the
        call is answered, which may be after this returns (a client that went away mid-call)."""
        priming = call.runner.connection.protocol_version >= PRIMING_SINCE
        answer = _Answer(send, call, self._events, priming=priming)
        context = _CallContext(call, answer, ServerMessageMetadata(request_context=call.request))
        task = call.task = asyncio.ensure_future(self._complete(call, context, answer))
        self.served += 1
        self._calls[call.key] = call
        try:
            done, _ = await asyncio.wait({task}, timeout=self.hold_seconds)
            if done:
                return
            await answer.commit()  # a long call: a stream, with an id to resume from
            left = asyncio.ensure_future(_disconnect(receive))
            try:
                await asyncio.wait({task, left}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                left.cancel()
            if not task.done():
                answer.gone = True  # the call goes on; its answer is stored for the client to resume
        except asyncio.CancelledError:
            task.cancel()  # the server is stopping: so is the call
            raise

    async def _complete(self, call: _Call, context: _CallContext, answer: _Answer) -> None:
        """Run the call and deliver its answer, then release its id (and the session's idle hold)."""
        try:
            with self._hold(call.session_id):
                body = await self._run(call, context)
            await answer.finish(body)
        finally:
            if self._calls.get(call.key) is call:
                del self._calls[call.key]
            self._in_flight.end(call.session_id, str(call.request_id))

    async def _run(self, call: _Call, context: _CallContext) -> bytes:
        """The request's answer as JSON: its result, or the error the SDK's dispatcher would have sent."""
        error: dict[str, Any]
        try:
            result = await call.runner.on_request(context, call.method, call.params)
        except asyncio.CancelledError:
            cancelled = call.cancel_requested.is_set()  # else the session ended or the server is stopping
            error = {"code": REQUEST_CANCELLED, "message": "Request cancelled"} if cancelled else CLOSED
        except Exception as exc:
            data = handler_exception_to_error_data(exc)
            if data is None:
                log.exception("handler for %r raised", call.method)
                error = {"code": 0, "message": str(exc)}  # what the SDK's dispatcher sends (its v1 compat code)
            else:
                error = data.model_dump(by_alias=True, mode="json", exclude_none=True)
        else:
            if not call.cancel_requested.is_set():
                return _encode({"jsonrpc": "2.0", "id": call.request_id, "result": result})
            error = {"code": REQUEST_CANCELLED, "message": "Request cancelled"}
        finally:
            context.closed = True
        return _encode({"jsonrpc": "2.0", "id": call.request_id, "error": error})


async def _disconnect(receive: Receive) -> None:
    """Return once the client has gone away (the request's body was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


class _CallContext:
    """The SDK's per-request channel (a ``DispatchContext``) for a direct call.

    Notifications go on the call's own answer (committing it to a stream); requests to the client are refused.
    """

    def __init__(self, call: _Call, answer: _Answer, metadata: ServerMessageMetadata) -> None:
        self._call = call
        self._answer = answer
        self.transport = TransportContext(kind="jsonrpc", can_send_request=False)
        self.message_metadata = metadata
        self.closed = False

    @property
    def request_id(self) -> str | int:
        return self._call.request_id

    @property
    def can_send_request(self) -> bool:
        return False

    @property
    def cancel_requested(self) -> anyio.Event:
        return self._call.cancel_requested

    async def send_raw_request(
        self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None
    ) -> dict[str, Any]:
        raise NoBackChannelError(method)

    async def notify(self, method: str, params: Mapping[str, Any] | None, opts: CallOptions | None = None) -> None:
        if self.closed:
            return
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        await self._answer.event(_encode(message))

    async def progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        token = self._call.progress_token
        if token is None:
            return
        params: dict[str, Any] = {"progressToken": token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self.notify("notifications/progress", params)


class _Answer:
    """The HTTP answer of one direct call: one JSON body, or (once committed) an SSE stream whose events are stored.

    Its three states: nothing sent yet, a stream started, done. The hold's end, the call's notifications and its
    answer may race for it: each step takes the lock and looks at the state first.
    """

    def __init__(self, send: Send, call: _Call, events: EventBuffers, *, priming: bool) -> None:
        self._send = send
        self._call = call
        self._events = events
        self._priming = priming
        self._stream_id = str(call.request_id)  # the SDK names a request's stream by its id too
        self._streaming = False
        self._done = False
        self.gone = False  # the client went away: store the stream's events, send nothing
        self._lock = asyncio.Lock()

    async def commit(self) -> None:
        """Start the SSE stream (headers and priming event), unless something was sent already."""
        async with self._lock:
            await self._start_stream()

    async def event(self, data: bytes) -> None:
        """Store and send one notification on the stream (starting it if needed); dropped once the call is answered."""
        async with self._lock:
            if not self._done:
                await self._start_stream()
                await self._event(data, answers=None)

    async def finish(self, data: bytes) -> None:
        """Send the answer: the stream's last event (stored, which ends the id's flight), or the whole JSON body."""
        async with self._lock:
            if self._done:
                return
            self._done = True
            call = self._call
            if self._streaming:
                await self._event(data, answers=str(call.request_id))
                await self._write(_body(b"", more=False))
                return
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"mcp-session-id", call.session_id.encode()),
            ]
            await self._write({"type": "http.response.start", "status": 200, "headers": headers})
            await self._write(_body(data, more=False))

    async def _start_stream(self) -> None:
        if self._streaming or self._done:
            return
        self._streaming = True
        headers = [
            (b"content-type", b"text/event-stream"),
            (b"cache-control", b"no-cache, no-transform"),
            (b"x-accel-buffering", b"no"),
            (b"mcp-session-id", self._call.session_id.encode()),
        ]
        await self._write({"type": "http.response.start", "status": 200, "headers": headers})
        if self._priming:
            event_id = self._events.store_json(self._call.session_id, self._stream_id, b"")
            await self._write(_body(b"id: " + event_id.encode() + b"\ndata: \n\n", more=True))

    async def _event(self, data: bytes, *, answers: str | None) -> None:
        event_id = self._events.store_json(self._call.session_id, self._stream_id, data, answers)
        await self._write(_body(b"event: message\nid: " + event_id.encode() + b"\ndata: " + data + b"\n\n", more=True))

    async def _write(self, message: Message) -> None:
        if self.gone:
            return
        with contextlib.suppress(Exception):  # a client that went away: the answer is stored for it to resume
            await self._send(message)


def _body(data: bytes, *, more: bool) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


def _encode(message: dict[str, Any]) -> bytes:
    return pydantic_core.to_json(message)  # the SDK's serialiser: compact, UTF-8, NaN as null


__all__ = ["METHODS", "DirectCalls"]
