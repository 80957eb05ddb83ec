"""Claude Code's own CLI accepts what `jmcp config claude` writes and connects to the server."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import npm_tool

from .helpers import run, start_jmcp


@pytest.fixture(scope="session")
def claude_cli() -> Path:
    """`claude`, installed once into a cache prefix (JMCP_TEST_CACHE, default: the tmp dir)."""
    return npm_tool("@anthropic-ai/claude-code", "claude", prefix_name="claude-code")


def claude(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=120, env=dict(os.environ))


@pytest.mark.slow
@pytest.mark.e2e
def test_claude_mcp_list_reports_the_server_connected(claude_cli: Path) -> None:
    server = start_jmcp()
    try:
        assert run("config", "claude").exit_code == 0
        listed = claude(claude_cli, "mcp", "list")
        assert listed.returncode == 0, listed.stderr
        line = next(line for line in listed.stdout.splitlines() if line.startswith("jupyter:"))
        assert f"{server.base_url}mcp (HTTP)" in line
        assert "Connected" in line and "Failed" not in line
        got = claude(claude_cli, "mcp", "get", "jupyter")
        assert "Local config" in got.stdout
        # the same check notices a wrong token: the connection is refused
        assert run("config", "claude", "--token", "wrong").exit_code == 0
        failed = claude(claude_cli, "mcp", "list")
        assert "Failed to connect" in failed.stdout
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.e2e
def test_claude_reads_the_user_scope(claude_cli: Path) -> None:
    server = start_jmcp()
    try:
        assert run("config", "claude", "--scope", "user").exit_code == 0
        got = claude(claude_cli, "mcp", "get", "jupyter")
        assert got.returncode == 0, got.stderr
        assert "User config" in got.stdout
        assert "Connected" in got.stdout
    finally:
        server.stop()
