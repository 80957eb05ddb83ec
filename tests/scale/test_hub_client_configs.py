"""`jmcp config CLIENT --url https://hub/user/NAME/mcp --token T` writes entries for a hub user's server."""

from __future__ import annotations

from pathlib import Path

import pytest

from jmcp_cli import client_configs as cc
from jmcp_cli.client_renderers import CODEX_TOKEN_ENV, render_mcp_remote
from jmcp_cli.configured_clients import endpoint_of
from jmcp_cli.servers import find_server

TOKEN = "hub-api-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing read from the real home: no running servers, no stored token."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("JMCP_HOME", str(tmp_path / "jmcp-home"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))


@pytest.mark.parametrize(
    "given",
    ["https://hub.example/user/alice/mcp", "https://hub.example/user/alice/", "https://hub.example/user/alice"],
)
def test_a_hub_user_url_keeps_its_prefix(given: str) -> None:
    server = find_server(given, TOKEN)
    assert server.mcp_url == "https://hub.example/user/alice/mcp"
    assert server.token == TOKEN


@pytest.mark.parametrize("client", sorted(cc.CLIENTS))
def test_every_client_entry_points_at_the_users_server(client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CODEX_TOKEN_ENV, TOKEN)
    url = "https://hub.example/user/alice/mcp"
    endpoint = endpoint_of(cc.CLIENTS[client].entry(url, TOKEN, "jupyter"))
    assert (endpoint.url, endpoint.token) == (url, TOKEN)


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("https://hub.example/user/alice/mcp", False),
        ("http://hub.example/user/alice/mcp", True),
        ("http://127.0.0.1:8000/user/alice/mcp", False),
    ],
)
def test_mcp_remote_gets_allow_http_for_a_plain_http_hub(url: str, allow_http: bool) -> None:
    entry = render_mcp_remote(url, TOKEN)
    assert entry["args"][1] == url
    assert ("--allow-http" in entry["args"]) is allow_http
