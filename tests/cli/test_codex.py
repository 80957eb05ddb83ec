"""Codex's own CLI reads what `jmcp config codex` merged into a commented config.toml."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support import npm_tool

from .helpers import run

CONFIG = """# my Codex settings
model = "o3"  # keep this comment

[mcp_servers.other]
command = "other-server"   # and this one
args = ["--x"]
"""


@pytest.fixture(scope="session")
def codex_cli() -> Path:
    """`codex` (its npm package ships the native binary), installed once into the test cache."""
    return npm_tool("@openai/codex", "codex", prefix_name="codex")


def codex(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=120, env=dict(os.environ))


@pytest.mark.e2e
def test_codex_mcp_get_reads_the_merged_entry_and_the_users_servers(codex_cli: Path, home: Path) -> None:
    path = home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text(CONFIG)
    assert run("config", "codex", "--url", "http://127.0.0.1:4321/").exit_code == 0
    assert path.read_text().startswith(CONFIG)
    got = codex(codex_cli, "mcp", "get", "jupyter", "--json")
    assert got.returncode == 0, got.stderr
    transport = json.loads(got.stdout)["transport"]
    assert transport == {**transport, "type": "streamable_http", "url": "http://127.0.0.1:4321/mcp"}
    assert transport["bearer_token_env_var"] == "JMCP_TOKEN"
    other = json.loads(codex(codex_cli, "mcp", "get", "other", "--json").stdout)["transport"]
    assert (other["type"], other["command"], other["args"]) == ("stdio", "other-server", ["--x"])
    listed = codex(codex_cli, "mcp", "list")
    assert any(line.split()[:2] == ["jupyter", "http://127.0.0.1:4321/mcp"] for line in listed.stdout.splitlines())
    assert run("config", "codex", "--remove").exit_code == 0
    assert codex(codex_cli, "mcp", "get", "jupyter", "--json").returncode != 0
