"""The MCP server and its tools: plain async functions over the notebook store and the kernels."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .._version import __version__
from .context import Limits, Services, services_of

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
  a timeout interrupts the kernel. Use execute_code for quick checks that should not add cells, and
  list_variables / inspect_variable to see the kernel's data without running cells.
- Big outputs are cut in the middle: read_cell with offset pages through them, with pattern searches them.
"""

#: The modules whose ``@tool`` functions the server offers, in the order tools/list shows them.
TOOL_MODULES = ("files", "notebooks", "reading", "editing", "running", "variables", "kernels")


def build_server(services: Services, *, read_only: bool = False, disabled: frozenset[str] = frozenset()) -> MCPServer:
    """An MCPServer offering the selected tools; each tool reaches ``services`` through its lifespan."""
    # Imported here: the MCP SDK is a large import, kept off Jupyter's start-up path (see runtime.py).
    from mcp.server.mcpserver import MCPServer

    from .arguments import ArgumentCheck
    from .registry import explain_crashes, selected

    for module in TOOL_MODULES:
        importlib.import_module(f"{__name__}.{module}")  # each module's @tool functions register themselves

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer[Services]) -> AsyncIterator[Services]:
        yield services

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server: MCPServer[Services] = MCPServer(
        name="jmcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan
    )
    # MCPServer() calls logging.basicConfig with its own handler: give the root logger back to Jupyter.
    root.handlers[:] = handlers
    root.setLevel(level)
    for spec in selected(read_only=read_only, disabled=disabled):
        server.add_tool(explain_crashes(spec), name=spec.name, annotations=spec.annotations, structured_output=False)
    server.middleware.append(ArgumentCheck(server))  # names arguments a call got wrong, in one line
    return server


__all__ = ["Limits", "Services", "build_server", "services_of"]
