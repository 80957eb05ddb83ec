"""Finding cells by id on a live notebook: the id list follows every change, local or remote."""

from __future__ import annotations

from typing import Any

from jupyter_ydoc import YNotebook

from jmcp_ext.notebooks import LiveNotebook, find_cell, new_cell


def notebook_of(count: int) -> YNotebook:
    ynb = YNotebook()
    cells = [{"id": f"c{i}", "cell_type": "raw", "source": f"x = {i}", "metadata": {}} for i in range(count)]
    ynb.set({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    return ynb


def actual_ids(ynb: YNotebook) -> list[str]:
    return [str(ycell.get("id")) for ycell in ynb.ycells]


def test_cell_ids_follow_inserts_deletes_and_moves() -> None:
    ynb = notebook_of(50)
    notebook = LiveNotebook("a.ipynb", ynb)
    assert notebook.index_of("c25") == 25
    added: dict[str, Any] = new_cell("code", "y = 1")
    notebook.insert(10, added)
    notebook.delete([0, 30])
    notebook.move(5, 40)
    # A second view of the same document shares the list and sees the same.
    again = LiveNotebook("a.ipynb", ynb)
    for view in (notebook, again):
        assert view.ids() == actual_ids(ynb)
        assert view.index_of(added["id"]) == actual_ids(ynb).index(added["id"])
        assert view.index_of("c0") is None
        assert find_cell(view, "c49") == actual_ids(ynb).index("c49")


def test_cell_ids_follow_changes_made_by_another_peer() -> None:
    ours, theirs = notebook_of(20), YNotebook()
    theirs.ydoc.apply_update(ours.ydoc.get_update())
    notebook = LiveNotebook("a.ipynb", ours)
    assert notebook.index_of("c10") == 10
    before = ours.ydoc.get_state()
    with theirs.ydoc.transaction():
        del theirs.ycells[0:3]
        theirs.ycells.insert(5, theirs.create_ycell(new_cell("markdown", "# hi") | {"id": "remote"}))
    ours.ydoc.apply_update(theirs.ydoc.get_update(before))
    assert notebook.ids() == actual_ids(ours)
    assert notebook.index_of("remote") == 5
    assert notebook.index_of("c10") == 8


def test_a_cell_id_rewritten_in_place_is_still_found() -> None:
    ynb = notebook_of(5)
    notebook = LiveNotebook("a.ipynb", ynb)
    assert notebook.index_of("c3") == 3
    ynb.ycells[3]["id"] = "renamed"
    assert notebook.index_of("renamed") == 3
    assert notebook.index_of("c3") is None


def test_reloading_the_whole_document_resets_the_ids() -> None:
    ynb = notebook_of(5)
    notebook = LiveNotebook("a.ipynb", ynb)
    assert notebook.index_of("c4") == 4
    ynb.set({"cells": [{"id": "fresh", "cell_type": "raw", "source": "", "metadata": {}}], "metadata": {}})
    assert notebook.ids() == ["fresh"]
    assert notebook.index_of("c4") is None
