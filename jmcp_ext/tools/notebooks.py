"""Tools that find, create and open notebooks (each MCP session has its own active notebook)."""

from __future__ import annotations

from typing import Annotated

from jupyter_core.utils import ensure_async
from mcp.server.mcpserver import Context
from pydantic import Field

from ..errors import JmcpError
from ..notebooks import empty_notebook
from .args import ATTACH, CREATE, READ_ONLY
from .context import services_of
from .notebook_call import notebook_call
from .registry import tool


@tool(READ_ONLY)
async def list_notebooks(ctx: Context) -> str:
    """List open notebooks (kernel or live room), this session's active one, and which cell each person is in."""
    services = services_of(ctx)
    sessions = await services.kernels.session_manager.list_sessions()
    by_path: dict[str, list[str]] = {}
    for session in sessions:
        if session.get("type") == "notebook" or str(session.get("path", "")).endswith(".ipynb"):
            kernel = session.get("kernel") or {}
            by_path.setdefault(session["path"], []).append(
                f"kernel {kernel.get('name')} {kernel.get('id')} ({kernel.get('execution_state')})"
            )
    for path in services.notebooks.open_rooms():
        by_path.setdefault(path, [])
    active = services.active_for(ctx)
    lines = []
    for path in sorted(by_path):
        mark = "  <- active" if path == active else ""
        lines.append(f"{path}: {', '.join(by_path[path]) or 'no kernel'}{mark}")
        people = services.collab.people_in_open(path)
        if people:
            lines.append(f"  people: {people}")
    if active and active not in by_path:
        lines.append(f"{active}: no kernel  <- active")
    if not lines:
        return "No open notebooks. Use list_files to find one, then use_notebook."
    header = f"Active notebook: {active}" if active else "No active notebook (call use_notebook)."
    return header + "\n" + "\n".join(lines)


@tool(CREATE)
async def create_notebook(
    ctx: Context,
    path: Annotated[str, Field(description="New notebook path relative to the Jupyter root, ending in .ipynb.")],
    kernel_name: Annotated[
        str | None,
        Field(description="Kernel spec name (see list_kernels); default: the server's default."),
    ] = None,
) -> str:
    """Create an empty notebook and make it this session's active notebook."""
    services = services_of(ctx)
    api_path = services.api_path(path)
    if not api_path.endswith(".ipynb"):
        raise JmcpError(f"{path!r} does not end in .ipynb; notebooks need that extension.")
    if await services.notebooks.exists(api_path):
        raise JmcpError(f"{api_path!r} already exists; call use_notebook to work on it.")
    parent = api_path.rsplit("/", 1)[0] if "/" in api_path else ""
    if parent and not await ensure_async(services.notebooks.contents_manager.dir_exists(parent)):
        raise JmcpError(f"Folder {parent!r} does not exist; create it first or choose another path.")
    specs = await services.kernels.kernel_specs()
    name = kernel_name or services.kernels.kernel_manager.default_kernel_name
    if name not in specs:
        raise JmcpError(f"Unknown kernel {name!r}; available: {', '.join(sorted(specs))}.")
    await services.notebooks.create(api_path, empty_notebook(name, specs[name]))
    if services.notebooks.rtc_available:
        # Loading an empty notebook into a room adds one blank cell; take it out so the agent's first
        # insert_cell becomes cell 0.
        async with services.notebooks.editing(api_path) as notebook:
            if len(notebook) == 1 and not notebook.cell(0).get("source"):
                notebook.delete([0])
    services.set_active(ctx, api_path)
    return f"Created {api_path} (kernel {name}); it is now this session's active notebook."


@tool(ATTACH)
async def use_notebook(
    ctx: Context,
    path: Annotated[str, Field(description="Notebook path relative to the Jupyter root.")],
    kernel_name: Annotated[
        str | None, Field(description="Kernel spec to start if the notebook has no kernel yet.")
    ] = None,
    start_kernel: Annotated[bool, Field(description="Attach to or start the notebook's kernel now.")] = True,
) -> str:
    """Make a notebook this session's active one, attach to its kernel, and say which cell each person is in."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path) as call:
        notebook = call.notebook
        remembered = services.set_active(ctx, api_path)
        lines = [
            f"Active notebook: {api_path} ({len(notebook)} cells)."
            if remembered
            else f"Notebook {api_path} ({len(notebook)} cells). This connection has no session: pass path on every "
            "call."
        ]
        people = call.people()
        if people:
            lines.append(f"People: {people}.")
        metadata = notebook.metadata()
    if start_kernel:
        existing = await services.kernels.session_for(api_path)
        spec = metadata.get("kernelspec", {}).get("name")
        kernel_id = await services.kernels.kernel_for(api_path, kernel_name=kernel_name or spec)
        how = "attached to the kernel JupyterLab uses" if existing else "started a new kernel"
        lines.append(f"Kernel {kernel_id}: {how}.")
    lines.append(services.notebooks.rtc_detail().capitalize() + ".")
    if notebook.live:
        lines.append(f"You show in JupyterLab's collaborators as {call.agent.who.display_name!r}.")
    return call.reply("\n".join(lines))
