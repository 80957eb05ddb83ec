"""Agents in a real pycrdt-websocket YRoom: broadcast to tabs, greeted to tabs that connect later, gone on leave."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from pycrdt import Awareness, Decoder, Doc, YMessageType, create_awareness_message
from pycrdt.websocket import YRoom

from jmcp_ext.collab.agents import agents_in, all_rooms, leave_everywhere
from jmcp_ext.collab.identity import make_collaborator

WHO = make_collaborator("Claude Code", "claude-code", "session-1")
OTHER = make_collaborator("Cursor", None, "session-2")


class Tab:
    """A websocket to the room, as a browser tab: what it sent and what it received."""

    def __init__(self, name: str) -> None:
        self.path = "JupyterLab:globalAwareness"
        self.doc = Doc()
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
        agents = agents_in(room.awareness)
        agent = agents.presence("session-1", WHO)
        agent.show_global("a.ipynb")  # nobody connected yet: the room keeps it, but sends it to no one
        async with serving(room, Tab("ana")) as tab:
            tab.announce()
            await until(tab, lambda: agent.client_id in tab.seen.states, "the agent's state at the new tab")
            assert tab.seen.states[agent.client_id]["user"]["display_name"] == "Claude Code"


async def test_a_connected_tab_sees_agents_come_and_go() -> None:
    async with YRoom(ready=True) as room, serving(room, Tab("ana")) as tab:
        tab.announce()
        await until(tab, lambda: tab.awareness.client_id in room.awareness.states, "the tab's state at the room")
        agents = agents_in(room.awareness)
        one = agents.presence("session-1", WHO)
        two = agents.presence("session-2", OTHER)
        one.show_global("a.ipynb")
        two.show_global("a.ipynb")
        await until(tab, lambda: {one.client_id, two.client_id} <= set(tab.seen.states), "both agents at the tab")
        leave_everywhere("session-1")
        await until(tab, lambda: one.client_id not in tab.seen.states, "the first agent to leave")
        assert two.client_id in tab.seen.states
        assert agents.get("session-1") is None


async def test_the_greeting_message_carries_the_shown_agents() -> None:
    awareness = Awareness(Doc())
    agents = agents_in(awareness)
    assert agents.greeting() is None
    agents.presence("session-1", WHO).show_global("a.ipynb")
    message = agents.greeting()
    assert message is not None and message[0] == YMessageType.AWARENESS
    tab = Tab("bob")
    await tab.send(message)
    assert any(s.get("user", {}).get("display_name") == "Claude Code" for s in tab.seen.states.values())


def test_the_registry_does_not_keep_a_room_alive() -> None:
    awareness = Awareness(Doc())
    agents = agents_in(awareness)
    agents.presence("session-1", WHO).show_global("a.ipynb")
    assert agents in all_rooms()
    registry = weakref.ref(agents)
    del awareness, agents
    gc.collect()
    assert registry() is None


def test_a_failing_greeting_never_breaks_the_room() -> None:
    awareness = Awareness(Doc())
    agents = agents_in(awareness)
    agent = agents.presence("session-1", WHO)
    agent.show_global("a.ipynb")
    # A malformed change report must be swallowed, not raised into the room's message loop.
    agents._on_awareness("change", ({"added": 5}, "browser"))
    agents.close()
    assert agent.client_id not in awareness.states
