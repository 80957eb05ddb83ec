"""A server that served MCP still exits when stopped without running its extensions' cleanup."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import anyio
import pytest

from tests.support import JupyterServer, call, mcp_client, running_server


async def _use(server: JupyterServer) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path="a.ipynb")
        await call(client, "list_files")


@pytest.mark.slow
def test_sigint_without_a_terminal_stops_the_server(tmp_path: Path) -> None:
    # JupyterHub stops single-user servers this way; the process must not wait for the MCP SDK's threads.
    with running_server(tmp_path / "root", tmp_path / "home") as server:
        anyio.run(_use, server)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server did not exit within 30 s of SIGINT:\n{server.log()[-2000:]}")
        # Stopped the orderly way, not by a KeyboardInterrupt raised wherever the main thread happened to be.
        assert "received SIGINT without a terminal, stopping" in server.log()
