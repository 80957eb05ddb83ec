"""Answer a POST whose event stream would carry nothing but its response with one plain JSON body.

The SDK answers every request of the 2025 protocol era with an SSE stream, so that progress, log
notifications and server-to-client requests can travel with it. Most calls send none of those, and for
them the stream costs a kept-back connection (clients close it after the response event, so the next call
opens a new one), several writes and SSE parsing on both sides. This ASGI middleware holds back a POST's
``text/event-stream`` answer until its first event: when that is the response to the request, the client
gets ``application/json`` with that one message (Streamable HTTP lets a server answer either way; clients
accept both). Anything else first (a progress or log notification, a request to the client) commits the
stream as it is, headers and held events first, so progress still arrives live. The 2026-07-28 era makes
the same choice inside the SDK (``_streamable_http_modern``), as does the SDK's own ``json_response``
option, for all requests, without the fallback.

The answer is held for at most ``HOLD_SECONDS``: a call still running then gets its stream, with the
resumability priming event (an SSE ``id`` with empty data, sent when an event store is configured), so a
client whose connection drops during a long call can reconnect with ``Last-Event-ID`` and still get the
result. Quick calls (most of them, an ``execute_code`` of ``1+1`` included) are answered within the hold
and go out as JSON, the priming event dropped: a client that got its whole answer has nothing to resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

from .sessions import ASGIApp, Message, Receive, Scope, Send

#: The start of a JSON-RPC response as the SDK serialises it (pydantic keeps the model's field order:
#: jsonrpc, id, then result or error). A message that does not match (a notification, a request, another
#: serialiser's order) is treated as "not the response", which commits the stream: slower, never wrong.
_RESPONSE = re.compile(rb'\{"jsonrpc":"2\.0","id":(?:"(?:[^"\\]|\\.)*"|-?\d+),"(?:result|error)"')
_SSE = b"text/event-stream"
#: Headers of the held SSE answer that a JSON answer does not carry.
_STREAM_ONLY = {b"content-type", b"content-length", b"cache-control", b"connection", b"x-accel-buffering"}
#: How long an SSE answer is held back waiting to see whether it is a lone response. Past it the stream is
#: committed, so that a long call's client has an event id to resume from if its connection drops.
HOLD_SECONDS = 1.0


def json_answers(app: ASGIApp, *, hold_seconds: float = HOLD_SECONDS) -> ASGIApp:
    """``app`` with POST answers that would be a one-event SSE stream sent as one JSON body instead."""

    async def answered(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await app(scope, receive, send)
            return
        deferral = _Deferral(send, hold_seconds)
        try:
            await app(scope, receive, deferral.send)
        finally:
            deferral.close()

    return answered


class _Deferral:
    """The ``send`` of one POST: passes messages on, holding back an SSE answer until it is clear what it is."""

    __slots__ = ("_held", "_hold_seconds", "_lock", "_response", "_send", "_start", "_timer")

    def __init__(self, send: Send, hold_seconds: float = HOLD_SECONDS) -> None:
        self._send = send
        self._hold_seconds = hold_seconds
        self._start: Message | None = None  # the held http.response.start of an SSE answer
        self._held: list[Message] = []  # priming events held with it
        self._response: tuple[bytes, Message] | None = None  # the response (data, event) if it came first
        self._lock = asyncio.Lock()  # the app's sends and the hold's end must not interleave
        self._timer: asyncio.Task[None] | None = None

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    async def send(self, message: Message) -> None:
        async with self._lock:
            await self._pass(message)

    async def _end_hold(self) -> None:
        """Commit a stream still held after ``HOLD_SECONDS`` (a long call), unless its response is in hand."""
        await asyncio.sleep(self._hold_seconds)
        async with self._lock:
            if self._start is not None and self._response is None:
                with contextlib.suppress(Exception):  # the client may be gone: the app's next send says so
                    await self._commit()

    async def _pass(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if _is_event_stream(message):
                self._start = message
                self._timer = asyncio.get_running_loop().create_task(self._end_hold())
                return
        elif kind == "http.response.body" and self._start is not None:
            if message.get("more_body", False):
                event = message.get("body", b"")
                if self._response is None:
                    data = _event_data(event)
                    if data == b"":
                        self._held.append(message)  # a priming event: an id to resume from
                        return
                    if data is not None and _RESPONSE.match(data):
                        self._response = (data, message)
                        return
            elif self._response is not None:
                await self._answer_json()
                return
            await self._commit()
        await self._send(message)

    async def _answer_json(self) -> None:
        start, response = self._start, self._response
        assert start is not None and response is not None
        self._start, body = None, response[0]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in _STREAM_ONLY]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await self._send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    async def _commit(self) -> None:
        """Send the held SSE start and events: the answer is a stream after all."""
        start, held = self._start, self._held
        assert start is not None
        self._start, self._held = None, []
        await self._send(start)
        for message in held:
            await self._send(message)
        if self._response is not None:
            await self._send(self._response[1])
            self._response = None


def _is_event_stream(message: Message) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(_SSE) for k, v in message.get("headers", []))


def _event_data(chunk: bytes) -> bytes | None:
    """The data of a chunk that is exactly one SSE event: its ``data:`` lines joined, b"" if it has none.

    None for anything else (a comment such as the keep-alive ping, several events in one chunk), which the
    caller takes as "not a lone response" and so commits the stream.
    """
    lines = chunk.split(b"\n")
    # One event: its field lines, then the blank line that ends it (so the chunk ends in two line breaks).
    if len(lines) < 3 or lines[-1] != b"" or lines[-2] not in (b"", b"\r"):
        return None
    fields = [line[:-1] if line.endswith(b"\r") else line for line in lines[:-2]]
    if any(not field or field.startswith(b":") for field in fields):
        return None  # another event inside, or a comment
    return b"\n".join(_field(field) for field in fields if field.startswith(b"data:"))


def _field(line: bytes) -> bytes:
    """A ``data:`` line's value (one space after the colon is part of the syntax)."""
    return line[6:] if line.startswith(b"data: ") else line[5:]
