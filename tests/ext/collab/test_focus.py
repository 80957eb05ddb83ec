"""The person's focus, from cursors shaped the way JupyterLab writes them into the notebook room's awareness."""

from __future__ import annotations

import time

from jmcp_ext.collab.focus import current_documents, describe_focus, people_focus
from jmcp_ext.collab.identity import make_collaborator
from jmcp_ext.collab.presence import Presence, global_state

from .harness import Room, code, ids, notebook


def room_with_three_cells() -> Room:
    return Room(notebook(code("import os", "c0"), code("x = 1\ny = 2\nprint(x)", "c1"), code("", "c2")))


def test_the_cell_a_person_clicked_is_reported_with_the_offset() -> None:
    room = room_with_three_cells()
    ana = room.browser("Ana")
    ana.click(1, 8)  # line 2, after "y ="
    [focus] = people_focus(room.nb.ycells, room.awareness.states)
    assert (focus.display_name, focus.cell_id, focus.cell_index) == ("Ana", "c1", 1)
    assert (focus.offset, focus.line, focus.column, focus.selection) == (8, 2, 3, None)
    assert describe_focus([focus]) == "Ana is in cell c1 (index 1), line 2 column 3"


def test_a_selection_is_reported_as_a_range() -> None:
    room = room_with_three_cells()
    ana = room.browser("Ana")
    ana.click(1, 11, anchor=6)  # "y = 2" selected, cursor at its end
    [focus] = people_focus(room.nb.ycells, room.awareness.states)
    assert focus.selection == (6, 11) and focus.offset == 11
    assert "characters 6-11 of cell c1 (index 1) selected" in focus.describe()


def test_a_cursor_at_the_end_of_a_cell_and_in_an_empty_cell() -> None:
    room = room_with_three_cells()
    ana, bob = room.browser("Ana"), room.browser("Bob")
    ana.click(0, 9)  # after "import os": no item, the end
    bob.click(2, 0)
    focus = {f.display_name: f for f in people_focus(room.nb.ycells, room.awareness.states)}
    assert (focus["Ana"].cell_id, focus["Ana"].offset) == ("c0", 9)
    assert (focus["Bob"].cell_id, focus["Bob"].offset) == ("c2", 0)


def test_offsets_count_characters_where_the_browser_counts_utf16_units() -> None:
    room = Room(notebook(code("s = '😀😀'  # é", "c0")))
    ana = room.browser("Ana")
    ana.click(0, 10)  # UTF-16: s,space,=,space,',😀(2),😀(2),' -> 10 units is just after the closing quote
    [focus] = people_focus(room.nb.ycells, room.awareness.states)
    assert focus.offset == 8 and str(room.nb.ycells[0]["source"])[: focus.offset] == "s = '😀😀'"


def test_the_cursor_follows_text_typed_before_it() -> None:
    room = room_with_three_cells()
    ana, bob = room.browser("Ana"), room.browser("Bob")
    ana.click(1, 6)  # start of line 2
    bob.type(1, 0, "# note\n")  # Bob types above: Ana's position sticks to her character
    [focus] = [f for f in people_focus(room.nb.ycells, room.awareness.states) if f.display_name == "Ana"]
    assert (focus.offset, focus.line) == (13, 3)


def test_agents_and_people_without_a_cursor_are_left_out() -> None:
    room = room_with_three_cells()
    room.browser("Ana")  # connected, never clicked into an editor
    agent = Presence(room.awareness, make_collaborator("Claude Code", None, "s1"))
    agent.show(room.nb.ycells[1]["source"], 3)
    assert people_focus(room.nb.ycells, room.awareness.states) == []
    assert describe_focus([]) == ""


def test_a_cursor_in_text_the_server_has_not_received_yet_does_not_fail() -> None:
    room = room_with_three_cells()
    ana = room.browser("Ana")
    ana.connected = False  # her typing has not reached the server yet, her awareness has
    ana.type(1, 0, "zzz")
    ana.click(1, 1)
    [focus] = people_focus(room.nb.ycells, room.awareness.states)
    assert focus.cell_id == "c1" and focus.offset is None
    assert focus.describe() == "Ana is in cell c1 (index 1)"


def test_malformed_states_are_skipped() -> None:
    room = room_with_three_cells()
    states = {
        1: None,
        2: {"cursors": "nope"},
        3: {"cursors": [{"head": {"type": {"client": "x"}}}]},
        4: {"user": {"display_name": "Eve"}, "cursors": [{"head": {"type": {"client": 1, "clock": 999999}}}]},
    }
    assert people_focus(room.nb.ycells, states) == []


def test_a_person_looking_at_another_notebook_is_marked() -> None:
    room = room_with_three_cells()
    ana = room.browser("Ana")
    ana.click(0, 0)
    agent_global = global_state(make_collaborator("Claude Code", None, "s1"), "a.ipynb")
    global_states = {
        10: {"user": {"username": "user-ana", "name": "Ana"}, "current": "notebook:other.ipynb"},
        11: agent_global,
    }
    current = current_documents(global_states)
    assert current == {"user-ana": "notebook:other.ipynb"}
    [focus] = people_focus(room.nb.ycells, room.awareness.states, path="a.ipynb", current=current)
    assert focus.elsewhere == "other.ipynb"
    assert focus.describe().endswith("(but is now looking at other.ipynb)")
    [here] = people_focus(
        room.nb.ycells, room.awareness.states, path="a.ipynb", current={"user-ana": "notebook:a.ipynb"}
    )
    assert here.elsewhere is None


def test_with_the_id_list_later_lookups_read_one_cell_and_survive_changes() -> None:
    room = Room(notebook(*[code(f"x{i} = {i}", f"c{i}") for i in range(300)]))
    ana = room.browser("Ana")
    ana.click(250, 2)
    [first] = people_focus(room.nb.ycells, room.awareness.states, ids=ids(room.nb))
    started = time.perf_counter()
    [again] = people_focus(room.nb.ycells, room.awareness.states, ids=ids(room.nb))
    cached = time.perf_counter() - started
    assert first == again and again.cell_id == "c250"
    ana.insert_cell(0, code("new", "n0"))  # indexes shift
    ana.click(0, 1)  # a cell the cache has never seen
    [moved] = people_focus(room.nb.ycells, room.awareness.states, ids=ids(room.nb))
    assert (moved.cell_id, moved.cell_index, moved.offset) == ("n0", 0, 1)
    with ana.doc.transaction():  # re-created under the same id (as a cell type change does)
        del ana.nb.ycells[0]
        ana.insert_cell(0, {"id": "n0", "cell_type": "markdown", "source": "# new", "metadata": {}})
    ana.click(0, 2)
    [recreated] = people_focus(room.nb.ycells, room.awareness.states, ids=ids(room.nb))
    assert (recreated.cell_id, recreated.offset) == ("n0", 2)
    assert cached < 0.05, cached
