"""What a notebook is to the tools: cell dicts, new cells and notebooks, and the ``Notebook`` protocol."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from ..errors import JmcpError

CellDict = dict[str, Any]
OutputDict = dict[str, Any]


def new_cell(cell_type: str, source: str) -> CellDict:
    """An nbformat 4.5 cell dict with a fresh id."""
    if cell_type not in ("code", "markdown", "raw"):
        raise JmcpError(f"Unknown cell_type {cell_type!r}: use 'code', 'markdown' or 'raw'.")
    cell: CellDict = {"id": uuid.uuid4().hex[:8], "cell_type": cell_type, "source": source, "metadata": {}}
    if cell_type == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    return cell


def empty_notebook(kernel_name: str = "python3", display_name: str = "Python 3") -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": kernel_name, "display_name": display_name, "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [],
    }


class Notebook(Protocol):
    """The cell operations that tools use, on either backend (live room or file)."""

    live: bool
    path: str

    def __len__(self) -> int: ...
    def with_origin(self, origin: Any) -> Notebook: ...
    def cell(self, index: int) -> CellDict: ...
    def cell_id(self, index: int) -> str: ...
    def ids(self) -> list[str]: ...
    def index_of(self, cell_id: str) -> int | None: ...
    def metadata(self) -> dict[str, Any]: ...
    def insert(self, index: int, cell: CellDict) -> None: ...
    def set_source(self, index: int, source: str) -> None: ...
    def replace_in_source(self, index: int, start: int, old: str, new: str) -> None: ...
    def delete(self, indices: list[int]) -> None: ...
    def move(self, source: int, destination: int) -> None: ...
    def set_outputs(self, index: int, outputs: list[OutputDict]) -> None: ...
    def append_output(self, index: int, output: OutputDict) -> None: ...
    def append_stream(self, index: int, name: str, text: str) -> None: ...
    def replace_outputs(self, index: int, start: int, outputs: list[OutputDict]) -> None:
        """Put ``outputs`` in place of the cell's outputs from position ``start`` on."""

    def edit_stream(self, index: int, position: int, removed: str, text: str, length: int) -> bool:
        """Cut ``removed`` from the end of the stream output at ``position``, then append ``text``.

        ``length`` is the text's length as last written (in UTF-8 bytes: what live documents count); False
        (nothing done) when the output is not that stream any more, e.g. a person cleared it meanwhile.
        """
        ...

    def set_execution_count(self, index: int, count: int | None) -> None: ...
    def set_running(self, index: int, running: bool) -> None: ...
    async def save(self) -> None: ...


def find_cell(notebook: Notebook, cell_id: str) -> int:
    """The index of the cell with ``cell_id``, or an error telling the model how to find the ids."""
    index = notebook.index_of(cell_id)
    if index is None:
        raise JmcpError(f"No cell with id {cell_id!r}; call read_notebook to see the current cell ids.")
    return index
