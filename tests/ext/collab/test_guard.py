"""No clobbering: a replace on a cell someone else changed after the session read it is refused."""

from __future__ import annotations

import pytest

from jmcp_ext.collab.changes import ChangeTracker
from jmcp_ext.collab.guard import ReadMarks, StaleCellError, check_replace
from jmcp_ext.collab.identity import AgentOrigin
from jmcp_ext.errors import JmcpError

from .harness import Room, code, notebook

CLAUDE = AgentOrigin("s1", "Claude Code")
CURSOR = AgentOrigin("s2", "Cursor")


def setup() -> tuple[Room, ChangeTracker, ReadMarks]:
    room = Room(notebook(code("a = 1", "c0"), code("b = 2", "c1")))
    return room, ChangeTracker(room.nb, reload_lock=room.update_lock), ReadMarks()


def overwrite(room: Room, tracker: ChangeTracker, marks: ReadMarks, index: int, text: str, force: bool = False) -> None:
    """What overwrite_cell_source does with the guard in front of it."""
    ycell = room.nb.ycells[index]
    if not force:
        check_replace(tracker, marks, CLAUDE.session_id, str(ycell["id"]), str(ycell["source"]))
    with room.agent_write(CLAUDE):
        source = ycell["source"]
        source.clear()
        source += text


def test_the_reported_data_loss_is_refused_and_the_persons_text_survives() -> None:
    room, tracker, marks = setup()
    ana = room.browser("Ana")
    marks.saw_cells(["c0"])  # the agent reads cell 0
    ana.type(0, 5, "  # person edit and more")  # then the person types into it
    with pytest.raises(StaleCellError) as refused:
        overwrite(room, tracker, marks, 0, "a = 100")
    message = str(refused.value)
    assert "Refused to overwrite cell c0: Ana edited it after you last read it" in message
    assert "a = 1  # person edit and more" in message  # the current source, to work from
    assert "read_cell" in message and "force=true" in message
    assert isinstance(refused.value, JmcpError)  # reaches the model as a tool error
    assert str(room.nb.ycells[0]["source"]) == str(ana.source(0)) == "a = 1  # person edit and more"


def test_after_re_reading_the_overwrite_goes_through() -> None:
    room, tracker, marks = setup()
    ana = room.browser("Ana")
    marks.saw_cells(["c0"])
    ana.type(0, 5, "  # note")
    marks.saw_cells(["c0"])
    overwrite(room, tracker, marks, 0, "a = 100")
    assert str(ana.source(0)) == "a = 100"


def test_force_replaces_anyway() -> None:
    room, tracker, marks = setup()
    room.browser("Ana").type(0, 0, "#")
    overwrite(room, tracker, marks, 0, "a = 100", force=True)
    assert str(room.nb.ycells[0]["source"]) == "a = 100"


def test_the_sessions_own_edits_do_not_count() -> None:
    room, tracker, marks = setup()
    marks.saw_notebook()
    overwrite(room, tracker, marks, 1, "b = 3")
    overwrite(room, tracker, marks, 1, "b = 4")
    assert str(room.nb.ycells[1]["source"]) == "b = 4"


def test_another_agents_edit_counts() -> None:
    room, tracker, marks = setup()
    marks.saw_notebook()
    with room.agent_write(CURSOR):
        room.nb.ycells[1]["source"].insert(0, "# cursor\n")
    with pytest.raises(StaleCellError, match="Cursor edited it"):
        overwrite(room, tracker, marks, 1, "b = 3")


def test_a_cell_never_read_but_changed_by_someone_is_refused_until_read() -> None:
    room, tracker, marks = setup()
    room.browser("Ana").type(1, 0, "# hers\n")
    with pytest.raises(StaleCellError):
        overwrite(room, tracker, marks, 1, "b = 3")
    marks.saw_notebook()
    overwrite(room, tracker, marks, 1, "b = 3")


def test_a_run_makes_a_delete_stale_but_not_necessarily_a_source_overwrite() -> None:
    room, tracker, marks = setup()
    ana = room.browser("Ana")
    marks.saw_notebook()
    ana.run(1, "2\n")
    source = str(room.nb.ycells[1]["source"])
    check_replace(tracker, marks, "s1", "c1", source, kinds=("added", "edited"))
    with pytest.raises(StaleCellError, match="Refused to delete cell c1: Ana ran it"):
        check_replace(tracker, marks, "s1", "c1", source, action="delete")


def test_a_reload_from_disk_makes_cells_stale() -> None:
    room, tracker, marks = setup()
    marks.saw_notebook()
    room.reload(notebook(code("a = 1", "c0"), code("b = 'disk'", "c1")))
    with pytest.raises(StaleCellError, match="a reload from disk edited it"):
        check_replace(tracker, marks, "s1", "c1", "b = 'disk'")
    check_replace(tracker, marks, "s1", "c0", "a = 1")


def test_a_long_source_is_cut_in_the_message() -> None:
    room, tracker, marks = setup()
    room.browser("Ana").type(0, 0, "x" * 10_000)
    with pytest.raises(StaleCellError) as refused:
        check_replace(tracker, marks, "s1", "c0", str(room.nb.ycells[0]["source"]))
    assert len(str(refused.value)) < 5000 and "more characters" in str(refused.value)
