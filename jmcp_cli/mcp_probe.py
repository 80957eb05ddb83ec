"""Talk to the server the way a client does: MCP handshake, tools list, a live edit that autosaves.

Imported lazily (by ``doctor``): it pulls in the MCP SDK and httpx2.
"""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from . import fetch
from .servers import Server

HANDSHAKE_TIMEOUT = 20.0
SAVE_TIMEOUT = 10.0
SCRATCH_PREFIX = "jmcp-doctor-"


def describe(exc: BaseException) -> str:
    """The innermost useful message of an exception (the SDK wraps errors in exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


@asynccontextmanager
async def session(server: Server) -> AsyncIterator[Any]:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {server.token}"} if server.token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=HANDSHAKE_TIMEOUT) as http,
        Client(streamable_http_client(server.mcp_url, http_client=http), mode="legacy") as client,
    ):
        yield client


async def _tool_names(server: Server) -> list[str]:
    async with session(server) as client:
        result = await client.list_tools()
        return [tool.name for tool in result.tools]


def tool_names(server: Server) -> list[str]:
    """Handshake (initialize) and ``tools/list``."""
    return asyncio.run(asyncio.wait_for(_tool_names(server), HANDSHAKE_TIMEOUT))


def _text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def _edit_scratch(server: Server, path: str, marker: str) -> None:
    """Create the scratch notebook and insert a cell, both through MCP tools (the live document).

    Tool names and arguments follow jmcp_ext's schema; keep this the only place that knows them.
    """
    async with session(server) as client:
        created = await client.call_tool("create_notebook", {"path": path})
        if created.is_error:
            raise RuntimeError(f"create_notebook failed: {_text(created)}")
        inserted = await client.call_tool(
            "insert_cell", {"path": path, "source": marker, "cell_type": "markdown", "index": 0}
        )
        if inserted.is_error:
            raise RuntimeError(f"insert_cell failed: {_text(inserted)}")


def _contents_url(server: Server, path: str) -> str:
    return f"{server.base_url}api/contents/{quote(path)}"


def _saved(server: Server, path: str, marker: str) -> bool:
    resp = fetch.request(_contents_url(server, path) + "?content=1&type=notebook", token=server.token)
    if resp.status != 200:
        return False
    cells = (resp.json().get("content") or {}).get("cells") or []
    return any(marker in "".join(c.get("source") or "") for c in cells)


def remove_scratch(server: Server, path: str) -> None:
    """Delete the scratch file and any session (kernel) opened for it."""
    try:
        sessions = fetch.request(f"{server.base_url}api/sessions", token=server.token)
        if sessions.status == 200:
            for s in sessions.json():
                if s.get("path") == path:
                    fetch.request(f"{server.base_url}api/sessions/{s['id']}", method="DELETE", token=server.token)
        fetch.request(_contents_url(server, path), method="DELETE", token=server.token)
    except fetch.UnreachableError:
        pass


@dataclass(frozen=True)
class RtcResult:
    saved: bool
    seconds: float
    path: str


def rtc_roundtrip(server: Server, timeout: float = SAVE_TIMEOUT) -> RtcResult:
    """Edit a scratch notebook through the live document and wait for autosave to put it on disk."""
    path = f"{SCRATCH_PREFIX}{secrets.token_hex(4)}.ipynb"
    marker = f"jmcp doctor {secrets.token_hex(8)}"
    start = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(_edit_scratch(server, path, marker), HANDSHAKE_TIMEOUT))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _saved(server, path, marker):
                return RtcResult(True, time.monotonic() - start, path)
            time.sleep(0.2)
        return RtcResult(False, time.monotonic() - start, path)
    finally:
        remove_scratch(server, path)
