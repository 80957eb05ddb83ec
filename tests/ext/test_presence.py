"""An agent's presence over time, on a server whose agents go idle after 2 s: it leaves when idle and comes back on
its next call; sessionless callers appear once per client name."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.collab_peers import watching_collaborators
from tests.polling import poll_async
from tests.support import JupyterServer, call, running_server

from .test_collaboration import agent, write_notebook

IDLE = 2.0


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base = tmp_path_factory.mktemp("presence")
    with running_server(base / "root", base / "home", f"--JMCPExtension.presence_idle_seconds={IDLE}") as server:
        yield server


async def test_an_idle_agent_leaves_and_comes_back_on_its_next_call(quick_server: JupyterServer) -> None:
    server = quick_server
    write_notebook(server.root, "idle.ipynb", ["a = 1"])
    async with watching_collaborators(server) as panel, agent(server, "Agent A") as a:
        started = time.monotonic()
        await call(a, "use_notebook", path="idle.ipynb", start_kernel=False)
        last_call = time.monotonic()  # the server counts idleness from a moment before this
        await poll_async(panel.agents, lambda names: names == ["Agent A"], timeout=10, interval=0.01, what="A shown")
        shown = time.monotonic() - started
        await poll_async(panel.agents, lambda names: names == [], timeout=10, interval=0.05, what="A gone when idle")
        idle_for = time.monotonic() - last_call
        assert IDLE - 0.1 <= idle_for < IDLE + 5, idle_for
        await call(a, "read_cell", cell=0)
        await poll_async(panel.agents, lambda names: names == ["Agent A"], timeout=10, what="A back after a call")
    print(f"agent shown {shown * 1000:.0f} ms after use_notebook started; left {idle_for:.1f} s after its last call")


async def test_an_agent_running_a_long_cell_stays_listed(quick_server: JupyterServer) -> None:
    server = quick_server
    write_notebook(server.root, "long.ipynb", ["import time\ntime.sleep(%s)" % (IDLE * 3)])
    async with watching_collaborators(server) as panel, agent(server, "Agent A") as a:
        await call(a, "use_notebook", path="long.ipynb")
        running = asyncio.ensure_future(call(a, "execute_cell", cell=0))
        seen: list[list[str]] = []
        while not running.done():
            seen.append(panel.agents())
            await asyncio.sleep(0.1)
        await running
        assert len(seen) > 20 and all(names == ["Agent A"] for names in seen[5:]), seen
        await poll_async(panel.agents, lambda names: names == [], timeout=10, what="A gone once idle after the run")


async def test_sessionless_callers_share_one_identity_per_client_name(quick_server: JupyterServer) -> None:
    server = quick_server
    write_notebook(server.root, "stateless.ipynb", ["a = 1"])
    path = "stateless.ipynb"
    async with (
        watching_collaborators(server) as panel,
        agent(server, "Agent A") as a,
        agent(server, "Batch Bot", mode="2026-07-28") as bot,
        agent(server, "Batch Bot", mode="2026-07-28") as same_bot,
    ):
        await call(a, "use_notebook", path=path, start_kernel=False)
        inserted = await call(bot, "insert_cell", source="bot = 1", path=path)
        assert "no MCP session" in inserted and "'Batch Bot'" in inserted, inserted
        await call(same_bot, "edit_cell_source", cell=1, old="1", new="2", path=path)
        digest = (await call(a, "read_notebook")).splitlines()[0]
        assert "Batch Bot added cell" in digest, digest
        await poll_async(
            panel.agents, lambda names: names == ["Agent A", "Batch Bot"], timeout=10, what="one Batch Bot"
        )
        # One identity, one history: the second caller's undo takes back the latest step of either.
        assert "Undid one step" in await call(same_bot, "undo", path=path)
        assert "bot = 1" in await call(a, "read_cell", cell=1)
