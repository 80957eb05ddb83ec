"""Tools that list, restart and interrupt kernels."""

from __future__ import annotations

from mcp.server.mcpserver import Context

from .args import CONTROL, DESTRUCTIVE, READ_ONLY, KernelArg, PathArg
from .context import Services, services_of
from .registry import tool


async def _target(services: Services, ctx: Context, path: str | None, kernel_id: str | None) -> str:
    if kernel_id:
        return kernel_id
    api_path = services.notebook_path(ctx, path)
    return await services.kernels.kernel_for(api_path, start=False)


@tool(READ_ONLY)
async def list_kernels(ctx: Context) -> str:
    """List running kernels (with the notebooks using them) and the kernel specs that can be started."""
    kernels = services_of(ctx).kernels
    running = await kernels.list_running()
    lines = ["Running kernels:" if running else "No running kernels."]
    for k in running:
        notebooks = ", ".join(k["notebooks"]) or "no notebook"
        lines.append(f"- {k['id']} ({k['name']}, {k['execution_state']}): {notebooks}")
    specs = await kernels.kernel_specs()
    default = kernels.kernel_manager.default_kernel_name
    listed = ", ".join(
        f"{name} ({display}){' [default]' if name == default else ''}" for name, display in sorted(specs.items())
    )
    lines.append(f"Kernel specs: {listed}")
    return "\n".join(lines)


@tool(DESTRUCTIVE)
async def restart_kernel(ctx: Context, path: PathArg = None, kernel_id: KernelArg = None) -> str:
    """Restart a notebook's kernel (all variables are lost; outputs in the notebook stay)."""
    services = services_of(ctx)
    target = await _target(services, ctx, path, kernel_id)
    await services.kernels.restart(target)
    return f"Kernel {target} restarted; re-run the cells whose variables you need."


@tool(CONTROL)
async def interrupt_kernel(ctx: Context, path: PathArg = None, kernel_id: KernelArg = None) -> str:
    """Interrupt the code a notebook's kernel is running (like pressing stop in JupyterLab)."""
    services = services_of(ctx)
    target = await _target(services, ctx, path, kernel_id)
    await services.kernels.interrupt(target)
    return f"Kernel {target} interrupted."
