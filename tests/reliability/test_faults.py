"""Faults: a kernel killed from outside, a browser that leaves and comes back, a server restart, and
concurrent writers (two MCP clients and a person typing) in one notebook."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import httpx2
import pytest

from tests.support import (
    INIT,
    JSON_HEADERS,
    JupyterServer,
    call,
    call_error,
    collaboration_client,
    mcp_client,
    running_server,
    wait_for_cells,
)

FAULTS = {"injected": 0}


def kernel_pid(server: JupyterServer, kernel_id: str) -> int:
    """The pid of the kernel process: the one whose command line names the kernel's connection file."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f"kernel-{kernel_id}.json" in cmdline:
            return int(entry)
    raise AssertionError(f"no process for kernel {kernel_id}")


def kernel_of(server: JupyterServer, path: str) -> str:
    sessions = httpx2.get(f"{server.url}api/sessions", headers=server.headers, timeout=10).json()
    return str(next(s["kernel"]["id"] for s in sessions if s["path"] == path))


async def test_a_kernel_killed_from_outside_is_reported_and_the_next_call_works(
    server: JupyterServer, nb_name: str
) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        await call(client, "insert_cell", source="import time\nprint('going', flush=True)\ntime.sleep(120)")
        assert "1" in await call(client, "execute_code", code="1")  # the kernel is up
        await _kill_during_execution(server, client, nb_name)


async def _kill_during_execution(server: JupyterServer, client: object, nb_name: str) -> None:
    async with collaboration_client(server, nb_name) as peer:
        await wait_for_cells(peer, lambda cells: len(cells) == 1, 30, "the cell")
        pid = kernel_pid(server, kernel_of(server, nb_name))

        async def kill_when_running() -> None:
            await wait_for_cells(peer, lambda cells: "going" in json.dumps(cells[0]["outputs"]), 30, "its output")
            await asyncio.sleep(0.3)
            os.kill(pid, signal.SIGKILL)
            FAULTS["injected"] += 1

        killer = asyncio.create_task(kill_when_running())
        started = time.monotonic()
        message = await call_error(client, "execute_cell", cell=0, timeout=60)
        elapsed = time.monotonic() - started
        await killer
        assert "kernel died" in message
        assert elapsed < 30, elapsed
        # The reset reaches the peer over its websocket, which may be a moment after the answer.
        await wait_for_cells(
            peer, lambda cells: cells[0].get("execution_state") != "running", 10, "the cell no longer running"
        )
        assert "'back'" in await call(client, "execute_code", code="'back'", timeout=60)
        text = await call(client, "execute_cell", cell=0, timeout=2)
        assert "going" in text  # the cell runs again on the revived kernel


@pytest.mark.parametrize("rounds", [3])
async def test_the_browser_closing_and_reopening_during_edits_loses_nothing(
    server: JupyterServer, nb_name: str, rounds: int
) -> None:
    expected: list[str] = []
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        for round_ in range(rounds):
            async with collaboration_client(server, nb_name) as peer:
                await wait_for_cells(peer, lambda cells: len(cells) == len(expected), 30, "the cells so far")
                for i in range(5):
                    source = f"round {round_} cell {i}"
                    await call(client, "insert_cell", source=source)
                    expected.append(source)
                # The browser leaves mid-stream: the next edits happen while nobody watches.
                await wait_for_cells(peer, lambda cells: len(cells) == len(expected), 30, "this round's cells")
            FAULTS["injected"] += 1
            for i in range(3):
                source = f"round {round_} unseen {i}"
                await call(client, "insert_cell", source=source)
                expected.append(source)
        async with collaboration_client(server, nb_name) as peer:
            cells = await wait_for_cells(peer, lambda cells: len(cells) == len(expected), 30, "every cell")
            assert [c["source"] for c in cells] == expected
    on_disk = server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == len(expected), timeout=30)
    assert ["".join(c["source"]) for c in on_disk["cells"]] == expected


@pytest.mark.slow
async def test_a_server_restart_gives_a_clean_session_expired_and_a_new_client_works(tmp_path: Path) -> None:
    root, home = tmp_path / "root", tmp_path / "home"
    with running_server(root, home) as srv:
        async with mcp_client(srv.mcp_url, srv.token) as client:
            await call(client, "create_notebook", path="restart.ipynb")
            await call(client, "insert_cell", source="before = 1")
        init = httpx2.post(srv.mcp_url, headers={**JSON_HEADERS, **srv.headers}, content=json.dumps(INIT))
        session = init.headers["mcp-session-id"]
        srv.wait_for_disk("restart.ipynb", lambda nb: len(nb["cells"]) == 1)
        srv.stop()
        FAULTS["injected"] += 1
        srv.start()  # same port, same token
        headers = {**JSON_HEADERS, **srv.headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
        stale = httpx2.post(
            srv.mcp_url, headers=headers, content=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        )
        assert stale.status_code == 404
        assert stale.json()["error"]["message"] == "Session not found"
        async with mcp_client(srv.mcp_url, srv.token) as client:
            text = await call(client, "read_notebook", path="restart.ipynb")
            assert "before = 1" in text
            await call(client, "insert_cell", path="restart.ipynb", source="after = 2")
        srv.wait_for_disk("restart.ipynb", lambda nb: len(nb["cells"]) == 2)


async def test_two_clients_and_a_typing_person_lose_no_edit(server: JupyterServer, nb_name: str) -> None:
    per_writer = 15
    typed = "".join(f"<{i}>" for i in range(40))
    async with (
        mcp_client(server.mcp_url, server.token) as first,
        mcp_client(server.mcp_url, server.token) as second,
    ):
        await call(first, "create_notebook", path=nb_name)
        await call(first, "insert_cell", source="# shared notes\n", cell_type="markdown")
        async with collaboration_client(server, nb_name) as person:
            await wait_for_cells(person, lambda cells: len(cells) == 1, 30, "the shared notes cell")

            async def mcp_writer(client: object, tag: str) -> None:
                for i in range(per_writer):
                    await call(client, "insert_cell", path=nb_name, source=f"{tag}-{i}")
                    if i % 5 == 4:  # edits to a cell the person types into at the same time
                        await call(client, "read_cell", path=nb_name, cell=0)

            async def person_typing() -> None:
                from pycrdt import Text

                for i in range(40):
                    source = person.ycells[0]["source"]
                    assert isinstance(source, Text)
                    source.insert(len(str(source)), f"<{i}>")
                    if i % 4 == 0:
                        person.ycells.append(person.create_ycell({"cell_type": "code", "source": f"person-{i // 4}"}))
                    await asyncio.sleep(0.02)

            await asyncio.gather(mcp_writer(first, "first"), mcp_writer(second, "second"), person_typing())
            expected = (
                {f"first-{i}" for i in range(per_writer)}
                | {f"second-{i}" for i in range(per_writer)}
                | {f"person-{i}" for i in range(10)}
            )
            total = len(expected) + 1
            cells = await wait_for_cells(person, lambda cells: len(cells) == total, 30, "every writer's cells")
            seen = [c["source"] for c in cells]
            assert set(seen[1:]) | {seen[0]} >= expected and seen[0] == "# shared notes\n" + typed
            # What the MCP clients see equals what the person sees.
            listing = await call(first, "read_notebook", path=nb_name, limit=100)
            assert all(source in listing for source in expected)
    on_disk = server.wait_for_disk(nb_name, lambda nb: len(nb["cells"]) == total, timeout=30)
    sources = ["".join(c["source"]) for c in on_disk["cells"]]
    assert sources[0] == "# shared notes\n" + typed
    assert set(sources[1:]) == expected
    # Each writer's cells keep their own order.
    for tag in ("first", "second"):
        mine = [s for s in sources if s.startswith(f"{tag}-")]
        assert mine == [f"{tag}-{i}" for i in range(per_writer)]
