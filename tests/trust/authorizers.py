"""Authorizers for tests, loadable by a child server.

``--ServerApp.authorizer_class=tests.trust.authorizers.DenyWrite`` (tests.support puts the repository
root on the child's PYTHONPATH).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.authorizer import Authorizer


class _Deny(Authorizer):
    """Refuses the (action, resource) pairs ``refuse`` matches; allows everything else."""

    def refuse(self, action: str, resource: str) -> bool:
        raise NotImplementedError

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not self.refuse(action, resource)


class DenyExecute(_Deny):
    """No running code (``execute`` on anything: kernels, terminals)."""

    def refuse(self, action: str, resource: str) -> bool:
        return action == "execute"


class DenyWrite(_Deny):
    """Read-only: no ``write`` on anything (files, kernels, sessions)."""

    def refuse(self, action: str, resource: str) -> bool:
        return action == "write"


class DenyReadContents(_Deny):
    """No reading files (``read`` on ``contents``)."""

    def refuse(self, action: str, resource: str) -> bool:
        return (action, resource) == ("read", "contents")


class AsyncDenyWrite(DenyWrite):
    """DenyWrite answering through a coroutine, as some authorizers do."""

    async def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:  # type: ignore[override]
        return not self.refuse(action, resource)
