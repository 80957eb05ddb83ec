"""Noticing changes to the notebooks someone subscribed to.

With collaboration on, a watched notebook's room is kept open and its live document observed: the cells and
the notebook metadata, not the room's state map, whose ``dirty`` flag flips on every autosave. Every change
shows there, whoever made it: a person typing in JupyterLab, an agent's tool call, the room reloading a file
that changed on disk. The collaboration extension deletes a room a while after the last browser leaves, so a
periodic check re-opens it and observes the new document. Without collaboration, the file's saves (contents
events) and its modification time (for writes from outside Jupyter) tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_core.utils import ensure_async
from pycrdt import Map

from ..notebooks import NotebookStore

log = logging.getLogger(__name__)


@dataclass
class _Watched:
    path: str
    document: Any = None  # the observed YNotebook (collaboration on)
    observers: list[tuple[Any, Any]] = field(default_factory=list)  # (shared type, pycrdt subscription)
    modified: Any = None  # the file's last_modified (collaboration off)
    missing: bool = False  # the file did not exist at the last attempt to attach


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class NotebookWatch:
    """Calls ``on_change(path)`` when a watched notebook changes."""

    def __init__(self, store: NotebookStore, on_change: Callable[[str], None]) -> None:
        self._store = store
        self._on_change = on_change
        self._watched: dict[str, _Watched] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def __contains__(self, path: object) -> bool:
        return path in self._watched

    def __len__(self) -> int:
        return len(self._watched)

    def add(self, path: str) -> None:
        """Watch ``path`` from now on; changes are seen once :meth:`ready` (or the next check) attached to it."""
        if path not in self._watched:
            self._watched[path] = _Watched(path)

    def remove(self, path: str) -> None:
        watched = self._watched.pop(path, None)
        if watched is not None:
            self._detach(watched)

    async def ready(self, path: str) -> None:
        """Attach to ``path`` now if it is watched and not attached yet (it may not exist yet)."""
        watched = self._watched.get(path)
        if watched is None or watched.document is not None or watched.modified is not None:
            return
        try:
            await self._attach(watched)
        except Exception as exc:  # a broken notebook: tried again at the next check
            log.debug("jmcp cannot watch %s yet: %r", path, exc)

    async def _attach(self, watched: _Watched) -> None:
        store = self._store
        watched.missing = not await store.exists(watched.path)
        if watched.missing:
            return
        ext = store.rooms.extension
        if ext is None:
            watched.modified = await self._modified(watched.path)
            return
        await store.open(watched.path)  # opens the room if nobody has (and marks it in use)
        document = await ext.get_document(
            path=watched.path, content_type="notebook", file_format="json", copy=False, create=False
        )
        if document is None or self._watched.get(watched.path) is not watched:
            return  # gone meanwhile, or no longer watched
        self._observe(watched, document)

    def _observe(self, watched: _Watched, document: Any) -> None:
        self._detach(watched)
        path = watched.path

        def changed(_events: Any) -> None:
            # An exception in a pycrdt observer resurfaces in the next transaction anywhere: never raise.
            with contextlib.suppress(Exception):
                self._on_change(path)

        shared = (document.ycells, document.ydoc.get("meta", type=Map))
        watched.observers = [(s, s.observe_deep(changed)) for s in shared]
        watched.document = document

    @staticmethod
    def _detach(watched: _Watched) -> None:
        for shared, subscription in watched.observers:
            with contextlib.suppress(Exception):
                shared.unobserve(subscription)
        watched.observers = []
        watched.document = None
        watched.modified = None

    async def _modified(self, path: str) -> Any:
        try:
            model = await ensure_async(self._store.contents_manager.get(path, content=False, type="notebook"))
        except Exception:
            return None
        return model.get("last_modified")

    async def check(self) -> None:
        """The periodic check: rooms kept open and re-observed when replaced, files' times compared."""
        ext = self._store.rooms.extension
        for watched in list(self._watched.values()):
            try:
                if ext is None:
                    await self._check_file(watched)
                else:
                    await self._check_room(ext, watched)
            except Exception as exc:
                log.debug("jmcp could not check %s: %r", watched.path, exc)

    async def _check_file(self, watched: _Watched) -> None:
        modified = await self._modified(watched.path)
        if modified != watched.modified:
            known = watched.modified is not None
            watched.modified = modified
            if known or modified is not None:
                self._on_change(watched.path)

    async def _check_room(self, ext: Any, watched: _Watched) -> None:
        path = watched.path
        if watched.document is None:
            was_missing = watched.missing
            await self._attach(watched)
            if was_missing and watched.document is not None:
                self._on_change(path)  # it exists again (created, or renamed back)
            return
        document = await ext.get_document(
            path=path, content_type="notebook", file_format="json", copy=False, create=False
        )
        if document is watched.document:
            self._store.rooms.used(path)  # keeps jmcp from releasing the room as idle
            return
        old = watched.document
        self._detach(watched)
        await self._attach(watched)
        new = watched.document
        # The room was replaced (or re-opened after the collaboration extension deleted it): what was typed
        # in between shows only as a difference between the documents.
        if old is not None and new is not None and _content(old) != _content(new):
            self._on_change(path)

    def contents_event(self, action: str, path: str, source_path: str | None) -> None:
        """A contents manager action (save, rename, delete...) on ``path`` (from ``source_path``)."""
        live = self._store.rooms.extension is not None
        for watched in list(self._watched.values()):
            if action in ("rename", "delete") and any(
                p is not None and _under(watched.path, p) for p in (path, source_path)
            ):
                # Moved or gone: its URI now names nothing (or another file); look again at the next check.
                self._detach(watched)
                self._on_change(watched.path)
            elif watched.path == path and not live and action in ("save", "upload", "create", "copy"):
                self._on_change(path)
                self._spawn(self._remember_modified(watched))

    async def _remember_modified(self, watched: _Watched) -> None:
        watched.modified = await self._modified(watched.path)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        for watched in self._watched.values():
            self._detach(watched)
        self._watched.clear()
        for task in self._tasks:
            task.cancel()


def _content(document: Any) -> Any:
    try:
        return document.get()
    except Exception:
        return None
