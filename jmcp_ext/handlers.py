"""HTTP handlers: ``/mcp`` (Jupyter auth at the edge, then the SDK through the ASGI bridge) and ``/mcp/healthz``.

Handlers reach the :class:`~jmcp_ext.runtime.McpRuntime` through the tornado settings (``jmcp_runtime``),
as jupyter_server_terminals hands its handlers their manager; they never import the extension app.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from .asgi_bridge import ASGIBridge, build_scope
from .auth import NO_TOKEN, WWW_AUTHENTICATE, has_no_token, header_token_matches, origin_allowed, principal_name
from .caller import Caller, attach

if TYPE_CHECKING:
    from .runtime import McpRuntime

#: The tornado settings key under which the extension puts its runtime.
RUNTIME_SETTING = "jmcp_runtime"
#: How long the first MCP request waits for the SDK to load before it is told to retry.
STARTUP_WAIT_SECONDS = 30.0
UNAUTHORIZED = "A valid Jupyter token is required: send 'Authorization: Bearer TOKEN'"


class _Base(APIHandler):
    @property
    def runtime(self) -> McpRuntime:
        runtime: McpRuntime = self.settings[RUNTIME_SETTING]
        return runtime

    @property
    def serving_without_token(self) -> bool:
        """The server has no token and jmcp was told to serve MCP anyway (behind an authenticating proxy)."""
        return has_no_token(self.identity_provider) and self.runtime.options.serve_without_token

    def check_xsrf_cookie(self) -> None:
        # Requests without a user are refused with 401 in prepare(); let them get that far.
        if getattr(self, "_jupyter_current_user", "unset") is None:
            return
        # Without a token there is no XSRF token to send either; the Origin check in prepare() and Jupyter's
        # Host check keep pages of other sites out.
        if self.serving_without_token:
            return
        super().check_xsrf_cookie()

    def _request_summary(self) -> str:
        # Tornado logs this with every HTTPError; the query string may hold a token (refused, but still
        # a secret), so log the path alone.
        return f"{self.request.method} {self.request.path} ({self.request.remote_ip})"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 401:
            self.set_header("WWW-Authenticate", WWW_AUTHENTICATE)
        super().write_error(status_code, **kwargs)


class MCPHandler(_Base):
    """Streamable HTTP endpoint; every method needs the Jupyter token (or another identity Jupyter accepts)."""

    _bridge: ASGIBridge | None = None

    async def prepare(self) -> None:  # type: ignore[override]
        # A foreign Origin is refused outright (403, as the MCP spec asks), token or not.
        origin = self.request.headers.get("Origin")
        if not origin_allowed(origin, self.request.host, self.allow_origin, self.allow_origin_pat):
            raise web.HTTPError(403, "Origin not allowed")
        if has_no_token(self.identity_provider) and not self.serving_without_token:
            raise web.HTTPError(403, NO_TOKEN)  # rather than Jupyter's "'_xsrf' argument missing from POST"
        if self.get_query_argument("token", None) is not None:
            # The MCP spec forbids credentials in the URL (they end up in logs and histories).
            raise web.HTTPError(401, "Send the token in the Authorization header, not in the URL")
        if not header_token_matches(self.identity_provider, self.token, self.request.headers.get("Authorization", "")):
            raise web.HTTPError(401, UNAUTHORIZED)
        await JupyterHandler.prepare(self)  # Host check, identity, XSRF for cookie-only browsers
        if self.current_user is None:
            raise web.HTTPError(401, UNAUTHORIZED)

    async def _serve(self) -> None:
        app = await self.runtime.mcp_app(timeout=STARTUP_WAIT_SECONDS)
        if app is None:
            self.set_header("Retry-After", "1")
            raise web.HTTPError(503, "jmcp is starting; retry in a moment")
        # Only once the runtime has imported the SDK (in its thread): importing it from two threads at
        # once can deadlock on its circular imports.
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        name = principal_name(self.identity_provider, self.current_user)
        principal = AuthenticatedUser(AccessToken(token="", client_id=name, scopes=[], subject=name))
        scope = build_scope(self, path="/mcp", user=principal)
        attach(scope, Caller(self, self.current_user))  # tools ask Jupyter's authorizer as this user (access.py)
        self._bridge = ASGIBridge(self)
        await self._bridge.run(app, scope)

    def on_connection_close(self) -> None:
        if self._bridge is not None:
            self._bridge.connection_closed()
        super().on_connection_close()

    # Authentication happens in prepare() with a 401 instead of Jupyter's 403/redirect.
    @allow_unauthenticated
    async def post(self) -> None:
        await self._serve()

    @allow_unauthenticated
    async def get(self) -> None:
        await self._serve()

    @allow_unauthenticated
    async def delete(self) -> None:
        await self._serve()


class UnknownPathHandler(MCPHandler):
    """Anything else under ``/mcp/``: the same checks as ``/mcp`` (401 without a token), then 404."""

    async def _serve(self) -> None:
        raise web.HTTPError(404)

    @allow_unauthenticated
    async def put(self) -> None:
        await self._serve()

    @allow_unauthenticated
    async def patch(self) -> None:
        await self._serve()

    @allow_unauthenticated
    async def head(self) -> None:
        await self._serve()


class HealthHandler(_Base):
    """Liveness without a token (nothing sensitive); details with one."""

    @allow_unauthenticated
    async def get(self) -> None:
        # With no token and no password configured, Jupyter gives everyone an identity: not proof of anything.
        detailed = self.current_user is not None and self.identity_provider.auth_enabled
        body = await self.runtime.health(detailed=detailed)
        if detailed:
            body.update(authenticated=True, user=getattr(self.current_user, "username", None))
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))
