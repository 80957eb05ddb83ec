"""Revert a live notebook to a saved version (a Jupyter checkpoint) by editing the room's document in place.

Jupyter's own revert does not work with collaboration on: it restores the file with the checkpoint's older mtime,
the room only reloads on a newer one, and the next autosave writes the stale room back. Applying the checkpoint to
the live document instead shows in every tab at once, is saved by autosave, and is one undo step of ``origin``.
Cells are reused by id and their sources changed with small edits, so a person's cursor in a cell the revert does
not touch stays put (``YNotebook.set`` would re-create changed cells and move it).
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from jupyter_core.utils import ensure_async
from pycrdt import Array, Map, Text

from .textedit import set_text

CHECKPOINT_ID = "checkpoint"  # the one id JupyterLab and the file checkpoints use


@dataclass(frozen=True)
class Applied:
    """How many cells applying a notebook added, removed and changed."""

    added: int
    removed: int
    changed: int

    def describe(self) -> str:
        if not (self.added or self.removed or self.changed):
            return "The notebook already matched; nothing changed."
        return f"Restored: {self.changed} cell(s) changed, {self.added} added back, {self.removed} removed."


async def read_checkpoint(contents_manager: Any, path: str, checkpoint_id: str = CHECKPOINT_ID) -> dict[str, Any]:
    """The notebook saved in a checkpoint, as a plain nbformat 4 dict (file and generic checkpoints)."""
    checkpoints = contents_manager.checkpoints
    getter = getattr(checkpoints, "get_notebook_checkpoint", None)
    if getter is not None:
        model = await ensure_async(getter(checkpoint_id, path))
        return normalize_notebook(model["content"])
    return await asyncio.to_thread(_read_file, checkpoints.checkpoint_path(checkpoint_id, path))


def _read_file(os_path: str) -> dict[str, Any]:
    import nbformat

    with open(os_path, encoding="utf-8") as handle:
        return normalize_notebook(nbformat.read(handle, as_version=4))


def normalize_notebook(nb: Any) -> dict[str, Any]:
    """A plain-dict copy with joined multi-line strings (as the live document holds them)."""
    plain: dict[str, Any] = json.loads(json.dumps(nb))
    for cell in plain.get("cells", []):
        cell["source"] = _joined(cell.get("source", ""))
        for output in cell.get("outputs", []) or []:
            if "text" in output:
                output["text"] = _joined(output["text"])
            for mime, value in (output.get("data") or {}).items():
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    output["data"][mime] = "".join(value)
    return plain


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def apply_notebook(ynotebook: Any, nb: dict[str, Any], origin: Any) -> Applied:
    """Make the live notebook equal ``nb`` in one transaction with ``origin``, reusing cells by id."""
    target = normalize_notebook(nb)
    cells: Array = ynotebook.ycells
    with ynotebook.ydoc.transaction(origin=origin):
        _apply_meta(ynotebook, target)
        current_ids = [str(c.get("id", "")) if isinstance(c, Map) else "" for c in cells]
        wanted = _with_ids(target.get("cells", []), current_ids)
        wanted_ids = [str(c["id"]) for c in wanted]
        matcher = SequenceMatcher(None, current_ids, wanted_ids, autojunk=False)
        kept_current: set[int] = set()
        kept_wanted: set[int] = set()
        for block in matcher.get_matching_blocks():
            kept_current.update(range(block.a, block.a + block.size))
            kept_wanted.update(range(block.b, block.b + block.size))
        removed = 0
        for index in range(len(current_ids) - 1, -1, -1):
            if index not in kept_current:
                del cells[index]
                removed += 1
        added = changed = 0
        # The cells left are the kept ones, in target order: walk the target, inserting the others.
        for index, cell in enumerate(wanted):
            if index in kept_wanted:
                ycell = cells[index]
                if ycell.get("cell_type") != cell.get("cell_type"):
                    del cells[index]
                    cells.insert(index, ynotebook.create_ycell(cell))
                    changed += 1
                elif _update_cell(ycell, cell):
                    changed += 1
            else:
                cells.insert(index, ynotebook.create_ycell(cell))
                added += 1
    return Applied(added, removed, changed)


def _with_ids(cells: list[dict[str, Any]], current_ids: list[str]) -> list[dict[str, Any]]:
    # Notebooks before format 4.5 have no cell ids: reuse the live cell's id at the same position.
    wanted = []
    used = {str(c["id"]) for c in cells if c.get("id")}
    for index, cell in enumerate(cells):
        cell = copy.deepcopy(cell)
        if not cell.get("id"):
            candidate = current_ids[index] if index < len(current_ids) else ""
            cell["id"] = candidate if candidate and candidate not in used else uuid.uuid4().hex[:8]
            used.add(cell["id"])
        wanted.append(cell)
    return wanted


def _apply_meta(ynotebook: Any, target: dict[str, Any]) -> None:
    ymeta: Map = ynotebook._ymeta  # jupyter_ydoc keeps nbformat and metadata here
    for key in ("nbformat", "nbformat_minor"):
        if key in target and ymeta.get(key) != target[key]:
            ymeta[key] = target[key]
    metadata = target.get("metadata", {})
    current = ymeta.get("metadata")
    if isinstance(current, Map):
        if current.to_py() != metadata:
            current.clear()
            current.update(metadata)
    elif metadata:
        ymeta["metadata"] = Map(metadata)


def _update_cell(ycell: Map, cell: dict[str, Any]) -> bool:
    """Update one live cell in place; True if anything changed."""
    changed = False
    source = ycell.get("source")
    if isinstance(source, Text):
        changed = set_text(source, cell.get("source", "")) > 0
    else:
        ycell["source"] = Text(cell.get("source", ""))
        changed = True
    metadata = ycell.get("metadata")
    wanted_meta = cell.get("metadata", {}) or {}
    if isinstance(metadata, Map):
        if metadata.to_py() != wanted_meta:
            metadata.clear()
            metadata.update(wanted_meta)
            changed = True
    else:
        ycell["metadata"] = Map(wanted_meta)
        changed = True
    if cell.get("cell_type") == "code":
        changed = _update_outputs(ycell, cell) or changed
        count = cell.get("execution_count")
        if ycell.get("execution_count") != count:
            ycell["execution_count"] = count
            changed = True
    elif "attachments" in cell and ycell.get("attachments") != cell["attachments"]:
        ycell["attachments"] = cell["attachments"]
        changed = True
    return changed


def _update_outputs(ycell: Map, cell: dict[str, Any]) -> bool:
    outputs = cell.get("outputs", []) or []
    youtputs = ycell.get("outputs")
    if isinstance(youtputs, Array) and youtputs.to_py() == outputs:
        return False
    fresh = [_youtput(o) for o in outputs]
    if isinstance(youtputs, Array):
        youtputs.clear()
        youtputs.extend(fresh)
    else:
        ycell["outputs"] = Array(fresh)
    return True


def _youtput(output: dict[str, Any]) -> Map:
    # Stream text is a shared text in the live model (JupyterLab appends to it as a stream grows).
    output = copy.deepcopy(output)
    if output.get("output_type") == "stream":
        output["text"] = Text(_joined(output.get("text", "")))
    return Map(output)
