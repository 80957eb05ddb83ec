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
            await call(client, "create_notebook", path="shared.ipynb")
            assert (await call(client, "execute_code", source="'jmcp first'", timeout=15)).endswith("'jmcp first'")
            sessions = (await http.get(f"{srv.url}api/sessions")).json()
            kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"] == "shared.ipynb")
            for i in range(3):
                other = await http.post(f"{srv.url}{PATH}/{kernel_id}", json={"code": f"'other {i}'"}, timeout=30)
                assert other.status_code == 200, other.text
                assert other.json() == {"status": "ok", "results": [f"'other {i}'"]}
                text = await call(client, "execute_code", source=f"'jmcp {i}'", timeout=15)
                assert text.endswith(f"'jmcp {i}'") and "other" not in text, text
