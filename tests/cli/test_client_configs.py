"""Each client's entry, field by field, against what that client's documentation requires."""

from typing import get_args

import pytest

from jmcp_cli import client_configs as cc

URL = "http://127.0.0.1:4040/mcp"
TOKEN = "tok-123"
AUTH = {"Authorization": "Bearer tok-123"}


def test_client_name_choices_match_the_registry() -> None:
    assert list(get_args(cc.ClientName)) == list(cc.CLIENTS)


def test_claude_code_http_entry() -> None:
    # code.claude.com/docs/en/mcp: {"type": "http", "url": ..., "headers": {...}}
    assert cc.render_claude(URL, TOKEN) == {"type": "http", "url": URL, "headers": AUTH}


def test_cursor_entry_uses_url_and_headers() -> None:
    assert cc.render_cursor(URL, TOKEN) == {"url": URL, "headers": AUTH}


def test_vscode_entry_is_typed_http() -> None:
    assert cc.render_vscode(URL, TOKEN) == {"type": "http", "url": URL, "headers": AUTH}
    assert cc.CLIENTS["vscode"].servers_key == ("servers",)


def test_windsurf_entry_uses_server_url() -> None:
    entry = cc.render_windsurf(URL, TOKEN)
    assert entry == {"serverUrl": URL, "headers": AUTH}
    assert "url" not in entry


def test_gemini_entry_uses_url_with_type_http() -> None:
    entry = cc.render_gemini(URL, TOKEN)
    assert entry == {"url": URL, "type": "http", "headers": AUTH}
    assert "httpUrl" not in entry


def test_codex_entry_names_an_env_var_and_holds_no_token() -> None:
    entry = cc.render_codex(URL, TOKEN)
    assert entry == {"url": URL, "bearer_token_env_var": "JMCP_TOKEN"}
    assert TOKEN not in str(entry)
    assert cc.CLIENTS["codex"].fmt == "toml"
    assert cc.CLIENTS["codex"].servers_key == ("mcp_servers",)


def test_opencode_entry_is_remote() -> None:
    assert cc.render_opencode(URL, TOKEN) == {"type": "remote", "url": URL, "headers": AUTH, "enabled": True}


@pytest.mark.parametrize("client", ["claude-desktop", "mcp-remote"])
def test_mcp_remote_entry_keeps_spaces_out_of_args(client: str) -> None:
    entry = cc.CLIENTS[client].render(URL, TOKEN)
    assert entry == {
        "command": "npx",
        "args": ["mcp-remote", URL, "--header", "Authorization:${AUTH_HEADER}"],
        "env": {"AUTH_HEADER": "Bearer tok-123"},
    }
    assert not any(" " in arg for arg in entry["args"])


@pytest.mark.parametrize(
    ("url", "needs"),
    [
        ("http://127.0.0.1:4040/mcp", False),
        ("http://localhost:4040/mcp", False),
        ("https://example.org/mcp", False),
        ("http://192.168.1.5:4040/mcp", True),
        ("http://[::1]:4040/mcp", True),
        ("http://myhost:4040/mcp", True),
    ],
)
def test_mcp_remote_allow_http_only_where_required(url: str, needs: bool) -> None:
    entry = cc.render_mcp_remote(url, TOKEN)
    assert ("--allow-http" in entry["args"]) is needs


def test_endpoint_of_reads_back_every_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMCP_TOKEN", TOKEN)
    for client in cc.CLIENTS.values():
        endpoint = cc.endpoint_of(client.render(URL, TOKEN))
        assert (endpoint.url, endpoint.token) == (URL, TOKEN), client.name


def test_claude_scopes_map_to_claude_codes_files(home, work) -> None:  # type: ignore[no-untyped-def]
    claude = cc.CLIENTS["claude"]
    local = claude.target("local", home, work)
    assert local.path == home / ".claude.json"
    assert local.keys == ("projects", str(work.resolve()), "mcpServers")
    user = claude.target("user", home, work)
    assert (user.path, user.keys) == (home / ".claude.json", ("mcpServers",))
    project = claude.target("project", home, work)
    assert (project.path, project.keys) == (work / ".mcp.json", ("mcpServers",))
