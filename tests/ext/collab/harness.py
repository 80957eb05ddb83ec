"""An in-memory collaboration room: the server's YNotebook and awareness, and browser peers exchanging real updates.

Browser updates reach the server document with origin None, as through jupyter_server_ydoc; each browser has its
own Doc (its own client id) and announces its awareness state to the room the way a JupyterLab tab does.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from jupyter_ydoc import YNotebook
from pycrdt import Assoc, Awareness, Doc, Map, StickyIndex, Text

from jmcp_ext.collab.identity import AgentOrigin
from tests.collab_peers import user


def code(source: str, cell_id: str | None = None, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": cell_id or uuid.uuid4().hex[:8],
        "cell_type": "code",
        "source": source,
        "metadata": {},
        "outputs": outputs or [],
        "execution_count": None,
    }


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
        "cells": list(cells),
    }


def sources(ynb: YNotebook) -> list[str]:
    return [str(c["source"]) for c in ynb.ycells]


def ids(ynb: YNotebook) -> list[str]:
    return [str(c["id"]) for c in ynb.ycells]


class Room:
    """The server side of one notebook room."""

    def __init__(self, content: dict[str, Any]) -> None:
        self.doc: Doc = Doc()
        self.awareness = Awareness(self.doc)
        self.nb = YNotebook(self.doc, self.awareness)
        self.nb.set(content)  # the room's initial load, before anything watches it
        self.update_lock = threading.Lock()  # stands for DocumentRoom._update_lock (any object with locked())
        self.browsers: list[Browser] = []
        self._sender: Browser | None = None
        self._subscription = self.doc.observe(self._forward)

    def close(self) -> None:
        """Drop the room's own observer, as a stopped room does (pycrdt's callbacks are invisible to the GC)."""
        self.doc.unobserve(self._subscription)
        self.browsers.clear()

    def reload(self, content: dict[str, Any]) -> None:
        """What the room does when the file changed on disk: set the document under its update lock."""
        with self.update_lock:
            self.nb.set(content)

    def agent_write(self, origin: AgentOrigin) -> Any:
        return self.doc.transaction(origin=origin)

    def browser(self, name: str) -> Browser:
        browser = Browser(self, name)
        self.browsers.append(browser)
        return browser

    def receive(self, update: bytes, sender: Browser) -> None:
        self._sender = sender  # it is mid-commit: sending its own update back would re-enter its document
        try:
            self.doc.apply_update(update)  # no origin: how a browser's update reaches the room
        finally:
            self._sender = None

    def _forward(self, event: Any) -> None:
        for browser in self.browsers:
            if browser.connected and browser is not self._sender:
                browser.receive(event.update)


class Browser:
    """A person's JupyterLab tab on the room: its own Doc, notebook model and awareness."""

    def __init__(self, room: Room, name: str) -> None:
        self.room = room
        self.name = name
        self.doc: Doc = Doc()
        self.nb = YNotebook(self.doc)
        self.awareness = Awareness(self.doc)
        self.connected = True
        self._receiving = False
        self.doc.apply_update(room.doc.get_update())
        self.doc.observe(self._forward)
        self.awareness.set_local_state({"user": user(name)})
        self.announce()

    @property
    def client_id(self) -> int:
        return self.doc.client_id

    def announce(self) -> None:
        """Send this tab's awareness state to the room, as the tab does on connect and on each change."""
        update = self.awareness.encode_awareness_update([self.awareness.client_id])
        self.room.awareness.apply_awareness_update(update, "browser")

    def source(self, index: int) -> Text:
        text = self.nb.ycells[index]["source"]
        assert isinstance(text, Text)
        return text

    def type(self, index: int, at: int, text: str) -> None:
        """Type ``text`` at code-point ``at`` of cell ``index`` (pycrdt indexes by UTF-8 bytes)."""
        ytext = self.source(index)
        ytext.insert(len(str(ytext)[:at].encode()), text)

    def click(self, index: int, offset: int, anchor: int | None = None) -> None:
        """Put the cursor (or a selection) in a cell, shaped as JupyterLab puts it in awareness."""
        text = self.source(index)
        head = relative_position(text, offset)
        start = head if anchor is None else relative_position(text, anchor)
        self.awareness.set_local_state_field(
            "cursors", [{"anchor": start, "head": head, "primary": True, "empty": start == head}]
        )
        self.announce()

    def receive(self, update: bytes) -> None:
        self._receiving = True
        try:
            self.doc.apply_update(update)
        finally:
            self._receiving = False

    def _forward(self, event: Any) -> None:
        if not self._receiving and self.connected:
            self.room.receive(event.update, self)

    def insert_cell(self, index: int, cell: dict[str, Any]) -> None:
        self.nb.ycells.insert(index, self.nb.create_ycell(cell))

    def run(self, index: int, text: str) -> None:
        """What a tab writes when the person runs a cell: a new output and execution count."""
        ycell = self.nb.ycells[index]
        with self.doc.transaction():
            ycell["outputs"].append(Map({"output_type": "stream", "name": "stdout", "text": Text(text)}))
            ycell["execution_count"] = 1


def relative_position(text: Text, offset: int) -> dict[str, Any]:
    """Yjs ``createRelativePositionFromTypeIndex(ytext, offset)`` as JSON (``offset`` in UTF-16 units here)."""
    type_id = StickyIndex.new(text, 0, Assoc.BEFORE).to_json()["type"]
    length = len(str(text).encode("utf-16-le")) // 2
    item = None if offset >= length else StickyIndex.new(text, offset, Assoc.AFTER).to_json()["item"]
    return {"type": type_id, "tname": None, "item": item, "assoc": 0}
