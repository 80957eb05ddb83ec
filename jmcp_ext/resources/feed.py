"""The notebooks as MCP resources, kept current: the index, the watch on subscribed notebooks, and their listeners.

Nothing runs until a client first lists, reads or subscribes to a resource. From then on, Jupyter's contents
events (save, rename, delete, copy...) say when the notebook list may have changed, and a check every second
keeps subscribed notebooks observed; every ten seconds, while anyone would hear it, the list is also compared
with the disk, for notebooks created or deleted outside Jupyter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import posixpath
import time
from typing import Any

from mcp.server.subscriptions import SubscriptionBus

from .index import NotebookIndex
from .subscriptions import DEBOUNCE_SECONDS, Subscribers
from .uris import notebook_uri, path_of
from .watch import NotebookWatch

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
LIST_CHECK_SECONDS = 10.0
#: Contents actions after which the notebook list may differ.
_LIST_ACTIONS = frozenset({"create", "save", "upload", "copy", "rename", "delete"})


class NotebookFeed:
    """The notebook list, the subscriptions to notebooks, and the changes that reach their listeners."""

    def __init__(self, services: Any, bus: SubscriptionBus, *, debounce: float = DEBOUNCE_SECONDS) -> None:
        self.services = services
        self.subscribers = Subscribers(bus, on_watch=self._watch_uri, on_unwatch=self._unwatch_uri, delay=debounce)
        self._index: NotebookIndex | None = None
        self._watch: NotebookWatch | None = None
        self._event_logger: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._start_lock = asyncio.Lock()
        services.sessions.on_end(self.subscribers.session_ended)

    @property
    def index(self) -> NotebookIndex:
        assert self._index is not None, "call start() first"
        return self._index

    @property
    def watch(self) -> NotebookWatch:
        assert self._watch is not None, "call start() first"
        return self._watch

    async def start(self) -> None:
        """Build the index and start following changes (once; later calls return at once)."""
        if self._task is not None:
            return
        async with self._start_lock:
            if self._task is not None:
                return
            store = self.services.notebooks
            cm = store.contents_manager
            self._index = NotebookIndex(cm, self.services.root_dir)
            self._watch = NotebookWatch(store, lambda path: self.subscribers.changed(notebook_uri(path)))
            await self._index.refresh()
            logger = getattr(cm, "event_logger", None)
            if logger is not None:
                logger.add_listener(schema_id=cm.event_schema_id, listener=self._on_contents_event)
                self._event_logger = logger
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        self._stopping.set()
        if self._event_logger is not None:
            with contextlib.suppress(Exception):
                cm = self.services.notebooks.contents_manager
                self._event_logger.remove_listener(schema_id=cm.event_schema_id, listener=self._on_contents_event)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.subscribers.close()
        if self._watch is not None:
            self._watch.close()

    def _watch_uri(self, uri: str) -> None:
        path = path_of(uri)
        if path is not None and self._watch is not None:
            self._watch.add(path)

    def _unwatch_uri(self, uri: str) -> None:
        path = path_of(uri)
        if path is not None and self._watch is not None:
            self._watch.remove(path)

    async def _on_contents_event(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """A contents manager event (jupyter_events listener): the list or a watched notebook may have changed."""
        action = str(data.get("action", ""))
        if action not in _LIST_ACTIONS:
            return  # mostly "get": every read of a file or folder
        path, source = str(data.get("path", "")).strip("/"), data.get("source_path")
        source = str(source).strip("/") if source else None
        if self._watch is not None:
            self._watch.contents_event(action, path, source)
        if action in ("save", "upload") and path in self.index:
            return  # an existing notebook saved (autosave does this every second while someone types)
        if action in ("save", "upload", "create", "copy") and not path.endswith(".ipynb"):
            return  # another kind of file
        folders = {posixpath.dirname(p) for p in (path, source) if p is not None}
        try:
            if await self.index.refresh(rescan=frozenset(folders)):
                self.subscribers.list_changed()
        except Exception:
            log.exception("jmcp could not refresh its notebook list")

    async def _run(self) -> None:
        last_list_check = time.monotonic()
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=CHECK_SECONDS)
            try:
                if len(self.watch):
                    await self.watch.check()
                # Walking a contents manager without a local root is too costly to repeat; its events suffice.
                due = time.monotonic() - last_list_check >= LIST_CHECK_SECONDS
                if due and self.index.local and self.subscribers.wants_list:
                    last_list_check = time.monotonic()
                    if await self.index.refresh():
                        self.subscribers.list_changed()
            except Exception:
                log.exception("jmcp resource check failed")
