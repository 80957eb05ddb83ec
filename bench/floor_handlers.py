"""A server extension for the bench only: the platform's floor under an MCP call, with no MCP and no jmcp code.

Three plain HTTP handlers, each ``POST`` under the server's base URL:

- ``jmcp-floor/hello`` answers ``2``: tornado's round trip in Jupyter's server (the token compared in constant
  time, none of Jupyter's auth).
- ``jmcp-floor/bare`` runs the body's ``{"kernel_id", "code"}`` on that kernel from inside the server, exactly
  as the bench's raw client does (``bench.figures.raw_execute`` on jupyter_client's ``AsyncKernelClient``),
  behind the same token comparison: what any HTTP request that runs code in this server costs.
- ``jmcp-floor/jupyter`` does the same behind Jupyter's own authentication and authorizer (``APIHandler``,
  ``@web.authenticated``, ``@authorized`` on kernels, as Jupyter guards its own API): the least any
  authenticated extension of Jupyter, MCP or not, pays to run the code for an HTTP client.

Each kernel's client is kept across requests; ``DELETE jmcp-floor/jupyter`` with ``{"kernel_id"}`` stops it.
Loaded by ``python -m bench`` (for the exec rows' notes) and ``python -m bench.floor``; never outside the bench.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

#: The handlers' paths under the server's base URL.
HELLO, BARE, JUPYTER = "jmcp-floor/hello", "jmcp-floor/bare", "jmcp-floor/jupyter"
#: The ``--ServerApp.jpserver_extensions`` entry that loads this module beside jmcp.
EXTENSION = "'bench.floor_handlers': True"

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

    @web.authenticated
    @authorized
    async def delete(self) -> None:
        async with _client_lock:
            kc = _clients.pop(str(json.loads(self.request.body)["kernel_id"]), None)
        if kc is not None:
            kc.stop_channels()
        self.set_status(204)
        self.finish()


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.web_app.settings["jmcp_floor_token"] = serverapp.identity_provider.token
    base = serverapp.web_app.settings["base_url"]
    routes = {HELLO: HelloHandler, BARE: BareHandler, JUPYTER: JupyterFloorHandler}
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base, path), handler) for path, handler in routes.items()])
    serverapp.log.warning("bench.floor_handlers: this server offers %s (bench only)", ", ".join(routes))
