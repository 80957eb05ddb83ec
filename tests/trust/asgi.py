"""Talk HTTP to an ASGI app in the test process, with streamed answers and client disconnects."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class Exchange:
    """One request to the app, and its answer as it streams."""

    def __init__(self, app: ASGIApp, method: str, headers: dict[str, str], body: bytes = b"") -> None:
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": "/mcp",
            "raw_path": b"/mcp",
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        self.app = app
        self.body = body
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.started = anyio.Event()
        self.finished = anyio.Event()
        self._disconnected = anyio.Event()
        self._body_sent = False
        self._buffer = ""
        self._arrived = anyio.Event()

    async def run(self) -> None:
        try:
            await self.app(self.scope, self._receive, self._send)
        finally:
            self.started.set()
            self.finished.set()
            self._arrived.set()

    def disconnect(self) -> None:
        """The client goes away (a dropped connection)."""
        self._disconnected.set()

    async def _receive(self) -> dict[str, Any]:
        if not self._body_sent:
            self._body_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self._disconnected.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if self._disconnected.is_set():
            raise OSError("client disconnected")
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
            self.started.set()
        elif message["type"] == "http.response.body":
            self._buffer += message.get("body", b"").decode()
            self._arrived.set()
            if not message.get("more_body", False):
                self.finished.set()

    async def events(self) -> AsyncIterator[dict[str, str]]:
        """The SSE events of the answer, as they arrive (``id`` and ``data`` fields)."""
        while True:
            self._buffer = self._buffer.replace("\r\n", "\n")
            while "\n\n" in self._buffer:
                raw, self._buffer = self._buffer.split("\n\n", 1)
                fields: dict[str, str] = {}
                for line in raw.split("\n"):
                    name, _, value = line.partition(":")
                    if name:
                        fields[name] = value.removeprefix(" ")
                if "data" in fields or "id" in fields:
                    yield fields
            if self.finished.is_set():
                return
            self._arrived = anyio.Event()
            await self._arrived.wait()

    async def text(self) -> str:
        await self.finished.wait()
        return self._buffer

    async def messages(self) -> list[dict[str, Any]]:
        """Every JSON-RPC message in the answer (SSE or plain JSON)."""
        if self.headers.get("content-type", "").startswith("text/event-stream"):
            return [json.loads(e["data"]) async for e in self.events() if e.get("data")]
        text = await self.text()
        return [json.loads(text)] if text else []


class Client:
    """Requests to one ASGI app, each run in the caller's task group."""

    def __init__(self, app: ASGIApp, tg: TaskGroup) -> None:
        self.app = app
        self.tg = tg
        self.session: str | None = None

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        if self.session:
            headers |= {"mcp-session-id": self.session, "mcp-protocol-version": "2025-11-25"}
        return headers | extra

    async def start(self, method: str, body: Any = None, **extra: str) -> Exchange:
        raw = json.dumps(body).encode() if body is not None else b""
        exchange = Exchange(self.app, method, self.headers(**extra), raw)
        self.tg.start_soon(exchange.run)
        with anyio.fail_after(10):
            await exchange.started.wait()
        return exchange

    async def initialize(self) -> None:
        init = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        }
        exchange = await self.start("POST", init)
        with anyio.fail_after(10):
            assert (await exchange.messages())[0]["result"]
        self.session = exchange.headers["mcp-session-id"]
        note = await self.start("POST", {"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert note.status == 202
