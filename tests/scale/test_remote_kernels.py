"""Remote kernels: a Jupyter server whose kernels run on a kernel gateway (``--gateway-url``)."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest

from tests.polling import poll_async
from tests.support import JupyterServer, call, call_error, free_port, isolated_env, mcp_client, running_server

from .processes import background, wait_responding

pytestmark = [pytest.mark.slow, pytest.mark.gateway]


@pytest.fixture(scope="module")
def gateway_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A kernel gateway on loopback and a Jupyter server (with jmcp) that runs its kernels there."""
    base = tmp_path_factory.mktemp("gateway")
    gw_home = base / "gateway-home"
    gw_home.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "kernel_gateway",
        "--KernelGatewayApp.ip=127.0.0.1", f"--KernelGatewayApp.port={port}", "--KernelGatewayApp.port_retries=0",
        f"--KernelGatewayApp.auth_token={token}", "--JupyterWebsocketPersonality.list_kernels=True",
    ]  # fmt: skip
    log = gw_home / "gateway.log"
    with background(argv, isolated_env(gw_home), log, gw_home) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_responding(f"{url}/api", proc, log, lambda r: r.status_code == 200, {"Authorization": f"token {token}"})
        with running_server(
            base / "root",
            base / "home",
            f"--gateway-url={url}",
            f"--GatewayClient.auth_token={token}",
            "--GatewayClient.request_timeout=60",
        ) as server:
            server.gateway_log = log  # type: ignore[attr-defined]
            yield server


async def test_cells_run_on_the_gateways_kernel(gateway_server: JupyterServer) -> None:
    server = gateway_server
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path="remote.ipynb")
        await call(client, "insert_cell", source="import os\nprint('pid', os.getpid())\n6 * 7")
        text = await call(client, "execute_cell", cell=0, timeout=60)
        assert "Out[1]: 42" in text and "execution_count=1" in text
        listing = await call(client, "list_kernels")
        assert "remote.ipynb" in listing and "python3" in listing
        error = await call(client, "execute_code", code="1 / 0")
        assert "ZeroDivisionError" in error
    on_disk = server.wait_for_disk("remote.ipynb", lambda nb: nb["cells"] and nb["cells"][0].get("outputs"))
    assert [o["output_type"] for o in on_disk["cells"][0]["outputs"]] == ["stream", "execute_result"]
    # The kernel is the gateway's process, not a child of the Jupyter server.
    kernel_pid = int("".join(on_disk["cells"][0]["outputs"][0]["text"]).split()[1])
    assert server.proc is not None
    assert str(kernel_pid) not in _children(server.proc.pid)


async def test_timeout_and_interrupt_reach_the_gateways_kernel(gateway_server: JupyterServer) -> None:
    server = gateway_server
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path="slow.ipynb")
        await call(client, "insert_cell", source="import time\nprint('started', flush=True)\ntime.sleep(60)")
        text = await call(client, "execute_cell", cell=0, timeout=3)
        assert "timed out after 3 s" in text and "started" in text and "KeyboardInterrupt" in text
        assert "'alive'" in await call(client, "execute_code", code="'alive'", timeout=30)

        # interrupt_kernel stops code that another call is running.
        async with anyio.create_task_group() as tg:
            outcome: dict[str, str] = {}

            async def run_long() -> None:
                outcome["text"] = await call(client, "execute_code", code="import time; time.sleep(60)", timeout=50)

            tg.start_soon(run_long)
            # Interrupt once the kernel is busy with that code, however long the gateway takes today.
            await poll_async(
                lambda: kernel_state(server, "slow.ipynb"),
                lambda state: state == "busy",
                timeout=30,
                interval=0.1,
                what="the gateway's kernel to be busy",
            )
            assert "interrupted" in await call(client, "interrupt_kernel")
        assert "KeyboardInterrupt" in outcome["text"]


def kernel_state(server: JupyterServer, path: str) -> str:
    """The execution state the server reports for the kernel of the notebook at ``path``."""
    sessions = httpx2.get(f"{server.url}api/sessions", headers=server.headers, timeout=10).json()
    kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"] == path)
    kernel = httpx2.get(f"{server.url}api/kernels/{kernel_id}", headers=server.headers, timeout=10).json()
    return str(kernel["execution_state"])


def _children(pid: int) -> str:
    """Pids of the process tree under ``pid`` (Linux /proc), space separated."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            for child in children:
                found.append(int(child))
                frontier.append(int(child))
    return " ".join(map(str, found))


async def test_a_gateway_kernel_that_dies_is_reported(gateway_server: JupyterServer) -> None:
    async with mcp_client(gateway_server.mcp_url, gateway_server.token) as client:
        await call(client, "create_notebook", path="dies.ipynb")
        await call(client, "insert_cell", source="import os, time\ntime.sleep(0.5)\nos._exit(1)")
        message = await call_error(client, "execute_cell", cell=0, timeout=45)
        assert "kernel died" in message
        assert "'back'" in await call(client, "execute_code", code="'back'", timeout=60)
