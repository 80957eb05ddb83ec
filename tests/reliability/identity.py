"""A JupyterHub-like identity provider for tests: two users, each with a token of their own."""

from __future__ import annotations

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web

TOKENS = {"alice-" + "a" * 26: "alice", "bob-" + "b" * 28: "bob"}


class TwoUsers(IdentityProvider):
    """Names the user from the Bearer token; anything else is nobody."""

    @property
    def auth_enabled(self) -> bool:
        return True

    async def get_user(self, handler: web.RequestHandler) -> User | None:  # type: ignore[override]
        match = self.auth_header_pat.match(handler.request.headers.get("Authorization", ""))
        name = TOKENS.get(match.group(2)) if match else None
        if name is None:
            return None
        handler._token_authenticated = True  # type: ignore[attr-defined]
        return User(username=name)
