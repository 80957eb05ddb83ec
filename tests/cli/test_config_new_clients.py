"""`jmcp config` for Zed and VS Code (JSON with comments), Goose and Continue (YAML), and Codex's TOML: the user's
comments and layout survive, a second run changes nothing, removal takes only our entry out, and the
written entry satisfies each client's own format rules (checked field by field against its source)."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from jmcp_cli import config_file, jsonc, tokens
from jmcp_cli.doctor_clients import check_client_configs
from jmcp_cli.servers import Server

from .helpers import run

URL = "http://127.0.0.1:4040/mcp"


def yaml_load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text())


def zed_http_server(entry: Any) -> str:
    """Zed's ContextServerSettingsContent::Http (untagged): ``url`` string, ``headers`` string map; a
    ``command`` would make it the Stdio variant. Returns the bearer token."""
    assert isinstance(entry, dict) and "command" not in entry and "settings" not in entry
    assert isinstance(entry["url"], str) and entry.get("enabled", True) is True
    headers = entry["headers"]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    return str(headers["Authorization"]).removeprefix("Bearer ")


def goose_extension(key: str, entry: Any) -> str:
    """Goose's ExtensionEntry{enabled, flattened ExtensionConfig::StreamableHttp}; the map key is
    name_to_key(name) (no whitespace, lowercase). Returns the bearer token."""
    assert entry["enabled"] is True and entry["type"] == "streamable_http"
    assert isinstance(entry["name"], str) and key == "".join(entry["name"].split()).lower()
    assert "description" in entry  # required by serde (null allowed)
    assert isinstance(entry["uri"], str) and isinstance(entry.get("timeout", 0), int)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in entry["headers"].items())
    return str(entry["headers"]["Authorization"]).removeprefix("Bearer ")


def continue_block(doc: Any) -> dict[str, Any]:
    """Continue's blockSchema: name and version strings, and exactly one mcpServers item that is an
    sseOrHttpMcpServerSchema (name, url, type sse|streamable-http, requestOptions.headers)."""
    assert isinstance(doc["name"], str) and isinstance(doc["version"], str)
    (server,) = doc["mcpServers"]
    assert isinstance(server["name"], str) and isinstance(server["url"], str) and "command" not in server
    assert server["type"] in ("sse", "streamable-http")
    assert all(isinstance(v, str) for v in server["requestOptions"]["headers"].values())
    return dict(server)


ZED_SETTINGS = """// Zed settings
{
  "theme": "One Dark", // the only good theme
  /* MCP */
  "context_servers": {
    "other": { "command": "x", "args": [] },
  },
}
"""


def test_zed_merges_into_settings_with_comments_and_removal_restores_them(home: Path) -> None:
    path = home / ".config" / "zed" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(ZED_SETTINGS)
    assert run("config", "zed").exit_code == 0
    text = path.read_text()
    assert "// the only good theme" in text and "/* MCP */" in text and '"other": { "command": "x"' in text
    settings = jsonc.loads(text)
    assert zed_http_server(settings["context_servers"]["jupyter"]) == tokens.load()
    assert settings["context_servers"]["jupyter"]["url"] == URL
    again = run("config", "zed")
    assert "already up to date" in again.output and path.read_text() == text
    assert run("config", "zed", "--remove").exit_code == 0
    assert path.read_text() == ZED_SETTINGS


VSCODE_MCP = """{
  // servers VS Code shows under MCP: Servers
  "servers": {
    "github": { "type": "http", "url": "https://example.invalid/mcp/" }, // keep me
  },
  "inputs": [],
}
"""


def test_vscode_mcp_json_with_comments_is_merged_not_refused(work: Path) -> None:
    path = work / ".vscode" / "mcp.json"
    path.parent.mkdir()
    path.write_text(VSCODE_MCP)
    assert run("config", "vscode", "--scope", "workspace").exit_code == 0
    text = path.read_text()
    assert "// servers VS Code shows" in text and "// keep me" in text
    servers = jsonc.loads(text)["servers"]
    assert servers["jupyter"] == {"type": "http", "url": URL, "headers": {"Authorization": f"Bearer {tokens.load()}"}}
    assert servers["github"]["url"] == "https://example.invalid/mcp/"
    assert run("config", "vscode", "--scope", "workspace", "--remove").exit_code == 0
    assert path.read_text() == VSCODE_MCP


def test_zed_project_scope_warns_and_says_trust(work: Path) -> None:
    result = run("config", "zed", "--scope", "project")
    assert result.exit_code == 0
    assert zed_http_server(jsonc.loads((work / ".zed" / "settings.json").read_text())["context_servers"]["jupyter"])
    assert "version control" in result.output and "trust" in result.output


GOOSE_CONFIG = """# goose config
GOOSE_PROVIDER: anthropic  # my provider
extensions:
  developer:
    enabled: true
    type: builtin
    name: developer
    display_name: Developer
    timeout: 300
    bundled: true
"""


def test_goose_merges_into_config_yaml_keeping_comments(home: Path) -> None:
    path = home / ".config" / "goose" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(GOOSE_CONFIG)
    assert run("config", "goose").exit_code == 0
    text = path.read_text()
    assert text.startswith(GOOSE_CONFIG)  # everything before our entry, comments included, is untouched
    doc = yaml_load(path)
    assert doc["GOOSE_PROVIDER"] == "anthropic" and doc["extensions"]["developer"]["type"] == "builtin"
    assert goose_extension("jupyter", doc["extensions"]["jupyter"]) == tokens.load()
    assert doc["extensions"]["jupyter"]["uri"] == URL
    assert "already up to date" in run("config", "goose").output and path.read_text() == text
    assert run("config", "goose", "--token", "rotated").exit_code == 0
    assert goose_extension("jupyter", yaml_load(path)["extensions"]["jupyter"]) == "rotated"
    assert "# my provider" in path.read_text()
    assert run("config", "goose", "--remove").exit_code == 0
    assert path.read_text() == GOOSE_CONFIG


def test_goose_entries_go_under_gooses_own_key_for_their_name(home: Path) -> None:
    """Goose looks an extension up by name_to_key(name): "My Lab" must sit under "mylab" for Goose to toggle or
    remove it; jmcp finds it there again (doctor, token rotation) and removes it."""
    path = home / ".config" / "goose" / "config.yaml"
    assert run("config", "goose", "--name", "My Lab").exit_code == 0
    extensions = yaml_load(path)["extensions"]
    assert list(extensions) == ["mylab"] and extensions["mylab"]["name"] == "My Lab"
    assert goose_extension("mylab", extensions["mylab"]) == tokens.load()
    assert "already up to date" in run("config", "goose", "--name", "My Lab").output
    server = Server("http://127.0.0.1:4040/", tokens.load(), "test", running=True)
    assert [c.name for c in check_client_configs(server, "My Lab", home, Path.cwd())] == ["goose (user)"]
    assert run("config", "goose", "--name", "My Lab", "--remove").exit_code == 0
    assert yaml_load(path)["extensions"] == {}


def test_continue_writes_one_valid_block_per_server(home: Path) -> None:
    assert run("config", "continue").exit_code == 0
    path = home / ".continue" / "mcpServers" / "jupyter.yaml"
    server = continue_block(yaml_load(path))
    assert server == {
        "name": "jupyter",
        "type": "streamable-http",
        "url": URL,
        "requestOptions": {"headers": {"Authorization": f"Bearer {tokens.load()}"}},
    }
    path.write_text("# my note\n" + path.read_text())
    assert run("config", "continue", "--token", "other").exit_code == 0
    assert path.read_text().startswith("# my note\n")
    assert continue_block(yaml_load(path))["requestOptions"]["headers"]["Authorization"] == "Bearer other"
    assert "already up to date" in run("config", "continue", "--token", "other").output


CONTINUE_CONFIG = """name: Local Config
version: 1.0.0
schema: v1
models: []
mcpServers:
  # a server I wrote
  - name: sqlite
    command: npx
    args:
      - mcp-sqlite
"""


def test_continue_merges_into_a_config_yaml_list_and_removes_only_its_item(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONTINUE_CONFIG)
    assert run("config", "continue", "--file", str(path)).exit_code == 0
    doc = yaml_load(path)
    assert [s["name"] for s in doc["mcpServers"]] == ["sqlite", "jupyter"]
    assert doc["mcpServers"][0]["args"] == ["mcp-sqlite"]
    assert path.read_text().startswith(CONTINUE_CONFIG)  # comment and list indentation kept
    assert run("config", "continue", "--file", str(path), "--remove").exit_code == 0
    assert path.read_text() == CONTINUE_CONFIG


CODEX_CONFIG = """# Codex settings
model = "o3"  # the model I like

[mcp_servers.other]
command = "x"   # aligned comment
args = [ "a",  "b" ]
"""


def test_codex_rewrite_keeps_comments_and_formatting(home: Path) -> None:
    path = home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text(CODEX_CONFIG)
    assert run("config", "codex").exit_code == 0
    text = path.read_text()
    assert text.startswith(CODEX_CONFIG)
    assert tomllib.loads(text)["mcp_servers"]["jupyter"] == {"url": URL, "bearer_token_env_var": "JMCP_TOKEN"}
    assert run("config", "codex", "--url", "http://127.0.0.1:9999/").exit_code == 0
    assert path.read_text().startswith(CODEX_CONFIG)
    assert run("config", "codex", "--remove").exit_code == 0
    assert path.read_text().rstrip("\n") == CODEX_CONFIG.rstrip("\n")


@pytest.mark.parametrize(
    ("client", "relpath", "content"),
    [
        ("zed", ".config/zed/settings.json", '{\n  "theme": "x" // no comma\n  "a": 1\n}'),
        ("zed", ".config/zed/settings.json", '{"context_servers": []} // not an object'),
        ("goose", ".config/goose/config.yaml", "extensions: [unclosed\n"),
        ("goose", ".config/goose/config.yaml", "extensions:\n- a list\n"),
        ("continue", ".continue/mcpServers/jupyter.yaml", "mcpServers:\n  name: not a list\n"),
    ],
)
def test_malformed_files_are_left_untouched_with_one_error(home: Path, client: str, relpath: str, content: str) -> None:
    path = home / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    result = run("config", client)
    assert result.exit_code == 1
    assert result.output.count("Error:") == 1 and "left untouched" in result.output
    assert "Traceback" not in result.output
    assert path.read_text() == content
    assert not path.with_name(path.name + config_file.BACKUP_SUFFIX).exists()


def test_doctor_checks_and_token_rotation_cover_the_new_clients(home: Path) -> None:
    old = tokens.load_or_create()
    for client in ("zed", "goose", "continue"):
        assert run("config", client).exit_code == 0
    server = Server("http://127.0.0.1:4040/", old, "test", running=True)
    checks = {c.name: c for c in check_client_configs(server, "jupyter", home, Path.cwd())}
    assert {n: c.status for n, c in checks.items()} == {
        "zed (user)": "pass",
        "goose (user)": "pass",
        "continue (user)": "pass",
    }
    goose = home / ".config" / "goose" / "config.yaml"
    goose.write_text("# keep me\n" + goose.read_text())
    result = run("token", "--rotate", "--update-configs")
    assert result.exit_code == 0, result.output
    new = tokens.load()
    assert new != old
    assert goose.read_text().startswith("# keep me\n")
    rotated = Server("http://127.0.0.1:4040/", new, "test", running=True)
    assert all(c.status == "pass" for c in check_client_configs(rotated, "jupyter", home, Path.cwd()))
    stale = {c.name: c for c in check_client_configs(server, "jupyter", home, Path.cwd())}
    assert stale["goose (user)"].status == "fail" and stale["goose (user)"].fix == "jmcp config goose --scope user"


def test_removing_the_only_server_of_a_continue_block_removes_the_block(home: Path) -> None:
    path = home / ".continue" / "mcpServers" / "jupyter.yaml"
    assert run("config", "continue").exit_code == 0
    assert run("config", "continue", "--remove").exit_code == 0
    assert not path.exists()  # an empty block would be invalid for Continue
    assert path.with_name(path.name + config_file.BACKUP_SUFFIX).exists()
    assert "No 'jupyter' entry" in run("config", "continue", "--remove").output
