"""Checks at the edge of ``/mcp``: the token (in constant time), the Origin, and who the caller is to the SDK."""

from __future__ import annotations

import hmac
import re
from typing import Any
from urllib.parse import urlparse

from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider

#: What a client without a valid token is told (RFC 6750). No resource_metadata: advertising OAuth makes
#: some clients start an OAuth flow instead of sending the configured header.
WWW_AUTHENTICATE = 'Bearer realm="jupyter"'
#: The one principal every holder of the server's token is, with Jupyter's stock identity providers.
SERVER_OWNER = "jupyter-server-owner"


def stock_provider(provider: Any) -> bool:
    """Whether the identity provider is one of Jupyter's own (token or password), not JupyterHub's or custom."""
    return type(provider) in (IdentityProvider, PasswordIdentityProvider)


#: What MCP answers (403) on a server without a token. ``jmcp doctor`` recognises its first sentence.
NO_TOKEN = (
    "This Jupyter server has no token (it was started with --IdentityProvider.token='', or it has a password "
    "and no token), so jmcp refuses MCP: without one, anyone who reaches the server could run code. Give the "
    "server a token: start it with `jmcp start` (which uses jmcp's stored token and writes it into client "
    "configs with `jmcp config`), or restart it with --IdentityProvider.token=<a long random string> and send "
    "'Authorization: Bearer <that token>'. Behind a proxy that authenticates every request, "
    "--JMCPExtension.serve_without_token=True serves MCP without a token."
)


def has_no_token(provider: Any) -> bool:
    """Whether Jupyter's own identity provider runs without a token (``--IdentityProvider.token=''``)."""
    return stock_provider(provider) and not provider.token


def header_token_matches(provider: Any, expected: str | None, authorization: str) -> bool:
    """Check a header token in constant time before Jupyter's identity provider sees it.

    jupyter_server's IdentityProvider.get_user_token compares with ``==``; for the stock providers a
    wrong token is refused here with hmac.compare_digest, so Jupyter only ever compares a token that is
    right. Other providers (JupyterHub) do their own checks; without a header, Jupyter decides.
    """
    if not stock_provider(provider) or not expected:
        return True
    match = provider.auth_header_pat.match(authorization)
    if match is None:
        return True
    return hmac.compare_digest(match.group(2).encode(), str(expected).encode())


def origin_allowed(origin: str | None, host: str, allow_origin: str, allow_origin_pat: str | None) -> bool:
    """A browser page's Origin is allowed only from the server's own host or Jupyter's configured origins.

    Jupyter skips its Origin check for token-authenticated requests; ``/mcp`` refuses a page from another
    origin whatever it carries (DNS rebinding, cross-site pages).
    """
    if not origin:
        return True  # not a browser
    if allow_origin == "*" or (allow_origin and origin == allow_origin):
        return True
    if allow_origin_pat and re.match(allow_origin_pat, origin):
        return True
    return urlparse(origin).netloc.lower() == host.lower()


def principal_name(provider: Any, user: Any) -> str:
    """The name the SDK binds MCP sessions to.

    Jupyter's default identity provider names a token-only client anew on every request (the name lives in
    a cookie that many MCP clients drop), so there every holder of the server's token is one principal:
    the server's owner. Other providers (JupyterHub) give stable per-user names.
    """
    if stock_provider(provider):
        return SERVER_OWNER
    return getattr(user, "username", None) or "anonymous"
