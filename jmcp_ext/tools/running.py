"""Tools that run code on the notebook's kernel, streaming outputs into the cell as they arrive."""

from __future__ import annotations

import contextlib
from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from ..errors import JmcpError
from ..kernels import OutputEvent
from ..outputs import Content, render_outputs
from .args import RUN, AfterCellArg, CellArg, IndexArg, PathArg, TimeoutArg
from .cells import insert_new_cell, resolve_cell
from .context import services_of
from .notebook_call import notebook_call
from .registry import tool
from .runs import effective_timeout, heartbeat, result_blocks, run_cell, summary


@tool(RUN)
async def execute_cell(ctx: Context, cell: CellArg, path: PathArg = None, timeout: TimeoutArg = None) -> list[Content]:
    """Run a code cell on the notebook's kernel; outputs appear in the cell live and are returned."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    seconds = effective_timeout(services, timeout)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        index = resolve_cell(call.notebook, cell)
        cell_id = call.notebook.cell_id(index)
        call.point_at(index)
        execution = await run_cell(services, ctx, call.runner(), index, seconds)
    return call.reply_blocks(
        result_blocks(
            summary(f"Cell {index} (id={cell_id})", execution, seconds),
            execution,
            services,
            f"call read_cell({index}, max_chars=...) for more",
            call.notebook,
        )
    )


@tool(RUN)
async def insert_execute_code_cell(
    ctx: Context,
    source: Annotated[str, Field(description="Code for the new cell.")],
    index: IndexArg = None,
    after_cell_id: AfterCellArg = None,
    path: PathArg = None,
    timeout: TimeoutArg = None,
) -> list[Content]:
    """Insert a code cell and run it; returns its outputs and new cell id."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    seconds = effective_timeout(services, timeout)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        position, cell_id = insert_new_cell(call.notebook, source, "code", index, after_cell_id)
        call.saw([position])
        call.point_at(position)
        execution = await run_cell(services, ctx, call.runner(), position, seconds)
    return call.reply_blocks(
        result_blocks(
            summary(f"New cell {position} (id={cell_id})", execution, seconds),
            execution,
            services,
            f"call read_cell('{cell_id}', max_chars=...) for more",
            call.notebook,
        )
    )


@tool(RUN)
async def execute_code(
    ctx: Context,
    code: Annotated[str, Field(description="Code to run; nothing is added to the notebook.")],
    path: PathArg = None,
    timeout: TimeoutArg = None,
) -> list[Content]:
    """Run code on the notebook's kernel without adding a cell (for inspection and quick checks)."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    seconds = effective_timeout(services, timeout)
    if not await services.notebooks.exists(api_path):
        raise JmcpError(f"Notebook {api_path!r} does not exist; code runs on a notebook's kernel.")
    # Opened for what others changed since the last call and for the agent's presence; no cell is touched.
    async with notebook_call(services, ctx, api_path) as call:
        kernel_id = await services.kernels.kernel_for(api_path)
        async with heartbeat(ctx, services.limits.progress_interval, "code") as state:

            def on_event(event: OutputEvent) -> None:
                state["outputs"] += 1

            execution = await services.kernels.execute(
                kernel_id, code, timeout=seconds, on_event=on_event, store_history=False
            )
    return call.reply_blocks(
        result_blocks(summary("Code", execution, seconds), execution, services, "print less, or slice it")
    )


@tool(RUN)
async def run_all_cells(
    ctx: Context,
    path: PathArg = None,
    timeout: Annotated[float | None, Field(gt=0, description="Per-cell timeout in seconds.")] = None,
    stop_on_error: Annotated[bool, Field(description="Stop at the first cell that raises.")] = True,
) -> str:
    """Run every code cell from top to bottom; returns a brief summary per cell."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    seconds = effective_timeout(services, timeout)
    lines: list[str] = []
    async with notebook_call(services, ctx, api_path, change=True) as call:
        notebook = call.notebook
        ids = [notebook.cell_id(i) for i in range(len(notebook)) if notebook.cell(i).get("cell_type") == "code"]
        for number, cell_id in enumerate(ids, 1):
            index = notebook.index_of(cell_id)
            if index is None:
                continue  # deleted meanwhile
            call.point_at(index)
            execution = await run_cell(services, ctx, call.runner(), index, seconds)
            with contextlib.suppress(Exception):
                await ctx.report_progress(number, len(ids), f"ran cell {index}")
            brief = render_outputs(execution.outputs, mode="brief").text
            lines.append(summary(f"Cell {index} (id={cell_id})", execution, seconds) + (f"\n{brief}" if brief else ""))
            if execution.status in ("error", "timeout") and stop_on_error:
                lines.append(f"Stopped at cell {index}; fix it and call run_all_cells or execute_cell again.")
                break
    if not lines:
        return call.reply(f"{api_path} has no code cells.")
    return call.reply("\n".join(lines))
