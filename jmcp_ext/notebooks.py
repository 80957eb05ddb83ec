"""Open notebooks for editing: the room's live document when collaboration is on, else the contents manager.

Both backends offer the same small cell API, so tools never care which one they have. The live backend
writes through the collaboration room (JupyterLab shows every change at once and autosave writes the
file); the file backend edits a copy of the notebook and saves it through the contents manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from logging import Logger
from typing import Any, Protocol

from jupyter_core.utils import ensure_async
from pycrdt import Array, Map, Text

from .errors import JMCPError

CellDict = dict[str, Any]


def new_cell(cell_type: str, source: str) -> CellDict:
    """An nbformat 4.5 cell dict with a fresh id."""
    if cell_type not in ("code", "markdown", "raw"):
        raise JMCPError(f"Unknown cell_type {cell_type!r}: use 'code', 'markdown' or 'raw'.")
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


def _intify(value: Any) -> Any:
    # Numbers that went through Yjs come back as floats (execution_count 3.0).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Notebook(Protocol):
    """The cell operations that tools use, on either backend."""

    live: bool
    path: str

    def __len__(self) -> int: ...
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
    def set_outputs(self, index: int, outputs: list[dict[str, Any]]) -> None: ...
    def append_output(self, index: int, output: dict[str, Any]) -> None: ...
    def append_stream(self, index: int, name: str, text: str) -> None: ...
    def set_execution_count(self, index: int, count: int | None) -> None: ...
    def set_running(self, index: int, running: bool) -> None: ...
    def find_cell(self, cell_id: str) -> int: ...
    async def save(self) -> None: ...


def _find(notebook: Notebook, cell_id: str) -> int:
    index = notebook.index_of(cell_id)
    if index is None:
        raise JMCPError(f"No cell with id {cell_id!r}; call read_notebook to see the current cell ids.")
    return index


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

    def __init__(self, path: str, ynotebook: Any) -> None:
        self.path = path
        self._nb = ynotebook
        self._cells: Array = ynotebook.ycells
        index = _CELL_IDS.get(ynotebook)
        if index is None:
            index = _CELL_IDS[ynotebook] = _CellIds(self._cells)
        self._index = index

    def __len__(self) -> int:
        return len(self._cells)

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

    def find_cell(self, cell_id: str) -> int:
        return _find(self, cell_id)

    def metadata(self) -> dict[str, Any]:
        meta = self._nb._ymeta.to_py() or {}
        return dict(meta.get("metadata") or {})

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._nb.ydoc.transaction(origin="jmcp"):
            yield

    def insert(self, index: int, cell: CellDict) -> None:
        with self._transaction():
            self._cells.insert(index, self._nb.create_ycell(cell))

    def set_source(self, index: int, source: str) -> None:
        text: Text = self._ycell(index)["source"]
        with self._transaction():
            text.clear()
            text += source

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
                raise JMCPError(f"Cell {index} is not a code cell; only code cells have outputs.")
            outputs = Array()
            ycell["outputs"] = outputs
        return outputs

    def set_outputs(self, index: int, outputs: list[dict[str, Any]]) -> None:
        youtputs = self._outputs(index)
        with self._transaction():
            youtputs.clear()
            youtputs.extend(self._nb._create_youtputs(outputs))

    def append_output(self, index: int, output: dict[str, Any]) -> None:
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

    def set_execution_count(self, index: int, count: int | None) -> None:
        with self._transaction():
            self._ycell(index)["execution_count"] = count

    def set_running(self, index: int, running: bool) -> None:
        # JupyterLab shows [*] from this field while a cell runs.
        with self._transaction():
            self._ycell(index)["execution_state"] = "running" if running else "idle"

    async def save(self) -> None:
        """Nothing to do: the room's autosave writes the file."""


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

    def cell(self, index: int) -> CellDict:
        return copy.deepcopy(self._cells[index])

    def cell_id(self, index: int) -> str:
        return str(self._cells[index].get("id", ""))

    def ids(self) -> list[str]:
        return [str(c.get("id", "")) for c in self._cells]

    def index_of(self, cell_id: str) -> int | None:
        return next((i for i, c in enumerate(self._cells) if str(c.get("id", "")) == cell_id), None)

    def find_cell(self, cell_id: str) -> int:
        return _find(self, cell_id)

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

    def _outputs(self, index: int) -> list[dict[str, Any]]:
        cell = self._cells[index]
        if cell.get("cell_type") != "code":
            raise JMCPError(f"Cell {index} is not a code cell; only code cells have outputs.")
        outputs: list[dict[str, Any]] = cell.setdefault("outputs", [])
        return outputs

    def set_outputs(self, index: int, outputs: list[dict[str, Any]]) -> None:
        self._cells[index]["outputs"] = copy.deepcopy(outputs)

    def append_output(self, index: int, output: dict[str, Any]) -> None:
        self._outputs(index).append(copy.deepcopy(output))

    def append_stream(self, index: int, name: str, text: str) -> None:
        outputs = self._outputs(index)
        if outputs and outputs[-1].get("output_type") == "stream" and outputs[-1].get("name") == name:
            previous = outputs[-1].get("text", "")
            outputs[-1]["text"] = ("".join(previous) if isinstance(previous, list) else previous) + text
        else:
            outputs.append({"output_type": "stream", "name": name, "text": text})

    def set_execution_count(self, index: int, count: int | None) -> None:
        self._cells[index]["execution_count"] = count

    def set_running(self, index: int, running: bool) -> None:
        """Nothing to show: without collaboration nobody sees the running state."""

    async def save(self) -> None:
        await ensure_async(self._cm.save({"type": "notebook", "format": "json", "content": self._nb}, self.path))


@dataclass
class _OpenedRoom:
    room_id: str
    last_used: float
    pins: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


class NotebookStore:
    """Finds notebooks and opens them on the right backend; releases rooms it opened once idle."""

    def __init__(self, serverapp: Any, log: Logger, *, room_idle_seconds: float) -> None:
        self._serverapp = serverapp
        self._log = log
        self._room_idle_seconds = room_idle_seconds
        self._opened: dict[str, _OpenedRoom] = {}
        self._file_locks: dict[str, asyncio.Lock] = {}

    @property
    def contents_manager(self) -> Any:
        return self._serverapp.contents_manager

    @property
    def _ydoc_extension(self) -> Any:
        # Looked up on use: extensions load alphabetically, after ours.
        return self._serverapp.web_app.settings.get("jupyter_server_ydoc")

    @property
    def rtc_available(self) -> bool:
        return self._ydoc_extension is not None

    def rtc_detail(self) -> str:
        if self.rtc_available:
            return "live editing through jupyter-collaboration (edits appear at once in open tabs)"
        return (
            "jupyter-collaboration is not enabled: edits are saved to disk but do not appear live in an "
            "open JupyterLab tab (reload it to see them). Install and enable jupyter-collaboration."
        )

    async def exists(self, path: str) -> bool:
        return bool(await ensure_async(self.contents_manager.file_exists(path)))

    async def create(self, path: str, content: dict[str, Any]) -> None:
        await ensure_async(self.contents_manager.save({"type": "notebook", "format": "json", "content": content}, path))

    async def _read_file(self, path: str) -> dict[str, Any]:
        if not await self.exists(path):
            if await ensure_async(self.contents_manager.dir_exists(path)):
                raise JMCPError(f"{path!r} is a directory, not a notebook.")
            raise JMCPError(f"Notebook {path!r} does not exist; use list_files to find it or create_notebook.")
        try:
            model = await ensure_async(self.contents_manager.get(path, content=True, type="notebook"))
        except Exception as exc:  # the contents manager raises tornado HTTPErrors for bad files
            message = getattr(exc, "log_message", None) or str(exc)
            raise JMCPError(f"Cannot read notebook {path!r}: {message}") from None
        return dict(model["content"])

    async def open(self, path: str) -> Notebook:
        """The notebook at ``path`` (an API path already confined to the root)."""
        ext = self._ydoc_extension
        if ext is None:
            return FileNotebook(path, await self._read_file(path), self.contents_manager)
        if not await self.exists(path):
            await self._read_file(path)  # raises the right error
        room_id = self._room_id(path)
        try:
            ydoc = await ext.get_document(
                path=path, content_type="notebook", file_format="json", copy=False, create=True
            )
        except Exception as exc:
            # A file that is not a valid notebook makes the room fail to load.
            await self._read_file(path)
            raise JMCPError(f"Cannot open notebook {path!r} for live editing: {exc}") from None
        if ydoc is None:
            raise JMCPError(f"Cannot open notebook {path!r} for live editing; is it a valid notebook?")
        opened = self._opened.get(room_id)
        if opened is None:
            opened = self._opened[room_id] = _OpenedRoom(room_id, time.monotonic())
        opened.last_used = time.monotonic()
        return LiveNotebook(path, ydoc)

    @contextlib.asynccontextmanager
    async def editing(self, path: str) -> Any:
        """Open a notebook for a change; saves it afterwards on the file backend.

        File-backend edits of one notebook are serialised so two callers cannot overwrite each other.
        """
        if self.rtc_available:
            notebook = await self.open(path)
            self.pin(notebook, +1)
            try:
                yield notebook
            finally:
                self.pin(notebook, -1)
            return
        lock = self._file_locks.setdefault(path, asyncio.Lock())
        async with lock:
            notebook = await self.open(path)
            yield notebook
            await notebook.save()

    def pin(self, notebook: Notebook, delta: int) -> None:
        """Keep a room open while a change or an execution is under way."""
        if not notebook.live:
            return
        opened = self._opened.get(self._room_id(notebook.path))
        if opened is not None:
            opened.pins += delta
            opened.last_used = time.monotonic()

    def _room_id(self, path: str) -> str:
        from jupyter_server_ydoc.utils import encode_file_path, room_id_from_encoded_path

        file_id = self._serverapp.web_app.settings["file_id_manager"].index(path)
        return str(room_id_from_encoded_path(encode_file_path("json", "notebook", file_id)))

    def open_rooms(self) -> list[str]:
        """Paths of notebooks that have a live room (opened by a browser or by us)."""
        ext = self._ydoc_extension
        if ext is None:
            return []
        from jupyter_server_ydoc.utils import decode_file_path

        paths = []
        fid = self._serverapp.web_app.settings["file_id_manager"]
        for room_id in list(ext.ywebsocket_server.rooms):
            try:
                _, file_type, file_id = decode_file_path(room_id)
            except Exception:
                continue
            if file_type != "notebook":
                continue
            path = fid.get_path(file_id)
            if path:
                paths.append(path)
        return sorted(paths)

    async def release_idle_rooms(self, now: float | None = None) -> int:
        """Delete rooms we opened that nobody uses any more; returns how many were released.

        The collaboration extension only cleans up rooms when a websocket closes, so rooms opened by the
        server itself would otherwise live (and poll their file every second) forever.
        """
        ext = self._ydoc_extension
        if ext is None:
            return 0
        now = time.monotonic() if now is None else now
        released = 0
        for room_id, opened in list(self._opened.items()):
            room = ext.ywebsocket_server.rooms.get(room_id)
            if room is None:
                del self._opened[room_id]
                continue
            if opened.pins > 0 or room.clients or now - opened.last_used < self._room_idle_seconds:
                continue
            document = getattr(room, "_document", None)
            saving = getattr(room, "_saving_document", None)
            if (document is not None and document.dirty) or (saving is not None and not saving.done()):
                continue  # autosave has not written the last change yet
            async with ext._room_locks[room_id]:
                if ext.ywebsocket_server.rooms.get(room_id) is not room or room.clients:
                    continue
                await ext.ywebsocket_server.delete_room(room=room)
                # Stopping a room does not stop its update store, whose SQLite connection (a file
                # descriptor) would stay open until garbage collection.
                ystore = getattr(room, "ystore", None)
                if ystore is not None:
                    with contextlib.suppress(Exception):
                        await ystore.stop()
                from jupyter_server_ydoc.utils import decode_file_path

                _, _, file_id = decode_file_path(room_id)
                if file_id in ext.file_loaders and ext.file_loaders[file_id].number_of_subscriptions == 0:
                    await ext.file_loaders.remove(file_id)
            del self._opened[room_id]
            released += 1
            self._log.debug("jmcp released idle room %s", room_id)
        return released
