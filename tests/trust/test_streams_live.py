"""Against a real jmcp server: a dropped stream resumes with Last-Event-ID, an unknown id gets a 4xx, and a
reused in-flight request id is refused while the first request completes.

These fail on a server that does not use ``jmcp_ext.session_manager.SessionManager`` (measured on the
unwired server: an empty 500 for the unknown id, the ping answered and the first call never answered,
no event ids to resume with).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from tests.polling import poll_async
from tests.support import INIT, JSON_HEADERS, JupyterServer, call, mcp_client, running_server
from tests.trust.event_watch import event_store, watching

EMPTY_NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


async def events(response: httpx2.Response) -> AsyncIterator[dict[str, str]]:
    """The SSE events of a streamed response."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if fields:
                yield fields
            fields = {}
            continue
        name, _, value = line.partition(":")
        if name:
            fields[name] = value.removeprefix(" ")


def execute(request_id: int, path: str, code: str) -> dict[str, Any]:
    arguments = {"path": path, "code": code}
    params = {"name": "execute_code", "arguments": arguments, "_meta": {"progressToken": f"p{request_id}"}}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


async def open_session(http: httpx2.AsyncClient, server: JupyterServer) -> dict[str, str]:
    headers = {**JSON_HEADERS, **server.headers}
    response = await http.post(server.mcp_url, headers=headers, json=INIT)
    assert response.status_code == 200
    headers |= {"mcp-session-id": response.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    note = await http.post(server.mcp_url, headers=headers, json=initialized)
    assert note.status_code == 202
    return headers


def notebook(root: Path, name: str) -> str:
    (root / name).write_text(json.dumps(EMPTY_NOTEBOOK))
    return name


async def test_an_unknown_last_event_id_gets_a_400_not_an_empty_500(server: JupyterServer) -> None:
    async with httpx2.AsyncClient(timeout=30) as http:
        headers = await open_session(http, server)
        response = await http.get(
            server.mcp_url, headers={**headers, "Accept": "text/event-stream", "Last-Event-ID": "nope-123"}
        )
    assert response.status_code == 400
    assert "'nope-123' is not an event of this session" in response.json()["error"]["message"]


@pytest.mark.slow
async def test_a_stream_dropped_2_s_into_a_6_s_call_resumes_and_gets_the_result(
    server: JupyterServer, nb_name: str
) -> None:
    path = notebook(server.root, nb_name)
    async with httpx2.AsyncClient(timeout=30) as http:
        headers = await open_session(http, server)
        warm = await http.post(server.mcp_url, headers=headers, json=execute(1, path, "1"))  # start the kernel
        assert warm.status_code == 200
        started = time.monotonic()
        last_id = None
        with anyio.fail_after(10):
            async with http.stream("POST", server.mcp_url, headers=headers, json=execute(2, path, SIX_SECONDS)) as r:
                async for event in events(r):
                    last_id = event.get("id", last_id)
                    assert '"result"' not in event.get("data", ""), "the call ended before the drop"
                    if time.monotonic() - started > 2:
                        break  # the connection drops (laptop sleep, a proxy)
        assert last_id is not None, "SSE events carry ids"
        dropped = time.monotonic()
        with anyio.fail_after(20):
            resume = {**headers, "Accept": "text/event-stream", "Last-Event-ID": last_id}
            async with http.stream("GET", server.mcp_url, headers=resume) as r:
                assert r.status_code == 200
                answers = [json.loads(e["data"]) async for e in events(r) if '"result"' in e.get("data", "")]
    done = time.monotonic()
    assert len(answers) == 1 and answers[0]["id"] == 2
    assert "six" in answers[0]["result"]["content"][0]["text"]
    assert done - started >= 6
    print(f"\nresumed: dropped at {dropped - started:.1f} s, result at {done - started:.1f} s of a 6 s call")


SIX_SECONDS = "import time; time.sleep(6); print('six')"


@pytest.mark.slow
async def test_a_reused_in_flight_request_id_is_refused_and_the_first_call_completes(
    server: JupyterServer, nb_name: str
) -> None:
    path = notebook(server.root, nb_name)
    async with httpx2.AsyncClient(timeout=30) as http:
        headers = await open_session(http, server)
        warm = await http.post(server.mcp_url, headers=headers, json=execute(1, path, "1"))
        assert warm.status_code == 200
        first_answer: list[dict[str, Any]] = []
        running = anyio.Event()

        async def first() -> None:
            code = "import time; time.sleep(3); print('done')"
            async with http.stream("POST", server.mcp_url, headers=headers, json=execute(42, path, code)) as r:
                async for event in events(r):
                    if "notifications/progress" in event.get("data", ""):
                        running.set()  # the code runs on the kernel
                    if '"result"' in event.get("data", ""):
                        first_answer.append(json.loads(event["data"]))
                        return

        with anyio.fail_after(20):  # the unguarded SDK never answers the first call
            async with anyio.create_task_group() as tg:
                tg.start_soon(first)
                await running.wait()
                ping = await http.post(
                    server.mcp_url, headers=headers, json={"jsonrpc": "2.0", "id": 42, "method": "ping"}
                )
    assert ping.status_code == 400
    assert ping.json()["id"] == 42 and ping.json()["error"]["code"] == -32600
    assert "Request id 42 is already in use" in ping.json()["error"]["message"]
    assert first_answer and "done" in first_answer[0]["result"]["content"][0]["text"]


@pytest.mark.slow
async def test_the_event_store_stays_within_its_budget_under_load_and_is_freed_when_sessions_end(
    tmp_path: Path,
) -> None:
    budget, per_session, sessions, calls = 256 * 1024, 64 * 1024, 6, 60  # long enough to sample it often
    big = "# " + "x" * 16_000  # each read_cell answer is one ~16 KB event
    args = (
        f"--JMCPExtension.event_store_max_bytes={budget}",
        f"--JMCPExtension.event_store_max_session_bytes={per_session}",
        # Through the SDK's transport, which stores every answer as an event; a direct call stores only the
        # events of answers it streams (tests/trust/test_direct_calls.py), which quick reads are not.
        "--JMCPExtension.direct_calls=False",
    )
    with running_server(tmp_path / "root", tmp_path / "home", *args) as srv:
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "id": "big",
                    "metadata": {},
                    "source": big,
                    "outputs": [],
                    "execution_count": None,
                }
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (srv.root / "big.ipynb").write_text(json.dumps(nb))

        async def session() -> None:
            async with mcp_client(srv.mcp_url, srv.token) as client:
                for _ in range(calls):
                    assert "xxxx" in await call(client, "read_cell", path="big.ipynb", cell=0)

        async with watching(srv) as peak, anyio.create_task_group() as tg:
            for _ in range(sessions):
                tg.start_soon(session)
        ended = await poll_async(
            lambda: event_store(srv), lambda e: e["sessions"] == 0, timeout=30, what="sessions released"
        )
    produced = sessions * calls * len(big)
    print(
        f"\nevent store: {produced // 1024} KiB of answers; peak {peak.bytes // 1024} KiB held ({peak.events} "
        f"events, {peak.sessions} sessions, {peak.samples} samples), budget {budget // 1024} KiB; "
        f"after the sessions ended: {ended['bytes']} bytes"
    )
    assert peak.max_bytes == budget and peak.samples > 10
    assert budget // 2 < peak.bytes <= budget + 20_000  # full, and never more than one event over
    assert ended == {"bytes": 0, "events": 0, "sessions": 0, "max_bytes": budget}


@pytest.mark.slow
async def test_a_session_the_sdk_ends_for_idleness_releases_its_events_and_jmcps_state_at_once(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path / "root", tmp_path / "home", "--JMCPExtension.session_idle_timeout=1") as srv:
        async with httpx2.AsyncClient(timeout=30) as http:
            await open_session(http, srv)

        def health() -> dict[str, Any]:
            return dict(httpx2.get(f"{srv.mcp_url}/healthz", headers=srv.headers, timeout=10).json())

        opened = health()
        assert opened["sessions"] == 1 and opened["event_store"]["sessions"] == 1
        # jmcp's own sweep of idle sessions runs every 30 s here: only the SDK's end can be this quick.
        ended = await poll_async(
            health, lambda h: h["sessions"] == 0 and h["event_store"]["sessions"] == 0, timeout=10, what="session end"
        )
    assert ended["event_store"]["bytes"] == 0
