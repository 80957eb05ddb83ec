"""jmcp beside another extension that runs code on the same kernels: jupyter-server-nbmodel, from the package index.

jupyter-server-nbmodel is JupyterLab's server-side execution (``POST /api/kernels/ID/execute``, then the request's
``Location`` until it is done). It takes its kernel client from Jupyter's kernel manager with ``kernel.client()``,
as jmcp once did: with the same session id, jmcp's execute_code waited 5 s and answered with nbmodel's result.
tests/ext/kernels/test_other_clients.py covers the same with a test-only extension in every run.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.support import call, mcp_client, pip_target, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WITH_NBMODEL = "--ServerApp.jpserver_extensions={'jmcp_ext': True, 'jupyter_server_nbmodel': True}"


async def nbmodel_run(http: httpx2.AsyncClient, url: str, kernel_id: str, code: str) -> list[Any]:
    """The text/plain of each output of ``code`` run through nbmodel's REST API (fails if it does not finish)."""
    started = await http.post(f"{url}api/kernels/{kernel_id}/execute", json={"code": code})
    assert started.status_code == 202, started.text
    request = f"{url}{started.headers['Location'].lstrip('/')}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        answer = await http.get(request)
        if answer.status_code != 202:
            assert answer.status_code == 200, answer.text
            return [output.get("data", {}).get("text/plain") for output in json.loads(answer.json()["outputs"])]
        await asyncio.sleep(0.05)
    raise AssertionError(f"nbmodel's run of {code!r} did not finish in 20 s")


async def test_execute_code_and_nbmodels_runs_alternate_on_one_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = pip_target("jupyter-server-nbmodel")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")])))
    with running_server(tmp_path / "root", tmp_path / "home", WITH_NBMODEL) as srv:
        assert "jupyter_server_nbmodel | extension was successfully loaded" in srv.log()
        async with mcp_client(srv.mcp_url, srv.token) as client, httpx2.AsyncClient(headers=srv.headers) as http:
            await call(client, "create_notebook", path="both.ipynb")
            assert (await call(client, "execute_code", source="'jmcp first'", timeout=10)).endswith("'jmcp first'")
            sessions = (await http.get(f"{srv.url}api/sessions")).json()
            kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"] == "both.ipynb")
            for i in range(3):
                assert await nbmodel_run(http, srv.url, kernel_id, f"'nbmodel {i}'") == [f"'nbmodel {i}'"]
                text = await call(client, "execute_code", source=f"'jmcp {i}'", timeout=10)
                assert text.endswith(f"'jmcp {i}'") and "nbmodel" not in text, text
