"""Tools that read a notebook: a page of cells or an outline, or one cell with all its outputs (paged, searched)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import TextContent
from pydantic import Field

from ..errors import JmcpError
from ..outputs import Content, OutputMode, PatternError, WidgetStates, outputs_text, page_text, search_text
from ..outputs.widgets import WIDGET
from .args import READ_ONLY, CellArg, PathArg
from .cell_text import Budget, cell_header, format_cell, outline_line
from .cells import resolve_cell
from .context import Services, services_of
from .notebook_call import notebook_call
from .registry import tool

#: Cells an outline shows by default, and a page of cells.
OUTLINE_LIMIT = 500
PAGE_LIMIT = 20


async def remembered_widgets(services: Services, path: str, cells: list[dict[str, Any]]) -> WidgetStates | None:
    """Widget states as jmcp last read them from the notebook's kernel (reading never runs code)."""
    if not any(WIDGET in (o.get("data") or {}) for cell in cells for o in cell.get("outputs") or []):
        return None
    session = await services.kernels.session_for(path)
    kernel_id = str(((session or {}).get("kernel") or {}).get("id") or "")
    return services.kernels.widget_states.get(kernel_id)


@tool(READ_ONLY)
async def read_notebook(
    ctx: Context,
    path: PathArg = None,
    start: Annotated[int, Field(ge=0, description="Index of the first cell to return.")] = 0,
    limit: Annotated[
        int | None, Field(ge=1, le=OUTLINE_LIMIT, description="How many cells (default 20; 500 for an outline).")
    ] = None,
    outputs: Annotated[
        OutputMode, Field(description="'none', 'brief' (short excerpt, image count) or 'full'.")
    ] = "brief",
    outline: Annotated[
        bool,
        Field(description="One line per cell instead: index, id, type, first source line, what its outputs say."),
    ] = False,
) -> list[Content]:
    """Read a page of cells (ids, sources, outputs) or an outline, and which cell each person is in."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path) as call:
        notebook = call.notebook
        total = len(notebook)
        end = min(total, start + (limit or (OUTLINE_LIMIT if outline else PAGE_LIMIT)))
        cells = [notebook.cell(index) for index in range(start, end)]
        budget = Budget()
        heading = (
            f"{api_path}: {total} cells; showing {start}-{end - 1 if end else start}."
            if start < total
            else f"{api_path}: {total} cells; start={start} is past the end."
        )
        texts = [heading]
        people = call.people()
        if people:
            texts.append(f"People: {people}.")
        budget.spend("\n".join(texts), [])
        blocks: list[Content] = []
        states = await remembered_widgets(services, api_path, cells)
        limits = services.limits
        shown_to = start
        for index, cell in zip(range(start, end), cells, strict=True):
            images: list[Content] = []
            if outline:
                text = outline_line(notebook, index, cell, states)
                if not budget.fits(text):
                    break
                budget.spend(text, [])
            else:
                text, images = await format_cell(
                    notebook,
                    index,
                    cell,
                    outputs=outputs,
                    max_source=limits.max_source_chars,
                    max_output=limits.max_output_chars,
                    max_image=limits.max_image_bytes,
                    budget=budget,
                    widget_states=states,
                )
                if budget.bytes < 0 and index > start:
                    break  # this cell would push the result past what clients accept: the next page starts here
            texts.append(text)
            blocks.extend(images)
            shown_to = index + 1
        if not outline:  # an outline shows first lines only: the cells were not read
            if start == 0 and shown_to == total:
                call.saw_everything()
            else:
                call.saw(range(start, shown_to))
        if shown_to < total:
            why = "" if shown_to == end else " (the result is at its size limit)"
            texts.append(f"[{total - shown_to} more cells{why}: call read_notebook(start={shown_to})]")
    return call.reply_blocks([TextContent(type="text", text="\n".join(texts)), *blocks])


@tool(READ_ONLY)
async def read_cell(
    ctx: Context,
    cell: CellArg,
    path: PathArg = None,
    max_chars: Annotated[int, Field(ge=100, description="Limit for source and for output text.")] = 20_000,
    max_image_bytes: Annotated[
        int | None, Field(ge=10_000, description="Pictures larger than this (bytes) are downscaled to fit.")
    ] = None,
    offset: Annotated[
        int | None,
        Field(ge=0, description="Read the outputs' full text from this character offset (pages through big output)."),
    ] = None,
    pattern: Annotated[
        str | None,
        Field(
            description="Search the outputs' full text for this regular expression; matching lines come with their "
            "line numbers, context and offsets ('(?i)' ignores case)."
        ),
    ] = None,
    context: Annotated[int, Field(ge=0, le=20, description="Lines of context around each match.")] = 2,
) -> list[Content]:
    """Read one cell: its source and all outputs, with pictures; or page (offset) or search (pattern) its outputs."""
    if offset is not None and pattern is not None:
        raise JmcpError("Give either offset (to read a page) or pattern (to search), not both.")
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path) as call:
        notebook = call.notebook
        index = resolve_cell(notebook, cell)
        data = notebook.cell(index)
        states = await remembered_widgets(services, api_path, [data])
        if offset is not None or pattern is not None:
            return call.reply_blocks(
                [
                    TextContent(
                        type="text",
                        text=await _outputs_part(notebook, index, data, states, offset, pattern, max_chars, context),
                    )
                ]
            )
        text, images = await format_cell(
            notebook,
            index,
            data,
            outputs="full",
            max_source=max_chars,
            max_output=max_chars,
            max_image=max_image_bytes or services.limits.max_image_bytes,
            budget=Budget(),
            widget_states=states,
        )
        call.saw([index])
    return call.reply_blocks([TextContent(type="text", text=text), *images])


async def _outputs_part(
    notebook: Any,
    index: int,
    data: dict[str, Any],
    states: WidgetStates | None,
    offset: int | None,
    pattern: str | None,
    max_chars: int,
    context: int,
) -> str:
    """A page of a cell's full output text (from ``offset``), or the lines matching ``pattern``."""
    text = outputs_text(data.get("outputs") or [], widget_states=states) if data.get("cell_type") == "code" else ""
    header = cell_header(notebook, index, data) + f" · outputs: {len(text):,} characters"
    if not text:
        return f"{header}\n(no output text)"
    if pattern is not None:
        try:
            found = await asyncio.to_thread(search_text, text, pattern, context=context)
        except PatternError as exc:
            raise JmcpError(str(exc)) from None
        hint = f"read around a match with read_cell({index}, offset=<the offset of its group>)"
        return f"{header}\n{found}\n[{hint}]"
    page = page_text(text, offset or 0, max_chars, hint=f"read on with read_cell({index}, offset={{offset}})")
    return f"{header}\n{page}"
