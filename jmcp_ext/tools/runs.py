"""Running a notebook cell: outputs mirrored into the live cell, progress sent meanwhile, the answer shaped."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import TextContent

from ..errors import JmcpError
from ..kernels import Execution, KernelDied, OutputEvent
from ..kernels.inspection import widget_states
from ..notebooks import Notebook
from ..outputs import Content, OutputList, OutputMode, Rendered, WidgetStates, last_line, render_outputs
from ..outputs.images import RASTER
from ..outputs.widgets import WIDGET
from .cell_writer import CellWriter
from .cells import NOT_LIVE
from .context import Services

__all__ = [
    "CellCrashed",
    "CellWriter",
    "crash_error",
    "effective_timeout",
    "heartbeat",
    "render",
    "result_blocks",
    "run_cell",
    "summary",
    "widgets_of",
]

#: Text outputs larger than this are rendered in a worker thread, as are any with pictures (shrinking one
#: takes a quarter to half a second), so the server keeps answering meanwhile.
_RENDER_INLINE_CHARS = 1_000_000


@contextlib.asynccontextmanager
async def heartbeat(
    ctx: Context | None, interval: float, what: str, model: OutputList | None = None
) -> AsyncIterator[None]:
    """Send progress notifications while code runs (clients with short timeouts keep waiting), with the last line."""
    started = time.monotonic()

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            elapsed = time.monotonic() - started
            message = f"{what}: running for {elapsed:.0f} s"
            if model is not None and (line := last_line(model.outputs[-3:])):
                message += f"; last output: {line}"
            with contextlib.suppress(Exception):
                await ctx.report_progress(elapsed, None, message)  # type: ignore[union-attr]

    task = asyncio.create_task(beat()) if interval > 0 and _wants_progress(ctx) else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _wants_progress(ctx: Context | None) -> bool:
    """The request asked for progress notifications (without a progress token the SDK sends none anyway)."""
    try:
        meta = ctx.request_context.meta if ctx is not None else None
    except ValueError:  # a Context outside a request
        return False
    return bool(meta) and meta.get("progress_token") is not None  # type: ignore[union-attr]


def summary(label: str, execution: Execution, timeout: float) -> str:
    status = {
        "ok": "ran",
        "error": "raised an error",
        "timeout": f"timed out after {timeout:g} s and the kernel was interrupted (outputs so far below)",
        "aborted": "was not run (an earlier error aborted the queue)",
    }[execution.status]
    count = f" [execution_count={execution.execution_count}]" if execution.execution_count is not None else ""
    return f"{label} {status}; {execution.elapsed:.2f} s{count}."


class CellCrashed(JmcpError):
    """The kernel died while a cell ran; the message names the cell and keeps what it printed before."""


def crash_error(label: str, died: KernelDied, services: Services) -> CellCrashed:
    """A kernel death, for the model: which cell, what happened, and what the code printed before it."""
    partial = render_outputs(died.partial.outputs, mode="full", max_chars=services.limits.max_output_chars // 2)
    text = f"{label}: {died}"
    if partial.text:
        text += f"\nOutput before the crash:\n{partial.text}"
    return CellCrashed(text)


async def run_cell(
    services: Services,
    ctx: Context | None,
    notebook: Notebook,
    index: int,
    timeout: float,
    label: str | None = None,
) -> Execution:
    """Execute one code cell of an open notebook, mirroring its outputs into it live.

    A kernel death raises a tool error naming the cell (``label``) and keeping what it printed before.
    """
    cell = notebook.cell(index)
    if cell.get("cell_type") != "code":
        raise JmcpError(f"Cell {index} is a {cell.get('cell_type')} cell; only code cells can be executed.")
    source = cell.get("source", "")
    kernel_id = await services.kernels.kernel_for(
        notebook.path, kernel_name=notebook.metadata().get("kernelspec", {}).get("name")
    )
    displays = services.kernels.displays(kernel_id)
    model = OutputList()
    writer = CellWriter(notebook, index, model, displays)
    displays.forget_cell(notebook.path, writer.cell_id)  # a re-run cell's old displays stop following updates
    notebook.set_outputs(index, [])
    notebook.set_execution_count(index, None)
    notebook.set_running(index, True)
    execution: Execution | None = None
    try:
        async with heartbeat(ctx, services.limits.progress_interval, f"cell {index}", model):

            def on_event(events: list[OutputEvent]) -> None:
                writer.write(events)

            execution = await services.kernels.execute(
                kernel_id, source, timeout=timeout, on_event=on_event, model=model
            )
    except KernelDied as died:
        raise crash_error(label or f"Cell {index} (id={writer.cell_id})", died, services) from None
    finally:
        position = writer.index()
        if position is not None:
            if execution is not None:
                notebook.set_execution_count(position, execution.execution_count)
            notebook.set_running(position, False)
    assert execution is not None
    displays.remember(notebook.path, writer.cell_id, execution.outputs, model.display_ids())
    return execution


def effective_timeout(services: Services, timeout: float | None) -> float:
    limit = services.limits
    return min(timeout or limit.execution_timeout, limit.max_execution_timeout)


def widgets_of(outputs: list[dict[str, Any]]) -> list[str]:
    """The model ids of the widgets the outputs show."""
    ids = []
    for output in outputs:
        view = (output.get("data") or {}).get(WIDGET)
        if isinstance(view, dict) and isinstance(view.get("model_id"), str):
            ids.append(view["model_id"])
    return ids


async def current_widgets(services: Services, kernel_id: str | None, outputs: list[dict[str, Any]]) -> WidgetStates:
    """The states of the widgets the outputs show, read from the kernel now (right after a run)."""
    ids = widgets_of(outputs)
    if kernel_id is None or not ids:
        return {}
    return await widget_states(services.kernels, kernel_id, ids)


def _heavy(outputs: list[dict[str, Any]]) -> bool:
    size = 0
    for output in outputs:
        data = output.get("data") or {}
        if any(mime in data for mime in RASTER):
            return True
        size += len(output.get("text") or "") + sum(len(v) for v in data.values() if isinstance(v, str))
    return size > _RENDER_INLINE_CHARS


async def render(outputs: list[dict[str, Any]], **options: Any) -> Rendered:
    """``render_outputs``, in a worker thread when it has pictures to shrink or much text to read."""
    if _heavy(outputs):
        return await asyncio.to_thread(render_outputs, outputs, **options)
    return render_outputs(outputs, **options)


async def result_blocks(
    header: str,
    execution: Execution,
    services: Services,
    hint: str,
    notebook: Notebook | None = None,
    *,
    mode: OutputMode = "full",
) -> list[Content]:
    """A run's answer: the summary line, the rendered outputs (widgets as they are now), and the pictures."""
    states = await current_widgets(services, execution.kernel_id or None, execution.outputs)
    rendered = await render(
        execution.outputs,
        mode=mode,
        max_chars=services.limits.max_output_chars,
        max_image_bytes=services.limits.max_image_bytes,
        hint=hint,
        widget_states=states,
    )
    if notebook is not None and not notebook.live:
        header += NOT_LIVE
    text = header + ("\n" + rendered.text if rendered.text else "\n(no output)")
    return [TextContent(type="text", text=text), *rendered.images]
