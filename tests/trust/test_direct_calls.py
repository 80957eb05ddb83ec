"""Requests served directly (``jmcp_ext.direct_calls``) against the same requests served by the SDK's own
transport, in process on the real SDK: the same answers, and the same cancellation, streaming, resumption and
session life around them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from mcp.server.mcpserver import Context
from pydantic import BaseModel

from jmcp_ext.event_store import EventBuffers
from jmcp_ext.session_manager import SessionManager
from jmcp_ext.tools import new_server
from tests.support import wait_until
from tests.trust.asgi import Client, Exchange


def request(request_id: int | str, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def call(request_id: int | str, name: str, **arguments: Any) -> dict[str, Any]:
    return request(request_id, "tools/call", {"name": name, "arguments": arguments})


@dataclass
class Lab:
    manager: SessionManager
    client: Client
    gate: anyio.Event
    cancelled: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)

    async def answer(self, body: dict[str, Any], **headers: str) -> tuple[Exchange, list[dict[str, Any]]]:
        exchange = await self.client.start("POST", body, **headers)
        with anyio.fail_after(10):
            return exchange, await exchange.messages()


class Answer(BaseModel):
    choice: str


@contextlib.asynccontextmanager
async def lab(*, direct: bool, **options: Any) -> AsyncIterator[Lab]:
    server = new_server(name="t")
    gate = anyio.Event()
    cancelled: list[str] = []

    @server.tool()
    async def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    async def fail(why: str) -> str:
        """Raise an error."""
        raise ValueError(why)

    @server.tool()
    async def wait_for_gate(label: str = "call") -> str:
        """Wait until the test opens the gate."""
        try:
            await gate.wait()
        except BaseException:
            cancelled.append(label)
            raise
        return "the gate opened"

    @server.tool()
    async def progress_then_answer(ctx: Context) -> str:
        """Report progress, then answer."""
        await ctx.report_progress(1, 2, "working on it")
        return "done"

    @server.tool()
    async def ask_the_user(ctx: Context) -> str:
        """Ask the client a question (elicitation)."""
        result = await ctx.elicit("Pick one", Answer)
        return str(result)

    @server.resource("note://greeting")
    def greeting() -> str:
        return "hello"

    @server.prompt()
    def review(path: str) -> str:
        """Review a notebook."""
        return f"Review {path}"

    ended: list[str] = []
    manager = SessionManager(
        server._lowlevel_server, events=EventBuffers(), on_session_end=[ended.append], direct_calls=direct, **options
    )
    async with manager.run(), anyio.create_task_group() as tg:
        client = Client(manager.handle_request, tg)
        await client.initialize()
        yield Lab(manager, client, gate, cancelled, ended)
        gate.set()
        tg.cancel_scope.cancel()


#: Requests whose answers must not depend on who served them.
EXCHANGES = [
    call(1, "add", a=2, b=3),
    call(2, "add", a="two", b=3),  # invalid arguments
    call(3, "fail", why="on purpose"),
    call("four", "no_such_tool"),
    request(5, "tools/list"),
    request(6, "tools/list", {"_meta": {"progressToken": 6}}),
    request(7, "ping"),
    request(8, "prompts/list"),
    request(9, "prompts/get", {"name": "review", "arguments": {"path": "a.ipynb"}}),
    request(10, "prompts/get", {"name": "review"}),  # a missing argument
    request(11, "resources/read", {"uri": "note://greeting"}),
    request(12, "resources/read", {"uri": "note://nothing"}),
    request(13, "resources/templates/list"),
    request(14, "tools/call", {"arguments": {}}),  # no tool name
    request(15, "tools/call", ["not", "an", "object"]),
    request(16, "no/such/method"),
    {"jsonrpc": "2.0", "id": 17, "method": "tools/call", "params": {"name": "add"}, "extra": True},
]


async def answers_of(direct: bool) -> list[tuple[int | None, list[dict[str, Any]]]]:
    async with lab(direct=direct) as it:
        seen = []
        for body in EXCHANGES:
            exchange, messages = await it.answer(body)
            seen.append((exchange.status, messages))
        served = it.manager.direct.served if it.manager.direct is not None else 0
    assert (served >= 10) if direct else served == 0
    return seen


async def test_direct_answers_are_the_sdks_answers() -> None:
    direct, sdk = await answers_of(True), await answers_of(False)
    for body, ours, theirs in zip(EXCHANGES, direct, sdk, strict=True):
        assert ours == theirs, body


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "sdk"])
async def test_a_cancelled_call_stops_and_is_answered_request_cancelled(direct: bool) -> None:
    async with lab(direct=direct) as it:
        waiting = await it.client.start("POST", call(21, "wait_for_gate", label="cancel me"))  # a stream after 1 s
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 21}}
        assert (await it.client.start("POST", cancel)).status == 202
        with anyio.fail_after(10):
            messages = await waiting.messages()
        assert it.cancelled == ["cancel me"]
        assert messages[-1] == {"jsonrpc": "2.0", "id": 21, "error": {"code": -32800, "message": "Request cancelled"}}
        assert it.manager.in_flight.in_flight(it.client.session or "") == frozenset()


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "sdk"])
async def test_a_call_still_running_after_the_hold_streams_with_an_id_to_resume_from(direct: bool) -> None:
    async with lab(direct=direct, hold_seconds=0.2) as it:
        waiting = await it.client.start("POST", call(31, "wait_for_gate"))
        assert waiting.headers["content-type"].startswith("text/event-stream")
        with anyio.fail_after(10):
            priming = await anext(aiter(waiting.events()))
        assert priming["id"] and priming.get("data", "") == ""
        waiting.disconnect()
        with anyio.fail_after(10):
            await waiting.finished.wait()  # the exchange ends with its client; the call goes on
        assert it.cancelled == []
        it.gate.set()
        resumed = await it.client.start("GET", **{"accept": "text/event-stream", "last-event-id": priming["id"]})
        with anyio.fail_after(10):
            messages = await resumed.messages()
        assert messages == [{"jsonrpc": "2.0", "id": 31, "result": _text("the gate opened")}]


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "sdk"])
async def test_a_notification_before_the_answer_makes_a_stream_carrying_both(direct: bool) -> None:
    async with lab(direct=direct) as it:
        body = call(41, "progress_then_answer")
        body["params"]["_meta"] = {"progressToken": "p41"}
        exchange, messages = await it.answer(body)
        assert exchange.headers["content-type"].startswith("text/event-stream")
        assert messages[0] == {
            "jsonrpc": "2.0",
            "method": "notifications/progress",
            "params": {"progressToken": "p41", "progress": 1.0, "total": 2.0, "message": "working on it"},
        }
        assert messages[1] == {"jsonrpc": "2.0", "id": 41, "result": _text("done")}


async def test_a_direct_call_cannot_ask_the_client_and_says_so_instead_of_hanging() -> None:
    async with lab(direct=True) as it:
        _, messages = await it.answer(call(51, "ask_the_user"))
        (error,) = messages
        assert error["id"] == 51 and "Cannot send 'elicitation/create'" in error["error"]["message"]


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "sdk"])
async def test_ending_the_session_ends_its_calls(direct: bool) -> None:
    async with lab(direct=direct, hold_seconds=0.2) as it:
        session = it.client.session
        waiting = await it.client.start("POST", call(61, "wait_for_gate", label="orphan"))
        assert (await it.client.start("DELETE")).status == 200
        await wait_until(lambda: it.cancelled == ["orphan"])
        with anyio.fail_after(10):
            await waiting.finished.wait()
        assert session in it.ended
        assert it.manager.direct is None or it.manager.direct.calls_in_flight == 0


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "sdk"])
async def test_a_session_does_not_idle_out_while_a_call_runs(direct: bool) -> None:
    async with lab(direct=direct, session_idle_timeout=0.3) as it:
        waiting = await it.client.start("POST", call(71, "wait_for_gate"))
        await anyio.sleep(1.0)  # three idle timeouts
        assert it.ended == []
        it.gate.set()
        with anyio.fail_after(10):
            assert (await waiting.messages())[-1]["result"] == _text("the gate opened")
        await wait_until(lambda: it.ended == [it.client.session])  # idle again: now it ends


async def test_requests_the_direct_lane_does_not_take_still_get_the_sdks_answers() -> None:
    async with lab(direct=True) as it:
        refused, _ = await it.answer(call(81, "add", a=1, b=2), accept="text/event-stream")
        assert refused.status == 406  # the SDK's answer to a client that cannot take JSON
        subscribe = request(82, "resources/subscribe", {"uri": "note://greeting"})
        _, messages = await it.answer(subscribe)
        assert messages[-1]["id"] == 82
        modern = call(83, "add", a=1, b=2)
        modern["params"]["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}
        _, messages = await it.answer(modern)
        assert messages[-1]["result"]["content"] == [{"type": "text", "text": "3"}]  # served by the SDK
        assert it.manager.direct is not None and it.manager.direct.served == 0


def _text(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "isError": False, "structuredContent": {"result": text}}
