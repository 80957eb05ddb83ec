"""The Jupyter user behind an MCP request, and the tornado handler serving it, carried in the ASGI scope.

``MCPHandler`` puts a :class:`Caller` into the scope's ``state``; the SDK hands tools a Starlette request
over that same scope, so a tool can ask Jupyter's authorizer exactly what a REST handler would ask.
Cheap to import (no MCP SDK): the handlers import it.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from .auth import stock_provider
from .permissions import Pair, denied

#: The key under which the scope's ``state`` holds the caller.
CALLER_KEY = "jmcp.caller"


@dataclass(frozen=True)
class Caller:
    """Who sent one MCP request, as Jupyter's authorizer sees them."""

    #: The tornado handler of the request: authorizers are given it, as for a REST call.
    handler: Any
    user: Any

    @property
    def name(self) -> str | None:
        """The user's name for messages; None where it means nothing (Jupyter's own providers invent one
        per request for a token-only client)."""
        if stock_provider(self.handler.identity_provider):
            return None
        return getattr(self.user, "username", None)

    async def refused(self, pairs: Iterable[Pair]) -> list[Pair]:
        """The pairs Jupyter's authorizer refuses this user for this request."""
        return await denied(self.handler.authorizer, self.handler, self.user, pairs)


def attach(scope: MutableMapping[str, Any], caller: Caller) -> None:
    """Put the caller into an ASGI scope (its ``state`` travels with the request into the SDK)."""
    scope.setdefault("state", {})[CALLER_KEY] = caller


def caller_of(request: Any) -> Caller | None:
    """The caller of an MCP request; None when the request did not come over HTTP (an in-process client).

    An HTTP request without a caller never comes from jmcp's handler: it is refused, not let through.
    """
    if request is None:
        return None
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, MutableMapping) else None
    caller = state.get(CALLER_KEY) if isinstance(state, MutableMapping) else None
    if not isinstance(caller, Caller):
        raise PermissionError("this MCP request did not come through jmcp's /mcp handler: no Jupyter user to ask for")
    return caller
