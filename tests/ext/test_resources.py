"""Notebooks as MCP resources, through the SDK's client: listing (paged), the template, and reading live content."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from jmcp_ext.resources import TEMPLATE, notebook_uri
from tests.support import JupyterServer, call, collaboration_client, mcp_client, running_server


def notebook_file(path: Path, *sources: str) -> None:
    """A small notebook written straight to disk (as a process outside Jupyter would)."""
    cells = [
        {"id": f"c{i}", "cell_type": "code", "source": s, "metadata": {}, "outputs": [], "execution_count": None}
        for i, s in enumerate(sources)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Poll ``check`` until it holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.1)


async def all_uris(client: Any) -> tuple[list[str], int]:
    """Every resource URI, following nextCursor; and how many pages that took."""
    uris: list[str] = []
    cursor, pages = None, 0
    while True:
        page = await client.list_resources(cursor=cursor)
        uris += [r.uri for r in page.resources]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return uris, pages


async def read_text(client: Any, uri: str) -> str:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "text/markdown" and content.uri == uri
    return str(content.text)


async def test_list_pages_through_every_notebook_once_and_leaves_out_hidden_ones(
    server: JupyterServer, nb_name: str
) -> None:
    folder = server.root / nb_name.removesuffix(".ipynb")
    for i in range(300):
        notebook_file(folder / f"deep/er/nb{i:03}.ipynb", f"x = {i}")
    notebook_file(folder / ".hidden/secret.ipynb", "s = 1")
    notebook_file(folder / ".dot.ipynb", "s = 2")
    notebook_file(folder / "__pycache__/cached.ipynb", "s = 3")  # one of Jupyter's hide globs
    (folder / "data.csv").write_text("a,b\n")
    outside = server.home / f"outside-{nb_name}"
    notebook_file(outside, "o = 1")
    os.symlink(outside, folder / "link-out.ipynb")  # leads out of the root
    expected = {notebook_uri(f"{folder.name}/deep/er/nb{i:03}.ipynb") for i in range(300)}
    async with mcp_client(server.mcp_url, server.token) as client:
        found: list[str] = []
        pages = 0

        async def listed() -> bool:
            nonlocal found, pages
            found, pages = await all_uris(client)
            return expected <= set(found)

        await eventually(listed)  # written outside Jupyter: a listing at most two seconds later shows them
        assert pages >= 2, "300 notebooks fit on one page: pagination was not exercised"
        assert len(found) == len(set(found)), "a notebook was listed twice across pages"
        mine = {uri for uri in found if uri.startswith(notebook_uri(folder.name + "/"))}
        assert mine == expected, "hidden, unlisted, non-notebook or escaping files were listed"

        first = (await client.list_resources()).resources[0]
        assert first.mime_type == "text/markdown" and first.name and first.title
        assert first.annotations is not None and first.annotations.last_modified
        with pytest.raises(MCPError, match="Invalid cursor"):
            await client.list_resources(cursor="not-a-cursor-of-ours")


async def test_template_covers_any_notebook_path(server: JupyterServer) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        capabilities = client.server_capabilities.resources
        assert capabilities is not None and capabilities.subscribe and capabilities.list_changed
        templates = (await client.list_resource_templates()).resource_templates
    (template,) = [t for t in templates if t.uri_template == TEMPLATE]
    assert template.uri_template == "jupyter://notebook/{+path}"
    assert template.mime_type == "text/markdown"


async def test_read_renders_cells_and_outputs_as_the_tools_do(server: JupyterServer, nb_name: str) -> None:
    path = f"odd dir #1/ünï 100% {nb_name}"
    (server.root / "odd dir #1").mkdir(exist_ok=True)
    uri = notebook_uri(path)
    assert " " not in uri and "#" not in uri.removeprefix("jupyter://") and "%25" in uri
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=path)
        await call(client, "insert_cell", source="# Title\nSome ```fenced``` text", cell_type="markdown")
        await call(client, "insert_execute_code_cell", source="print('hello from the kernel')")
        tool_view = await call(client, "read_notebook", outputs="brief")
        text = await read_text(client, uri)
        assert text.startswith(f"# {path}\n")
        assert "2 cells" in text and "live document" in text
        assert "hello from the kernel" in text and "execution_count=1" in text
        # The same rendering as read_notebook, cell by cell, each in a fence longer than the backticks inside.
        for block in tool_view.split("--- ")[1:]:
            assert "--- " + block.strip() in text
        assert "````\n--- cell 0" in text


async def test_list_and_read_in_the_stateless_era(server: JupyterServer, nb_name: str) -> None:
    notebook_file(server.root / nb_name, "stateless = True")
    async with mcp_client(server.mcp_url, server.token, mode="2026-07-28") as client:

        async def listed() -> bool:  # written outside Jupyter: listed once the last look is two seconds old
            return notebook_uri(nb_name) in (await all_uris(client))[0]

        await eventually(listed)
        assert "stateless = True" in await read_text(client, notebook_uri(nb_name))


@pytest.mark.slow
async def test_read_shows_a_collaboration_peers_unsaved_typing(tmp_path: Path) -> None:
    # Autosave far away: what the read returns cannot have come from the file.
    with running_server(tmp_path / "root", tmp_path / "home", "--YDocExtension.document_save_delay=120") as server:
        notebook_file(server.root / "live.ipynb", "a = 1")
        async with (
            mcp_client(server.mcp_url, server.token) as client,
            collaboration_client(server, "live.ipynb") as peer,
        ):
            await eventually(lambda: _ready(peer))
            source = peer.ycells[0]["source"]
            source += "  # typed in JupyterLab"
            await eventually(lambda: _shows(client, "live.ipynb", "typed in JupyterLab"), timeout=10)
            assert "typed in JupyterLab" not in (server.root / "live.ipynb").read_text()
            assert "live document (includes unsaved changes)" in await read_text(client, notebook_uri("live.ipynb"))


async def _ready(peer: Any) -> bool:
    return len(peer.ycells) == 1


async def _shows(client: Any, path: str, snippet: str) -> bool:
    return snippet in await read_text(client, notebook_uri(path))


async def test_read_without_a_room_reads_the_file_and_opens_no_room(server: JupyterServer, nb_name: str) -> None:
    notebook_file(server.root / nb_name, "from_disk = 42")
    async with mcp_client(server.mcp_url, server.token) as client:
        text = await read_text(client, notebook_uri(nb_name))
        assert "from_disk = 42" in text and "saved file" in text
        assert nb_name not in await call(client, "list_notebooks")  # no live room was opened for the read


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("jupyter://notebook/no-such-notebook.ipynb", "No notebook at"),
        ("jupyter://notebook/.hidden/secret.ipynb", "hidden"),
        ("jupyter://notebook/data.csv", "not a notebook"),
        ("jupyter://notebook/..%2F..%2Fetc%2Fpasswd.ipynb", "Unknown resource"),
        ("jupyter://elsewhere/x.ipynb", "Unknown resource"),
    ],
)
async def test_read_refuses_what_is_not_a_notebook_under_the_root(
    server: JupyterServer, uri: str, message: str
) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        with pytest.raises(MCPError, match=message) as raised:
            await client.read_resource(uri)
    assert raised.value.error.code == -32602  # invalid params: the SDK's "resource not found"
