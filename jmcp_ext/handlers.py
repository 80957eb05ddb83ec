"""HTTP handlers: ``/mcp`` (Jupyter auth at the edge, then the SDK through the ASGI bridge) and ``/mcp/healthz``."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from ._version import __version__
from .asgi_bridge import ASGIBridge, build_scope

if TYPE_CHECKING:
    from .app import JMCPExtension

#: What a client without a valid token is told (RFC 6750). No resource_metadata: advertising OAuth makes
#: some clients start an OAuth flow instead of sending the configured header.
WWW_AUTHENTICATE = 'Bearer realm="jupyter"'
#: How long the first MCP request waits for the SDK to load before it is told to retry.
STARTUP_WAIT_SECONDS = 30.0


class _Base(ExtensionHandlerMixin, APIHandler):
    @property
    def jmcp(self) -> JMCPExtension:
        return self.extensionapp  # type: ignore[return-value]

    def check_xsrf_cookie(self) -> None:
        # Requests without a user are refused with 401 in prepare(); let them get that far.
        if getattr(self, "_jupyter_current_user", "unset") is None:
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
        # A foreign Origin is refused outright (403, as the MCP spec asks), token or not: it is a
        # browser page on another site, which is what DNS rebinding protection is about.
        if not self._origin_allowed():
            raise web.HTTPError(403, "Origin not allowed")
        if self.get_query_argument("token", None) is not None:
            # The MCP spec forbids credentials in the URL (they end up in logs and histories).
            raise web.HTTPError(401, "Send the token in the Authorization header, not in the URL")
        if not self._header_token_matches():
            raise web.HTTPError(401, "A valid Jupyter token is required: send 'Authorization: Bearer TOKEN'")
        await JupyterHandler.prepare(self)  # Host check, identity, XSRF for cookie-only browsers
        if self.current_user is None:
            raise web.HTTPError(401, "A valid Jupyter token is required: send 'Authorization: Bearer TOKEN'")

    def _header_token_matches(self) -> bool:
        """Check a header token in constant time before Jupyter's identity provider sees it.

        jupyter_server's IdentityProvider.get_user_token compares with ``==``; for the stock providers
        (which check ``handler.token``) a wrong token is refused here with hmac.compare_digest, so
        Jupyter only ever compares a token that is right. Other providers (JupyterHub) do their own checks.
        """
        provider = self.identity_provider
        expected = self.token
        if type(provider) not in (IdentityProvider, PasswordIdentityProvider) or not expected:
            return True
        match = provider.auth_header_pat.match(self.request.headers.get("Authorization", ""))
        if match is None:
            return True  # no header token: a cookie (browser) or nothing; Jupyter decides
        return hmac.compare_digest(match.group(2).encode(), str(expected).encode())

    def _origin_allowed(self) -> bool:
        # Jupyter skips its Origin check for token-authenticated requests; here a browser page from
        # another origin is refused whatever it carries. Configured allow_origin settings still apply.
        origin = self.request.headers.get("Origin")
        if not origin:
            return True  # not a browser
        if self.allow_origin == "*" or (self.allow_origin and origin == self.allow_origin):
            return True
        if self.allow_origin_pat and re.match(self.allow_origin_pat, origin):
            return True
        return urlparse(origin).netloc.lower() == self.request.host.lower()

    async def _serve(self) -> None:
        app = self.jmcp
        if not app.session_manager_running:
            app.request_build()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(app.ready.wait(), timeout=STARTUP_WAIT_SECONDS)
        if not app.session_manager_running or app.session_manager is None:
            self.set_header("Retry-After", "1")
            raise web.HTTPError(503, "jmcp is starting; retry in a moment")
        # Only once the start-up thread has imported the SDK: importing it from two threads at once
        # can deadlock on its circular imports.
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        # The SDK binds each MCP session to the identity that created it. Jupyter's default identity
        # provider names a token-only client anew on every request (the name lives in a cookie that
        # many MCP clients drop), so there every holder of the server's token is one principal: the
        # server's owner. Other providers (JupyterHub) give stable per-user names.
        if type(self.identity_provider) in (IdentityProvider, PasswordIdentityProvider):
            name = "jupyter-server-owner"
        else:
            name = getattr(self.current_user, "username", None) or "anonymous"
        principal = AuthenticatedUser(AccessToken(token="", client_id=name, scopes=[], subject=name))
        self._bridge = ASGIBridge(self)
        scope = build_scope(self, path=self.jmcp.mcp_path, user=principal)
        await self._bridge.run(app.session_manager.handle_request, scope)

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
        app = self.jmcp
        app.request_build()
        body: dict[str, Any] = {
            "status": "ok" if app.session_manager_running else "starting",
            "service": "jmcp",
            "version": __version__,
            "rtc": app.notebooks.rtc_available if app.notebooks is not None else None,
            "sessions": app.active_sessions(),
        }
        if self.current_user is not None and not self._anonymous():
            body.update(
                authenticated=True,
                user=getattr(self.current_user, "username", None),
                root_dir=self.serverapp.root_dir,
                read_only=app.read_only,
                tools=app.tool_names(),
            )
            if app.notebooks is not None:
                body.update(rtc_detail=app.notebooks.rtc_detail(), open_rooms=len(app.notebooks.open_rooms()))
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))

    def _anonymous(self) -> bool:
        # With no token and no password configured, Jupyter gives everyone an identity; don't treat
        # that as proof of anything.
        return not self.identity_provider.auth_enabled
