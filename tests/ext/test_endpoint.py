"""The /mcp endpoint: auth at the edge, both protocol eras, healthz, base_url, enabling."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from tests.support import INIT, JSON_HEADERS, JupyterServer, call, isolated_env, mcp_client, running_server, text_of

EXPECTED_TOOLS = {
    "list_files", "list_notebooks", "create_notebook", "use_notebook", "read_notebook", "read_cell",
    "insert_cell", "overwrite_cell_source", "edit_cell_source", "delete_cells", "move_cell", "clear_outputs",
    "undo", "redo",
    "execute_cell", "insert_execute_code_cell", "execute_code", "run_all_cells",
    "list_variables", "inspect_variable", "list_kernels", "restart_kernel", "interrupt_kernel",
}  # fmt: skip


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_both_protocol_eras_list_every_tool_with_instructions(server: JupyterServer, mode: str) -> None:
    async with mcp_client(server.mcp_url, server.token, mode=mode) as client:
        assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
        tools = (await client.list_tools()).tools
        assert {t.name for t in tools} == EXPECTED_TOOLS
        # Tools return images as image content: none may declare an output schema (it would turn images
        # into structured text).
        assert all(t.output_schema is None for t in tools)
        assert all(t.description and "\n" not in t.description.strip() for t in tools)
    if mode == "legacy":
        async with mcp_client(server.mcp_url, server.token, mode=mode) as client:
            assert client.instructions and "use_notebook" in client.instructions


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", "token wrong-token", "Basic dXNlcjpwYXNz", "", "Bearer"])
def test_missing_or_wrong_token_gets_401_with_bearer_challenge(
    server: JupyterServer, method: str, auth: str | None
) -> None:
    headers = dict(JSON_HEADERS)
    if auth is not None:
        headers["Authorization"] = auth
    response = httpx2.request(method, server.mcp_url, headers=headers, content=json.dumps(INIT), timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="jupyter"'
    assert "resource_metadata" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "token"])
def test_valid_token_in_any_accepted_scheme_initializes(server: JupyterServer, scheme: str) -> None:
    headers = {**JSON_HEADERS, "Authorization": f"{scheme} {server.token}"}
    response = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT), timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers.get("mcp-session-id")


def test_valid_token_is_never_redirected_to_login(server: JupyterServer) -> None:
    response = httpx2.get(server.mcp_url, headers=server.headers, timeout=10, follow_redirects=False)
    assert response.status_code not in (301, 302, 303, 307, 308)
    assert "login" not in response.headers.get("location", "")


def test_foreign_origin_is_refused_with_403_even_with_token(server: JupyterServer) -> None:
    headers = {**JSON_HEADERS, **server.headers, "Origin": "http://evil.example"}
    response = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT), timeout=10)
    assert response.status_code == 403


def test_own_origin_with_token_is_accepted(server: JupyterServer) -> None:
    headers = {**JSON_HEADERS, **server.headers, "Origin": f"http://127.0.0.1:{server.port}"}
    response = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT), timeout=10)
    assert response.status_code == 200


def test_foreign_host_is_refused(server: JupyterServer) -> None:
    headers = {**JSON_HEADERS, **server.headers, "Host": "evil.example"}
    response = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT), timeout=10)
    assert response.status_code == 403


def test_cookie_only_browser_request_without_xsrf_is_refused(server: JupyterServer) -> None:
    # Log in like a browser (token in the URL sets the login cookie), then POST with the cookie alone.
    with httpx2.Client(timeout=10) as browser:
        browser.get(f"{server.url}?token={server.token}")
        assert browser.cookies, "login should set a cookie"
        response = browser.post(server.mcp_url, headers=JSON_HEADERS, content=json.dumps(INIT))
        assert response.status_code == 403


def test_token_in_query_string_is_not_accepted_for_mcp(server: JupyterServer) -> None:
    # Documented choice (SECURITY.md): the MCP spec forbids tokens in query strings, and Jupyter's
    # query-token support exists for browsers. Without a header the request is not authorised.
    response = httpx2.post(
        f"{server.mcp_url}?token={server.token}", headers=JSON_HEADERS, content=json.dumps(INIT), timeout=10
    )
    assert response.status_code in (401, 403)


def test_healthz_without_token_reveals_nothing_sensitive(server: JupyterServer) -> None:
    body = httpx2.get(f"{server.mcp_url}/healthz", timeout=10).json()
    assert body["status"] == "ok" and body["service"] == "jmcp" and body["rtc"] is True
    assert isinstance(body["sessions"], int) and body["version"]
    assert "root_dir" not in body and "authenticated" not in body
    assert str(server.root) not in json.dumps(body)


def test_healthz_with_token_says_more(server: JupyterServer) -> None:
    body = httpx2.get(f"{server.mcp_url}/healthz", headers=server.headers, timeout=10).json()
    assert body["authenticated"] is True
    assert body["root_dir"] == str(server.root)
    assert set(body["tools"]) == EXPECTED_TOOLS
    assert body["read_only"] is False


async def test_healthz_counts_active_sessions(server: JupyterServer) -> None:
    before = httpx2.get(f"{server.mcp_url}/healthz", timeout=10).json()["sessions"]
    async with mcp_client(server.mcp_url, server.token), mcp_client(server.mcp_url, server.token):
        during = httpx2.get(f"{server.mcp_url}/healthz", timeout=10).json()["sessions"]
    assert during >= before + 2


async def test_trailing_slash_endpoint_works(server: JupyterServer) -> None:
    async with mcp_client(server.mcp_url + "/", server.token) as client:
        assert "list_files" in {t.name for t in (await client.list_tools()).tools}


async def test_session_cannot_be_used_after_delete(server: JupyterServer) -> None:
    response = httpx2.post(server.mcp_url, headers={**JSON_HEADERS, **server.headers}, content=json.dumps(INIT))
    session = response.headers["mcp-session-id"]
    deleted = httpx2.delete(server.mcp_url, headers={**server.headers, "mcp-session-id": session})
    assert deleted.status_code == 200
    again = httpx2.post(
        server.mcp_url,
        headers={**JSON_HEADERS, **server.headers, "mcp-session-id": session},
        content=json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    assert again.status_code == 404


@pytest.mark.slow
async def test_non_root_base_url(tmp_path: Path) -> None:
    with running_server(tmp_path / "root", tmp_path / "home", base_url="/prefix/jupyter/") as srv:
        assert srv.mcp_url.endswith("/prefix/jupyter/mcp")
        assert httpx2.get(f"http://127.0.0.1:{srv.port}/mcp/healthz").status_code == 404
        async with mcp_client(srv.mcp_url, srv.token) as client:
            await call(client, "create_notebook", path="b.ipynb")
            await call(client, "insert_cell", source="x = 41 + 1")
            assert "Out" not in await call(client, "execute_cell", cell=0)
            assert "42" in await call(client, "execute_code", source="x")
        response = httpx2.post(srv.mcp_url, headers=JSON_HEADERS, content=json.dumps(INIT))
        assert response.status_code == 401


@pytest.mark.slow
async def test_read_only_mode_offers_no_editing_or_execution(tmp_path: Path) -> None:
    with running_server(tmp_path / "root", tmp_path / "home", "--JMCPExtension.read_only=True") as srv:
        async with mcp_client(srv.mcp_url, srv.token) as client:
            names = {t.name for t in (await client.list_tools()).tools}
        assert names == {"list_files", "list_notebooks", "use_notebook", "read_notebook", "read_cell", "list_kernels"}


def test_wheel_config_enables_the_extension(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "jupyter_server.extension.serverextension", "list"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    listing = out.stdout + out.stderr
    assert "jmcp_ext" in listing and "enabled" in listing.split("jmcp_ext", 1)[1].splitlines()[0]


def test_building_the_server_leaves_root_logging_alone() -> None:
    from jmcp_ext.tools import Services, build_server

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    build_server(Services(notebooks=None, kernels=None, root_dir="/"))  # type: ignore[arg-type]
    assert root.handlers == handlers and root.level == level


async def test_unexpected_failures_reach_the_model_as_explained_tool_errors() -> None:
    from mcp import Client

    from jmcp_ext.tools import Services, build_server

    # A store that is not there makes every notebook tool crash with an AttributeError.
    server = build_server(Services(notebooks=None, kernels=None, root_dir="/"))  # type: ignore[arg-type]
    async with Client(server) as client:
        result = await client.call_tool("list_notebooks", {})
    assert result.is_error
    assert "Unexpected AttributeError in list_notebooks" in text_of(result)


def test_get_opens_the_server_event_stream_at_once(server: JupyterServer) -> None:
    headers = {**JSON_HEADERS, **server.headers}
    opened = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT), timeout=10)
    session = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    httpx2.post(
        server.mcp_url,
        headers={**headers, **session},
        content=json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        timeout=10,
    )
    # The stream stays quiet, but its headers must arrive right away (clients wait for them).
    with httpx2.stream(
        "GET", server.mcp_url, headers={**server.headers, **session, "Accept": "text/event-stream"}, timeout=5
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
