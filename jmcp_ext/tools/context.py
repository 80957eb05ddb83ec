"""What every tool needs: the notebook store, the kernels, settings, and per-session state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import JMCPError
from ..kernels import Kernels
from ..notebooks import Notebook, NotebookStore
from ..paths import normalize, require_notebook

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context


@dataclass
class Limits:
    execution_timeout: float = 300.0
    max_execution_timeout: float = 3600.0
    max_output_chars: int = 20_000
    max_image_bytes: int = 1_000_000
    progress_interval: float = 5.0
    max_source_chars: int = 20_000


@dataclass
class Services:
    notebooks: NotebookStore
    kernels: Kernels
    root_dir: str
    limits: Limits = field(default_factory=Limits)
    #: MCP session id -> that session's active notebook (never shared between sessions).
    active: dict[str, str] = field(default_factory=dict)

    def allow_hidden(self) -> bool:
        return bool(getattr(self.notebooks.contents_manager, "allow_hidden", False))

    def api_path(self, path: str) -> str:
        return normalize(path, self.root_dir, allow_hidden=self.allow_hidden())

    def notebook_path(self, ctx: Context[Any, Any] | None, path: str | None) -> str:
        """The notebook a tool works on: ``path`` if given, else this session's active notebook."""
        if path:
            return require_notebook(self.api_path(path))
        key = session_key(ctx)
        if key is not None and key in self.active:
            return self.active[key]
        raise JMCPError(
            "No notebook given and this session has no active notebook: pass `path`, or call use_notebook "
            "first (clients without sessions must pass `path` on every call)."
        )

    def set_active(self, ctx: Context[Any, Any] | None, path: str) -> bool:
        key = session_key(ctx)
        if key is None:
            return False
        self.active[key] = path
        return True

    def active_for(self, ctx: Context[Any, Any] | None) -> str | None:
        key = session_key(ctx)
        return self.active.get(key) if key is not None else None

    def forget_sessions(self, alive: set[str]) -> None:
        for key in list(self.active):
            if key not in alive:
                del self.active[key]


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


def resolve_cell(notebook: Notebook, cell: int | str) -> int:
    """The index of a cell given by index (negative counts from the end) or by cell id."""
    count = len(notebook)
    if isinstance(cell, str):
        found = notebook.index_of(cell)
        if found is not None:
            return found
        stripped = cell.strip()
        if stripped.lstrip("-").isdigit():
            cell = int(stripped)
        else:
            raise JMCPError(f"No cell with id {cell!r} in {notebook.path}; call read_notebook to see the cell ids.")
    index = cell + count if cell < 0 else cell
    if not 0 <= index < count:
        raise JMCPError(f"Cell index {cell} is out of range: {notebook.path} has {count} cells (0 to {count - 1}).")
    return index
