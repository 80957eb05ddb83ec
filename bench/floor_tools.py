"""A server extension for ``python -m bench.floor`` only: two stripped-down tools beside jmcp's own.

- ``floor_noop`` answers ``"2"`` without touching a kernel: what any ``tools/call`` costs through jmcp's
  endpoint (HTTP, Jupyter's auth, jmcp's session layer, the SDK's pipeline, Jupyter's authorizer).
- ``floor_exec`` runs the code on the notebook's kernel through jmcp's kernel client (``Kernels.execute``)
  and returns the ``text/plain`` of what it printed: no collaboration room, no presence, no change digest,
  no output shaping. ``execute_code`` minus everything it does besides running the code.

The platform's floor under them, with no MCP and no jmcp code, is bench/floor_handlers.py.

Never loaded outside the bench: it adds tools to jmcp's tool table and permission table (both module-level)
in the server process that loads it. Both tools ask Jupyter's authorizer for ``execute_code``'s permissions.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context

from jmcp_ext import permissions
from jmcp_ext.tools.args import RUN
from jmcp_ext.tools.context import services_of
from jmcp_ext.tools.registry import tool

FLOOR_TOOLS = ("floor_noop", "floor_exec")


@tool(RUN)
async def floor_noop(ctx: Context, source: str, path: str | None = None) -> str:
    """Answer "2" without running anything (the cost of a tool call through jmcp's endpoint)."""
    return "2"


@tool(RUN)
async def floor_exec(ctx: Context, source: str, path: str | None = None) -> str:
    """Run ``source`` on the notebook's kernel and return its text/plain results, nothing else."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    kernel_id = await services.kernels.kernel_for(api_path)
    execution = await services.kernels.execute(kernel_id, source, timeout=30.0, store_history=False)
    return "\n".join(str(output.get("data", {}).get("text/plain", "")) for output in execution.outputs)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    for name in FLOOR_TOOLS:
        permissions.TOOLS[name] = permissions.TOOLS["execute_code"]
    serverapp.log.warning("bench.floor_tools: this server offers %s (bench only)", ", ".join(FLOOR_TOOLS))
