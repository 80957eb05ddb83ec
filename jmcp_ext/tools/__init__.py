"""The MCP server and its tools: plain async functions over the notebook store and the kernels."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .._version import __version__
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
    return server


__all__ = ["Services", "build_server"]
