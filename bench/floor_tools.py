"""A server extension for ``python -m bench.floor`` only: two stripped-down tools beside jmcp's own, and the
platform's floor under them.

- ``floor_noop`` answers ``"2"`` without touching a kernel: what any ``tools/call`` costs through jmcp's
  endpoint (HTTP, Jupyter's auth, jmcp's session layer, the SDK's pipeline, Jupyter's authorizer).
- ``floor_exec`` runs the code on the notebook's kernel through jmcp's kernel client (``Kernels.execute``)
  and returns the ``text/plain`` of what it printed: no collaboration room, no presence, no change digest,
  no output shaping. ``execute_code`` minus everything it does besides running the code.

And three HTTP handlers with no MCP and no jmcp code at all, so the bench can tell the platform's share apart:

- ``POST {base_url}jmcp-floor/hello`` answers ``2``: tornado's round trip in Jupyter's server (the token
  compared in constant time, none of Jupyter's auth).
- ``POST {base_url}jmcp-floor/bare`` runs the body's code on a kernel from inside the server, exactly as the
  bench's raw client does (``bench.figures.raw_execute``, on jupyter_client's own ``AsyncKernelClient``),
  behind the same token comparison: what any HTTP request that runs code in this server costs.
- ``POST {base_url}jmcp-floor/jupyter`` does the same behind Jupyter's own authentication and authorizer
  (``APIHandler``, ``@web.authenticated``, ``@authorized`` on kernels): the least any authenticated extension
  of Jupyter, MCP or not, pays to run the code.

Never loaded outside the bench: it adds tools to jmcp's tool table and permission table (both module-level)
in the server process that loads it. Both tools ask Jupyter's authorizer for ``execute_code``'s permissions.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from mcp.server.mcpserver import Context
from tornado import web

from jmcp_ext import permissions
from jmcp_ext.tools.args import RUN
from jmcp_ext.tools.context import services_of
from jmcp_ext.tools.registry import tool

FLOOR_TOOLS = ("floor_noop", "floor_exec")
#: The handlers' paths under the server's base URL.
HELLO, BARE, JUPYTER = "jmcp-floor/hello", "jmcp-floor/bare", "jmcp-floor/jupyter"


@tool(RUN)
async def floor_noop(ctx: Context, source: str, path: str | None = None) -> str:
    """Answer "2" without running anything (the cost of a tool call through jmcp's endpoint)."""
    return "2"


@tool(RUN)
async def floor_exec(ctx: Context, source: str, path: str | None = None) -> str:
    """Run ``source`` on the notebook's kernel and return its text/plain results, nothing else."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    kernel_id = await services.kernels.kernel_for(api_path)
    execution = await services.kernels.execute(kernel_id, source, timeout=30.0, store_history=False)
    return "\n".join(str(output.get("data", {}).get("text/plain", "")) for output in execution.outputs)


_clients: dict[str, Any] = {}  # kernel id -> a started AsyncKernelClient, kept across requests
_client_lock = asyncio.Lock()


async def _raw_call(kernel_manager: Any, body: bytes) -> str:
    """Run ``{"kernel_id", "code"}`` as the bench's raw client does, from inside the server; the result's text."""
    from bench.figures import raw_execute  # the baseline's own code, so only where it runs differs

    request = json.loads(body)
    kernel_id = str(request["kernel_id"])
    async with _client_lock:
        kc = _clients.get(kernel_id)
        if kc is None:
            kc = kernel_manager.get_kernel(kernel_id).client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            _clients[kernel_id] = kc
    return str(await raw_execute(kc, str(request["code"])))


class _TokenOnly(web.RequestHandler):
    """A plain tornado handler: the server's token compared in constant time, nothing else of Jupyter's."""

    def prepare(self) -> None:
        if not self.settings["jmcp_floor_token"]:
            raise web.HTTPError(403, "this server has no token")
        expected = f"token {self.settings['jmcp_floor_token']}"
        given = self.request.headers.get("Authorization", "").replace("Bearer ", "token ", 1)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise web.HTTPError(401)

    def check_xsrf_cookie(self) -> None:
        return  # the token is in a header, which no other site's page can set


class HelloHandler(_TokenOnly):
    def post(self) -> None:
        self.finish("2")


class BareHandler(_TokenOnly):
    async def post(self) -> None:
        self.finish(await _raw_call(self.settings["kernel_manager"], self.request.body))


class JupyterFloorHandler(APIHandler):
    auth_resource = "kernels"

    @web.authenticated  # as jupyter_server's own API handlers (GET /api/status among them) are guarded
    @authorized
    async def post(self) -> None:
        self.finish(await _raw_call(self.kernel_manager, self.request.body))


def _load_jupyter_server_extension(serverapp: Any) -> None:
    for name in FLOOR_TOOLS:
        permissions.TOOLS[name] = permissions.TOOLS["execute_code"]
    serverapp.web_app.settings["jmcp_floor_token"] = serverapp.identity_provider.token
    base = serverapp.web_app.settings["base_url"]
    routes = {HELLO: HelloHandler, BARE: BareHandler, JUPYTER: JupyterFloorHandler}
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base, path), handler) for path, handler in routes.items()])
    offers = [*FLOOR_TOOLS, *routes]
    serverapp.log.warning("bench.floor_tools: this server offers %s (bench only)", ", ".join(offers))
