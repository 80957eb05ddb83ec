"""Who wants to hear about which notebook, and telling them once per burst of changes.

Two kinds of listener, one per protocol era:
- 2025-11-25 and older: an MCP session that sent ``resources/subscribe``; told with
  ``notifications/resources/updated`` on its standalone (GET) stream through the SDK's ``ServerSession``.
  Sessions that listed resources are told ``notifications/resources/list_changed`` the same way.
- 2026-07-28: an open ``subscriptions/listen`` stream; told through the SDK's subscription bus, whose listen
  handler passes on only the events each stream asked for.
Changes are debounced per URI: the first change opens a window, and one notification at its end covers every
change in it. Whoever is no longer subscribed when the window closes is not told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mcp.server.subscriptions import ResourcesListChanged, ResourceUpdated, SubscriptionBus

log = logging.getLogger(__name__)

#: Seconds from a notebook's first change to the notification that covers it and what follows.
DEBOUNCE_SECONDS = 0.4
LIST = "\x00list"  # the debounce key of the notebook list


@dataclass
class _Session:
    session: Any  # the SDK's ServerSession: its notifications go out on the session's standalone stream
    uris: set[str] = field(default_factory=set)
    lists: bool = False


class Subscribers:
    """Subscriptions by session and by listen stream; ``on_watch``/``on_unwatch`` see the first and last of a URI."""

    def __init__(
        self,
        bus: SubscriptionBus,
        *,
        on_watch: Callable[[str], None],
        on_unwatch: Callable[[str], None],
        delay: float = DEBOUNCE_SECONDS,
    ) -> None:
        self._bus = bus
        self._on_watch = on_watch
        self._on_unwatch = on_unwatch
        self._delay = delay
        self._sessions: dict[str, _Session] = {}
        self._streams: Counter[str] = Counter()
        self._list_streams = 0
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- who listens -------------------------------------------------------------------------------

    def count(self, uri: str) -> int:
        return self._streams[uri] + sum(uri in s.uris for s in self._sessions.values())

    def uris_of(self, session_id: str) -> set[str]:
        entry = self._sessions.get(session_id)
        return set(entry.uris) if entry is not None else set()

    @property
    def wants_list(self) -> bool:
        """Whether anyone would hear that the notebook list changed."""
        return self._list_streams > 0 or any(s.lists for s in self._sessions.values())

    def _entry(self, session_id: str, session: Any) -> _Session:
        entry = self._sessions.get(session_id)
        if entry is None:
            entry = self._sessions[session_id] = _Session(session)
        entry.session = session  # the latest request's proxy; all of them reach the same connection
        return entry

    def subscribe(self, session_id: str, session: Any, uri: str) -> None:
        entry = self._entry(session_id, session)
        if uri in entry.uris:
            return
        first = self.count(uri) == 0
        entry.uris.add(uri)
        if first:
            self._on_watch(uri)

    def unsubscribe(self, session_id: str, uri: str) -> None:
        entry = self._sessions.get(session_id)
        if entry is None or uri not in entry.uris:
            return
        entry.uris.discard(uri)
        self._released([uri])

    def note_lister(self, session_id: str, session: Any) -> None:
        """Remember that a session listed resources: it is told when the list changes."""
        self._entry(session_id, session).lists = True

    def session_ended(self, session_id: str) -> None:
        entry = self._sessions.pop(session_id, None)
        if entry is not None:
            self._released(entry.uris)

    @contextlib.contextmanager
    def listening(self, uris: Iterable[str], lists: bool) -> Iterator[None]:
        """A listen stream's interest, for as long as the stream is open."""
        uris = set(uris)
        for uri in uris:
            self._streams[uri] += 1
            if self.count(uri) == 1:
                self._on_watch(uri)
        self._list_streams += lists
        try:
            yield
        finally:
            self._list_streams -= lists
            self._streams.subtract(uris)
            self._released(uris)

    def _released(self, uris: Iterable[str]) -> None:
        for uri in uris:
            if uri in self._streams and self._streams[uri] <= 0:
                del self._streams[uri]
            if self.count(uri) == 0:
                self._on_unwatch(uri)

    # --- telling them ------------------------------------------------------------------------------

    def changed(self, uri: str) -> None:
        """Note a change of ``uri``; its subscribers hear of it once the debounce window closes."""
        if self.count(uri):
            self._debounce(uri, lambda: self._send_updated(uri))

    def list_changed(self) -> None:
        if self.wants_list:
            self._debounce(LIST, self._send_list_changed)

    def _debounce(self, key: str, send: Callable[[], Any]) -> None:
        if key in self._pending:
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            del self._pending[key]
            task = loop.create_task(send())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self._pending[key] = loop.call_later(self._delay, fire)

    async def _send_updated(self, uri: str) -> None:
        for session_id, entry in list(self._sessions.items()):
            if uri in entry.uris:
                await self._notify(session_id, entry, "send_resource_updated", uri)
        if self._streams[uri] > 0:
            await self._bus.publish(ResourceUpdated(uri=uri))

    async def _send_list_changed(self) -> None:
        for session_id, entry in list(self._sessions.items()):
            if entry.lists:
                await self._notify(session_id, entry, "send_resource_list_changed")
        if self._list_streams > 0:
            await self._bus.publish(ResourcesListChanged())

    async def _notify(self, session_id: str, entry: _Session, method: str, *args: str) -> None:
        try:
            await getattr(entry.session, method)(*args)
        except Exception as exc:  # a closed connection: the session is gone
            log.debug("jmcp dropped the subscriptions of session %s: %r", session_id, exc)
            if self._sessions.get(session_id) is entry:
                self.session_ended(session_id)

    def close(self) -> None:
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()
        for task in self._tasks:
            task.cancel()
