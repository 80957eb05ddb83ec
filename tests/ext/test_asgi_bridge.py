"""The tornado-to-ASGI bridge, in-process: a tornado server on a loopback port hands each request to a
small ASGI app, and a raw HTTP/1.1 client reads exactly what goes over the wire. No Jupyter server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from jmcp_ext.asgi_bridge import ASGIApp, ASGIBridge, Message, build_scope

# Bound for every read and wait: each step takes milliseconds; this is only there so a bridge that
# hangs fails the test instead of stalling the suite.
STEP_TIMEOUT = 5.0

Receive = Callable[[], Any]
Send = Callable[[Message], Any]


class BridgeHandler(RequestHandler):
    """Hands every request to one ASGI app through the bridge, as jmcp's /mcp handler does."""

    def initialize(self, asgi_app: ASGIApp, done: asyncio.Event) -> None:
        self.asgi_app = asgi_app
        self.done = done
        self.bridge: ASGIBridge | None = None

    async def get(self) -> None:
        await self._serve()

    async def post(self) -> None:
        await self._serve()

    async def _serve(self) -> None:
        self.bridge = ASGIBridge(self)
        try:
            await self.bridge.run(self.asgi_app, build_scope(self, path=self.request.path))
        finally:
            self.done.set()

    def on_connection_close(self) -> None:
        if self.bridge is not None:
            self.bridge.connection_closed()
        super().on_connection_close()


@dataclass
class Served:
    """A bridge server for one ASGI app: its port, and an event set when the bridge's run returned."""

    port: int
    done: asyncio.Event

    async def finished(self) -> None:
        await asyncio.wait_for(self.done.wait(), STEP_TIMEOUT)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[ASGIApp], Served]]:
    """Start (in this test's event loop) a tornado server that bridges to the given ASGI app."""
    servers: list[HTTPServer] = []

    def start(asgi_app: ASGIApp) -> Served:
        done = asyncio.Event()
        server = HTTPServer(Application([(r"/.*", BridgeHandler, {"asgi_app": asgi_app, "done": done})]))
        sockets = bind_sockets(0, "127.0.0.1")  # the OS picks a free port: no race with other tests
        server.add_sockets(sockets)
        servers.append(server)
        return Served(sockets[0].getsockname()[1], done)

    yield start
    for server in servers:
        server.stop()
        await server.close_all_connections()


class Client:
    """A raw HTTP/1.1 connection: what tornado puts on the wire, byte for byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def request(
        cls, port: int, method: str = "GET", path: str = "/", body: bytes = b"", **headers: str
    ) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        return cls(reader, writer)

    async def head(self) -> tuple[int, dict[str, str]]:
        """The status and headers (names lower-cased)."""
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
        status_line, *lines = raw.decode("latin-1").strip().split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
        return int(status_line.split()[1]), headers

    async def body(self, length: int) -> bytes:
        return await asyncio.wait_for(self.reader.readexactly(length), STEP_TIMEOUT)

    async def chunk(self) -> bytes:
        """The next chunk of a chunked body; b"" for the last one."""
        size = int(await asyncio.wait_for(self.reader.readuntil(b"\r\n"), STEP_TIMEOUT), 16)
        data = await asyncio.wait_for(self.reader.readexactly(size + 2), STEP_TIMEOUT)
        assert data.endswith(b"\r\n"), data
        return data[:-2]

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def start(status: int = 200, *headers: tuple[bytes, bytes]) -> Message:
    return {"type": "http.response.start", "status": status, "headers": list(headers)}


def body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


SSE = (b"content-type", b"text/event-stream")


async def test_status_and_headers_pass_through_and_tornado_frames_the_body(serve: Any) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        seen.update(scope)
        await send(
            start(
                201,
                (b"content-type", b"application/json"),
                (b"x-answer", b"42"),
                (b"mcp-session-id", b"abc"),
                (b"content-length", b"999"),  # wrong on purpose: tornado must count the body itself
                (b"transfer-encoding", b"chunked"),
            )
        )
        await send(body(b'{"ok": true}'))

    served = serve(app)
    client = await Client.request(served.port, "POST", "/mcp?x=1", b"{}", Authorization="Bearer t", X_Custom="v")
    status, headers = await client.head()
    assert status == 201
    assert headers["content-type"] == "application/json"
    assert headers["x-answer"] == "42" and headers["mcp-session-id"] == "abc"
    assert headers["content-length"] == "12" and "transfer-encoding" not in headers
    assert await client.body(12) == b'{"ok": true}'
    await served.finished()
    await client.close()
    # The scope the app saw describes the request.
    assert (seen["method"], seen["path"], seen["query_string"]) == ("POST", "/mcp", b"x=1")
    assert (b"authorization", b"Bearer t") in seen["headers"] and (b"x-custom", b"v") in seen["headers"]
    assert seen["server"] == ("127.0.0.1", served.port) and seen["client"][0] == "127.0.0.1"


async def test_the_body_is_fed_once_then_a_disconnect_is_reported_when_the_client_goes_away(serve: Any) -> None:
    received: list[Message] = []
    later: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        received.append(await receive())
        waiting = asyncio.ensure_future(receive())
        await send(start(200, SSE))
        await send(body(b"data: first\n\n", more=True))
        later.set_result(await waiting)
        await send(body(b"data: nobody is listening\n\n", more=True))  # must be dropped quietly

    served = serve(app)
    client = await Client.request(served.port, "POST", "/", b'{"jsonrpc": "2.0"}')
    await client.head()
    assert await client.chunk() == b"data: first\n\n"
    assert received == [{"type": "http.request", "body": b'{"jsonrpc": "2.0"}', "more_body": False}]
    assert not later.done(), "a second receive() must wait for the client to leave, not feed the body again"
    await client.close()
    assert await asyncio.wait_for(later, STEP_TIMEOUT) == {"type": "http.disconnect"}
    await served.finished()


async def test_an_event_streams_headers_are_sent_at_once_before_any_body(serve: Any) -> None:
    release = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        await receive()
        await send(start(200, SSE, (b"cache-control", b"no-cache")))
        await release.wait()  # a quiet stream: the client must still see that it is open
        await send(body(b"event: message\ndata: {}\n\n"))

    served = serve(app)
    client = await Client.request(served.port)
    status, headers = await client.head()
    assert not release.is_set()
    assert status == 200 and headers["content-type"] == "text/event-stream"
    assert headers["cache-control"] == "no-cache"
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    release.set()
    assert await client.chunk() == b"event: message\ndata: {}\n\n"
    assert await client.chunk() == b""
    await served.finished()
    await client.close()


async def test_chunks_reach_the_client_one_by_one_in_order(serve: Any) -> None:
    read = [asyncio.Event() for _ in range(3)]

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        await send(start(200, (b"content-type", b"text/plain")))
        for i, was_read in enumerate(read):
            await send(body(f"part {i}\n".encode(), more=True))
            # The next part is sent only once the client has this one: a bridge that buffered
            # until the end would leave both sides waiting, and the read below would time out.
            await asyncio.wait_for(was_read.wait(), STEP_TIMEOUT)
        await send(body(b"end\n"))

    served = serve(app)
    client = await Client.request(served.port)
    await client.head()
    for i, was_read in enumerate(read):
        assert await client.chunk() == f"part {i}\n".encode()
        was_read.set()
    assert await client.chunk() == b"end\n"
    assert await client.chunk() == b""
    await served.finished()
    await client.close()


@pytest.mark.parametrize("reads_the_body", [True, False])
async def test_an_app_that_sends_nothing_yields_500(serve: Any, reads_the_body: bool) -> None:
    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if reads_the_body:
            await receive()

    served = serve(app)
    client = await Client.request(served.port, "POST", "/", b"{}")
    status, _ = await client.head()
    assert status == 500
    await served.finished()
    await client.close()


async def test_an_app_that_raises_before_starting_yields_500(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        raise RuntimeError("broken before the answer")

    served = serve(app)
    client = await Client.request(served.port)
    status, _ = await client.head()
    assert status == 500
    await served.finished()
    await client.close()
    assert "broken before the answer" in caplog.text  # logged by tornado, not swallowed


async def test_an_app_that_raises_mid_stream_ends_the_response_instead_of_hanging(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        await send(start(200, SSE))
        await send(body(b"data: one\n\n", more=True))
        raise RuntimeError("broken mid-stream")

    served = serve(app)
    client = await Client.request(served.port)
    status, _ = await client.head()
    assert status == 200
    assert await client.chunk() == b"data: one\n\n"
    # The response ends (last chunk) within the step bound; the client is not left waiting.
    assert await client.chunk() == b""
    await served.finished()
    await client.close()
    assert "broken mid-stream" in caplog.text
