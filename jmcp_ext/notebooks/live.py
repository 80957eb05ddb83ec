"""A notebook edited through its collaboration room's live ``YNotebook``: every change shows at once in open tabs."""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Iterator
from typing import Any

from pycrdt import Array, Map, Text

from ..collab.textedit import set_text
from ..errors import JmcpError
from .model import CellDict, OutputDict

#: The transaction origin of jmcp's own writes (peers and observers tell them apart from a person's).
ORIGIN = "jmcp"


def _intify(value: Any) -> Any:
    # Numbers that went through Yjs come back as floats (execution_count 3.0).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _CellIds:
    """The ids of a live notebook's cells in order, kept current from the cells array's change events.

    Reading item i of a pycrdt Array walks the array from the start, so listing every id costs O(n²):
    about a second for 10,000 cells. The list is built once per document and then follows the inserts
    and deletes (local or from other peers) that the array reports.
    """

    def __init__(self, cells: Array) -> None:
        self._cells = cells
        self._ids: list[str] | None = None
        cells.observe(self._changed)

    def _changed(self, event: Any) -> None:
        ids = self._ids
        if ids is None:
            return
        try:
            position = 0
            for op in event.delta:
                if "retain" in op:
                    position += op["retain"]
                elif "delete" in op:
                    del ids[position : position + op["delete"]]
                elif "insert" in op:
                    new = [str(c.get("id", "")) if isinstance(c, Map) else "" for c in op["insert"]]
                    ids[position:position] = new
                    position += len(new)
        except Exception:
            self._ids = None  # rebuilt on next use

    def ids(self) -> list[str]:
        if self._ids is None:
            self._ids = self._read_all()
        return self._ids

    def _read_all(self) -> list[str]:
        # yrs serialises the whole array natively in O(n); reading item by item is O(n²).
        try:
            with self._cells.doc.transaction() as txn:
                cells = json.loads(self._cells.integrated.to_json(txn._txn))
            return [str(cell.get("id", "")) if isinstance(cell, dict) else "" for cell in cells]
        except Exception:  # pycrdt internals changed: take the slow, public way
            return [str(ycell.get("id", "")) for ycell in self._cells]

    def rebuild(self) -> list[str]:
        self._ids = None
        return self.ids()


#: One id list per live document (the room's YNotebook), dropped with the document.
_CELL_IDS: weakref.WeakKeyDictionary[Any, _CellIds] = weakref.WeakKeyDictionary()


class LiveNotebook:
    """A notebook edited through its collaboration room's live ``YNotebook``."""

    live = True

    def __init__(self, path: str, ynotebook: Any, origin: Any = ORIGIN) -> None:
        self.path = path
        self.origin = origin
        self._nb = ynotebook
        self._cells: Array = ynotebook.ycells
        index = _CELL_IDS.get(ynotebook)
        if index is None:
            index = _CELL_IDS[ynotebook] = _CellIds(self._cells)
        self._index = index

    def __len__(self) -> int:
        return len(self._cells)

    @property
    def ynotebook(self) -> Any:
        """The room's live ``YNotebook``."""
        return self._nb

    def with_origin(self, origin: Any) -> LiveNotebook:
        """The same live document, written with another origin (e.g. a session's execution writes)."""
        return LiveNotebook(self.path, self._nb, origin)

    def _ycell(self, index: int) -> Map:
        return self._cells[index]

    def cell(self, index: int) -> CellDict:
        cell = self._ycell(index).to_py()
        assert cell is not None
        cell.pop("execution_state", None)
        if "execution_count" in cell:
            cell["execution_count"] = _intify(cell["execution_count"])
        for output in cell.get("outputs") or []:
            if "execution_count" in output:
                output["execution_count"] = _intify(output["execution_count"])
        return cell

    def cell_id(self, index: int) -> str:
        return str(self._ycell(index).get("id", ""))

    def ids(self) -> list[str]:
        ids = self._index.ids()
        if len(ids) != len(self._cells):
            ids = self._index.rebuild()
        return list(ids)

    def index_of(self, cell_id: str) -> int | None:
        for attempt in range(2):
            ids = self._index.ids() if attempt == 0 else self._index.rebuild()
            try:
                index = ids.index(cell_id)
            except ValueError:
                continue
            # The list cannot see a cell's id being rewritten in place: check the one we found.
            if index < len(self._cells) and self.cell_id(index) == cell_id:
                return index
        return None

    def metadata(self) -> dict[str, Any]:
        meta = self._nb._ymeta.to_py() or {}
        return dict(meta.get("metadata") or {})

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._nb.ydoc.transaction(origin=self.origin):
            yield

    def insert(self, index: int, cell: CellDict) -> None:
        with self._transaction():
            self._cells.insert(index, self._nb.create_ycell(cell))

    def set_source(self, index: int, source: str) -> None:
        # Only the lines and characters that differ are rewritten: a person's cursor and typing elsewhere in the
        # cell stay put, and undo takes back exactly this change.
        text: Text = self._ycell(index)["source"]
        with self._transaction():
            set_text(text, source)

    def replace_in_source(self, index: int, start: int, old: str, new: str) -> None:
        # Edit only the snippet's range (pycrdt counts UTF-8 bytes), so text a person is typing
        # elsewhere in the same cell at the same moment is kept.
        text: Text = self._ycell(index)["source"]
        current = str(text)
        begin = len(current[:start].encode())
        length = len(old.encode())
        with self._transaction():
            if length:
                del text[begin : begin + length]
            if new:
                text.insert(begin, new)

    def delete(self, indices: list[int]) -> None:
        with self._transaction():
            for index in sorted(set(indices), reverse=True):
                del self._cells[index]

    def move(self, source: int, destination: int) -> None:
        # Delete and re-insert a copy (with the same id), as JupyterLab itself moves cells: Yjs
        # peers in the browser do not understand move operations.
        cell = self._ycell(source).to_py()
        assert cell is not None
        cell.pop("execution_state", None)
        with self._transaction():
            del self._cells[source]
            self._cells.insert(destination, self._nb.create_ycell(cell))

    def _outputs(self, index: int) -> Array:
        ycell = self._ycell(index)
        outputs = ycell.get("outputs")
        if not isinstance(outputs, Array):
            if ycell.get("cell_type") != "code":
                raise JmcpError(f"Cell {index} is not a code cell; only code cells have outputs.")
            outputs = Array()
            ycell["outputs"] = outputs
        return outputs

    def set_outputs(self, index: int, outputs: list[OutputDict]) -> None:
        youtputs = self._outputs(index)
        with self._transaction():
            youtputs.clear()
            youtputs.extend(self._nb._create_youtputs(outputs))

    def append_output(self, index: int, output: OutputDict) -> None:
        youtputs = self._outputs(index)
        with self._transaction():
            youtputs.extend(self._nb._create_youtputs([output]))

    def append_stream(self, index: int, name: str, text: str) -> None:
        youtputs = self._outputs(index)
        with self._transaction():
            if len(youtputs):
                last = youtputs[len(youtputs) - 1]
                if last.get("output_type") == "stream" and last.get("name") == name:
                    ytext = last.get("text")
                    if isinstance(ytext, Text):
                        ytext += text
                        return
            youtputs.extend(self._nb._create_youtputs([{"output_type": "stream", "name": name, "text": text}]))

    def replace_outputs(self, index: int, start: int, outputs: list[OutputDict]) -> None:
        # Outputs from ``start`` on are deleted and re-added rather than one replaced in place: a JupyterLab
        # tab applies an inserted output by appending it (OutputAreaModel.add), so only a rewrite to the end
        # keeps the order in open tabs when a display in the middle is updated.
        youtputs = self._outputs(index)
        start = min(start, len(youtputs))
        with self._transaction():
            if start < len(youtputs):
                del youtputs[start : len(youtputs)]
            youtputs.extend(self._nb._create_youtputs(outputs))

    def edit_stream(self, index: int, position: int, removed: str, text: str, length: int) -> bool:
        youtputs = self._outputs(index)
        if position >= len(youtputs):
            return False
        ytext = youtputs[position].get("text")
        if not isinstance(ytext, Text) or len(ytext) != length:
            return False  # changed by someone else meanwhile: the caller rewrites the output
        cut = len(removed.encode())  # pycrdt counts UTF-8 bytes
        if cut > length:
            return False
        # Two transactions: a tab applies a stream change as "remove N characters from the end, then append"
        # in the order of the delta, and Yjs puts an insertion before a deletion at the same place.
        if cut:
            with self._transaction():
                del ytext[length - cut : length]
        if text:
            with self._transaction():
                ytext += text
        return True

    def set_execution_count(self, index: int, count: int | None) -> None:
        with self._transaction():
            self._ycell(index)["execution_count"] = count

    def set_running(self, index: int, running: bool) -> None:
        # JupyterLab shows [*] from this field while a cell runs.
        with self._transaction():
            self._ycell(index)["execution_state"] = "running" if running else "idle"

    async def save(self) -> None:
        """Nothing to do: the room's autosave writes the file."""
