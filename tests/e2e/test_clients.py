"""MCP clients that are not ours, and the SDK's client in both protocol eras, against a `jmcp start` process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jmcp_cli import tokens
from tests.cli.helpers import Running, run_subprocess, start_jmcp
from tests.support import REPO_ROOT, call, mcp_client, npm_tool

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENT_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Home, jmcp's config dir and Jupyter's dirs in a tmp dir, as a user's fresh machine."""
    base = tmp_path_factory.mktemp("clients")
    with pytest.MonkeyPatch.context() as env:
        for var, sub in (
            ("HOME", "home"),
            ("JMCP_HOME", "jmcp-home"),
            ("JUPYTER_CONFIG_DIR", "jupyter-config"),
            ("JUPYTER_DATA_DIR", "jupyter-data"),
            ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
        ):
            (base / sub).mkdir()
            env.setenv(var, str(base / sub))
        for var in ("XDG_CONFIG_HOME", "JMCP_TOKEN", "JUPYTER_TOKEN"):
            env.delenv(var, raising=False)
        # The `jmcp` subprocesses and the JupyterLab they start import this checkout.
        env.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
        (base / "notebooks").mkdir()
        env.chdir(base / "notebooks")
        yield base


@pytest.fixture(scope="module")
def jmcp(isolated: Path) -> Iterator[Running]:
    """`jmcp start --port 0 --no-browser` as a user runs it, in the notebooks folder."""
    server = start_jmcp()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mcp_remote() -> Path:
    """An npm project with `mcp-remote` installed once into a cache prefix (JMCP_TEST_CACHE)."""
    return npm_tool("mcp-remote", "mcp-remote").parents[2]


def printed_entry(client: str, *args: str) -> dict[str, Any]:
    """The entry `jmcp config CLIENT --print` shows (stdout is the config document only)."""
    printed = run_subprocess("config", client, "--print", *args)
    assert printed.returncode == 0, printed.stderr
    return dict(json.loads(printed.stdout)["mcpServers"]["jupyter"])


def launch(entry: dict[str, Any], project: Path) -> Any:
    """Stdio parameters exactly as a desktop client builds them from the entry: command, args, env.

    ``npx`` runs in the npm project that has mcp-remote installed, so it resolves it there instead
    of downloading it (same package, no network)."""
    from mcp import StdioServerParameters

    assert entry["command"] == "npx"
    return StdioServerParameters(command=entry["command"], args=entry["args"], env=entry["env"], cwd=project)


async def test_the_sdk_client_works_in_both_protocol_eras(jmcp: Running) -> None:
    url, token = f"{jmcp.base_url}mcp", tokens.load()
    for era in ("legacy", "2026-07-28"):
        async with mcp_client(url, token, mode=era) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"insert_cell", "execute_cell", "read_cell"} <= names
            path = f"sdk-{era}.ipynb"  # the stateless era has no session to remember an active notebook
            await call(client, "create_notebook", path=path)
            await call(client, "insert_execute_code_cell", source=f"print('era', {era!r})", path=path)
            assert f"era {era}" in await call(client, "read_cell", cell=-1, path=path)
        assert (Path.cwd() / f"sdk-{era}.ipynb").exists()


async def test_mcp_remote_from_jmcp_config_completes_the_handshake_and_calls_a_tool(
    jmcp: Running, mcp_remote: Path
) -> None:
    from mcp import Client

    entry = printed_entry("mcp-remote")
    # claude-desktop writes the same stdio entry
    assert printed_entry("claude-desktop") == entry
    url = f"{jmcp.base_url}mcp"
    assert entry["args"] == ["mcp-remote", url, "--header", "Authorization:${AUTH_HEADER}"]
    assert url.startswith("http://127.0.0.1:")  # loopback http: mcp-remote needs no --allow-http
    assert entry["env"] == {"AUTH_HEADER": f"Bearer {tokens.load()}"}

    async with Client(launch(entry, mcp_remote), mode="legacy", read_timeout_seconds=CLIENT_TIMEOUT) as client:
        # the handshake went through the proxy: our server's name and instructions came back
        assert client.server_info.name and client.instructions
        print(f"mcp-remote handshake: protocol {client.protocol_version}, server {client.server_info.name}")
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "execute_cell" in names
        await call(client, "create_notebook", path="through-mcp-remote.ipynb")
        ran = await call(client, "insert_execute_code_cell", source="print(6 * 7)")
        assert "42" in ran
    assert (Path.cwd() / "through-mcp-remote.ipynb").exists()


async def test_mcp_remote_with_a_wrong_token_does_not_connect(jmcp: Running, mcp_remote: Path) -> None:
    from mcp import Client, MCPError

    entry = printed_entry("mcp-remote")
    entry["env"] = {"AUTH_HEADER": "Bearer wrong"}
    # On the 401 mcp-remote tries OAuth; Jupyter has none, so the proxy exits and the client sees it close.
    with pytest.raises(BaseExceptionGroup) as failure:
        async with Client(launch(entry, mcp_remote), mode="legacy", read_timeout_seconds=CLIENT_TIMEOUT) as client:
            await client.list_tools()
    assert failure.group_contains(MCPError, match="Connection closed", depth=None)


async def test_mcp_remote_needs_allow_http_off_its_loopback_names_and_jmcp_config_adds_it(
    isolated: Path, mcp_remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mcp-remote takes plain http only for ``localhost`` and ``127.0.0.1``; 127.0.0.2 (still loopback) needs
    ``--allow-http``. A second server with a record of its own, so the module's server stays as it was."""
    from mcp import Client, MCPError

    monkeypatch.setenv("JMCP_HOME", str(tmp_path / "jmcp-home"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    server = start_jmcp(options=("--ip", "127.0.0.2"))
    try:
        entry = printed_entry("mcp-remote")
        url = f"{server.base_url}mcp"
        assert url.startswith("http://127.0.0.2:")
        assert entry["args"] == ["mcp-remote", url, "--header", "Authorization:${AUTH_HEADER}", "--allow-http"]
        async with Client(launch(entry, mcp_remote), mode="legacy", read_timeout_seconds=CLIENT_TIMEOUT) as client:
            assert "through-allow-http.ipynb" in await call(client, "create_notebook", path="through-allow-http.ipynb")

        entry["args"].remove("--allow-http")
        with pytest.raises(BaseExceptionGroup) as refused:
            async with Client(launch(entry, mcp_remote), mode="legacy", read_timeout_seconds=CLIENT_TIMEOUT) as c:
                await c.list_tools()
        assert refused.group_contains(MCPError, match="Connection closed", depth=None)
    finally:
        server.stop()
