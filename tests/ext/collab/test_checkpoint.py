"""Reverting a live notebook to a checkpoint by editing the document in place."""

from __future__ import annotations

from pathlib import Path

import nbformat
from jupyter_server.services.contents.filemanager import FileContentsManager
from pycrdt import StickyIndex

from jmcp_ext.collab.changes import ChangeTracker
from jmcp_ext.collab.checkpoint import apply_notebook, normalize_notebook, read_checkpoint
from jmcp_ext.collab.identity import AgentOrigin
from jmcp_ext.collab.positions import text_type_id
from jmcp_ext.collab.undo import session_undo

from .harness import Room, code, ids, notebook, relative_position, sources

REVERT = AgentOrigin("s1", "Claude Code")

SAVED = notebook(
    code("import os", "c0"),
    code("x = 1\ny = 2\nprint(x + y)", "c1", outputs=[{"output_type": "stream", "name": "stdout", "text": "3\n"}]),
    code("z = 3", "c2"),
)


def live_room() -> Room:
    """The saved notebook after a while of work: c1 changed, c2 deleted, n1 added, c0 untouched."""
    room = Room(SAVED)
    with room.doc.transaction():
        room.nb.ycells[1]["source"].insert(5, "0")  # x = 10
        room.nb.ycells[1]["outputs"].clear()
        del room.nb.ycells[2]
        room.nb.ycells.append(room.nb.create_ycell(code("new = True", "n1")))
    return room


def test_the_live_notebook_becomes_the_checkpoint() -> None:
    room = live_room()
    applied = apply_notebook(room.nb, SAVED, REVERT)
    assert (applied.added, applied.removed, applied.changed) == (1, 1, 1)
    assert ids(room.nb) == ["c0", "c1", "c2"]
    assert sources(room.nb) == ["import os", "x = 1\ny = 2\nprint(x + y)", "z = 3"]
    assert room.nb.ycells[1]["outputs"].to_py() == [{"output_type": "stream", "name": "stdout", "text": "3\n"}]
    assert room.nb.get() == normalize_notebook(SAVED)
    assert apply_notebook(room.nb, SAVED, REVERT).describe() == "The notebook already matched; nothing changed."


def test_a_persons_cursor_and_typing_in_an_untouched_cell_stay_put() -> None:
    room = live_room()
    ana = room.browser("Ana")
    cursor = relative_position(ana.source(0), 6)  # "import| os"
    text_id = text_type_id(ana.source(0))
    ana.connected = False
    ana.type(0, 9, ", sys")  # typing the server has not seen yet
    apply_notebook(room.nb, SAVED, REVERT)
    ana.connected = True
    ana.receive(room.doc.get_update())
    room.receive(ana.doc.get_update(), ana)
    assert str(room.nb.ycells[0]["source"]) == str(ana.source(0)) == "import os, sys"
    assert text_type_id(ana.source(0)) == text_id  # the same shared text, not a re-created cell
    assert StickyIndex.from_json(cursor, ana.source(0)).get_index() == 6


def test_a_cursor_on_an_unchanged_line_of_a_changed_cell_stays_put() -> None:
    room = live_room()
    ana = room.browser("Ana")
    cursor = relative_position(ana.source(1), 11)  # "x = 10\ny = |2": line 2; the revert changes line 1
    apply_notebook(room.nb, SAVED, REVERT)
    assert str(ana.source(1)) == "x = 1\ny = 2\nprint(x + y)"
    assert StickyIndex.from_json(cursor, ana.source(1)).get_index() == 10  # still before the "2"


def test_one_undo_of_the_origin_takes_the_revert_back() -> None:
    room = live_room()
    tracker = ChangeTracker(room.nb, reload_lock=room.update_lock)
    history = session_undo(room.nb, REVERT, tracker)
    before = room.nb.get()
    history.next_step()
    apply_notebook(room.nb, SAVED, REVERT)
    history.next_step()
    history.undo()
    assert room.nb.get() == before


def test_cells_are_reordered_and_a_changed_type_replaces_the_cell() -> None:
    room = Room(SAVED)
    target = notebook(
        {"id": "c2", "cell_type": "markdown", "source": "# z", "metadata": {}},
        code("import os", "c0"),
        code("x = 1\ny = 2\nprint(x + y)", "c1"),
    )
    apply_notebook(room.nb, target, REVERT)
    assert ids(room.nb) == ["c2", "c0", "c1"]
    assert room.nb.ycells[0]["cell_type"] == "markdown" and str(room.nb.ycells[0]["source"]) == "# z"
    assert room.nb.ycells[2]["outputs"].to_py() == []


def test_a_notebook_without_cell_ids_reuses_cells_by_position() -> None:
    room = Room(SAVED)
    old_format = notebook(code("import os", ""), code("x = 2", ""), code("z = 3", ""))
    for cell in old_format["cells"]:
        del cell["id"]
    applied = apply_notebook(room.nb, old_format, REVERT)
    assert ids(room.nb) == ["c0", "c1", "c2"] and applied.added == applied.removed == 0


def test_metadata_and_multiline_sources_from_a_file(tmp_path: Path) -> None:
    room = Room(SAVED)
    on_disk = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "other", "display_name": "Other"}})
    on_disk.cells = [nbformat.v4.new_code_cell(["a = 1\n", "b = 2"], id="c0")]
    apply_notebook(room.nb, on_disk, REVERT)
    assert sources(room.nb) == ["a = 1\nb = 2"]
    assert room.nb.get()["metadata"]["kernelspec"]["name"] == "other"


async def test_read_checkpoint_returns_the_saved_version(tmp_path: Path) -> None:
    manager = FileContentsManager(root_dir=str(tmp_path))
    model = {"type": "notebook", "format": "json", "content": nbformat.from_dict(SAVED)}
    manager.save(model, "a.ipynb")
    manager.create_checkpoint("a.ipynb")
    changed = nbformat.from_dict(notebook(code("changed", "c0")))
    manager.save({"type": "notebook", "format": "json", "content": changed}, "a.ipynb")
    saved = await read_checkpoint(manager, "a.ipynb")
    assert [c["source"] for c in saved["cells"]] == ["import os", "x = 1\ny = 2\nprint(x + y)", "z = 3"]
    assert saved["cells"][1]["outputs"][0]["text"] == "3\n"
