"""Tools that run code on the notebook's kernel, streaming outputs into the cell as they arrive."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import TextContent, ToolAnnotations
from pydantic import Field

from ..errors import JMCPError
from ..kernels import Execution, OutputEvent
from ..notebooks import Notebook
from ..outputs import Content, render_outputs
from .context import Services, resolve_cell
from .editing import NOT_LIVE, insert
from .reading import CellArg, PathArg

RUN = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True)

TimeoutArg = Annotated[
    float | None,
    Field(gt=0, description="Seconds before the kernel is interrupted (default set by the server)."),
]


@contextlib.asynccontextmanager
async def heartbeat(ctx: Context | None, interval: float, what: str) -> AsyncIterator[dict[str, Any]]:
    """Send progress notifications while code runs, so clients with short timeouts keep waiting."""
    state: dict[str, Any] = {"outputs": 0}
    started = time.monotonic()

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            elapsed = time.monotonic() - started
            with contextlib.suppress(Exception):
                await ctx.report_progress(  # type: ignore[union-attr]
                    elapsed, None, f"{what}: running for {elapsed:.0f} s, {state['outputs']} output(s) so far"
                )

    task = asyncio.create_task(beat()) if ctx is not None and interval > 0 else None
    try:
        yield state
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class CellWriter:
    """Writes execution events into a cell, finding it again by id if cells moved meanwhile."""

    def __init__(self, notebook: Notebook, index: int) -> None:
        self.notebook = notebook
        self.cell_id = notebook.cell_id(index)
        self._index = index

    def index(self) -> int | None:
        if self._index < len(self.notebook) and self.notebook.cell_id(self._index) == self.cell_id:
            return self._index
        found = self.notebook.index_of(self.cell_id)
        self._index = -1 if found is None else found
        return None if self._index < 0 else self._index

    def write(self, event: OutputEvent) -> None:
        index = self.index()
        if index is None:
            return  # the cell was deleted while it ran: keep executing, drop the outputs
        kind, payload = event
        if kind == "stream":
            self.notebook.append_stream(index, payload[0], payload[1])
        elif kind == "output":
            self.notebook.append_output(index, payload)
        elif kind == "clear":
            self.notebook.set_outputs(index, [])


def summary(label: str, execution: Execution, timeout: float) -> str:
    status = {
        "ok": "ran",
        "error": "raised an error",
        "timeout": f"timed out after {timeout:g} s and the kernel was interrupted (outputs so far below)",
        "aborted": "was not run (an earlier error aborted the queue)",
    }[execution.status]
    count = f" [execution_count={execution.execution_count}]" if execution.execution_count is not None else ""
    return f"{label} {status}; {execution.elapsed:.2f} s{count}."


async def run_cell(
    services: Services, ctx: Context | None, notebook: Notebook, index: int, timeout: float
) -> Execution:
    """Execute one code cell of an open notebook, writing outputs into it live."""
    cell = notebook.cell(index)
    if cell.get("cell_type") != "code":
        raise JMCPError(f"Cell {index} is a {cell.get('cell_type')} cell; only code cells can be executed.")
    source = cell.get("source", "")
    kernel_id = await services.kernels.kernel_for(
        notebook.path, kernel_name=notebook.metadata().get("kernelspec", {}).get("name")
    )
    writer = CellWriter(notebook, index)
    notebook.set_outputs(index, [])
    notebook.set_execution_count(index, None)
    notebook.set_running(index, True)
    execution: Execution | None = None
    try:
        async with heartbeat(ctx, services.limits.progress_interval, f"cell {index}") as state:

            def on_event(event: OutputEvent) -> None:
                state["outputs"] += 1
                writer.write(event)

            execution = await services.kernels.execute(kernel_id, source, timeout=timeout, on_event=on_event)
    finally:
        position = writer.index()
        if position is not None:
            if execution is not None:
                notebook.set_execution_count(position, execution.execution_count)
            notebook.set_running(position, False)
    return execution


def effective_timeout(services: Services, timeout: float | None) -> float:
    limit = services.limits
    return min(timeout or limit.execution_timeout, limit.max_execution_timeout)


def result_blocks(
    header: str, execution: Execution, services: Services, hint: str, notebook: Notebook | None = None
) -> list[Content]:
    rendered = render_outputs(
        execution.outputs,
        mode="full",
        max_chars=services.limits.max_output_chars,
        max_image_bytes=services.limits.max_image_bytes,
        hint=hint,
    )
    if notebook is not None and not notebook.live:
        header += NOT_LIVE
    text = header + ("\n" + rendered.text if rendered.text else "\n(no output)")
    return [TextContent(type="text", text=text), *rendered.images]


def register(server: MCPServer, services: Services) -> None:
    @server.tool(annotations=RUN, structured_output=False)
    async def execute_cell(
        cell: CellArg, ctx: Context, path: PathArg = None, timeout: TimeoutArg = None
    ) -> list[Content]:
        """Run a code cell on the notebook's kernel; outputs appear in the cell live and are returned."""
        api_path = services.notebook_path(ctx, path)
        seconds = effective_timeout(services, timeout)
        async with services.notebooks.editing(api_path) as notebook:
            index = resolve_cell(notebook, cell)
            cell_id = notebook.cell_id(index)
            execution = await run_cell(services, ctx, notebook, index, seconds)
        return result_blocks(
            summary(f"Cell {index} (id={cell_id})", execution, seconds),
            execution,
            services,
            f"call read_cell({index}, max_chars=...) for more",
            notebook,
        )

    @server.tool(annotations=RUN, structured_output=False)
    async def insert_execute_code_cell(
        source: Annotated[str, Field(description="Code for the new cell.")],
        ctx: Context,
        index: Annotated[int | None, Field(description="Position of the new cell; default: the end.")] = None,
        after_cell_id: Annotated[str | None, Field(description="Insert right after the cell with this id.")] = None,
        path: PathArg = None,
        timeout: TimeoutArg = None,
    ) -> list[Content]:
        """Insert a code cell and run it; returns its outputs and new cell id."""
        api_path = services.notebook_path(ctx, path)
        seconds = effective_timeout(services, timeout)
        async with services.notebooks.editing(api_path) as notebook:
            position, cell_id = insert(notebook, source, "code", index, after_cell_id)
            execution = await run_cell(services, ctx, notebook, position, seconds)
        return result_blocks(
            summary(f"New cell {position} (id={cell_id})", execution, seconds),
            execution,
            services,
            f"call read_cell('{cell_id}', max_chars=...) for more",
            notebook,
        )

    @server.tool(annotations=RUN, structured_output=False)
    async def execute_code(
        code: Annotated[str, Field(description="Code to run; nothing is added to the notebook.")],
        ctx: Context,
        path: PathArg = None,
        timeout: TimeoutArg = None,
    ) -> list[Content]:
        """Run code on the notebook's kernel without adding a cell (for inspection and quick checks)."""
        api_path = services.notebook_path(ctx, path)
        seconds = effective_timeout(services, timeout)
        if not await services.notebooks.exists(api_path):
            raise JMCPError(f"Notebook {api_path!r} does not exist; code runs on a notebook's kernel.")
        kernel_id = await services.kernels.kernel_for(api_path)
        async with heartbeat(ctx, services.limits.progress_interval, "code") as state:

            def on_event(event: OutputEvent) -> None:
                state["outputs"] += 1

            execution = await services.kernels.execute(
                kernel_id, code, timeout=seconds, on_event=on_event, store_history=False
            )
        return result_blocks(summary("Code", execution, seconds), execution, services, "print less, or slice it")

    @server.tool(annotations=RUN, structured_output=False)
    async def run_all_cells(
        ctx: Context,
        path: PathArg = None,
        timeout: Annotated[float | None, Field(gt=0, description="Per-cell timeout in seconds.")] = None,
        stop_on_error: Annotated[bool, Field(description="Stop at the first cell that raises.")] = True,
    ) -> str:
        """Run every code cell from top to bottom; returns a brief summary per cell."""
        api_path = services.notebook_path(ctx, path)
        seconds = effective_timeout(services, timeout)
        lines: list[str] = []
        async with services.notebooks.editing(api_path) as notebook:
            ids = [notebook.cell_id(i) for i in range(len(notebook)) if notebook.cell(i).get("cell_type") == "code"]
            for number, cell_id in enumerate(ids, 1):
                found = notebook.index_of(cell_id)
                if found is None:
                    continue  # deleted meanwhile
                index = found
                execution = await run_cell(services, ctx, notebook, index, seconds)
                with contextlib.suppress(Exception):
                    await ctx.report_progress(number, len(ids), f"ran cell {index}")
                brief = render_outputs(execution.outputs, mode="brief").text
                lines.append(
                    summary(f"Cell {index} (id={cell_id})", execution, seconds) + (f"\n{brief}" if brief else "")
                )
                if execution.status in ("error", "timeout") and stop_on_error:
                    lines.append(f"Stopped at cell {index}; fix it and call run_all_cells or execute_cell again.")
                    break
        if not lines:
            return f"{api_path} has no code cells."
        return "\n".join(lines)
