"""A server extension for tests only: another extension running code on the same kernels as jmcp.

Like jupyter-server-nbmodel (JupyterLab's server-side execution), it takes a client from Jupyter's kernel manager
with ``kernel.client()``, keeps it per kernel and runs code with ``execute_interactive``.
``POST {base_url}test-other-client/KERNEL_ID`` with ``{"code": ...}`` answers ``{"status", "results"}``, the
text/plain of each ``execute_result``.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

PATH = "test-other-client"
_clients: dict[str, Any] = {}


class OtherClientHandler(APIHandler):
    @web.authenticated
    async def post(self, kernel_id: str) -> None:
        client = _clients.get(kernel_id)
        if client is None:
            client = _clients[kernel_id] = self.kernel_manager.get_kernel(kernel_id).client()
            client.start_channels()
            await client.wait_for_ready(timeout=30)
        results: list[str] = []

        def output(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "execute_result":
                results.append(msg["content"]["data"]["text/plain"])

        code = json.loads(self.request.body)["code"]
        reply = await client.execute_interactive(code, output_hook=output, timeout=20)
        self.finish({"status": reply["content"]["status"], "results": results})


def _load_jupyter_server_extension(serverapp: Any) -> None:
    route = url_path_join(serverapp.web_app.settings["base_url"], PATH, "([^/]+)")
    serverapp.web_app.add_handlers(".*$", [(route, OtherClientHandler)])
