"""Tools that list, restart and interrupt kernels."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from .context import Services
from .reading import READ_ONLY, PathArg

KernelArg = Annotated[
    str | None, Field(description="Kernel id (see list_kernels); default: the kernel of the notebook.")
]


async def _target(services: Services, ctx: Context, path: str | None, kernel_id: str | None) -> str:
    if kernel_id:
        return kernel_id
    api_path = services.notebook_path(ctx, path)
    return await services.kernels.kernel_for(api_path, start=False)


def register(server: MCPServer, services: Services) -> None:
    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def list_kernels() -> str:
        """List running kernels (with the notebooks using them) and the kernel specs that can be started."""
        running = await services.kernels.list_running()
        lines = ["Running kernels:" if running else "No running kernels."]
        for k in running:
            notebooks = ", ".join(k["notebooks"]) or "no notebook"
            lines.append(f"- {k['id']} ({k['name']}, {k['execution_state']}): {notebooks}")
        specs = await services.kernels.kernel_specs()
        default = services.kernels.kernel_manager.default_kernel_name
        lines.append(
            "Kernel specs: "
            + ", ".join(
                f"{name} ({display}){' [default]' if name == default else ''}"
                for name, display in sorted(specs.items())
            )
        )
        return "\n".join(lines)

    @server.tool(annotations=ToolAnnotations(destructive_hint=True, open_world_hint=False), structured_output=False)
    async def restart_kernel(ctx: Context, path: PathArg = None, kernel_id: KernelArg = None) -> str:
        """Restart a notebook's kernel (all variables are lost; outputs in the notebook stay)."""
        target = await _target(services, ctx, path, kernel_id)
        await services.kernels.restart(target)
        return f"Kernel {target} restarted; re-run the cells whose variables you need."

    @server.tool(annotations=ToolAnnotations(destructive_hint=False, open_world_hint=False), structured_output=False)
    async def interrupt_kernel(ctx: Context, path: PathArg = None, kernel_id: KernelArg = None) -> str:
        """Interrupt the code a notebook's kernel is running (like pressing stop in JupyterLab)."""
        target = await _target(services, ctx, path, kernel_id)
        await services.kernels.interrupt(target)
        return f"Kernel {target} interrupted."
