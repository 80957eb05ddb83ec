"""Tools that change cells: insert, overwrite, edit a snippet, delete, move, clear outputs.

Each call is one undo step of the session; the tools that replace or remove content refuse to touch a cell that
someone else changed after this session last read it, unless told ``force=true``.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from pydantic import Field

from ..errors import JmcpError
from .args import DESTRUCTIVE, EDIT, AfterCellArg, CellArg, CellTypeArg, ForceArg, IndexArg, PathArg
from .cell_text import edited_region
from .cells import insert_new_cell, resolve_cell
from .context import services_of
from .notebook_call import OUTPUT_KINDS, SOURCE_KINDS, notebook_call
from .registry import tool


@tool(EDIT)
async def insert_cell(
    ctx: Context,
    source: Annotated[str, Field(description="The cell's source text.")],
    cell_type: CellTypeArg = "code",
    index: IndexArg = None,
    after_cell_id: AfterCellArg = None,
    path: PathArg = None,
) -> str:
    """Insert a new cell (code, markdown or raw) at an index, after a cell id, or at the end."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        position, cell_id = insert_new_cell(call.notebook, source, cell_type, index, after_cell_id)
        total = len(call.notebook)
        call.saw([position])
        call.point_at(position)
    return call.reply(f"Inserted {cell_type} cell {position} (id={cell_id}); {api_path} now has {total} cells.")


@tool(EDIT)
async def overwrite_cell_source(
    ctx: Context,
    cell: CellArg,
    source: Annotated[str, Field(description="The new, complete source of the cell.")],
    path: PathArg = None,
    force: ForceArg = False,
) -> str:
    """Replace a cell's whole source (outputs kept); refused if someone changed it since you read it."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        index = resolve_cell(call.notebook, cell)
        if not force:
            call.check([index], "overwrite", SOURCE_KINDS)
        call.notebook.set_source(index, source)
        cell_id = call.notebook.cell_id(index)
        call.saw([index])
        call.point_at(index)
    return call.reply(f"Overwrote the source of cell {index} (id={cell_id}) in {api_path}.")


@tool(EDIT)
async def edit_cell_source(
    ctx: Context,
    cell: CellArg,
    old: Annotated[str, Field(description="Exact text to find in the cell's source (must be unique there).")],
    new: Annotated[str, Field(description="Text to put in its place.")],
    replace_all: Annotated[bool, Field(description="Replace every occurrence instead of exactly one.")] = False,
    path: PathArg = None,
) -> str:
    """Replace an exact snippet in a cell's source, without resending the whole cell."""
    if not old:
        raise JmcpError("`old` is empty; give the exact text to replace (use overwrite_cell_source to replace all).")
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        notebook = call.notebook
        index = resolve_cell(notebook, cell)
        source = notebook.cell(index).get("source", "")
        starts = _occurrences(source, old)
        if not starts:
            raise JmcpError(
                f"The text to replace was not found in cell {index}; read_cell({index}) shows its current "
                "source (whitespace and indentation must match exactly)."
            )
        if len(starts) > 1 and not replace_all:
            raise JmcpError(
                f"The text occurs {len(starts)} times in cell {index}; include more context to make it unique, "
                "or pass replace_all=true."
            )
        chosen = starts if replace_all else starts[:1]
        # Replace from the end so earlier offsets stay valid.
        for start in reversed(chosen):
            notebook.replace_in_source(index, start, old, new)
        cell_id = notebook.cell_id(index)
        # Not marked as read: only the snippet was seen, and a person may have changed the rest of the cell.
        call.point_at(index, starts[0] + len(new))
    edited, spans = _replaced(source, chosen, old, new)
    text = f"Replaced {len(chosen)} occurrence(s) in cell {index} (id={cell_id}) of {api_path}; now:\n"
    return call.reply(text + edited_region(edited, spans))


def _replaced(source: str, starts: list[int], old: str, new: str) -> tuple[str, list[tuple[int, int]]]:
    """The source after the replacements, and where the new text sits in it."""
    shift = len(new) - len(old)
    spans = [(start + n * shift, start + n * shift + len(new)) for n, start in enumerate(starts)]
    pieces, last = [], 0
    for start in starts:
        pieces += [source[last:start], new]
        last = start + len(old)
    return "".join([*pieces, source[last:]]), spans


def _occurrences(text: str, snippet: str) -> list[int]:
    """Start offsets of the non-overlapping occurrences of ``snippet`` in ``text``."""
    starts = []
    position = text.find(snippet)
    while position != -1:
        starts.append(position)
        position = text.find(snippet, position + len(snippet))
    return starts


@tool(DESTRUCTIVE)
async def delete_cells(
    ctx: Context,
    cells: Annotated[list[int | str], Field(min_length=1, description="Cells to delete, by index or id.")],
    path: PathArg = None,
    force: ForceArg = False,
) -> str:
    """Delete cells by index or id; refused if someone changed one since you read it."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        indices = sorted({resolve_cell(call.notebook, c) for c in cells})
        if not force:
            call.check(indices, "delete")
        call.notebook.delete(indices)
        total = len(call.notebook)
        if total:
            call.point_at(min(indices[0], total - 1), 0)
        else:
            call.no_cursor()
    return call.reply(f"Deleted cells {indices} from {api_path}; it now has {total} cells.")


@tool(EDIT)
async def move_cell(
    ctx: Context,
    cell: CellArg,
    to_index: Annotated[int, Field(description="The cell's index after the move (-1 = last).")],
    path: PathArg = None,
    force: ForceArg = False,
) -> str:
    """Move a cell to another position (its id stays); refused if someone edited it since you read it."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        notebook = call.notebook
        index = resolve_cell(notebook, cell)
        count = len(notebook)
        target = to_index + count if to_index < 0 else to_index
        if not 0 <= target < count:
            raise JmcpError(f"to_index {to_index} is out of range: the notebook has {count} cells.")
        cell_id = notebook.cell_id(index)
        if target != index:
            if not force:
                call.check([index], "move", SOURCE_KINDS)
            notebook.move(index, target)
        call.point_at(target, 0)
    return call.reply(f"Moved cell id={cell_id} from {index} to {target} in {api_path}.")


@tool(DESTRUCTIVE)
async def clear_outputs(
    ctx: Context,
    cell: Annotated[
        int | str | None, Field(description="Cell index or id; omit to clear every cell's outputs.")
    ] = None,
    path: PathArg = None,
    force: ForceArg = False,
) -> str:
    """Clear the outputs of one code cell, or of all; refused if someone ran one since you read it."""
    services = services_of(ctx)
    api_path = services.notebook_path(ctx, path)
    async with notebook_call(services, ctx, api_path, change=True) as call:
        notebook = call.notebook
        if cell is None:
            targets = [i for i in range(len(notebook)) if notebook.cell(i).get("cell_type") == "code"]
        else:
            targets = [resolve_cell(notebook, cell)]
        if not force:  # a cell without outputs loses nothing
            call.check([i for i in targets if notebook.cell(i).get("outputs")], "clear the outputs of", OUTPUT_KINDS)
        for index in targets:
            notebook.set_outputs(index, [])
            notebook.set_execution_count(index, None)
        if targets:
            call.point_at(targets[0], 0)
    what = "all cells" if cell is None else f"cell {targets[0]}"
    return call.reply(f"Cleared outputs of {what} in {api_path}.")
