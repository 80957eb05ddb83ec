"""JSON answers for calls that stream nothing: the middleware's choices, then the same through a real server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest

from jmcp_ext import json_answers as json_answers_module
from jmcp_ext.json_answers import json_answers
from tests.support import INIT, JSON_HEADERS, JupyterServer, call, text_of

SSE_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"cache-control", b"no-cache, no-transform"),
        (b"connection", b"keep-alive"),
        (b"content-type", b"text/event-stream"),
        (b"mcp-session-id", b"abc"),
        (b"x-accel-buffering", b"no"),
    ],
}
RESPONSE = b'{"jsonrpc":"2.0","id":"7","result":{"content":[{"type":"text","text":"a \\"quoted\\" line"}]}}'
PROGRESS = b'{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1.0}}'
ELICIT = b'{"jsonrpc":"2.0","id":0,"method":"elicitation/create","params":{}}'


def event(data: bytes, event_id: str | None = None) -> dict[str, Any]:
    """One SSE event as the SDK's EventSourceResponse sends it."""
    head = f"id: {event_id}\r\n".encode() if event_id else b""
    body = head + b"event: message\r\ndata: " + data + b"\r\n\r\n"
    return {"type": "http.response.body", "body": body, "more_body": True}


PRIMING = {"type": "http.response.body", "body": b"id: 0\r\ndata: \r\nretry: 1000\r\n\r\n", "more_body": True}
PING = {"type": "http.response.body", "body": b": ping - 2026-01-01 00:00:00\r\n\r\n", "more_body": True}
END = {"type": "http.response.body", "body": b"", "more_body": False}


async def through(messages: list[dict[str, Any]], method: str = "POST") -> list[dict[str, Any]]:
    """What reaches the client when an app sends ``messages`` through the middleware."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            await send(message)

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    await json_answers(app)({"type": "http", "method": method}, _never, send)
    return sent


async def _never() -> dict[str, Any]:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def headers_of(message: dict[str, Any]) -> dict[bytes, bytes]:
    return dict(message["headers"])


def body_of(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def test_a_lone_response_is_answered_as_one_json_body() -> None:
    sent = await through([SSE_START, event(RESPONSE), END])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    headers = headers_of(sent[0])
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(RESPONSE)).encode()
    assert headers[b"mcp-session-id"] == b"abc"  # the session survives the change of form
    assert b"cache-control" not in headers and b"x-accel-buffering" not in headers
    assert sent[1] == {"type": "http.response.body", "body": RESPONSE, "more_body": False}
    assert json.loads(sent[1]["body"])["result"]["content"][0]["text"] == 'a "quoted" line'


async def test_a_priming_event_is_dropped_from_a_json_answer() -> None:
    sent = await through([SSE_START, PRIMING, event(RESPONSE, "1"), END])
    assert headers_of(sent[0])[b"content-type"] == b"application/json"
    assert body_of(sent) == RESPONSE


async def test_an_error_response_is_a_json_answer_too() -> None:
    error = b'{"jsonrpc":"2.0","id":3,"error":{"code":-32800,"message":"Request cancelled"}}'
    sent = await through([SSE_START, event(error), END])
    assert headers_of(sent[0])[b"content-type"] == b"application/json"
    assert body_of(sent) == error


async def test_a_notification_first_commits_the_stream_while_the_call_runs() -> None:
    seen = asyncio.Event()
    release = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(SSE_START)
        await send(PRIMING)
        await send(event(PROGRESS, "1"))
        await release.wait()  # the call goes on running: the progress must already be out
        await send(event(RESPONSE, "2"))
        await send(END)

    async def send(message: Any) -> None:
        sent.append(message)
        if PROGRESS in message.get("body", b""):
            seen.set()

    task = asyncio.create_task(json_answers(app)({"type": "http", "method": "POST"}, _never, send))
    await asyncio.wait_for(seen.wait(), timeout=5)
    assert sent[0] is SSE_START and sent[1] is PRIMING  # the headers and the resumption id go first
    release.set()
    await asyncio.wait_for(task, timeout=5)
    assert [m["body"] for m in sent[3:]] == [event(RESPONSE, "2")["body"], b""]


async def test_a_call_still_running_after_the_hold_gets_its_stream_and_resumption_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(json_answers_module, "HOLD_SECONDS", 0.05)
    opened = asyncio.Event()
    release = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(SSE_START)
        await send(PRIMING)
        await release.wait()  # a long call that sends nothing for a while
        await send(event(RESPONSE, "1"))
        await send(END)

    async def send(message: Any) -> None:
        sent.append(message)
        if message is PRIMING:
            opened.set()

    task = asyncio.create_task(json_answers(app)({"type": "http", "method": "POST"}, _never, send))
    # Without the hold's end the client would have no event id to resume from if the connection dropped now.
    await asyncio.wait_for(opened.wait(), timeout=5)
    assert sent == [SSE_START, PRIMING]
    release.set()
    await asyncio.wait_for(task, timeout=5)
    assert body_of(sent) == PRIMING["body"] + event(RESPONSE, "1")["body"]


@pytest.mark.parametrize("first", [PING, event(ELICIT)], ids=["keepalive-ping", "request-to-the-client"])
async def test_anything_but_the_response_commits_the_stream(first: dict[str, Any]) -> None:
    sent = await through([SSE_START, first, event(RESPONSE), END])
    assert sent[0] is SSE_START
    assert body_of(sent) == first["body"] + event(RESPONSE)["body"]


async def test_a_ping_right_after_the_response_sends_the_stream_as_it_was() -> None:
    sent = await through([SSE_START, PRIMING, event(RESPONSE, "1"), PING, END])
    assert sent[0] is SSE_START
    assert body_of(sent) == PRIMING["body"] + event(RESPONSE, "1")["body"] + PING["body"]


async def test_a_stream_that_ends_without_a_response_stays_a_stream() -> None:
    # E.g. the server closed the stream for polling: the client needs the priming id to resume.
    sent = await through([SSE_START, PRIMING, END])
    assert sent == [SSE_START, PRIMING, END]


async def test_several_events_in_one_chunk_are_not_taken_for_a_lone_response() -> None:
    both = {**event(RESPONSE), "body": event(RESPONSE)["body"] + event(PROGRESS)["body"]}
    sent = await through([SSE_START, both, END])
    assert sent == [SSE_START, both, END]


async def test_json_answers_and_other_methods_pass_untouched() -> None:
    start = {"type": "http.response.start", "status": 202, "headers": [(b"content-type", b"application/json")]}
    accepted = [start, END]
    assert await through(accepted) == accepted
    assert await through([SSE_START, event(RESPONSE), END], method="GET") == [SSE_START, event(RESPONSE), END]


# --- through a real server ---------------------------------------------------------------------------


@asynccontextmanager
async def recording_client(server: JupyterServer, mode: str) -> AsyncIterator[tuple[Any, list[tuple[str, str]]]]:
    """The SDK's client, recording (JSON-RPC method, answer content type) for every POST it makes."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    answers: list[tuple[str, str]] = []

    async def record(response: httpx2.Response) -> None:
        request = response.request
        if request.method == "POST" and request.content:
            method = json.loads(request.content).get("method", "")
            answers.append((method, response.headers.get("content-type", "")))

    async with (
        httpx2.AsyncClient(headers=server.headers, timeout=60, event_hooks={"response": [record]}) as http,
        Client(streamable_http_client(server.mcp_url, http_client=http), mode=mode) as client,
    ):
        yield client, answers


def tool_calls(answers: list[tuple[str, str]]) -> list[str]:
    return [content_type for method, content_type in answers if method == "tools/call"]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_quick_calls_get_json_and_still_validate(server: JupyterServer, nb_name: str, mode: str) -> None:
    async with recording_client(server, mode) as (client, answers):
        await call(client, "create_notebook", path=nb_name)
        # Starting the kernel and connecting to it can take longer than an answer is held back (such a call
        # streams, so that it can be resumed): warm up first.
        await call(client, "use_notebook", path=nb_name)
        await call(client, "execute_code", source="0", path=nb_name)
        warmed_up = len(answers)
        assert (await call(client, "execute_code", code="1+1", path=nb_name)).endswith("\n2")
        # The SDK still validates arguments and reports tool errors, in the JSON answer.
        invalid = await client.call_tool("execute_code", {"code": 12, "path": nb_name})
        assert invalid.is_error and "argument 'source': input should be a valid string" in text_of(invalid).lower()
        missing = await client.call_tool("read_cell", {"path": "no-such.ipynb", "cell": 0})
        assert missing.is_error and "no-such.ipynb" in text_of(missing)
    quick = tool_calls(answers[warmed_up:])
    assert quick and all(ct.startswith("application/json") for ct in quick), answers
    if mode == "legacy":
        assert answers[0] == ("initialize", "application/json")


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_call_with_progress_streams_its_progress(server: JupyterServer, nb_name: str, mode: str) -> None:
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    async with recording_client(server, mode) as (client, answers):
        await call(client, "create_notebook", path=nb_name)
        result = await client.call_tool(
            "execute_code",
            {"code": "import time; time.sleep(1.2); print('done')", "path": nb_name},
            progress_callback=on_progress,
        )
    assert "done" in text_of(result)
    assert len(progress) >= 2, progress  # one every 0.2 s on the test server
    assert tool_calls(answers)[-1].startswith("text/event-stream")


async def test_a_json_answered_call_can_be_cancelled(server: JupyterServer, nb_name: str) -> None:
    async with recording_client(server, "legacy") as (client, answers):
        await call(client, "create_notebook", path=nb_name)
        with anyio.move_on_after(2):
            await client.call_tool("execute_code", {"code": "import time; time.sleep(120)", "path": nb_name})
            pytest.fail("the call should have been cancelled")
        # Had the cancel not reached the server, the kernel would still be sleeping and this would time out.
        text = await call(client, "execute_code", code="'free'", path=nb_name, timeout=20)
        assert "'free'" in text
    assert tool_calls(answers)[-1].startswith("application/json")


def test_raw_post_without_progress_token_gets_exactly_one_json_message(server: JupyterServer) -> None:
    headers = {**JSON_HEADERS, **server.headers}
    opened = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT), timeout=10)
    assert opened.headers["content-type"] == "application/json"
    assert json.loads(opened.text)["result"]["serverInfo"]["name"] == "jmcp"
    session = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert httpx2.post(server.mcp_url, headers={**headers, **session}, json=initialized, timeout=10).status_code == 202
    listed = httpx2.post(
        server.mcp_url,
        headers={**headers, **session},
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        timeout=10,
    )
    assert listed.headers["content-type"] == "application/json"
    assert int(listed.headers["content-length"]) == len(listed.content)
    assert {t["name"] for t in json.loads(listed.content)["result"]["tools"]} >= {"execute_code", "read_cell"}
