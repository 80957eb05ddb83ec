"""`jmcp config`: merge, never clobber; atomic, backed up, idempotent, 0600."""

import json
import tomllib
from pathlib import Path

import pytest

from jmcp_cli import config_file, tokens

from .helpers import mode, run, run_subprocess

URL = "http://127.0.0.1:4040/mcp"


def read_json(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text())


def test_config_claude_local_writes_project_entry_in_claude_json(home: Path, work: Path) -> None:
    result = run("config", "claude")
    assert result.exit_code == 0, result.output
    data = read_json(home / ".claude.json")
    entry = data["projects"][str(work.resolve())]["mcpServers"]["jupyter"]
    assert entry == {
        "type": "http",
        "url": URL,
        "headers": {"Authorization": f"Bearer {tokens.load()}"},
    }
    assert mode(home / ".claude.json") == 0o600


def test_config_keeps_other_servers_and_unknown_keys(home: Path) -> None:
    path = home / ".cursor" / "mcp.json"
    path.parent.mkdir()
    original = {
        "mcpServers": {"other": {"command": "other-server", "args": ["--x"]}},
        "someUnknownKey": {"nested": [1, 2, 3]},
    }
    path.write_text(json.dumps(original))
    assert run("config", "cursor").exit_code == 0
    data = read_json(path)
    assert data["mcpServers"]["other"] == original["mcpServers"]["other"]
    assert data["someUnknownKey"] == original["someUnknownKey"]
    assert data["mcpServers"]["jupyter"]["url"] == URL
    backup = path.with_name(path.name + config_file.BACKUP_SUFFIX)
    assert json.loads(backup.read_text()) == original


def test_config_replaces_only_our_entry(home: Path) -> None:
    path = home / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"theme": "Dracula", "mcpServers": {"jupyter": {"httpUrl": "http://old/mcp"}}}))
    assert run("config", "gemini", "--url", "http://127.0.0.1:9999/").exit_code == 0
    data = read_json(path)
    assert data["theme"] == "Dracula"
    assert data["mcpServers"]["jupyter"] == {
        "url": "http://127.0.0.1:9999/mcp",
        "type": "http",
        "headers": {"Authorization": f"Bearer {tokens.load()}"},
    }


@pytest.mark.parametrize(
    ("client", "relpath", "content"),
    [
        ("cursor", ".cursor/mcp.json", '{"mcpServers": {"a": 1},,}'),
        ("claude", ".claude.json", "{not json"),
        ("codex", ".codex/config.toml", "[mcp_servers\nurl = 1"),
        ("windsurf", ".codeium/windsurf/mcp_config.json", "[1, 2]"),
    ],
)
def test_malformed_file_is_left_byte_identical_and_exit_1(home: Path, client: str, relpath: str, content: str) -> None:
    path = home / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode())
    result = run("config", client)
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert path.read_bytes() == content.encode()
    assert not path.with_name(path.name + config_file.BACKUP_SUFFIX).exists()


def test_second_run_changes_nothing_and_makes_no_new_backup(home: Path) -> None:
    path = home / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text('{"mcpServers": {}}')
    assert run("config", "cursor").exit_code == 0
    first = path.read_bytes()
    backup = path.with_name(path.name + config_file.BACKUP_SUFFIX)
    backup_bytes = backup.read_bytes()
    backup_mtime = backup.stat().st_mtime_ns
    second = run("config", "cursor")
    assert second.exit_code == 0
    assert "already up to date" in second.output
    assert path.read_bytes() == first
    assert backup.read_bytes() == backup_bytes
    assert backup.stat().st_mtime_ns == backup_mtime


def test_no_backup_when_the_file_did_not_exist(home: Path) -> None:
    assert run("config", "windsurf").exit_code == 0
    path = home / ".codeium" / "windsurf" / "mcp_config.json"
    assert path.exists()
    assert not path.with_name(path.name + config_file.BACKUP_SUFFIX).exists()
    assert mode(path) == 0o600


def test_remove_takes_our_entry_out_and_keeps_the_rest(home: Path) -> None:
    path = home / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"mcpServers": {"other": {"url": "http://x/mcp"}}}))
    assert run("config", "cursor").exit_code == 0
    assert "jupyter" in read_json(path)["mcpServers"]
    result = run("config", "cursor", "--remove")
    assert result.exit_code == 0
    assert read_json(path) == {"mcpServers": {"other": {"url": "http://x/mcp"}}}
    again = run("config", "cursor", "--remove")
    assert again.exit_code == 0
    assert "No 'jupyter' entry" in again.output


def test_name_option_sets_the_entry_name(home: Path) -> None:
    assert run("config", "cursor", "--name", "lab").exit_code == 0
    assert set(read_json(home / ".cursor" / "mcp.json")["mcpServers"]) == {"lab"}


def test_claude_project_scope_writes_mcp_json_and_warns(work: Path) -> None:
    result = run("config", "claude", "--scope", "project")
    assert result.exit_code == 0
    assert read_json(work / ".mcp.json")["mcpServers"]["jupyter"]["type"] == "http"
    assert "version control" in result.output
    assert mode(work / ".mcp.json") == 0o600


def test_claude_user_scope_writes_top_level_mcp_servers(home: Path) -> None:
    assert run("config", "claude", "--scope", "user").exit_code == 0
    assert "jupyter" in read_json(home / ".claude.json")["mcpServers"]


def test_unknown_scope_is_an_error() -> None:
    result = run("config", "windsurf", "--scope", "project")
    assert result.exit_code == 1
    assert "Error:" in result.output


def test_vscode_user_and_workspace(home: Path, work: Path) -> None:
    assert run("config", "vscode").exit_code == 0
    user = read_json(home / ".config" / "Code" / "User" / "mcp.json")
    assert user["servers"]["jupyter"]["type"] == "http"
    assert run("config", "vscode", "--scope", "workspace").exit_code == 0
    assert "jupyter" in read_json(work / ".vscode" / "mcp.json")["servers"]


def test_codex_writes_toml_with_env_var_and_says_what_to_export(home: Path) -> None:
    path = home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text('model = "o3"\n\n[mcp_servers.other]\ncommand = "x"\n')
    result = run("config", "codex")
    assert result.exit_code == 0, result.output
    data = tomllib.loads(path.read_text())
    assert data["model"] == "o3"
    assert data["mcp_servers"]["other"] == {"command": "x"}
    assert data["mcp_servers"]["jupyter"] == {"url": URL, "bearer_token_env_var": "JMCP_TOKEN"}
    assert tokens.load() not in path.read_text()
    assert "export JMCP_TOKEN=" in result.output


def test_claude_desktop_uses_mcp_remote(home: Path) -> None:
    assert run("config", "claude-desktop").exit_code == 0
    data = read_json(home / ".config" / "Claude" / "claude_desktop_config.json")
    entry = data["mcpServers"]["jupyter"]
    assert entry["command"] == "npx"
    assert entry["env"] == {"AUTH_HEADER": f"Bearer {tokens.load()}"}


def test_print_writes_nothing_and_shows_the_wrapped_entry(home: Path) -> None:
    result = run("config", "vscode", "--print")
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed["servers"]["jupyter"]["url"] == URL
    assert not (home / ".config").exists()


def test_print_codex_is_toml() -> None:
    result = run("config", "codex", "--print")
    assert result.exit_code == 0
    assert tomllib.loads(result.stdout)["mcp_servers"]["jupyter"]["url"] == URL


def test_mcp_remote_needs_print_or_file(tmp_path: Path) -> None:
    assert run("config", "mcp-remote").exit_code == 1
    target = tmp_path / "any-client.json"
    assert run("config", "mcp-remote", "--file", str(target)).exit_code == 0
    assert read_json(target)["mcpServers"]["jupyter"]["args"][0] == "mcp-remote"


def test_explicit_url_and_token(home: Path) -> None:
    result = run("config", "cursor", "--url", "http://10.0.0.2:8888/lab/", "--token", "abc")
    assert result.exit_code == 0
    entry = read_json(home / ".cursor" / "mcp.json")["mcpServers"]["jupyter"]
    assert entry == {"url": "http://10.0.0.2:8888/lab/mcp", "headers": {"Authorization": "Bearer abc"}}


def test_write_follows_a_symlink_instead_of_replacing_it(home: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "mcp.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = home / ".cursor" / "mcp.json"
    link.parent.mkdir()
    link.symlink_to(real)
    assert run("config", "cursor").exit_code == 0
    assert link.is_symlink()
    assert "jupyter" in read_json(real)["mcpServers"]


def test_config_as_subprocess_writes_the_file(home: Path) -> None:
    proc = run_subprocess("config", "cursor")
    assert proc.returncode == 0, proc.stderr
    assert "jupyter" in read_json(home / ".cursor" / "mcp.json")["mcpServers"]
