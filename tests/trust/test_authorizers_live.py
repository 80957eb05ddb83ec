"""Custom Authorizers on a real server: the REST API refuses exactly the pairs SECURITY.md lists (so the
mapping in jmcp_ext.permissions names what JupyterLab checks), and MCP must refuse the same.

Before jmcp asked the authorizer (issue 13), DenyExecute did not stop execute_code, DenyWrite did not stop
insert_cell, and DenyReadContents did not stop read_notebook.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

from tests.support import JupyterServer, call, mcp_client, running_server, text_of

pytestmark = pytest.mark.slow

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "id": "c1", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": None}
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
FAKE_KERNEL = "00000000-0000-0000-0000-000000000000"
AUTHORIZERS = ("DenyWrite", "DenyExecute", "DenyReadContents")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], JupyterServer]]:
    """A server per authorizer, started when first asked for, with one notebook in its root."""
    started: dict[str, JupyterServer] = {}
    stacks = []

    def get(name: str) -> JupyterServer:
        if name not in started:
            base = tmp_path_factory.mktemp(name)
            (base / "root").mkdir()
            (base / "root" / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
            context = running_server(
                base / "root", base / "home", f"--ServerApp.authorizer_class=tests.trust.authorizers.{name}"
            )
            started[name] = context.__enter__()
            stacks.append(context)
        return started[name]

    yield get
    for context in reversed(stacks):
        context.__exit__(None, None, None)


def status(server: JupyterServer, method: str, path: str, body: object = None) -> int:
    response = httpx2.request(method, f"{server.url}{path}", headers=server.headers, json=body, timeout=30)
    return response.status_code


@pytest.mark.parametrize(
    ("authorizer", "refused", "allowed"),
    [
        (
            "DenyWrite",
            [
                ("PUT", "api/contents/new.ipynb", {"type": "notebook"}),
                ("POST", "api/sessions", {"path": "nb.ipynb", "type": "notebook", "kernel": {"name": "python3"}}),
                ("POST", "api/kernels", {"name": "python3"}),
                ("POST", f"api/kernels/{FAKE_KERNEL}/interrupt", None),
                ("POST", f"api/kernels/{FAKE_KERNEL}/restart", None),
            ],
            [
                ("GET", "api/contents/nb.ipynb"),
                ("GET", "api/sessions"),
                ("GET", "api/kernels"),
                ("GET", "api/kernelspecs"),
            ],
        ),
        (
            "DenyExecute",
            [("GET", f"api/kernels/{FAKE_KERNEL}/channels", None)],
            [("GET", "api/contents/nb.ipynb"), ("GET", "api/sessions"), ("GET", "api/kernels")],
        ),
        (
            "DenyReadContents",
            [("GET", "api/contents/nb.ipynb", None), ("GET", "api/contents", None)],
            [("GET", "api/sessions"), ("GET", "api/kernels"), ("GET", "api/kernelspecs")],
        ),
    ],
)
def test_the_rest_api_refuses_what_the_authorizer_denies(
    servers: Callable[[str], JupyterServer],
    authorizer: str,
    refused: list[tuple[str, str, object]],
    allowed: list[tuple[str, str]],
) -> None:
    server = servers(authorizer)
    for method, path, body in refused:
        assert status(server, method, path, body) == 403, (method, path)
    for method, path in allowed:
        assert status(server, method, path) == 200, (method, path)
    if authorizer != "DenyWrite":  # the one refusal that is not a 403 of its own: authorized, then 404
        assert status(server, "POST", f"api/kernels/{FAKE_KERNEL}/interrupt") == 404


async def test_with_write_denied_edits_are_refused_and_hidden_and_the_file_is_unchanged(
    servers: Callable[[str], JupyterServer],
) -> None:
    server = servers("DenyWrite")
    before = (server.root / "nb.ipynb").read_text()
    async with mcp_client(server.mcp_url, server.token) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("insert_cell", {"path": "nb.ipynb", "source": "print('agent')"})
        read = await call(client, "read_notebook", path="nb.ipynb")
    assert result.is_error and "write contents" in text_of(result)
    assert {"read_notebook", "read_cell", "list_files"} <= listed
    assert listed.isdisjoint({"insert_cell", "edit_cell_source", "delete_cells", "create_notebook", "restart_kernel"})
    assert "x = 1" in read
    assert (server.root / "nb.ipynb").read_text() == before


async def test_with_execute_denied_no_code_runs_and_editing_still_works(
    servers: Callable[[str], JupyterServer], tmp_path: Path
) -> None:
    server = servers("DenyExecute")
    marker = tmp_path / "ran"
    async with mcp_client(server.mcp_url, server.token) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("execute_code", {"path": "nb.ipynb", "code": f"open({str(marker)!r}, 'w')"})
        await call(client, "insert_cell", path="nb.ipynb", source="# an edit is allowed")
    assert result.is_error and "execute kernels" in text_of(result)
    assert not marker.exists()
    assert httpx2.get(f"{server.url}api/kernels", headers=server.headers, timeout=30).json() == []  # none started
    assert listed.isdisjoint({"execute_code", "execute_cell", "insert_execute_code_cell", "run_all_cells"})
    assert {"insert_cell", "read_notebook", "interrupt_kernel"} <= listed
    server.wait_for_disk("nb.ipynb", lambda nb: any("an edit" in "".join(c["source"]) for c in nb["cells"]))


async def test_with_reading_contents_denied_notebooks_cannot_be_read(servers: Callable[[str], JupyterServer]) -> None:
    server = servers("DenyReadContents")
    async with mcp_client(server.mcp_url, server.token) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("read_notebook", {"path": "nb.ipynb"})
        kernels = await call(client, "list_kernels")
    assert result.is_error and "read contents" in text_of(result) and "x = 1" not in text_of(result)
    assert listed.isdisjoint({"read_notebook", "read_cell", "list_files", "insert_cell"})
    assert "list_kernels" in listed and "Kernel specs" in kernels


async def test_with_write_denied_no_kernel_is_started_but_a_notebook_can_still_be_used(
    servers: Callable[[str], JupyterServer],
) -> None:
    server = servers("DenyWrite")
    async with mcp_client(server.mcp_url, server.token) as client:
        result = await client.call_tool("use_notebook", {"path": "nb.ipynb"})
        used = await call(client, "use_notebook", path="nb.ipynb", start_kernel=False)
    assert result.is_error
    assert "Starting the notebook's kernel (for use_notebook) is not allowed" in text_of(result)
    assert "write sessions" in text_of(result)
    assert httpx2.get(f"{server.url}api/sessions", headers=server.headers, timeout=30).json() == []
    assert httpx2.get(f"{server.url}api/kernels", headers=server.headers, timeout=30).json() == []
    assert "nb.ipynb" in used


async def test_notebook_resources_follow_the_read_contents_permission(
    servers: Callable[[str], JupyterServer],
) -> None:
    from mcp.shared.exceptions import MCPError

    uri = "jupyter://notebook/nb.ipynb"
    denied = servers("DenyReadContents")
    async with mcp_client(denied.mcp_url, denied.token) as client:
        listing = await client.list_resources()
        with pytest.raises(MCPError) as refused:
            await client.read_resource(uri)
    assert listing.resources == []
    assert "read contents" in str(refused.value) and "x = 1" not in str(refused.value)
    allowed = servers("DenyWrite")
    async with mcp_client(allowed.mcp_url, allowed.token) as client:
        listing = await client.list_resources()
        read = await client.read_resource(uri)
    assert [str(r.uri) for r in listing.resources] == [uri]
    assert "x = 1" in read.contents[0].text  # type: ignore[union-attr]
