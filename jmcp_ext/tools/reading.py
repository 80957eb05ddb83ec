"""Tools that read a notebook: a page of cells, or one cell with all its outputs."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import TextContent
from pydantic import Field

from ..notebooks import Notebook
from ..outputs import Content, OutputMode, render_outputs, truncate
from .args import READ_ONLY, CellArg, PathArg
from .cells import resolve_cell
from .context import services_of
from .notebook_call import notebook_call
from .registry import tool


def cell_header(notebook: Notebook, index: int, cell: dict[str, Any]) -> str:
    kind = cell.get("cell_type", "code")
    parts = [f"cell {index}", kind, f"id={cell.get('id') or notebook.cell_id(index)}"]
    if kind == "code":
        count = cell.get("execution_count")
        parts.append(f"execution_count={count if count is not None else '-'}")
    return "--- " + " · ".join(parts)


def format_cell(
    notebook: Notebook, index: int, *, outputs: OutputMode, max_source: int, max_output: int, max_image: int
) -> tuple[str, list[Content]]:
    """One cell as text (header, source, outputs) plus its images."""
    cell = notebook.cell(index)
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    lines = [cell_header(notebook, index, cell), truncate(source, max_source, f"read_cell({index}) shows it all")]
    images: list[Content] = []
    if cell.get("cell_type") == "code" and outputs != "none" and cell.get("outputs"):
        rendered = render_outputs(
            cell["outputs"],
            mode=outputs,
            max_chars=max_output,
            max_image_bytes=max_image,
            hint=f"call read_cell({index}, max_chars=...) for more",
        )
        if rendered.text:
            lines.append(">>> output:")
            lines.append(rendered.text)
        images.extend(rendered.images)
    return "\n".join(lines), images


@tool(READ_ONLY)
async def read_notebook(
    ctx: Context,
    path: PathArg = None,
    start: Annotated[int, Field(ge=0, description="Index of the first cell to return.")] = 0,
    limit: Annotated[int, Field(ge=1, le=500, description="How many cells to return.")] = 20,
    outputs: Annotated[
        OutputMode, Field(description="'none', 'brief' (short excerpt, image count) or 'full'.")
    ] = "brief",
) -> list[Content]:
    """Read a page of cells (ids, sources, outputs; page with start) and which cell each person is in."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path) as call:
        notebook = call.notebook
        total = len(notebook)
        end = min(total, start + limit)
        limits = services.limits
        blocks: list[Content] = []
        texts = [
            f"{api_path}: {total} cells; showing {start}-{end - 1 if end else start}."
            if start < total
            else f"{api_path}: {total} cells; start={start} is past the end."
        ]
        people = call.people()
        if people:
            texts.append(f"People: {people}.")
        for index in range(start, end):
            text, images = format_cell(
                notebook,
                index,
                outputs=outputs,
                max_source=limits.max_source_chars,
                max_output=limits.max_output_chars,
                max_image=limits.max_image_bytes,
            )
            texts.append(text)
            blocks.extend(images)
        if start == 0 and end == total:
            call.saw_everything()
        else:
            call.saw(range(start, end))
        if end < total:
            texts.append(f"[{total - end} more cells: call read_notebook(start={end})]")
    return call.reply_blocks([TextContent(type="text", text="\n".join(texts)), *blocks])


@tool(READ_ONLY)
async def read_cell(
    ctx: Context,
    cell: CellArg,
    path: PathArg = None,
    max_chars: Annotated[int, Field(ge=100, description="Limit for source and for output text.")] = 20_000,
    max_image_bytes: Annotated[int | None, Field(description="Images larger than this are omitted.")] = None,
) -> list[Content]:
    """Read one cell: its source and all its outputs, with images as image content."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path) as call:
        index = resolve_cell(call.notebook, cell)
        text, images = format_cell(
            call.notebook,
            index,
            outputs="full",
            max_source=max_chars,
            max_output=max_chars,
            max_image=max_image_bytes or services.limits.max_image_bytes,
        )
        call.saw([index])
    return call.reply_blocks([TextContent(type="text", text=text), *images])
