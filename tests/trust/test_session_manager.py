"""Resumption through the SDK's real transport (in process, no network): ids on events, a dropped stream
resumed with Last-Event-ID, sessions kept apart, buffers released when a session ends.

Every test runs twice: with requests served directly (``direct_calls``, what jmcp serves) and through the SDK's
own per-request streams (what the other requests take); a client must not be able to tell them apart."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
import pytest
from mcp.server.mcpserver import Context

from jmcp_ext.event_store import EventBuffers
from jmcp_ext.session_manager import SessionManager
from jmcp_ext.tools import new_server
from tests.support import wait_until
from tests.trust.asgi import Client

pytestmark = pytest.mark.parametrize("direct", [True, False], ids=["direct", "sdk"])


def call(request_id: int, name: str, **arguments: object) -> dict[str, object]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments, "_meta": {"progressToken": request_id}},
    }


@dataclass
class Harness:
    manager: SessionManager
    buffers: EventBuffers
    gate: anyio.Event
    answered: list[tuple[str, str]] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)

    async def wait_answered(self, session: str | None, request_id: str) -> None:
        await wait_until(lambda: (session, request_id) in self.answered)


@contextlib.asynccontextmanager
async def harness(**manager_options: object) -> AsyncIterator[tuple[Harness, Client]]:
    server = new_server(name="t")
    gate = anyio.Event()

    @server.tool()
    async def wait_for_gate(ctx: Context) -> str:
        """Report progress, then wait until the test opens the gate."""
        await ctx.report_progress(1, 2, "waiting")
        await gate.wait()
        return "the gate opened"

    @server.tool()
    async def echo(ctx: Context, text: str) -> str:
        """Report progress, then say it back."""
        await ctx.report_progress(1, 1, "echoing")
        return text

    answered: list[tuple[str, str]] = []
    buffers = EventBuffers(on_response=lambda s, r: answered.append((s, r)))
    ended: list[str] = []
    manager = SessionManager(server._lowlevel_server, events=buffers, on_session_end=[ended.append], **manager_options)
    h = Harness(manager, buffers, gate, answered, ended)
    async with manager.run(), anyio.create_task_group() as tg:
        yield h, Client(manager.handle_request, tg)
        tg.cancel_scope.cancel()


async def test_the_direct_variant_serves_calls_itself(direct: bool) -> None:
    async with harness(direct_calls=direct) as (h, client):
        await client.initialize()
        answer = await client.start("POST", call(1, "echo", text="hi"))
        with anyio.fail_after(10):
            assert "hi" in str(await answer.messages())
        assert (h.manager.direct.served == 1) if direct else h.manager.direct is None  # type: ignore[union-attr]


async def test_a_stream_dropped_mid_call_resumes_with_last_event_id_and_gets_the_answer(direct: bool) -> None:
    async with harness(direct_calls=direct) as (h, client):
        await client.initialize()
        post = await client.start("POST", call(7, "wait_for_gate"))
        seen = []
        with anyio.fail_after(10):
            async for event in post.events():
                seen.append(event)
                if "progress" in event.get("data", ""):
                    break
        assert all(event.get("id") for event in seen), "every event carries an id"
        post.disconnect()  # the laptop sleeps
        with anyio.fail_after(10):
            await post.finished.wait()

        h.gate.set()  # the call finishes while nobody listens
        await h.wait_answered(client.session, "7")
        resumed = await client.start("GET", **{"accept": "text/event-stream", "last-event-id": seen[-1]["id"]})
        assert resumed.status == 200
        with anyio.fail_after(10):
            messages = await resumed.messages()  # the stream ends after the answer
        assert [m.get("id") for m in messages] == [7]
        assert "the gate opened" in str(messages[0]["result"])


async def test_a_client_that_reconnects_before_the_answer_gets_it_live(direct: bool) -> None:
    async with harness(direct_calls=direct) as (h, client):
        await client.initialize()
        post = await client.start("POST", call(3, "wait_for_gate"))
        with anyio.fail_after(10):
            first = await anext(aiter(post.events()))
        post.disconnect()
        with anyio.fail_after(10):
            await post.finished.wait()
        resumed = await client.start("GET", **{"accept": "text/event-stream", "last-event-id": first["id"]})
        h.gate.set()
        with anyio.fail_after(10):
            async for event in resumed.events():
                if '"result"' in event.get("data", ""):
                    assert '"id":3' in event["data"] and "the gate opened" in event["data"]
                    break
        resumed.disconnect()


async def test_sessions_with_the_same_request_ids_replay_only_their_own_events(direct: bool) -> None:
    async with harness(direct_calls=direct) as (h, a):
        b = Client(a.app, a.tg)
        await a.initialize()
        await b.initialize()
        a_post = await a.start("POST", call(5, "echo", text="for a"))
        b_post = await b.start("POST", call(5, "echo", text="for b"))
        with anyio.fail_after(10):
            a_events = [e async for e in a_post.events()]
            b_events = [e async for e in b_post.events()]
        a_priming, b_priming = a_events[0]["id"], b_events[0]["id"]

        replay = await a.start("GET", **{"accept": "text/event-stream", "last-event-id": a_priming})
        with anyio.fail_after(10):
            text = str(await replay.messages())
        assert "for a" in text and "for b" not in text
        assert h.buffers.resume_refusal(a.session or "", b_priming) is not None
        assert h.buffers.resume_refusal(a.session or "", a_priming) is None


async def test_an_unknown_or_expired_last_event_id_gets_a_400_that_says_what_to_do(direct: bool) -> None:
    # The SDK alone answers an empty 200 stream, which clients reconnect to again and again.
    async with harness(direct_calls=direct) as (_, client):
        await client.initialize()
        get = await client.start("GET", **{"accept": "text/event-stream", "last-event-id": "123456"})
        assert get.status == 400
        error = (await get.messages())[0]["error"]
        assert error["code"] == -32600
        assert "'123456' is not an event of this session" in error["message"]
        assert "without Last-Event-ID" in error["message"]


async def test_a_last_event_id_for_an_unknown_session_is_left_to_the_sdk_404(direct: bool) -> None:
    async with harness(direct_calls=direct) as (_, client):
        await client.initialize()
        client.session = "f" * 32
        get = await client.start("GET", **{"accept": "text/event-stream", "last-event-id": "1"})
        assert get.status == 404  # tells the client to start a new session


async def test_every_way_a_session_ends_releases_its_events(direct: bool) -> None:
    async with harness(direct_calls=direct, session_idle_timeout=0.3) as (h, client):
        await client.initialize()
        deleted = client.session
        assert h.buffers.session_count == 1 and h.buffers.event_count > 0
        done = await client.start("DELETE")
        assert done.status == 200
        assert deleted in h.ended

        idle = Client(client.app, client.tg)
        await idle.initialize()
        await wait_until(lambda: idle.session in h.ended)  # the idle timeout ends it
        assert h.buffers.session_count == 0 and h.buffers.event_count == 0 and h.buffers.total_bytes == 0
        assert h.manager.session_ids() == set()


async def test_a_reused_in_flight_request_id_is_refused_and_the_first_request_still_completes(direct: bool) -> None:
    async with harness(direct_calls=direct) as (h, client):
        await client.initialize()
        first = await client.start("POST", call(42, "wait_for_gate"))
        with anyio.fail_after(10):
            await anext(aiter(first.events()))

        for same_id in (42, "42"):  # the SDK routes both to the stream named "42"
            ping = await client.start("POST", {"jsonrpc": "2.0", "id": same_id, "method": "ping"})
            assert ping.status == 400
            (refusal,) = await ping.messages()
            assert refusal["id"] == same_id
            assert refusal["error"]["code"] == -32600
            assert f"Request id {json.dumps(same_id)} is already in use" in refusal["error"]["message"]

        h.gate.set()
        with anyio.fail_after(10):
            answers = [m for m in await first.messages() if "id" in m]
        assert answers[-1]["id"] == 42 and "the gate opened" in str(answers[-1]["result"])

        again = await client.start("POST", {"jsonrpc": "2.0", "id": 42, "method": "ping"})  # done: free again
        with anyio.fail_after(10):
            assert (await again.messages())[0] == {"jsonrpc": "2.0", "id": 42, "result": {}}
        assert h.manager.in_flight.in_flight(client.session or "") == frozenset()


async def test_a_request_whose_client_went_away_keeps_its_id_until_it_is_answered(direct: bool) -> None:
    async with harness(direct_calls=direct) as (h, client):
        await client.initialize()
        first = await client.start("POST", call(9, "wait_for_gate"))
        with anyio.fail_after(10):
            await anext(aiter(first.events()))
        first.disconnect()
        with anyio.fail_after(10):
            await first.finished.wait()
        refused = await client.start("POST", {"jsonrpc": "2.0", "id": 9, "method": "ping"})
        assert refused.status == 400  # the SDK would hand the first answer to this request
        h.gate.set()
        await h.wait_answered(client.session, "9")
        accepted = await client.start("POST", {"jsonrpc": "2.0", "id": 9, "method": "ping"})
        with anyio.fail_after(10):
            assert (await accepted.messages())[0]["result"] == {}


async def test_ids_are_per_session_and_requests_refused_by_the_sdk_do_not_hold_them(direct: bool) -> None:
    async with harness(direct_calls=direct) as (h, a):
        b = Client(a.app, a.tg)
        await a.initialize()
        await b.initialize()
        first = await a.start("POST", call(4, "wait_for_gate"))
        with anyio.fail_after(10):
            await anext(aiter(first.events()))
        other = await b.start("POST", {"jsonrpc": "2.0", "id": 4, "method": "ping"})
        with anyio.fail_after(10):
            assert (await other.messages())[0]["result"] == {}  # another session may use the same id

        refused = await b.start("POST", {"jsonrpc": "2.0", "id": 8, "method": "ping"}, accept="text/html")
        assert refused.status == 406
        assert h.manager.in_flight.in_flight(b.session or "") == frozenset()

        ended = a.session or ""
        assert h.manager.in_flight.in_flight(ended) == frozenset({"4"})
        assert (await a.start("DELETE")).status == 200
        assert h.manager.in_flight.in_flight(ended) == frozenset()
        h.gate.set()
