"""Tools that change cells: insert, overwrite, edit a snippet, delete, move, clear outputs."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from ..errors import JMCPError
from ..notebooks import Notebook, new_cell
from .context import Services, resolve_cell
from .reading import CellArg, PathArg

EDIT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)

CellType = Literal["code", "markdown", "raw"]

NOT_LIVE = (
    " Saved to disk, but not live: real-time collaboration is off on this server, so a tab that has the "
    "notebook open must be reloaded to see it."
)


def reply(notebook: Notebook, text: str) -> str:
    """A tool's answer, saying so when the edit could not be shown live."""
    return text if notebook.live else text + NOT_LIVE


def insertion_index(notebook: Notebook, index: int | None, after_cell_id: str | None) -> int:
    """Where a new cell goes: after a cell id, at an index (negative from the end), or at the end."""
    count = len(notebook)
    if after_cell_id is not None:
        if index is not None:
            raise JMCPError("Give either index or after_cell_id, not both.")
        return notebook.find_cell(after_cell_id) + 1
    if index is None:
        return count
    position = index + count + 1 if index < 0 else index
    if not 0 <= position <= count:
        raise JMCPError(f"Insert index {index} is out of range: the notebook has {count} cells (0 to {count}).")
    return position


def insert(
    notebook: Notebook, source: str, cell_type: str, index: int | None, after_cell_id: str | None
) -> tuple[int, str]:
    position = insertion_index(notebook, index, after_cell_id)
    cell = new_cell(cell_type, source)
    notebook.insert(position, cell)
    return position, cell["id"]


def register(server: MCPServer, services: Services) -> None:
    @server.tool(annotations=EDIT, structured_output=False)
    async def insert_cell(
        source: Annotated[str, Field(description="The cell's source text.")],
        ctx: Context,
        cell_type: Annotated[CellType, Field(description="'code', 'markdown' or 'raw'.")] = "code",
        index: Annotated[
            int | None, Field(description="Position of the new cell (0 = top, -1 = end); default: the end.")
        ] = None,
        after_cell_id: Annotated[str | None, Field(description="Insert right after the cell with this id.")] = None,
        path: PathArg = None,
    ) -> str:
        """Insert a new cell (code, markdown or raw) at an index, after a cell id, or at the end."""
        api_path = services.notebook_path(ctx, path)
        async with services.notebooks.editing(api_path) as notebook:
            position, cell_id = insert(notebook, source, cell_type, index, after_cell_id)
            total = len(notebook)
        return reply(
            notebook, f"Inserted {cell_type} cell {position} (id={cell_id}); {api_path} now has {total} cells."
        )

    @server.tool(annotations=EDIT, structured_output=False)
    async def overwrite_cell_source(
        cell: CellArg,
        source: Annotated[str, Field(description="The new, complete source of the cell.")],
        ctx: Context,
        path: PathArg = None,
    ) -> str:
        """Replace a cell's whole source (outputs are kept; use edit_cell_source for small changes)."""
        api_path = services.notebook_path(ctx, path)
        async with services.notebooks.editing(api_path) as notebook:
            index = resolve_cell(notebook, cell)
            notebook.set_source(index, source)
            cell_id = notebook.cell_id(index)
        return reply(notebook, f"Overwrote the source of cell {index} (id={cell_id}) in {api_path}.")

    @server.tool(annotations=EDIT, structured_output=False)
    async def edit_cell_source(
        cell: CellArg,
        old: Annotated[str, Field(description="Exact text to find in the cell's source (must be unique there).")],
        new: Annotated[str, Field(description="Text to put in its place.")],
        ctx: Context,
        replace_all: Annotated[bool, Field(description="Replace every occurrence instead of exactly one.")] = False,
        path: PathArg = None,
    ) -> str:
        """Replace an exact snippet in a cell's source, without resending the whole cell."""
        if not old:
            raise JMCPError(
                "`old` is empty; give the exact text to replace (use overwrite_cell_source to replace all)."
            )
        api_path = services.notebook_path(ctx, path)
        async with services.notebooks.editing(api_path) as notebook:
            index = resolve_cell(notebook, cell)
            source = notebook.cell(index).get("source", "")
            count = source.count(old)
            if count == 0:
                raise JMCPError(
                    f"The text to replace was not found in cell {index}; read_cell({index}) shows its current "
                    "source (whitespace and indentation must match exactly)."
                )
            if count > 1 and not replace_all:
                raise JMCPError(
                    f"The text occurs {count} times in cell {index}; include more context to make it unique, "
                    "or pass replace_all=true."
                )
            # Replace from the end so earlier offsets stay valid.
            starts = []
            position = source.find(old)
            while position != -1:
                starts.append(position)
                position = source.find(old, position + len(old))
            for start in reversed(starts if replace_all else starts[:1]):
                notebook.replace_in_source(index, start, old, new)
            cell_id = notebook.cell_id(index)
        replaced = len(starts) if replace_all else 1
        return reply(notebook, f"Replaced {replaced} occurrence(s) in cell {index} (id={cell_id}) of {api_path}.")

    @server.tool(annotations=DESTRUCTIVE, structured_output=False)
    async def delete_cells(
        cells: Annotated[list[int | str], Field(min_length=1, description="Cells to delete, by index or id.")],
        ctx: Context,
        path: PathArg = None,
    ) -> str:
        """Delete one or more cells, given by index or id."""
        api_path = services.notebook_path(ctx, path)
        async with services.notebooks.editing(api_path) as notebook:
            indices = sorted({resolve_cell(notebook, c) for c in cells})
            notebook.delete(indices)
            total = len(notebook)
        return reply(notebook, f"Deleted cells {indices} from {api_path}; it now has {total} cells.")

    @server.tool(annotations=EDIT, structured_output=False)
    async def move_cell(
        cell: CellArg,
        to_index: Annotated[int, Field(description="The cell's index after the move (-1 = last).")],
        ctx: Context,
        path: PathArg = None,
    ) -> str:
        """Move a cell to another position (its id stays the same)."""
        api_path = services.notebook_path(ctx, path)
        async with services.notebooks.editing(api_path) as notebook:
            index = resolve_cell(notebook, cell)
            count = len(notebook)
            target = to_index + count if to_index < 0 else to_index
            if not 0 <= target < count:
                raise JMCPError(f"to_index {to_index} is out of range: the notebook has {count} cells.")
            cell_id = notebook.cell_id(index)
            if target != index:
                notebook.move(index, target)
        return reply(notebook, f"Moved cell id={cell_id} from {index} to {target} in {api_path}.")

    @server.tool(annotations=DESTRUCTIVE, structured_output=False)
    async def clear_outputs(
        ctx: Context,
        cell: Annotated[
            int | str | None, Field(description="Cell index or id; omit to clear every cell's outputs.")
        ] = None,
        path: PathArg = None,
    ) -> str:
        """Clear the outputs of one code cell, or of all cells."""
        api_path = services.notebook_path(ctx, path)
        async with services.notebooks.editing(api_path) as notebook:
            if cell is None:
                targets = [i for i in range(len(notebook)) if notebook.cell(i).get("cell_type") == "code"]
            else:
                targets = [resolve_cell(notebook, cell)]
            for index in targets:
                notebook.set_outputs(index, [])
                notebook.set_execution_count(index, None)
        what = "all cells" if cell is None else f"cell {targets[0]}"
        return reply(notebook, f"Cleared outputs of {what} in {api_path}.")
