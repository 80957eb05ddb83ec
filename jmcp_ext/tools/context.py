"""What every tool needs: the notebook store, the kernels, the limits, and the calling MCP session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import JmcpError
from ..kernels import Kernels
from ..notebooks import NotebookStore
from ..options import Limits
from ..paths import normalize, require_notebook
from ..sessions import Sessions, SessionState
from .collaboration import PRESENCE_IDLE_SECONDS, Collaboration

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context


@dataclass
class Services:
    """The shared objects tools work with; one per server, reached from a tool through :func:`services_of`."""

    notebooks: NotebookStore
    kernels: Kernels
    root_dir: str
    limits: Limits = field(default_factory=Limits)
    sessions: Sessions = field(default_factory=Sessions)
    #: Seconds without a call after which an agent leaves JupyterLab's collaborators list.
    presence_idle_seconds: float = PRESENCE_IDLE_SECONDS
    #: Agents as collaborators: presence, change digests, stale-write checks, undo, checkpoints.
    collab: Collaboration = field(init=False)

    def __post_init__(self) -> None:
        self.collab = Collaboration(
            self.notebooks,
            self.sessions,
            presence_idle=self.presence_idle_seconds,
            forget_sessionless=self.sessions.idle_timeout or 1800.0,
        )

    def allow_hidden(self) -> bool:
        return bool(getattr(self.notebooks.contents_manager, "allow_hidden", False))

    def api_path(self, path: str) -> str:
        return normalize(path, self.root_dir, allow_hidden=self.allow_hidden())

    def session(self, ctx: Context[Any, Any] | None) -> SessionState | None:
        """The calling MCP session's state; None for sessionless (2026-07-28 era) requests."""
        key = session_key(ctx)
        return self.sessions.get(key) if key is not None else None

    def notebook_path(self, ctx: Context[Any, Any] | None, path: str | None) -> str:
        """The notebook a tool works on: ``path`` if given, else this session's active notebook."""
        if path:
            return require_notebook(self.api_path(path))
        state = self.session(ctx)
        if state is not None and state.active_notebook is not None:
            return state.active_notebook
        raise JmcpError(
            "No notebook given and this session has no active notebook: pass `path`, or call use_notebook "
            "first (clients without sessions must pass `path` on every call)."
        )

    def set_active(self, ctx: Context[Any, Any] | None, path: str) -> bool:
        """Make ``path`` the session's active notebook; False when the request has no session."""
        state = self.session(ctx)
        if state is None:
            return False
        state.active_notebook = path
        return True

    def active_for(self, ctx: Context[Any, Any] | None) -> str | None:
        state = self.session(ctx)
        return state.active_notebook if state is not None else None


def services_of(ctx: Context[Any, Any]) -> Services:
    """The server's :class:`Services`: what its lifespan yielded (see ``build_server``)."""
    services = ctx.request_context.lifespan_context
    assert isinstance(services, Services), "build_server's lifespan yields the Services"
    return services


def session_key(ctx: Context[Any, Any] | None) -> str | None:
    """The MCP session id of the request, or None for sessionless (2026-07-28 era) requests."""
    if ctx is None:
        return None
    try:
        request = ctx.request_context.request
    except ValueError:
        return None
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    value = headers.get("mcp-session-id")
    return str(value) if value else None
