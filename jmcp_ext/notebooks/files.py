"""A notebook edited as a dict and saved through the contents manager (when collaboration is off)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from jupyter_core.utils import ensure_async

from ..errors import JmcpError
from .model import CellDict, OutputDict


class FileNotebook:
    """A notebook edited as a dict and saved through the contents manager (no collaboration)."""

    live = False

    def __init__(self, path: str, content: dict[str, Any], contents_manager: Any) -> None:
        self.path = path
        self._nb = content
        self._cm = contents_manager
        cells = content.setdefault("cells", [])
        for cell in cells:
            cell.setdefault("id", uuid.uuid4().hex[:8])
            if isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
        # Cell ids need nbformat 4.5.
        if content.get("nbformat", 4) == 4 and content.get("nbformat_minor", 0) < 5:
            content["nbformat_minor"] = 5
        self._cells: list[CellDict] = cells

    def __len__(self) -> int:
        return len(self._cells)

    def with_origin(self, origin: Any) -> FileNotebook:
        """Itself: a file copy has no transactions to mark."""
        return self

    def cell(self, index: int) -> CellDict:
        return copy.deepcopy(self._cells[index])

    def cell_id(self, index: int) -> str:
        return str(self._cells[index].get("id", ""))

    def ids(self) -> list[str]:
        return [str(c.get("id", "")) for c in self._cells]

    def index_of(self, cell_id: str) -> int | None:
        return next((i for i, c in enumerate(self._cells) if str(c.get("id", "")) == cell_id), None)

    def metadata(self) -> dict[str, Any]:
        return dict(self._nb.get("metadata", {}))

    def insert(self, index: int, cell: CellDict) -> None:
        self._cells.insert(index, copy.deepcopy(cell))

    def set_source(self, index: int, source: str) -> None:
        self._cells[index]["source"] = source

    def replace_in_source(self, index: int, start: int, old: str, new: str) -> None:
        source = self._cells[index]["source"]
        self._cells[index]["source"] = source[:start] + new + source[start + len(old) :]

    def delete(self, indices: list[int]) -> None:
        for index in sorted(set(indices), reverse=True):
            del self._cells[index]

    def move(self, source: int, destination: int) -> None:
        self._cells.insert(destination, self._cells.pop(source))

    def _outputs(self, index: int) -> list[OutputDict]:
        cell = self._cells[index]
        if cell.get("cell_type") != "code":
            raise JmcpError(f"Cell {index} is not a code cell; only code cells have outputs.")
        outputs: list[OutputDict] = cell.setdefault("outputs", [])
        return outputs

    def set_outputs(self, index: int, outputs: list[OutputDict]) -> None:
        self._cells[index]["outputs"] = copy.deepcopy(outputs)

    def append_output(self, index: int, output: OutputDict) -> None:
        self._outputs(index).append(copy.deepcopy(output))

    def append_stream(self, index: int, name: str, text: str) -> None:
        outputs = self._outputs(index)
        if outputs and outputs[-1].get("output_type") == "stream" and outputs[-1].get("name") == name:
            previous = outputs[-1].get("text", "")
            outputs[-1]["text"] = ("".join(previous) if isinstance(previous, list) else previous) + text
        else:
            outputs.append({"output_type": "stream", "name": name, "text": text})

    def replace_outputs(self, index: int, start: int, outputs: list[OutputDict]) -> None:
        self._outputs(index)[start:] = copy.deepcopy(outputs)

    def edit_stream(self, index: int, position: int, removed: str, text: str, length: int) -> bool:
        outputs = self._outputs(index)
        if position >= len(outputs) or outputs[position].get("output_type") != "stream":
            return False
        current = outputs[position].get("text", "")
        current = "".join(current) if isinstance(current, list) else current
        if not current.endswith(removed):
            return False
        outputs[position]["text"] = current[: len(current) - len(removed)] + text
        return True

    def set_execution_count(self, index: int, count: int | None) -> None:
        self._cells[index]["execution_count"] = count

    def set_running(self, index: int, running: bool) -> None:
        """Nothing to show: without collaboration nobody sees the running state."""

    async def save(self) -> None:
        await ensure_async(self._cm.save({"type": "notebook", "format": "json", "content": self._nb}, self.path))
