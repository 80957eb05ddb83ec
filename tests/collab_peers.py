"""Collaboration peers for server tests: a person in a notebook's room (document and awareness), and a watcher of
``JupyterLab:globalAwareness`` (what JupyterLab's Collaboration panel lists), over real websockets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from pycrdt import Assoc, Awareness, Decoder, Doc, StickyIndex, Text, YMessageType, create_awareness_message

from tests.support import JupyterServer, TornadoChannel, notebook_room, room_websocket

GLOBAL_ROOM = "JupyterLab:globalAwareness"


class _Channel(TornadoChannel):
    """A room channel that applies awareness messages to ``seen`` on the way (and passes the rest on)."""

    def __init__(self, connection: Any, path: str, seen: Awareness) -> None:
        super().__init__(connection, path)
        self.seen = seen
        self.changed = asyncio.Event()

    async def __anext__(self) -> bytes:
        while True:
            data = await super().__anext__()
            if data and data[0] == YMessageType.AWARENESS:
                self.seen.apply_awareness_update(Decoder(data[1:]).read_message() or b"", "remote")
                self.changed.set()
                continue
            return data


def user(name: str) -> dict[str, Any]:
    """A person's ``user`` awareness field, as JupyterLab fills it in."""
    return {
        "username": f"user-{name.lower()}",
        "name": name,
        "display_name": name,
        "initials": name[:1],
        "color": "#123456",
        "avatar_url": None,
    }


class Watcher:
    """What a room's awareness shows to a connected tab."""

    def __init__(self, channel: _Channel, own_id: int) -> None:
        self._channel = channel
        self.own_id = own_id

    @property
    def states(self) -> dict[int, Any]:
        return {k: v for k, v in self._channel.seen.states.items() if k != self.own_id and v}

    def agents(self) -> list[str]:
        """Display names of the jmcp agents shown, sorted."""
        return sorted(
            s["user"]["display_name"]
            for s in self.states.values()
            if str(s.get("user", {}).get("username", "")).startswith("jmcp-agent-")
        )

    def agent_state(self, display_name: str) -> dict[str, Any] | None:
        for state in self.states.values():
            if state.get("user", {}).get("display_name") == display_name:
                return dict(state)
        return None


@contextlib.asynccontextmanager
async def watching_collaborators(server: JupyterServer, name: str = "Watcher") -> AsyncIterator[Watcher]:
    """A tab connected to ``JupyterLab:globalAwareness`` (as a person named ``name``)."""
    connection = await room_websocket(server, GLOBAL_ROOM)
    doc: Doc = Doc()
    seen = Awareness(doc)
    channel = _Channel(connection, GLOBAL_ROOM, seen)
    mine = Awareness(doc)
    mine.set_local_state({"user": user(name)})
    await channel.send(create_awareness_message(mine.encode_awareness_update([mine.client_id])))
    reader = asyncio.create_task(_drain(channel))
    try:
        yield Watcher(channel, mine.client_id)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        connection.close()


async def _drain(channel: _Channel) -> None:
    async for _ in channel:  # awareness is applied inside; nothing else is expected here
        pass


class Person:
    """A person in a notebook's room: their copy of the notebook, their awareness state, and what they see."""

    def __init__(self, notebook: Any, channel: _Channel, name: str) -> None:
        self.notebook = notebook
        self.name = name
        self._channel = channel
        self.awareness = Awareness(notebook.ydoc)
        self.awareness.set_local_state({"user": user(name)})
        self.watcher = Watcher(channel, self.awareness.client_id)

    async def announce(self) -> None:
        """Send this person's awareness state and wait until the room echoes it (so the server has it)."""
        update = self.awareness.encode_awareness_update([self.awareness.client_id])
        await self._channel.send(create_awareness_message(update))
        own, wanted = self.awareness.client_id, self.awareness.get_local_state()

        async def echoed() -> None:
            while self._channel.seen.states.get(own) != wanted:
                self._channel.changed.clear()
                await self._channel.changed.wait()

        await asyncio.wait_for(echoed(), 10)

    def source(self, index: int) -> Text:
        text = self.notebook.ycells[index]["source"]
        assert isinstance(text, Text)
        return text

    def type(self, index: int, text: str, at: int | None = None) -> None:
        """Type ``text`` into cell ``index`` at code point ``at`` (default: the end)."""
        ytext = self.source(index)
        current = str(ytext)
        position = len(current) if at is None else at
        ytext.insert(len(current[:position].encode()), text)

    async def click(self, index: int, offset: int = 0) -> None:
        """Put the cursor in cell ``index`` as JupyterLab does (awareness ``cursors`` with relative positions)."""
        text = self.source(index)
        type_id = StickyIndex.new(text, 0, Assoc.BEFORE).to_json()["type"]
        units = len(str(text).encode("utf-16-le")) // 2
        item = None if offset >= units else StickyIndex.new(text, offset, Assoc.AFTER).to_json()["item"]
        position = {"type": type_id, "tname": None, "item": item, "assoc": 0}
        self.awareness.set_local_state_field(
            "cursors", [{"anchor": position, "head": position, "primary": True, "empty": True}]
        )
        await self.announce()


@contextlib.asynccontextmanager
async def person_in(server: JupyterServer, path: str, name: str = "Ana") -> AsyncIterator[Person]:
    """A person with ``path`` open: synced document, announced awareness state, and what the room's awareness shows."""
    from jupyter_ydoc import YNotebook
    from pycrdt import Provider

    room, connection = await notebook_room(server, path)
    notebook = YNotebook()
    channel = _Channel(connection, room, Awareness(notebook.ydoc))
    try:
        async with Provider(notebook.ydoc, channel) as provider:
            await asyncio.wait_for(provider.synced.wait(), 30)
            person = Person(notebook, channel, name)
            await person.announce()
            yield person
    finally:
        connection.close()
