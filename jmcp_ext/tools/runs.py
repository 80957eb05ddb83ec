"""Running a notebook cell: outputs streamed into the live cell, progress sent meanwhile, the answer shaped."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import TextContent

from ..errors import JmcpError
from ..kernels import Execution, OutputEvent
from ..notebooks import Notebook
from ..outputs import Content, render_outputs
from .cells import NOT_LIVE
from .context import Services


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
        raise JmcpError(f"Cell {index} is a {cell.get('cell_type')} cell; only code cells can be executed.")
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
    """A run's answer: the summary line, the rendered outputs, and the images."""
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
