"""The MCP server and its tools: plain async functions over the notebook store and the kernels."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError

from .._version import __version__
from ..errors import JMCPError
from .context import Services

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

INSTRUCTIONS = """\
You are working inside a live Jupyter server; a person may be watching the same notebooks in JupyterLab.
- Use these tools for notebooks, never edit .ipynb files as text: edits here appear live and autosave.
- Start with use_notebook(path) (or create_notebook); later calls may then omit path.
- Address cells by id where you can: indices shift when cells are inserted, moved or deleted.
- Read in pages (read_notebook with start/limit, outputs='brief'), then read_cell for full outputs.
- For small changes use edit_cell_source (exact snippet) instead of resending a whole cell.
- execute_cell runs on the notebook's own kernel (shared with JupyterLab); long runs send progress and
  a timeout interrupts the kernel. Use execute_code for quick checks that should not add cells.
"""

log = logging.getLogger(__name__)

#: Tools that change notebooks or run code; removed in read-only mode.
WRITE_TOOLS = frozenset(
    {
        "create_notebook",
        "insert_cell",
        "overwrite_cell_source",
        "edit_cell_source",
        "delete_cells",
        "move_cell",
        "clear_outputs",
        "execute_cell",
        "insert_execute_code_cell",
        "execute_code",
        "run_all_cells",
        "restart_kernel",
        "interrupt_kernel",
    }
)


def build_server(services: Services, *, read_only: bool = False, disabled: frozenset[str] = frozenset()) -> MCPServer:
    """An MCPServer with every tool registered, less the disabled ones."""
    # Imported here: the MCP SDK is a large import, kept off Jupyter's start-up path (see app.py).
    from mcp.server.mcpserver import MCPServer

    from . import editing, kernels, reading, running

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server: MCPServer = MCPServer(name="jmcp", version=__version__, instructions=INSTRUCTIONS)
    # MCPServer() calls logging.basicConfig with its own handler: give the root logger back to Jupyter.
    root.handlers[:] = handlers
    root.setLevel(level)
    for module in (reading, editing, running, kernels):
        module.register(server, services)
    removed = set(disabled) | (WRITE_TOOLS if read_only else set())
    for tool in list(server._tool_manager.list_tools()):
        if tool.name in removed:
            server.remove_tool(tool.name)
        else:
            tool.fn = _explain_crashes(tool.name, tool.fn)
    return server


def _explain_crashes(name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Turn an unexpected exception into a tool error the model can act on (the SDK would say only
    "Error executing tool"); the traceback goes to the server log."""

    @functools.wraps(fn)
    async def wrapper(**kwargs: Any) -> Any:
        try:
            return await fn(**kwargs)
        except (ToolError, MCPError):
            raise
        except Exception as exc:
            log.exception("jmcp tool %s failed", name)
            raise JMCPError(
                f"Unexpected {type(exc).__name__} in {name}: {exc}. The Jupyter server log has the details; "
                "retry, or re-open the notebook with use_notebook."
            ) from exc

    return wrapper


__all__ = ["Services", "build_server"]
