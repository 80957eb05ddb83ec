"""Subscribers: one notification per debounce window, to whoever is subscribed when it closes, in both eras.

The SDK's real subscription bus carries the 2026-07-28 events; a session here is a stand-in that records what
the SDK's ServerSession would have been asked to send.
"""

from __future__ import annotations

import asyncio

from mcp.server.subscriptions import InMemorySubscriptionBus, ResourcesListChanged, ResourceUpdated, ServerEvent

from jmcp_ext.resources.subscriptions import Subscribers
from tests.support import wait_until

DELAY = 0.05
A, B = "jupyter://notebook/a.ipynb", "jupyter://notebook/b.ipynb"


class Session:
    """Records the notifications sent to one session; ``broken`` makes sending fail like a closed stream."""

    def __init__(self, broken: bool = False) -> None:
        self.sent: list[tuple[str, ...]] = []
        self.broken = broken

    async def send_resource_updated(self, uri: str) -> None:
        if self.broken:
            raise ConnectionResetError("stream closed")
        self.sent.append(("updated", uri))

    async def send_resource_list_changed(self) -> None:
        self.sent.append(("list_changed",))


def subscribers() -> tuple[Subscribers, list[str], list[ServerEvent]]:
    watched: list[str] = []
    events: list[ServerEvent] = []
    bus = InMemorySubscriptionBus()
    bus.subscribe(events.append)
    subs = Subscribers(bus, on_watch=watched.append, on_unwatch=lambda uri: watched.remove(uri), delay=DELAY)
    return subs, watched, events


async def settle() -> None:
    """Let every open debounce window close and its notifications go out."""
    await asyncio.sleep(DELAY * 4)


async def test_changes_within_a_window_make_one_notification() -> None:
    subs, _, _ = subscribers()
    session = Session()
    subs.subscribe("s1", session, A)
    for _ in range(5):
        subs.changed(A)
    subs.changed(B)  # nobody subscribed: nothing
    await wait_until(lambda: session.sent, timeout=5)
    await settle()
    assert session.sent == [("updated", A)]
    subs.changed(A)
    await wait_until(lambda: len(session.sent) == 2, timeout=5)


async def test_nothing_reaches_who_left_before_the_window_closed() -> None:
    subs, watched, _ = subscribers()
    leaving, ending, staying = Session(), Session(), Session()
    subs.subscribe("leaving", leaving, A)
    subs.subscribe("ending", ending, A)
    subs.subscribe("staying", staying, A)
    subs.changed(A)
    subs.unsubscribe("leaving", A)
    subs.session_ended("ending")
    await wait_until(lambda: staying.sent, timeout=5)
    await settle()
    assert leaving.sent == [] and ending.sent == []
    assert watched == [A]
    subs.session_ended("staying")
    assert watched == []


async def test_a_notebook_is_watched_while_any_session_or_stream_follows_it() -> None:
    subs, watched, events = subscribers()
    subs.subscribe("s1", Session(), A)
    subs.subscribe("s1", Session(), A)  # again: no second watch
    with subs.listening([A, B], lists=True):
        assert sorted(watched) == [A, B]
        subs.unsubscribe("s1", A)
        assert sorted(watched) == [A, B]  # the stream still follows A
        subs.changed(A)
        subs.list_changed()
        await wait_until(lambda: len(events) == 2, timeout=5)
        assert set(map(type, events)) == {ResourceUpdated, ResourcesListChanged}
    assert watched == []
    subs.changed(A)
    subs.list_changed()
    await settle()
    assert len(events) == 2  # the stream closed: nothing more published


async def test_list_changes_go_to_sessions_that_listed_and_a_broken_session_is_dropped() -> None:
    subs, watched, _ = subscribers()
    lister, broken, silent = Session(), Session(broken=True), Session()
    subs.note_lister("lister", lister)
    subs.subscribe("broken", broken, A)
    subs.subscribe("silent", silent, B)
    subs.list_changed()
    subs.changed(A)
    await wait_until(lambda: lister.sent and A not in watched, timeout=5)
    assert lister.sent == [("list_changed",)] and silent.sent == []
    assert subs.uris_of("broken") == set() and watched == [B]
    subs.close()


async def test_close_cancels_pending_notifications() -> None:
    subs, _, _ = subscribers()
    session = Session()
    subs.subscribe("s1", session, A)
    subs.changed(A)
    subs.close()
    await settle()
    assert session.sent == []
