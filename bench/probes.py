"""A server extension for ``python -m bench.profile`` only: wall-clock marks along each ``POST /mcp``.

Loaded with ``--ServerApp.jpserver_extensions={'bench.probes': True, ...}``; it wraps a few jmcp functions and
appends one JSON line per answered POST to ``$JMCP_PROBES`` (never loaded outside the profiler).
"""

from __future__ import annotations

import functools
import json
import os
import time
from typing import Any

_marks: dict[str, float] = {}  # plus "msg_id": the kernel message the call sent
_turns = [0]  # event-loop iterations since the current POST arrived


def _mark(name: str) -> None:
    _marks.setdefault(name, time.time())


def _flush() -> None:
    _marks["turns"] = _turns[0]
    with open(os.environ["JMCP_PROBES"], "a", encoding="utf-8") as out:
        out.write(json.dumps(_marks) + "\n")
    _marks.clear()


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jmcp_ext import asgi_bridge, direct_calls, handlers, sessions
    from jmcp_ext.kernels import manager
    from jmcp_ext.notebooks import store
    from jmcp_ext.tools import registry

    initialize, prepare = handlers.MCPHandler.initialize, handlers.MCPHandler.prepare

    def initialize_(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.request.method == "POST":
            _marks.clear()
            _turns[0] = 0
            _marks["request"] = self.request._start_time  # tornado parsed the request line and headers
            _mark("handler")
        initialize(self, *args, **kwargs)

    async def prepare_(self: Any) -> None:
        await prepare(self)
        if self.request.method == "POST":
            _mark("authenticated")

    tracking = sessions.Sessions.tracking

    def tracking_(self: Any, app: Any) -> Any:
        tracked = tracking(self, app)

        async def probed(scope: Any, receive: Any, send: Any) -> None:
            if scope.get("method") == "POST":
                _mark("sdk")
            await tracked(scope, receive, send)

        return probed

    run = direct_calls.DirectCalls._run

    async def run_(self: Any, call: Any, context: Any) -> Any:
        _mark("pipeline")
        return await run(self, call, context)

    per_call = registry.per_call

    def per_call_(spec: Any) -> Any:
        wrapper = per_call(spec)

        @functools.wraps(wrapper)  # the SDK reads the tool's signature through it
        async def probed(*args: Any, **kwargs: Any) -> Any:
            _mark("wrapper")
            return await wrapper(*args, **kwargs)

        return probed

    exists = store.NotebookStore.exists

    async def exists_(self: Any, path: str) -> bool:
        _mark("tool")
        return await exists(self, path)

    run_code = manager.run_code

    async def run_code_(client: Any, *args: Any, **kwargs: Any) -> Any:
        execute = client.execute

        def sent(*a: Any, **k: Any) -> str:
            msg_id = str(execute(*a, **k))
            _mark("sent")
            _marks["msg_id"] = msg_id  # type: ignore[assignment]  # joins these marks with the kernel's times
            return msg_id

        client.execute = sent
        try:
            return await run_code(client, *args, **kwargs)
        finally:
            client.execute = execute
            _mark("executed")

    send = asgi_bridge.ASGIBridge._send

    async def send_(self: Any, message: Any) -> None:
        if message["type"] == "http.response.start":
            _mark("answer")
        final = message["type"] == "http.response.body" and not message.get("more_body")
        if final:
            _mark("written")  # tornado writes it to the socket before this send returns
        await send(self, message)
        if final and "sent" in _marks:
            _flush()

    import asyncio.base_events

    run_once = asyncio.base_events.BaseEventLoop._run_once  # type: ignore[attr-defined]  # private: one call per loop turn

    def run_once_(self: Any) -> None:
        _turns[0] += 1
        run_once(self)

    asyncio.base_events.BaseEventLoop._run_once = run_once_  # type: ignore[attr-defined]
    handlers.MCPHandler.initialize = initialize_  # type: ignore[method-assign]
    handlers.MCPHandler.prepare = prepare_  # type: ignore[method-assign]
    sessions.Sessions.tracking = tracking_  # type: ignore[method-assign]
    store.NotebookStore.exists = exists_  # type: ignore[method-assign]
    direct_calls.DirectCalls._run = run_  # type: ignore[method-assign]
    registry.per_call = per_call_
    manager.run_code = run_code_
    asgi_bridge.ASGIBridge._send = send_  # type: ignore[method-assign]
