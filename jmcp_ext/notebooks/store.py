"""Open notebooks for reading or a change: the room's live document when collaboration is on, else a file copy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from logging import Logger
from typing import Any

from jupyter_core.utils import ensure_async

from ..errors import JmcpError
from .files import FileNotebook
from .live import ORIGIN, LiveNotebook
from .model import Notebook
from .rooms import Rooms


class NotebookStore:
    """Finds notebooks and opens them on the right backend; both backends offer the same cell API."""

    def __init__(self, serverapp: Any, log: Logger, *, room_idle_seconds: float) -> None:
        self._serverapp = serverapp
        self.rooms = Rooms(serverapp, log, idle_seconds=room_idle_seconds)
        self._file_locks: dict[str, asyncio.Lock] = {}

    @property
    def contents_manager(self) -> Any:
        return self._serverapp.contents_manager

    @property
    def rtc_available(self) -> bool:
        return self.rooms.extension is not None

    def rtc_detail(self) -> str:
        if self.rtc_available:
            return "live editing through jupyter-collaboration (edits appear at once in open tabs)"
        return (
            "jupyter-collaboration is not enabled: edits are saved to disk but do not appear live in an "
            "open JupyterLab tab (reload it to see them). Install and enable jupyter-collaboration."
        )

    async def exists(self, path: str) -> bool:
        return bool(await ensure_async(self.contents_manager.file_exists(path)))

    async def create(self, path: str, content: dict[str, Any]) -> None:
        await ensure_async(self.contents_manager.save({"type": "notebook", "format": "json", "content": content}, path))

    async def _read_file(self, path: str) -> dict[str, Any]:
        if not await self.exists(path):
            if await ensure_async(self.contents_manager.dir_exists(path)):
                raise JmcpError(f"{path!r} is a directory, not a notebook.")
            raise JmcpError(f"Notebook {path!r} does not exist; use list_files to find it or create_notebook.")
        try:
            model = await ensure_async(self.contents_manager.get(path, content=True, type="notebook"))
        except Exception as exc:  # the contents manager raises tornado HTTPErrors for bad files
            message = getattr(exc, "log_message", None) or str(exc)
            raise JmcpError(f"Cannot read notebook {path!r}: {message}") from None
        return dict(model["content"])

    async def open(self, path: str, origin: Any = ORIGIN) -> Notebook:
        """The notebook at ``path`` (an API path already confined to the root).

        ``origin`` marks the live document's transactions made through it (one per MCP session).
        """
        ext = self.rooms.extension
        if ext is None:
            return FileNotebook(path, await self._read_file(path), self.contents_manager)
        if not await self.exists(path):
            await self._read_file(path)  # raises the right error
        try:
            ydoc = await ext.get_document(
                path=path, content_type="notebook", file_format="json", copy=False, create=True
            )
        except Exception as exc:
            # A file that is not a valid notebook makes the room fail to load.
            await self._read_file(path)
            raise JmcpError(f"Cannot open notebook {path!r} for live editing: {exc}") from None
        if ydoc is None:
            raise JmcpError(f"Cannot open notebook {path!r} for live editing; is it a valid notebook?")
        self.rooms.used(path)
        return LiveNotebook(path, ydoc, origin)

    @contextlib.asynccontextmanager
    async def editing(self, path: str, origin: Any = ORIGIN) -> AsyncIterator[Notebook]:
        """Open a notebook for a change; the file backend saves it afterwards.

        A live room is kept open meanwhile. File-backend edits of one notebook are serialised so two
        callers cannot overwrite each other.
        """
        if self.rtc_available:
            notebook = await self.open(path, origin)
            self.rooms.pin(path, +1)
            try:
                yield notebook
            finally:
                self.rooms.pin(path, -1)
            return
        lock = self._file_locks.setdefault(path, asyncio.Lock())
        async with lock:
            notebook = await self.open(path, origin)
            yield notebook
            await notebook.save()

    def open_rooms(self) -> list[str]:
        """Paths of notebooks that have a live room (opened by a browser or by jmcp)."""
        return self.rooms.open_paths()

    async def release_idle_rooms(self, now: float | None = None) -> int:
        return await self.rooms.release_idle(now)
