"""Recent SSE events of every MCP session, bounded in bytes, count and age, so a dropped stream can resume."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from mcp.server.streamable_http import GET_STREAM_KEY, EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp_types import JSONRPCError, JSONRPCMessage, JSONRPCResponse, jsonrpc_message_adapter

from .options import EventLimits

#: Bytes counted for every event on top of its JSON (about what its Python objects take), so that many
#: tiny events are bounded too.
EVENT_OVERHEAD_BYTES = 512

__all__ = ["EVENT_OVERHEAD_BYTES", "EventBuffers", "EventLimits", "SessionEventStore"]


@dataclass(slots=True)
class _Event:
    seq: int
    session: str
    stream: str
    body: bytes  # the message's JSON; empty for a priming event (a cursor with no payload)
    answer: bool  # the response or error that ends a request's stream
    stored_at: float

    @property
    def size(self) -> int:
        return len(self.body) + EVENT_OVERHEAD_BYTES

    def message(self) -> JSONRPCMessage:
        return jsonrpc_message_adapter.validate_json(self.body, by_name=False)


class EventBuffers:
    """Every session's recent events under one memory budget; the oldest go first.

    The SDK hands one ``EventStore`` to every session's transport and names streams by request id
    (``"1"``, ``"_GET_stream"``), which repeat across sessions; so each session gets its own view
    (``for_session``), and a replay never leaves the session it was asked in.
    Within a session the kept events are always a suffix of what was stored: when an event is kept,
    everything stored after it in that session is kept too. The event just stored is always kept, so
    memory stays under ``max_total_bytes`` plus one event.
    """

    def __init__(
        self,
        limits: EventLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_response: Callable[[str, str], None] | None = None,
    ) -> None:
        self.limits = limits or EventLimits()
        self._clock = clock
        # Told (session id, request id) whenever the answer to a request is stored: the request is done,
        # whether or not its client is still connected.
        self.on_response = on_response
        self._seq = 0
        self._events: OrderedDict[int, _Event] = OrderedDict()  # all sessions, oldest first
        self._sessions: dict[str, OrderedDict[int, _Event]] = {}
        self._session_bytes: dict[str, int] = {}
        self._dropped_up_to: dict[str, int] = {}  # per session: highest seq dropped for the limits
        self._waiters: dict[str, anyio.Event] = {}  # per session: replays waiting for its next event
        self.total_bytes = 0

    def for_session(self, session_id: str) -> SessionEventStore:
        """The event store to give one session's transport (registers the session)."""
        self._sessions.setdefault(session_id, OrderedDict())
        self._session_bytes.setdefault(session_id, 0)
        return SessionEventStore(self, session_id)

    def release(self, session_id: str) -> None:
        """Forget everything of a session that ended (safe to call twice)."""
        events = self._sessions.pop(session_id, None)
        if events is not None:
            for seq in events:
                self.total_bytes -= self._events.pop(seq).size
        self._session_bytes.pop(session_id, None)
        self._dropped_up_to.pop(session_id, None)
        self._wake(session_id)

    @property
    def event_count(self) -> int:
        return len(self._events)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def resume_refusal(self, session_id: str, last_event_id: str) -> str | None:
        """Why a GET with this ``Last-Event-ID`` must be refused (a 4xx), or None to let the SDK serve it.

        None when the event is kept, and when the session is unknown here (the SDK then answers 404,
        which tells the client to start a new session). The SDK itself answers an unknown id with an
        empty 200 stream that clients reconnect to forever, so the handler asks this first.
        """
        events = self._sessions.get(session_id)
        if events is None:
            return None
        self._drop_expired()
        seq = _parse_event_id(last_event_id)
        if seq is not None and seq in events:
            return None
        limits = self.limits
        if seq is not None and seq <= self._dropped_up_to.get(session_id, 0):
            return (
                f"Last-Event-ID {last_event_id!r} has expired: this server keeps a session's events for "
                f"{limits.max_age_seconds:g} s and up to {limits.max_session_bytes} bytes. The messages after it "
                "cannot be replayed; send the request again, or open the stream without Last-Event-ID."
            )
        return (
            f"Last-Event-ID {last_event_id!r} is not an event of this session. Send the id of the last event "
            "received on this session's stream, or open the stream without Last-Event-ID."
        )

    # The two halves of the SDK's EventStore, for one session (called through SessionEventStore).

    def store(self, session_id: str, stream_id: str, message: JSONRPCMessage | None) -> str:
        # Kept as JSON, not as the message object: the bytes limit then measures what is held, and
        # the SDK's copy of a large result is freed once sent. Replays are rare; they parse it back.
        body = message.model_dump_json(by_alias=True, exclude_unset=True).encode() if message is not None else b""
        answered = isinstance(message, JSONRPCResponse | JSONRPCError) and message.id is not None
        return self.store_json(session_id, stream_id, body, str(message.id) if answered else None)  # type: ignore[union-attr]

    def store_json(self, session_id: str, stream_id: str, body: bytes, answers: str | None = None) -> str:
        """Store one event given as its message's JSON (b"" for a priming event); ``answers`` is the id of the
        request it answers, if it is a response or an error. Returns the event's id."""
        self._seq += 1
        events = self._sessions.get(session_id)
        if events is None:
            return str(self._seq)  # the session has ended: nothing will resume it
        event = _Event(self._seq, session_id, stream_id, body, answers is not None, self._clock())
        events[event.seq] = event
        self._events[event.seq] = event
        self._session_bytes[session_id] += event.size
        self.total_bytes += event.size
        self._enforce_limits(session_id, keep=event.seq)
        self._wake(session_id)
        if answers is not None and self.on_response is not None:
            self.on_response(session_id, answers)
        return str(event.seq)

    async def replay(self, session_id: str, last_event_id: str, send: EventCallback) -> str | None:
        """Send the events of the stream after ``last_event_id``, following a request's stream until it is
        answered; returns None when nothing more belongs on the connection, else the stream to tail.

        The SDK's own live tail is registered only after this returns and after one more await, so an
        answer produced in between would never reach the client (whose stream then stays open on
        keepalives for ever). A request's stream is therefore followed here, from the buffers, until its
        answer is sent. Only the standalone GET stream, which never ends, is handed back to the SDK.
        """
        seq = _parse_event_id(last_event_id)
        events = self._sessions.get(session_id)
        if seq is None or events is None or seq not in events:
            return None
        if events[seq].answer:
            return None  # the client already has the answer: nothing follows on that stream
        stream = events[seq].stream
        cursor = seq
        while session_id in self._sessions:
            # Events stored while a send is awaited are picked up by the next pass.
            pending = [e for e in self._after(session_id, cursor) if e.stream == stream]
            for event in pending:
                cursor = event.seq
                if not event.body:
                    continue  # priming events carry nothing to replay
                await send(EventMessage(event.message(), str(event.seq)))
                if event.answer:
                    return None  # the request was answered: its stream has nothing more to carry
            if pending:
                continue
            if stream == GET_STREAM_KEY:
                return stream
            waiter = self._waiters.get(session_id)
            if waiter is None:
                waiter = self._waiters[session_id] = anyio.Event()
            await waiter.wait()
        return None  # the session ended

    def _after(self, session_id: str, cursor: int) -> list[_Event]:
        events = self._sessions.get(session_id)
        if not events or next(reversed(events)) <= cursor:
            return []
        return [event for seq, event in events.items() if seq > cursor]

    def _wake(self, session_id: str) -> None:
        waiter = self._waiters.pop(session_id, None)
        if waiter is not None:
            waiter.set()

    def _enforce_limits(self, session_id: str, *, keep: int) -> None:
        limits = self.limits
        events = self._sessions[session_id]
        while len(events) > 1 and (
            len(events) > limits.max_session_events or self._session_bytes[session_id] > limits.max_session_bytes
        ):
            self._drop(events[next(iter(events))])
        while self.total_bytes > limits.max_total_bytes and len(self._events) > 1:
            oldest = self._events[next(iter(self._events))]
            if oldest.seq == keep:
                break
            self._drop(oldest)
        self._drop_expired(keep=keep)

    def _drop_expired(self, keep: int | None = None) -> None:
        deadline = self._clock() - self.limits.max_age_seconds
        while self._events:
            oldest = self._events[next(iter(self._events))]
            if oldest.stored_at >= deadline or oldest.seq == keep:
                return
            self._drop(oldest)

    def _drop(self, event: _Event) -> None:
        del self._events[event.seq]
        del self._sessions[event.session][event.seq]
        self._session_bytes[event.session] -= event.size
        self.total_bytes -= event.size
        self._dropped_up_to[event.session] = max(self._dropped_up_to.get(event.session, 0), event.seq)


class SessionEventStore(EventStore):
    """One session's view of the shared ``EventBuffers``: the ``EventStore`` its transport uses."""

    def __init__(self, buffers: EventBuffers, session_id: str) -> None:
        self.buffers = buffers
        self.session_id = session_id

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        # Never awaits: the SDK stores an answer and then hands it to the request's stream, and nothing
        # else may run in between (a reused request id would otherwise catch the old answer).
        return self.buffers.store(self.session_id, stream_id, message)

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        return await self.buffers.replay(self.session_id, last_event_id, send_callback)


def _parse_event_id(event_id: str) -> int | None:
    text = event_id.strip()
    return int(text) if text.isdigit() and len(text) < 20 else None
