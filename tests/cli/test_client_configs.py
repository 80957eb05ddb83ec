"""Each client's entry, field by field, against what that client's documentation requires."""

import sys
from typing import get_args

import pytest

from jmcp_cli import client_configs as cc
from jmcp_cli import client_renderers as r
from jmcp_cli.configured_clients import endpoint_of

URL = "http://127.0.0.1:4040/mcp"
TOKEN = "tok-123"
AUTH = {"Authorization": "Bearer tok-123"}


def test_client_name_choices_match_the_registry() -> None:
    assert list(get_args(cc.ClientName)) == list(cc.CLIENTS)


def test_claude_code_http_entry() -> None:
    # code.claude.com/docs/en/mcp: {"type": "http", "url": ..., "headers": {...}}
    assert r.render_claude(URL, TOKEN) == {"type": "http", "url": URL, "headers": AUTH}


def test_cursor_entry_uses_url_and_headers() -> None:
    assert r.render_cursor(URL, TOKEN) == {"url": URL, "headers": AUTH}


def test_vscode_entry_is_typed_http() -> None:
    assert r.render_vscode(URL, TOKEN) == {"type": "http", "url": URL, "headers": AUTH}
    assert cc.CLIENTS["vscode"].servers_key == ("servers",)


def test_windsurf_entry_uses_server_url() -> None:
    entry = r.render_windsurf(URL, TOKEN)
    assert entry == {"serverUrl": URL, "headers": AUTH}
    assert "url" not in entry


def test_gemini_entry_uses_url_with_type_http() -> None:
    entry = r.render_gemini(URL, TOKEN)
    assert entry == {"url": URL, "type": "http", "headers": AUTH}
    assert "httpUrl" not in entry


def test_codex_entry_names_an_env_var_and_holds_no_token() -> None:
    entry = r.render_codex(URL, TOKEN)
    assert entry == {"url": URL, "bearer_token_env_var": "JMCP_TOKEN"}
    assert TOKEN not in str(entry)
    assert cc.CLIENTS["codex"].fmt == "toml"
    assert cc.CLIENTS["codex"].servers_key == ("mcp_servers",)


def test_zed_entry_is_the_documented_remote_server_shape() -> None:
    # zed.dev/docs/ai/mcp "remote-mcp-server": {"url": ..., "headers": {"Authorization": "Bearer <token>"}}
    assert r.render_zed(URL, TOKEN) == {"url": URL, "headers": AUTH}
    zed = cc.CLIENTS["zed"]
    assert (zed.fmt, zed.servers_key) == ("jsonc", ("context_servers",))


def test_goose_entry_is_a_named_streamable_http_extension() -> None:
    # block/goose ExtensionConfig::StreamableHttp + ExtensionEntry{enabled}: name, description and uri are required
    entry = cc.CLIENTS["goose"].entry(URL, TOKEN, "jupyter")
    assert entry == {
        "name": "jupyter",
        "enabled": True,
        "type": "streamable_http",
        "description": "Read, edit and run Jupyter notebooks live (jmcp)",
        "uri": URL,
        "headers": AUTH,
        "timeout": 300,
    }
    assert "url" not in entry
    assert (cc.CLIENTS["goose"].fmt, cc.CLIENTS["goose"].servers_key) == ("yaml", ("extensions",))


def test_continue_entry_is_a_named_list_item_with_request_headers() -> None:
    # continuedev/continue config-yaml schema: mcpServers is a list of {name, type, url, requestOptions}
    entry = cc.CLIENTS["continue"].entry(URL, TOKEN, "jupyter")
    assert entry == {"name": "jupyter", "type": "streamable-http", "url": URL, "requestOptions": {"headers": AUTH}}
    assert cc.CLIENTS["continue"].list_key == "name"
    printed = cc.wrap(cc.CLIENTS["continue"], "jupyter", entry)
    assert printed == {"name": "Jupyter (jmcp)", "version": "0.0.1", "schema": "v1", "mcpServers": [entry]}


def test_continue_keeps_one_server_per_block_file_named_after_it(home, work) -> None:  # type: ignore[no-untyped-def]
    from jmcp_cli.errors import JmcpError

    target = cc.resolve_target(cc.CLIENTS["continue"], None, home, work, name="lab")
    assert target.path == home / ".continue" / "mcpServers" / "lab.yaml"
    workspace = cc.resolve_target(cc.CLIENTS["continue"], "workspace", home, work)
    assert workspace.path == work / ".continue" / "mcpServers" / "jupyter.yaml"
    with pytest.raises(JmcpError, match="--name"):
        cc.resolve_target(cc.CLIENTS["continue"], None, home, work, name="../escape")


def test_new_clients_follow_their_own_path_rules(home, work, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "platform", "linux")
    assert cc.resolve_target(cc.CLIENTS["zed"], None, home, work).path == home / ".config" / "zed" / "settings.json"
    assert cc.resolve_target(cc.CLIENTS["zed"], "project", home, work).path == work / ".zed" / "settings.json"
    assert cc.resolve_target(cc.CLIENTS["goose"], None, home, work).path == home / ".config" / "goose" / "config.yaml"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    assert cc.resolve_target(cc.CLIENTS["goose"], None, home, work).path == home / "xdg" / "goose" / "config.yaml"
    monkeypatch.setenv("GOOSE_PATH_ROOT", str(home / "groot"))
    assert cc.resolve_target(cc.CLIENTS["goose"], None, home, work).path == home / "groot" / "config" / "config.yaml"
    monkeypatch.setenv("CONTINUE_GLOBAL_DIR", str(home / "cont"))
    assert (
        cc.resolve_target(cc.CLIENTS["continue"], None, home, work).path
        == home / "cont" / "mcpServers" / "jupyter.yaml"
    )


def test_opencode_entry_is_remote() -> None:
    assert r.render_opencode(URL, TOKEN) == {"type": "remote", "url": URL, "headers": AUTH, "enabled": True}


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
    entry = r.render_mcp_remote(url, TOKEN)
    assert ("--allow-http" in entry["args"]) is needs


def test_endpoint_of_reads_back_every_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JMCP_TOKEN", TOKEN)
    for client in cc.CLIENTS.values():
        endpoint = endpoint_of(client.entry(URL, TOKEN, "jupyter"))
        assert (endpoint.url, endpoint.token) == (URL, TOKEN), client.name


def test_claude_scopes_map_to_claude_codes_files(home, work) -> None:  # type: ignore[no-untyped-def]
    claude = cc.CLIENTS["claude"]
    local = cc.resolve_target(claude, "local", home, work)
    assert local.path == home / ".claude.json"
    assert local.keys == ("projects", str(work.resolve()), "mcpServers")
    user = cc.resolve_target(claude, "user", home, work)
    assert (user.path, user.keys) == (home / ".claude.json", ("mcpServers",))
    project = cc.resolve_target(claude, "project", home, work)
    assert (project.path, project.keys) == (work / ".mcp.json", ("mcpServers",))


def test_scope_help_is_generated_from_the_rows() -> None:
    assert cc.scope_help() == (
        "Where to write: claude local|project|user; cursor, gemini, codex, opencode, zed user|project; "
        "vscode, continue user|workspace."
    )
    for client in cc.CLIENTS.values():
        if len(client.scopes) > 1:
            assert client.name in cc.scope_help()


def test_config_help_shows_the_generated_scope_help() -> None:
    from .helpers import run

    result = run("config", "--help")
    assert result.exit_code == 0
    assert "vscode, continue user|workspace" in " ".join(result.output.split())


@pytest.mark.parametrize("module", ["cmd_config", "cmd_token", "doctor", "doctor_clients", "configured_clients"])
def test_commands_read_client_behaviour_from_the_rows_not_from_names(module: str) -> None:
    import importlib
    import inspect

    source = inspect.getsource(importlib.import_module(f"jmcp_cli.{module}"))
    for name in cc.CLIENTS:
        assert f'"{name}"' not in source, f"{module} special-cases {name!r}: put that behaviour in its row"
    assert "render_" not in source


def test_rows_say_what_each_client_needs_beyond_its_file() -> None:
    assert cc.CLIENTS["codex"].token_env == "JMCP_TOKEN"
    assert all(c.token_env is None for n, c in cc.CLIENTS.items() if n != "codex")
    assert {n for n, c in cc.CLIENTS.items() if c.needs} == {"claude-desktop", "mcp-remote"}
    assert {n for n, c in cc.CLIENTS.items() if not c.has_own_file} == {"mcp-remote"}
    project = cc.CLIENTS["claude"].scope("project")
    assert project.shared and "approve" in project.note


def test_a_client_without_a_file_needs_print_or_file(home, work) -> None:  # type: ignore[no-untyped-def]
    from jmcp_cli.errors import JmcpError

    with pytest.raises(JmcpError, match="mcp-remote has no config file of its own"):
        cc.resolve_target(cc.CLIENTS["mcp-remote"], None, home, work)
    target = cc.resolve_target(cc.CLIENTS["mcp-remote"], None, home, work, file=work / "x.json")
    assert (target.path, target.keys) == (work / "x.json", ("mcpServers",))
