"""jmcp's kernel client beside another extension's on the same kernel, in the same server."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from tests.other_kernel_client import PATH
from tests.support import call, mcp_client, running_server

WITH_OTHER_CLIENT = "--ServerApp.jpserver_extensions={'jmcp_ext': True, 'tests.other_kernel_client': True}"


@pytest.mark.slow
async def test_runs_alternate_with_another_extensions_client_on_the_same_kernel(tmp_path: Path) -> None:
    """Both clients come from ``kernel.client()`` of Jupyter's kernel manager (as jupyter-server-nbmodel's does).

    Sharing the manager's session id, the one that connected last would take over the shell connection (the
    other's requests never reach the kernel), and equal msg_ids would hand each the other's outputs.
    """
    with running_server(tmp_path / "root", tmp_path / "home", WITH_OTHER_CLIENT) as srv:
        async with mcp_client(srv.mcp_url, srv.token) as client, httpx2.AsyncClient(headers=srv.headers) as http:

            async def other(kernel_id: str, code: str) -> None:
                answer = await http.post(f"{srv.url}{PATH}/{kernel_id}", json={"code": code}, timeout=30)
                assert answer.status_code == 200, answer.text
                assert answer.json() == {"status": "ok", "results": [code]}

            async def ours(path: str, code: str) -> None:
                text = await call(client, "execute_code", path=path, source=code, timeout=15)
                assert text.endswith(code) and "other" not in text, text

            # jmcp connects first, then the other extension.
            await call(client, "create_notebook", path="jmcp_first.ipynb")
            await ours("jmcp_first.ipynb", "'jmcp first'")
            sessions = (await http.get(f"{srv.url}api/sessions")).json()
            kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"] == "jmcp_first.ipynb")
            for i in range(3):
                await other(kernel_id, f"'other {i}'")
                await ours("jmcp_first.ipynb", f"'jmcp {i}'")

            # The other extension connects first, then jmcp.
            await call(client, "create_notebook", path="other_first.ipynb")
            model = {"path": "other_first.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
            kernel_id = (await http.post(f"{srv.url}api/sessions", json=model)).json()["kernel"]["id"]
            await other(kernel_id, "'other first'")
            for i in range(3):
                await ours("other_first.ipynb", f"'jmcp {i}'")
                await other(kernel_id, f"'other {i}'")
