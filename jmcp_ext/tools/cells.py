"""Finding cells and placing new ones, as every editing and running tool does."""

from __future__ import annotations

from ..errors import JmcpError
from ..notebooks import Notebook, find_cell, new_cell

NOT_LIVE = (
    " Saved to disk, but not live: real-time collaboration is off on this server, so a tab that has the "
    "notebook open must be reloaded to see it."
)


def reply(notebook: Notebook, text: str) -> str:
    """A tool's answer, saying so when the edit could not be shown live."""
    return text if notebook.live else text + NOT_LIVE


def resolve_cell(notebook: Notebook, cell: int | str) -> int:
    """The index of a cell given by index (negative counts from the end) or by cell id."""
    count = len(notebook)
    if isinstance(cell, str):
        found = notebook.index_of(cell)
        if found is not None:
            return found
        stripped = cell.strip()
        if stripped.lstrip("-").isdigit():
            cell = int(stripped)
        else:
            raise JmcpError(f"No cell with id {cell!r} in {notebook.path}; call read_notebook to see the cell ids.")
    index = cell + count if cell < 0 else cell
    if not 0 <= index < count:
        raise JmcpError(f"Cell index {cell} is out of range: {notebook.path} has {count} cells (0 to {count - 1}).")
    return index


def insertion_index(notebook: Notebook, index: int | None, after_cell_id: str | None) -> int:
    """Where a new cell goes: after a cell id, at an index (negative from the end), or at the end."""
    count = len(notebook)
    if after_cell_id is not None:
        if index is not None:
            raise JmcpError("Give either index or after_cell_id, not both.")
        return find_cell(notebook, after_cell_id) + 1
    if index is None:
        return count
    position = index + count + 1 if index < 0 else index
    if not 0 <= position <= count:
        raise JmcpError(f"Insert index {index} is out of range: the notebook has {count} cells (0 to {count}).")
    return position


def insert_new_cell(
    notebook: Notebook, source: str, cell_type: str, index: int | None, after_cell_id: str | None
) -> tuple[int, str]:
    """Insert a new cell; returns its index and id."""
    position = insertion_index(notebook, index, after_cell_id)
    cell = new_cell(cell_type, source)
    notebook.insert(position, cell)
    return position, cell["id"]
