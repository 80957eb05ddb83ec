"""Collaboration rooms jmcp opened itself: their ids, which are open, and releasing them once idle.

The collaboration extension only cleans a room up when a browser's websocket closes, so rooms the server
opens for an agent would otherwise live (and poll their file every second) forever. This is the one
module that leans on jupyter-collaboration's internals (its room locks, file loaders and rooms' saving
state); nothing else in jmcp needs them.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from logging import Logger
from typing import Any

#: The room whose awareness JupyterLab's Collaboration panel lists.
GLOBAL_AWARENESS_ROOM = "JupyterLab:globalAwareness"


@dataclass
class _OpenedRoom:
    room_id: str
    last_used: float
    pins: int = 0


class Rooms:
    """Tracks the rooms jmcp opened, keeps them open while in use, and releases them when idle."""

    def __init__(self, serverapp: Any, log: Logger, *, idle_seconds: float) -> None:
        self._serverapp = serverapp
        self._log = log
        self._idle_seconds = idle_seconds
        self._opened: dict[str, _OpenedRoom] = {}

    @property
    def extension(self) -> Any:
        """jupyter-collaboration's extension object, or None (looked up on use: extensions load after ours)."""
        return self._serverapp.web_app.settings.get("jupyter_server_ydoc")

    def room_id(self, path: str) -> str:
        from jupyter_server_ydoc.utils import encode_file_path, room_id_from_encoded_path

        file_id = self._serverapp.web_app.settings["file_id_manager"].index(path)
        return str(room_id_from_encoded_path(encode_file_path("json", "notebook", file_id)))

    def used(self, path: str) -> None:
        """Note that jmcp uses the room of ``path`` now (opening counts)."""
        room_id = self.room_id(path)
        opened = self._opened.get(room_id)
        if opened is None:
            opened = self._opened[room_id] = _OpenedRoom(room_id, time.monotonic())
        opened.last_used = time.monotonic()

    def pin(self, path: str, delta: int) -> None:
        """Keep a room open while a change or an execution is under way (+1), or let it go again (-1)."""
        opened = self._opened.get(self.room_id(path))
        if opened is not None:
            opened.pins += delta
            opened.last_used = time.monotonic()

    def live_room(self, path: str) -> Any:
        """The notebook's open collaboration room (a ``DocumentRoom``), or None."""
        ext = self.extension
        if ext is None:
            return None
        return ext.ywebsocket_server.rooms.get(self.room_id(path))

    def global_awareness_room(self) -> Any:
        """The room JupyterLab's Collaboration panel reads (present once a browser connected), or None."""
        ext = self.extension
        return None if ext is None else ext.ywebsocket_server.rooms.get(GLOBAL_AWARENESS_ROOM)

    async def flush(self, path: str) -> None:
        """Write the room's document to the file now if a save is pending (a checkpoint copies the file)."""
        room = self.live_room(path)
        if room is None or not _unsaved(room) or not _autosaves(room):
            return  # with autosave off, the file as the people last saved it is the version to keep
        # The room's manual-save path: skips the debounce, and does nothing while the room reloads the file.
        saving = room._save_to_disc()
        if saving is not None:
            await saving

    def open_paths(self) -> list[str]:
        """Paths of notebooks that have a live room (opened by a browser or by jmcp)."""
        ext = self.extension
        if ext is None:
            return []
        from jupyter_server_ydoc.utils import decode_file_path

        paths = []
        fid = self._serverapp.web_app.settings["file_id_manager"]
        for room_id in list(ext.ywebsocket_server.rooms):
            try:
                _, file_type, file_id = decode_file_path(room_id)
            except Exception:
                continue  # the global awareness room and other non-document rooms
            if file_type != "notebook":
                continue
            path = fid.get_path(file_id)
            if path:
                paths.append(path)
        return sorted(paths)

    async def release_idle(self, now: float | None = None) -> int:
        """Delete rooms jmcp opened that nobody uses any more; returns how many were released."""
        ext = self.extension
        if ext is None:
            return 0
        now = time.monotonic() if now is None else now
        released = 0
        for room_id, opened in list(self._opened.items()):
            room = ext.ywebsocket_server.rooms.get(room_id)
            if room is None:
                del self._opened[room_id]
                continue
            if opened.pins > 0 or room.clients or now - opened.last_used < self._idle_seconds:
                continue
            if _unsaved(room):
                continue  # autosave has not written the last change yet
            async with ext._room_locks[room_id]:
                if ext.ywebsocket_server.rooms.get(room_id) is not room or room.clients:
                    continue
                await _delete_room(ext, room_id, room)
            del self._opened[room_id]
            released += 1
            self._log.debug("jmcp released idle room %s", room_id)
        return released


def update_lock(room: Any) -> Any:
    """The room's lock around reloads from disk (``DocumentRoom._update_lock``, an ``asyncio.Lock``), or None."""
    return getattr(room, "_update_lock", None)


async def restored_room(serverapp: Any, path: str) -> tuple[Any, Any] | None:
    """The open room of a notebook whose file was just restored from a checkpoint, and its document; None if no
    room is open.

    Tells the room's file watcher about the restored file first (what it would notice within a second): the file
    keeps the checkpoint's older mtime, and the room's next save must not take that for a change on disk.
    """
    settings = serverapp.web_app.settings
    ext = settings.get("jupyter_server_ydoc")
    if ext is None:
        return None
    from jupyter_server_ydoc.utils import encode_file_path, room_id_from_encoded_path

    file_id = settings["file_id_manager"].get_id(path)  # (``Rooms.room_id`` would make one for a new file)
    if file_id is None:
        return None
    room = ext.ywebsocket_server.rooms.get(room_id_from_encoded_path(encode_file_path("json", "notebook", file_id)))
    if room is None:
        return None
    if file_id in ext.file_loaders:
        await ext.file_loaders[file_id].maybe_notify()
    return room, room._document


def _unsaved(room: Any) -> bool:
    document = getattr(room, "_document", None)
    saving = getattr(room, "_saving_document", None)
    return bool((document is not None and document.dirty) or (saving is not None and not saving.done()))


def _autosaves(room: Any) -> bool:
    # As the room decides: autosave unless every state with the field has switched it off.
    states = [s for s in room.awareness.states.values() if s]
    return not states or any(s.get("autosave", True) for s in states)


async def _delete_room(ext: Any, room_id: str, room: Any) -> None:
    from jupyter_server_ydoc.utils import decode_file_path

    await ext.ywebsocket_server.delete_room(room=room)
    # Stopping a room does not stop its update store, whose SQLite connection (a file descriptor)
    # would stay open until garbage collection.
    ystore = getattr(room, "ystore", None)
    if ystore is not None:
        with contextlib.suppress(Exception):
            await ystore.stop()
    _, _, file_id = decode_file_path(room_id)
    if file_id in ext.file_loaders and ext.file_loaders[file_id].number_of_subscriptions == 0:
        await ext.file_loaders.remove(file_id)
