"""Subscriptions to notebook resources: who changes a notebook, and which (debounced) notifications follow.

Absence is checked by waiting a quiet period longer than the debounce window: there is no event to wait for
when the point is that nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import mcp.types as types
import pytest
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp.shared.subscriptions import ResourcesListChanged, ResourceUpdated

from jmcp_ext.resources import notebook_uri
from jmcp_ext.resources.subscriptions import DEBOUNCE_SECONDS
from tests.support import JupyterServer, call, collaboration_client, mcp_client, running_server, wait_until

from .test_resources import all_uris, notebook_file

#: Longer than a debounce window plus delivery: what has not arrived by then is not coming.
QUIET = DEBOUNCE_SECONDS + 1.0


class Inbox:
    """The resource notifications one client received."""

    def __init__(self) -> None:
        self.updated: list[str] = []
        self.list_changed = 0

    async def __call__(self, message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            self.updated.append(str(message.params.uri))
        elif isinstance(message, types.ResourceListChangedNotification):
            self.list_changed += 1


@contextlib.asynccontextmanager
async def subscriber(server: JupyterServer, *uris: str) -> AsyncIterator[tuple[Any, Inbox]]:
    inbox = Inbox()
    async with mcp_client(server.mcp_url, server.token, message_handler=inbox) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)  # deprecated at 2026-07-28 only
            for uri in uris:
                await client.subscribe_resource(uri)
        yield client, inbox


async def unsubscribe(client: Any, uri: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        await client.unsubscribe_resource(uri)


async def exactly_one_update(inbox: Inbox, uri: str) -> float:
    """Wait for the update of ``uri``, then make sure no second one follows; returns the seconds it took."""
    took = await wait_until(lambda: uri in inbox.updated, timeout=10)
    await asyncio.sleep(QUIET)
    assert inbox.updated == [uri], f"expected one update of {uri}, got {inbox.updated}"
    return took


async def test_an_edit_from_another_session_sends_one_update(server: JupyterServer, nb_name: str) -> None:
    uri = notebook_uri(nb_name)
    async with mcp_client(server.mcp_url, server.token) as agent:
        await call(agent, "create_notebook", path=nb_name)
        await call(agent, "insert_cell", source="a = 1")
        async with subscriber(server, uri) as (_, inbox):
            await call(agent, "insert_cell", source="b = 2")
            await call(agent, "edit_cell_source", cell=0, old="1", new="10")  # same window: same notification
            took = await exactly_one_update(inbox, uri)
            assert DEBOUNCE_SECONDS * 0.9 <= took < DEBOUNCE_SECONDS + 2
            # An edit after the window gets its own notification.
            inbox.updated.clear()
            await call(agent, "insert_cell", source="c = 3")
            await exactly_one_update(inbox, uri)


async def test_a_collaboration_peer_edit_sends_one_update(server: JupyterServer, nb_name: str) -> None:
    notebook_file(server.root / nb_name, "x = 1")
    uri = notebook_uri(nb_name)
    async with collaboration_client(server, nb_name) as peer, subscriber(server, uri) as (client, inbox):
        await wait_until(lambda: len(peer.ycells) == 1, timeout=10)
        source = peer.ycells[0]["source"]
        source += "\ny = 2  # typed by a person"
        await exactly_one_update(inbox, uri)
        assert "typed by a person" in (await client.read_resource(uri)).contents[0].text
        # Autosave wrote the file meanwhile (save delay 0.5 s): saving is no change of the notebook.
        server.wait_for_disk(nb_name, lambda nb: "typed by a person" in "".join(nb["cells"][0]["source"]))
        await asyncio.sleep(QUIET)
        assert inbox.updated == [uri]


async def test_nothing_is_sent_after_unsubscribe_even_for_an_earlier_change(
    server: JupyterServer, nb_name: str
) -> None:
    uri = notebook_uri(nb_name)
    async with mcp_client(server.mcp_url, server.token) as agent:
        await call(agent, "create_notebook", path=nb_name)
        async with subscriber(server, uri) as (client, inbox):
            await call(agent, "insert_cell", source="a = 1")
            await unsubscribe(client, uri)  # within the debounce window of that edit
            await call(agent, "insert_cell", source="b = 2")
            await asyncio.sleep(QUIET)
            assert inbox.updated == []


async def test_subscribers_hear_only_of_their_notebooks(server: JupyterServer, nb_name: str) -> None:
    mine, other = nb_name, "other-" + nb_name
    async with mcp_client(server.mcp_url, server.token) as agent:
        await call(agent, "create_notebook", path=other)
        await call(agent, "create_notebook", path=mine)
        async with subscriber(server, notebook_uri(mine)) as (_, inbox):
            await call(agent, "insert_cell", source="elsewhere = 1", path=other)
            await call(agent, "insert_cell", source="here = 1", path=mine)
            await exactly_one_update(inbox, notebook_uri(mine))


async def test_subscribe_refuses_unknown_notebooks(server: JupyterServer) -> None:
    async with subscriber(server) as (client, _):
        for uri, message in [
            ("jupyter://notebook/missing.ipynb", "No notebook at"),
            ("https://example.com/x.ipynb", "not a notebook resource"),
        ]:
            with pytest.raises(MCPError, match=message), warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                await client.subscribe_resource(uri)


async def test_list_changed_when_a_notebook_is_created_or_deleted(server: JupyterServer, nb_name: str) -> None:
    inbox = Inbox()
    async with mcp_client(server.mcp_url, server.token, message_handler=inbox) as client:
        await client.list_resources()  # a client that listed resources is told when the list changes
        await call(client, "create_notebook", path=nb_name)
        await wait_until(lambda: inbox.list_changed == 1, timeout=10)
        assert notebook_uri(nb_name) in (await all_uris(client))[0]
        async with httpx2.AsyncClient(headers=server.headers) as http:
            (await http.delete(f"{server.url}api/contents/{nb_name}")).raise_for_status()
        await wait_until(lambda: inbox.list_changed == 2, timeout=10)
        # Saving an existing notebook changes no list.
        await asyncio.sleep(QUIET)
        assert inbox.list_changed == 2


@pytest.mark.slow
async def test_list_changed_for_a_notebook_written_outside_jupyter(server: JupyterServer, nb_name: str) -> None:
    inbox = Inbox()
    async with mcp_client(server.mcp_url, server.token, message_handler=inbox) as client:
        await client.list_resources()
        notebook_file(server.root / "outside-jupyter" / nb_name, "made = 'by another program'")
        # No contents event for this one: the periodic comparison with the disk (every ten seconds) finds it.
        await wait_until(lambda: inbox.list_changed >= 1, timeout=25, interval=0.2)
        assert notebook_uri(f"outside-jupyter/{nb_name}") in (await all_uris(client))[0]


async def test_modern_listen_streams_get_updates_and_list_changes(server: JupyterServer, nb_name: str) -> None:
    uri = notebook_uri(nb_name)
    async with mcp_client(server.mcp_url, server.token) as agent:
        await call(agent, "create_notebook", path=nb_name)
        async with (
            mcp_client(server.mcp_url, server.token, mode="2026-07-28") as modern,
            modern.listen(resource_subscriptions=[uri], resources_list_changed=True) as stream,
        ):
            assert stream.honored.resource_subscriptions == [uri]
            await call(agent, "insert_cell", source="a = 1")
            assert await asyncio.wait_for(anext(aiter(stream)), timeout=10) == ResourceUpdated(uri=uri)
            await call(agent, "create_notebook", path="new-" + nb_name)
            assert await asyncio.wait_for(anext(aiter(stream)), timeout=10) == ResourcesListChanged()


@pytest.mark.slow
async def test_subscriptions_keep_the_room_open_until_the_session_ends(tmp_path: Path) -> None:
    with running_server(tmp_path / "root", tmp_path / "home", "--JMCPExtension.room_idle_seconds=3") as server:
        notebook_file(server.root / "kept.ipynb", "k = 1")
        uri = notebook_uri("kept.ipynb")

        def open_rooms() -> int:
            health = httpx2.get(f"{server.mcp_url}/healthz", headers=server.headers, timeout=5).json()
            return int(health["open_rooms"])

        async with subscriber(server, uri):
            assert open_rooms() == 1
            await asyncio.sleep(6)  # twice the idle time: an unsubscribed room would have been released
            assert open_rooms() == 1
        # The client closed its session: the subscription went with it, and the room is released once idle.
        await wait_until(lambda: open_rooms() == 0, timeout=20, interval=0.5)


@pytest.mark.slow
async def test_without_collaboration_saves_and_outside_writes_send_one_update(tmp_path: Path) -> None:
    args = '--ServerApp.jpserver_extensions={"jupyter_server_ydoc": False}'
    with running_server(tmp_path / "root", tmp_path / "home", args) as server:
        notebook_file(server.root / "plain.ipynb", "p = 1")
        uri = notebook_uri("plain.ipynb")
        async with mcp_client(server.mcp_url, server.token) as agent, subscriber(server, uri) as (client, inbox):
            await call(agent, "insert_cell", source="q = 2", path="plain.ipynb")
            await exactly_one_update(inbox, uri)
            inbox.updated.clear()
            notebook_file(server.root / "plain.ipynb", "written = 'outside Jupyter'")
            await exactly_one_update(inbox, uri)
            assert "outside Jupyter" in (await client.read_resource(uri)).contents[0].text
