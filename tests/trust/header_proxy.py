"""A loopback reverse proxy that adds headers (the MCP conformance suite cannot send a token), streaming
answers chunk by chunk so SSE passes through live."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

#: Hop-by-hop headers, and the framing the proxy redoes itself.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade"}


class _Forward(RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")

    def initialize(self, upstream: str, extra: dict[str, str], client: httpx2.AsyncClient) -> None:
        self.upstream = upstream
        self.extra = extra
        self.client = client
        self._task: asyncio.Task[None] | None = None

    async def _forward(self) -> None:
        # The Host header is passed on as the client sent it: the server's Host and Origin checks
        # (DNS rebinding) must see what the client sent, not the proxy's own address.
        headers = [(k, v) for k, v in self.request.headers.get_all() if k.lower() not in HOP_BY_HOP]
        present = {k.lower() for k, _ in headers}
        headers += [(k, v) for k, v in self.extra.items() if k.lower() not in present]
        url = self.upstream + self.request.uri
        request = self.client.build_request(self.request.method, url, headers=headers, content=self.request.body)
        response = await self.client.send(request, stream=True)
        try:
            self.set_status(response.status_code, response.reason_phrase or None)
            self.clear_header("Content-Type")
            for name, value in response.headers.multi_items():
                if name.lower() not in HOP_BY_HOP:
                    self.add_header(name, value)
            if self.request.method != "HEAD":
                await self.flush()  # an event stream may stay quiet: let the client see it is open
                async for chunk in response.aiter_raw():
                    self.write(chunk)
                    await self.flush()
            self.finish()
        finally:
            await response.aclose()

    async def _run(self) -> None:
        self._task = asyncio.current_task()
        with contextlib.suppress(StreamClosedError, asyncio.CancelledError):
            await self._forward()

    def on_connection_close(self) -> None:
        if self._task is not None:
            self._task.cancel()  # the client went away: close the upstream stream too

    def compute_etag(self) -> None:
        return None

    get = post = delete = put = patch = head = options = _run  # type: ignore[assignment]


@contextlib.contextmanager
def header_proxy(upstream: str, headers: dict[str, str]) -> Iterator[str]:
    """Run the proxy on a free loopback port in a thread; yields its base URL (``http://127.0.0.1:PORT``)."""
    upstream = upstream.rstrip("/")
    sockets = bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    def serve() -> None:
        asyncio.set_event_loop(loop)

        async def start() -> None:
            client = httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=None))
            app = Application([(r".*", _Forward, {"upstream": upstream, "extra": headers, "client": client})])
            server = HTTPServer(app)
            server.add_sockets(sockets)
            state.update(server=server, client=client)
            ready.set()

        loop.run_until_complete(start())
        loop.run_forever()

        async def stop() -> None:
            state["server"].stop()
            await state["client"].aclose()

        loop.run_until_complete(stop())
        loop.close()

    thread = threading.Thread(target=serve, name="header-proxy", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the header proxy did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
