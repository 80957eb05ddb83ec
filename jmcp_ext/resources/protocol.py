"""The MCP side of notebook resources: list, template, read, subscribe and listen, wired into the SDK's server.

What the SDK (mcp 2.3) offers and where jmcp steps in:
- ``MCPServer.resource(template)`` serves ``resources/templates/list`` and ``resources/read``: used as is.
- ``MCPServer`` lists only resources registered one by one, unpaginated, and serves no ``resources/subscribe``.
  The SDK's way to serve such methods is the low-level ``Server.add_request_handler``, which MCPServer keeps
  in ``_lowlevel_server`` without a public accessor: :func:`_lowlevel` is the one place that reaches it.
- 2026-07-28 ``subscriptions/listen``: the SDK's ``ListenHandler`` over the server's ``SubscriptionBus``; it is
  wrapped only to learn which notebooks a stream follows (so they are watched while it is open).
- The handshake-era ``listChanged`` flag comes from ``NotificationOptions`` that the HTTP transport never
  passes; a server middleware sets it in the ``initialize`` result (notifications are really sent).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import posixpath
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.subscriptions import ListenHandler, SubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    Annotations,
    EmptyResult,
    ListResourcesResult,
    PaginatedRequestParams,
    Resource,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    UnsubscribeRequestParams,
)

from ..errors import JmcpError
from ..paths import require_notebook
from .feed import NotebookFeed
from .uris import TEMPLATE, notebook_uri, path_of
from .view import MIME_TYPE, open_for_reading, render

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server
    from mcp.server.mcpserver import MCPServer

#: Resources per resources/list page. Claude Code and Codex read only the first page, so it is large.
PAGE_SIZE = 250
#: Notebooks one session (or one listen stream) may follow at once: each keeps a collaboration room open.
MAX_SUBSCRIPTIONS = 32
#: A resources/list re-checks the disk when its last look is older than this (seconds).
LIST_MAX_AGE = 2.0


def _lowlevel(server: MCPServer[Any]) -> Server[Any]:
    """The SDK's low-level server inside ``server`` (no public accessor in mcp 2.3; see the module docstring).

    MCPServer serves no resources/subscribe and no paginated resources/list; the low-level
    ``add_request_handler`` is the SDK's own escape hatch but MCPServer keeps that server private. The SDK's
    conformance server reaches it the same way (python-sdk PR #1587, "private API with TODO"); subscribe
    support on the high-level server: python-sdk issue #491. Drop this once MCPServer exposes either.
    """
    return server._lowlevel_server


def request_session_id(ctx: Any) -> str | None:
    """The ``Mcp-Session-Id`` of a low-level handler's request; None without one (2026-07-28, in-process)."""
    headers = getattr(getattr(ctx, "request", None), "headers", None)
    value = headers.get("mcp-session-id") if headers is not None else None
    return str(value) if value else None


def notebook_path(services: Any, uri: str) -> str:
    """The API path a notebook URI names, confined to the root; raises MCPError for anything else."""
    path = path_of(uri)
    if path is None:
        raise MCPError(INVALID_PARAMS, f"{uri!r} is not a notebook resource here; use a URI from resources/list.")
    try:
        return require_notebook(services.api_path(path))
    except JmcpError as exc:
        raise MCPError(INVALID_PARAMS, str(exc)) from None


def register_resources(server: MCPServer[Any], services: Any, bus: SubscriptionBus) -> NotebookFeed:
    """Serve the notebooks under the root as resources on ``server``; returns the feed to close at shutdown."""
    feed = NotebookFeed(services, bus)
    low = _lowlevel(server)

    @server.resource(
        TEMPLATE,
        name="notebook",
        title="Jupyter notebook",
        description="A notebook under the Jupyter root by its path: its cells and outputs as markdown, live.",
        mime_type=MIME_TYPE,
    )
    async def read_notebook_resource(path: str) -> str:
        try:
            api_path = require_notebook(services.api_path(path))
        except JmcpError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        try:
            notebook = await open_for_reading(services, api_path)
        except Exception as exc:  # the contents manager raises tornado HTTPErrors for broken files
            raise ResourceError(f"Cannot read {api_path!r}: {getattr(exc, 'log_message', None) or exc}") from None
        if notebook is None:
            raise ResourceNotFoundError(f"No notebook at {api_path!r}; resources/list shows the notebooks there are.")
        return await render(notebook, services.limits)

    async def list_resources(ctx: Any, params: PaginatedRequestParams) -> ListResourcesResult:
        await feed.start()
        index = feed.index
        await index.fresh(LIST_MAX_AGE if index.local else 30.0)
        session_id = request_session_id(ctx)
        if session_id is not None:
            feed.subscribers.note_lister(session_id, ctx.session)
        try:
            paths, cursor = index.page(params.cursor, PAGE_SIZE)
        except ValueError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None
        root = str(getattr(services.notebooks.contents_manager, "root_dir", services.root_dir))
        listed = [_resource(path, root if index.local else None) for path in paths]
        others = await server.list_resources() if params.cursor is None else []  # any registered one by one
        return ListResourcesResult(resources=[*others, *listed], next_cursor=cursor)

    async def subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        session_id = request_session_id(ctx)
        if session_id is None:
            raise MCPError(INVALID_REQUEST, "resources/subscribe needs an MCP session; use subscriptions/listen.")
        path = notebook_path(services, params.uri)
        if not await services.notebooks.exists(path):
            raise MCPError(INVALID_PARAMS, f"No notebook at {path!r}; resources/list shows the notebooks there are.")
        uri = notebook_uri(path)
        subscribed = feed.subscribers.uris_of(session_id)
        if uri not in subscribed and len(subscribed) >= MAX_SUBSCRIPTIONS:
            raise MCPError(INVALID_REQUEST, f"At most {MAX_SUBSCRIPTIONS} subscriptions a session; unsubscribe first.")
        await feed.start()
        feed.subscribers.subscribe(session_id, ctx.session, uri)
        await feed.watch.ready(path)
        return EmptyResult()

    async def unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        session_id = request_session_id(ctx)
        if session_id is not None:
            with contextlib.suppress(MCPError):  # not a notebook URI: never subscribed, nothing to do
                feed.subscribers.unsubscribe(session_id, notebook_uri(notebook_path(services, params.uri)))
        return EmptyResult()

    sdk_listen = ListenHandler(bus)

    async def listen(ctx: Any, params: SubscriptionsListenRequestParams) -> Any:
        wanted = params.notifications
        uris = set()
        for uri in wanted.resource_subscriptions or ():
            # As the SDK does, a URI that names no notebook here is acknowledged and simply never fires.
            with contextlib.suppress(MCPError):
                uris.add(notebook_uri(notebook_path(services, uri)))
        if len(uris) > MAX_SUBSCRIPTIONS:
            raise MCPError(INVALID_REQUEST, f"At most {MAX_SUBSCRIPTIONS} notebooks per listen stream.")
        lists = bool(wanted.resources_list_changed)
        if uris or lists:
            await feed.start()
        with feed.subscribers.listening(uris, lists):
            for uri in uris:
                path = path_of(uri)
                if path is not None:
                    await feed.watch.ready(path)
            return await sdk_listen(ctx, params)

    low.add_request_handler("resources/list", PaginatedRequestParams, list_resources)
    low.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
    low.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
    low.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, listen)
    server.middleware.append(_announce_list_changes)
    return feed


def _resource(path: str, root: str | None) -> Resource:
    annotations = None
    if root is not None:
        try:
            modified = os.stat(os.path.join(root, path)).st_mtime
            stamp = datetime.datetime.fromtimestamp(modified, tz=datetime.UTC).isoformat()
            annotations = Annotations(last_modified=stamp)
        except OSError:
            pass
    return Resource(
        uri=notebook_uri(path),
        name=path,
        title=posixpath.basename(path),
        description="Jupyter notebook: cells and outputs as markdown, live",
        mime_type=MIME_TYPE,
        annotations=annotations,
    )


async def _announce_list_changes(ctx: Any, call_next: Any) -> Any:
    """Server middleware: the handshake's capabilities say that resources/list_changed is sent."""
    result = await call_next(ctx)
    if ctx.method == "initialize" and isinstance(result, dict):
        resources = result.get("capabilities", {}).get("resources")
        if isinstance(resources, dict):
            resources["listChanged"] = True
    return result
