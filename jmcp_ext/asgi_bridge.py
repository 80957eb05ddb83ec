"""Hand one tornado request to an ASGI app and stream its answer back, chunk by chunk."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from tornado.iostream import StreamClosedError
from tornado.web import RequestHandler

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def build_scope(handler: RequestHandler, *, path: str, user: Any = None) -> Scope:
    """The ASGI HTTP scope for the handler's current request."""
    request = handler.request
    host, _, port = request.host.rpartition(":") if ":" in request.host else (request.host, "", "")
    server_port = int(port) if port.isdigit() else (443 if request.protocol == "https" else 80)
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.get_all()]
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": request.version.removeprefix("HTTP/"),
        "method": request.method,
        "scheme": request.protocol,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": (request.query or "").encode("latin-1"),
        "headers": headers,
        "client": (request.remote_ip, 0),
        "server": (host or request.host, server_port),
        "state": {},
    }
    if user is not None:
        scope["user"] = user
    return scope


class ASGIBridge:
    """Runs an ASGI app for a tornado handler.

    The body is fed once (tornado has already buffered it); ``http.disconnect`` is reported when the
    client goes away, so the app can stop work it no longer has anyone to answer.
    """

    def __init__(self, handler: RequestHandler) -> None:
        self._handler = handler
        self._disconnected = asyncio.Event()
        self._body_sent = False
        self._started = False
        self._finished = False

    def connection_closed(self) -> None:
        self._disconnected.set()

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        with contextlib.suppress(StreamClosedError):
            await app(scope, self._receive, self._send)
        if not self._finished and not self._disconnected.is_set():
            if not self._started:
                self._handler.set_status(500)
            self._handler.finish()

    async def _receive(self) -> Message:
        if not self._body_sent:
            self._body_sent = True
            return {"type": "http.request", "body": self._handler.request.body or b"", "more_body": False}
        await self._disconnected.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        handler = self._handler
        if self._disconnected.is_set() or self._finished:
            return
        if message["type"] == "http.response.start":
            self._started = True
            handler.set_status(message["status"])
            handler.clear_header("Content-Type")
            streaming = False
            for raw_name, raw_value in message.get("headers", []):
                name = raw_name.decode("latin-1")
                if name.lower() in ("content-length", "transfer-encoding", "connection"):
                    continue  # tornado frames the body itself (chunked for streams)
                value = raw_value.decode("latin-1")
                streaming = streaming or (name.lower() == "content-type" and value.startswith("text/event-stream"))
                handler.add_header(name, value)
            if streaming:
                # An event stream may stay quiet for minutes: send the headers now so the client
                # knows the stream is open.
                try:
                    await handler.flush()
                except StreamClosedError:
                    self._disconnected.set()
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            try:
                if body:
                    handler.write(body)
                if message.get("more_body", False):
                    await handler.flush()
                else:
                    self._finished = True
                    await handler.finish()
            except StreamClosedError:
                self._disconnected.set()
