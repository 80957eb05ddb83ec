"""The MCP server and its tools: plain async functions over the notebook store and the kernels."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

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
- People see you in JupyterLab as a collaborator, with your cursor where you work. use_notebook and
  read_notebook say which cell each person is in ("this cell" means that one). A result that starts with
  "Changed by others since your last call" lists what people or other agents changed: re-read those cells.
- Overwriting, deleting, moving or clearing a cell someone changed since you read it is refused with its
  current text: re-read and redo your change on it (force=true only if their change should go).
- undo takes back your own last change (one call = one step; people's edits stay); redo puts it back.
"""

#: The modules whose ``@tool`` functions the server offers, in the order tools/list shows them.
TOOL_MODULES = ("files", "notebooks", "reading", "editing", "history", "running", "variables", "kernels")


def new_server(**kwargs: Any) -> MCPServer[Any]:
    """``MCPServer(**kwargs)`` that leaves the root logger as it was: MCPServer() calls logging.basicConfig with its
    own handler, and the root logger belongs to Jupyter (or to the test run)."""
    from mcp.server.mcpserver import MCPServer

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return MCPServer(**kwargs)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def build_server(services: Services, *, read_only: bool = False, disabled: frozenset[str] = frozenset()) -> MCPServer:
    """An MCPServer offering the selected tools; each tool reaches ``services`` through its lifespan."""
    # Imported here: the MCP SDK is a large import, kept off Jupyter's start-up path (see runtime.py).
    from mcp.server.subscriptions import InMemorySubscriptionBus

    from ..prompts import register_prompts
    from ..resources import register_resources
    from .arguments import ArgumentCheck
    from .registry import TOOLS, per_call, selected

    for module in TOOL_MODULES:
        importlib.import_module(f"{__name__}.{module}")  # each module's @tool functions register themselves

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer[Services]) -> AsyncIterator[Services]:
        try:
            yield services
        finally:
            await feed.close()

    bus = InMemorySubscriptionBus()  # carries resource changes to 2026-07-28 subscriptions/listen streams
    server: MCPServer[Services] = new_server(
        name="jmcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan, subscriptions=bus
    )
    offered = selected(read_only=read_only, disabled=disabled)
    for spec in offered:
        server.add_tool(per_call(spec), name=spec.name, annotations=spec.annotations, structured_output=False)
    server.middleware.append(ArgumentCheck(server))  # names arguments a call got wrong, in one line
    feed = register_resources(server, services, bus)
    register_prompts(server, offered=[spec.name for spec in offered], all_tools=TOOLS)
    return server


__all__ = ["Limits", "Services", "build_server", "new_server", "services_of"]
