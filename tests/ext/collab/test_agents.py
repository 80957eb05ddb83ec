"""Agents in a real pycrdt-websocket YRoom: broadcast to tabs, greeted to tabs that connect later, gone on leave."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from pycrdt import Awareness, Decoder, Doc, YMessageType, create_awareness_message
from pycrdt.websocket import YRoom

from jmcp_ext.collab.agents import _greet, agents_in, all_rooms, leave_everywhere
from jmcp_ext.collab.identity import make_collaborator

WHO = make_collaborator("Claude Code", "claude-code", "session-1")
OTHER = make_collaborator("Cursor", None, "session-2")


class Tab:
    """A websocket to the room, as a browser tab: what it sent and what it received."""

    def __init__(self, name: str) -> None:
        self.path = "JupyterLab:globalAwareness"
        self.doc: Doc = Doc()
        self.awareness = Awareness(self.doc)
        self.awareness.set_local_state({"user": {"username": name, "name": name, "display_name": name}})
        self.seen = Awareness(Doc())  # the tab's view of everyone else's states
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.received = asyncio.Event()

    async def send(self, message: bytes) -> None:  # server -> tab
        if message[0] == YMessageType.AWARENESS:
            decoder = Decoder(message[1:])
            self.seen.apply_awareness_update(decoder.read_message() or b"", "server")
            self.received.set()

    def __aiter__(self) -> Tab:
        return self

    async def __anext__(self) -> bytes:
        message = await self._inbox.get()
        if not message:
            raise StopAsyncIteration
        return message

    async def recv(self) -> bytes:
        return await self.__anext__()

    def announce(self) -> None:
        """What a JupyterLab tab sends right after connecting: its own awareness state."""
        update = self.awareness.encode_awareness_update([self.awareness.client_id])
        self._inbox.put_nowait(create_awareness_message(update))

    def close(self) -> None:
        self._inbox.put_nowait(b"")


@asynccontextmanager
async def serving(room: YRoom, tab: Tab) -> AsyncIterator[Tab]:
    task = asyncio.create_task(room.serve(tab))
    try:
        yield tab
    finally:
        tab.close()
        await asyncio.wait_for(task, 5)


async def until(tab: Tab, condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for ``condition``, re-checking each time the room sends the tab something."""

    async def wait() -> None:
        while not condition():
            tab.received.clear()
            await tab.received.wait()

    try:
        await asyncio.wait_for(wait(), 5)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_a_tab_that_connects_later_is_greeted_with_the_agents() -> None:
    async with YRoom(ready=True) as room:
        agent = agents_in(room).presence("session-1", WHO)
        agent.show_global("a.ipynb")  # nobody connected yet: the room keeps it, but sends it to no one
        async with serving(room, Tab("ana")) as tab:
            tab.announce()
            await until(tab, lambda: agent.client_id in tab.seen.states, "the agent's state at the new tab")
            assert tab.seen.states[agent.client_id]["user"]["display_name"] == "Claude Code"


async def test_without_the_greeting_a_later_tab_does_not_see_the_agent() -> None:
    async with YRoom(ready=True) as room:
        agent = agents_in(SimpleNamespace(awareness=room.awareness)).presence("session-1", WHO)  # no greeter
        agent.show_global("a.ipynb")
        async with serving(room, Tab("ana")) as tab:
            tab.announce()
            await until(tab, lambda: tab.awareness.client_id in tab.seen.states, "the tab's own echo")
            assert agent.client_id not in tab.seen.states  # why the greeting exists


async def test_a_reconnecting_tab_is_greeted_again() -> None:
    async with YRoom(ready=True) as room:
        agent = agents_in(room).presence("session-1", WHO)
        agent.show_global("a.ipynb")
        first = Tab("ana")
        async with serving(room, first) as tab:
            tab.announce()
            await until(tab, lambda: agent.client_id in tab.seen.states, "the first greeting")
        # y-websocket drops the remote states when its socket closes (keeping the clocks it saw) and reconnects
        # with the same client id and clock: the room ignores that state (nothing new), only the connection is new.
        first.seen.remove_awareness_states(list(first.seen.states), "connection closed")
        again = Tab("ana")
        again.doc, again.awareness, again.seen = first.doc, first.awareness, first.seen
        async with serving(room, again) as tab:
            tab.announce()
            await until(tab, lambda: agent.client_id in tab.seen.states, "the greeting after reconnecting")


async def test_the_rooms_own_message_hook_still_runs() -> None:
    seen: list[bytes] = []
    async with YRoom(ready=True) as room:

        def hook(message: bytes) -> bool:
            seen.append(message)
            return False  # never skips

        room.on_message = hook
        agents_in(room).presence("session-1", WHO).show_global("a.ipynb")
        async with serving(room, Tab("ana")) as tab:
            tab.announce()
            await until(tab, lambda: tab.awareness.client_id in tab.seen.states, "the tab's own echo")
    assert len(seen) == 1 and seen[0][0] == YMessageType.AWARENESS


async def test_a_connected_tab_sees_agents_come_and_go() -> None:
    async with YRoom(ready=True) as room, serving(room, Tab("ana")) as tab:
        tab.announce()
        await until(tab, lambda: tab.awareness.client_id in room.awareness.states, "the tab's state at the room")
        agents = agents_in(room)
        one = agents.presence("session-1", WHO)
        two = agents.presence("session-2", OTHER)
        one.show_global("a.ipynb")
        two.show_global("a.ipynb")
        await until(tab, lambda: {one.client_id, two.client_id} <= set(tab.seen.states), "both agents at the tab")
        leave_everywhere("session-1")
        await until(tab, lambda: one.client_id not in tab.seen.states, "the first agent to leave")
        assert two.client_id in tab.seen.states
        assert agents.get("session-1") is None


def test_the_registry_does_not_keep_a_room_alive() -> None:
    awareness = Awareness(Doc())
    agents = agents_in(SimpleNamespace(awareness=awareness))
    agents.presence("session-1", WHO).show_global("a.ipynb")
    assert agents in all_rooms()
    registry = weakref.ref(agents)
    del awareness, agents
    gc.collect()
    assert registry() is None


async def test_a_failing_greeting_never_breaks_the_room() -> None:
    class Clients:
        def __iter__(self) -> Any:
            raise RuntimeError("broken")

    awareness = Awareness(Doc())
    room = SimpleNamespace(awareness=awareness, clients=Clients())
    agents_in(room).presence("session-1", WHO).show_global("a.ipynb")
    await _greet(room, weakref.WeakSet())  # logged, not raised into the room's message loop
