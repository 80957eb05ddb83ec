"""Per-session undo: one tool call is one step, only the session's own changes, and the gotchas of pycrdt's undo."""

from __future__ import annotations

import gc
import weakref

import pytest

from jmcp_ext.collab.changes import ChangeTracker
from jmcp_ext.collab.digest import digest_since
from jmcp_ext.collab.identity import AgentOrigin
from jmcp_ext.collab.undo import SessionUndo, existing_undo, session_undo
from jmcp_ext.errors import JmcpError

from .harness import Room, code, ids, notebook, sources

CLAUDE = AgentOrigin("s1", "Claude Code")
CURSOR = AgentOrigin("s2", "Cursor")


class Agent:
    """One MCP session writing to the room the way LiveNotebook does, with a step per tool call."""

    def __init__(self, room: Room, tracker: ChangeTracker, origin: AgentOrigin) -> None:
        self.room = room
        self.origin = origin
        self.undo = session_undo(room.nb, origin, tracker)

    def call(self) -> None:
        self.undo.next_step()

    def insert(self, index: int, cell_id: str, source: str) -> None:
        with self.room.agent_write(self.origin):
            self.room.nb.ycells.insert(index, self.room.nb.create_ycell(code(source, cell_id)))

    def type(self, index: int, at: int, text: str) -> None:
        with self.room.agent_write(self.origin):
            self.room.nb.ycells[index]["source"].insert(at, text)

    def overwrite(self, index: int, text: str) -> None:
        with self.room.agent_write(self.origin):
            source = self.room.nb.ycells[index]["source"]
            source.clear()
            source += text

    def delete(self, index: int) -> None:
        with self.room.agent_write(self.origin):
            del self.room.nb.ycells[index]


def setup() -> tuple[Room, ChangeTracker]:
    room = Room(notebook(code("a = 1", "c0"), code("b = 2", "c1")))
    return room, ChangeTracker(room.nb, reload_lock=room.update_lock)


def test_one_tool_call_is_one_step() -> None:
    room, tracker = setup()
    claude = Agent(room, tracker, CLAUDE)
    claude.call()
    claude.insert(2, "n1", "c = 3")
    claude.call()
    claude.type(0, 5, "0")  # two writes in one call...
    claude.insert(3, "n2", "d = 4")
    claude.call()
    result = claude.undo.undo()  # ...taken back together
    assert sources(room.nb) == ["a = 1", "b = 2", "c = 3"]
    assert result.done and result.remaining == 1
    assert result.describe("Undid", tracker.index_of) == (
        "Undid one step: removed cell n2; restored the source of cell c0 (index 0). 1 more step(s) can be taken back."
    )
    claude.call()
    claude.undo.undo()
    assert ids(room.nb) == ["c0", "c1"]
    claude.call()
    nothing = claude.undo.undo()
    assert not nothing.done and "Nothing to undo" in nothing.describe("Undid", tracker.index_of)


def test_undo_keeps_what_the_person_typed_in_the_same_cell() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    claude = Agent(room, tracker, CLAUDE)
    claude.call()
    claude.type(1, 5, "  # agent")
    ana.type(1, 0, "# person\n")
    claude.call()
    claude.undo.undo()
    assert str(room.nb.ycells[1]["source"]) == str(ana.source(1)) == "# person\nb = 2"


def test_overlapping_edits_interleave_and_undo_takes_back_only_the_agents_part() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    claude = Agent(room, tracker, CLAUDE)
    ana.connected = False  # concurrent: neither has seen the other's edit yet
    ana.type(0, 5, " + x")
    claude.call()
    claude.overwrite(0, "a = 100")
    ana.connected = True
    ana.receive(room.doc.get_update())
    room.receive(ana.doc.get_update(), ana)
    merged = str(room.nb.ycells[0]["source"])
    assert " + x" in merged and "a = 100" in merged and merged == str(ana.source(0))
    claude.call()
    claude.undo.undo()
    assert str(room.nb.ycells[0]["source"]) == str(ana.source(0)) == "a = 1 + x"


def test_two_sessions_undo_independently() -> None:
    room, tracker = setup()
    claude, cursor = Agent(room, tracker, CLAUDE), Agent(room, tracker, CURSOR)
    claude.call()
    claude.type(0, 0, "# claude\n")
    cursor.call()
    cursor.type(1, 0, "# cursor\n")
    claude.call()
    claude.type(0, 0, "#2 ")
    cursor.call()
    cursor.undo.undo()
    assert sources(room.nb) == ["#2 # claude\na = 1", "b = 2"]
    claude.call()
    claude.undo.undo()
    assert sources(room.nb) == ["# claude\na = 1", "b = 2"]


def test_redo_reapplies_and_a_new_change_clears_it() -> None:
    room, tracker = setup()
    claude = Agent(room, tracker, CLAUDE)
    claude.call()
    claude.insert(0, "n1", "first")
    claude.call()
    claude.undo.undo()
    claude.call()
    redone = claude.undo.redo()
    assert redone.done and ids(room.nb) == ["n1", "c0", "c1"]
    claude.call()
    claude.undo.undo()
    claude.call()
    claude.type(0, 0, "#")
    claude.call()
    assert not claude.undo.redo().done
    assert sources(room.nb) == ["#a = 1", "b = 2"]


def test_undoing_an_added_cell_someone_typed_into_is_refused_unless_forced() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    claude = Agent(room, tracker, CLAUDE)
    claude.call()
    claude.insert(1, "n1", "x = 1")
    ana.type(1, 5, "  # Ana's note")
    claude.call()
    with pytest.raises(JmcpError, match=r"n1 \(Ana\)"):
        claude.undo.undo()
    assert ids(room.nb) == ["c0", "n1", "c1"]
    claude.undo.undo(force=True)  # the CRDT's undo deletes the cell with the person's text in it
    assert ids(room.nb) == ids(ana.nb) == ["c0", "c1"]


def test_redoing_a_delete_of_a_cell_someone_typed_into_since_is_refused_unless_forced() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    claude = Agent(room, tracker, CLAUDE)
    claude.call()
    claude.delete(1)
    claude.call()
    claude.undo.undo()  # c1 is back, and Ana goes on with it
    ana.type(1, 5, "  # Ana's note")
    claude.call()
    with pytest.raises(JmcpError, match=r"c1 \(Ana\).*force=true"):
        claude.undo.redo()
    assert sources(room.nb) == ["a = 1", "b = 2  # Ana's note"]
    claude.undo.redo(force=True)
    assert ids(room.nb) == ids(ana.nb) == ["c0"]


def test_redoing_a_delete_nobody_touched_since_needs_no_force() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    claude = Agent(room, tracker, CLAUDE)
    ana.type(1, 5, "  # typed before the delete")  # before the undo: the agent's redo is what it decided
    claude.call()
    claude.delete(1)
    claude.call()
    claude.undo.undo()
    claude.call()
    assert claude.undo.redo().done
    assert ids(room.nb) == ["c0"]


def test_the_stacks_are_dropped_when_the_room_reloads_from_disk() -> None:
    room, tracker = setup()
    claude = Agent(room, tracker, CLAUDE)
    claude.call()
    claude.type(0, 0, "# agent\n")
    room.reload(notebook(code("a = 'disk'", "c0"), code("b = 2", "c1")))
    claude.call()
    assert not claude.undo.can_undo()
    assert not claude.undo.undo().done
    assert sources(room.nb) == ["a = 'disk'", "b = 2"]
    claude.type(1, 0, "#")  # and it works again afterwards
    claude.call()
    claude.undo.undo()
    assert sources(room.nb) == ["a = 'disk'", "b = 2"]


def test_an_undo_is_reported_as_the_sessions_change_to_the_others() -> None:
    room, tracker = setup()
    claude = Agent(room, tracker, CLAUDE)
    digest_since(tracker, "s2")
    claude.call()
    claude.insert(2, "n1", "z")
    claude.call()
    result = claude.undo.undo()  # its transactions carry the manager's origin, read inside observers
    assert [(c.cell_id, c.kind, c.session_id) for c in result.changes] == [("n1", "removed", "s1")]
    assert digest_since(tracker, "s2") == ""  # added and removed again: nothing left to tell
    assert digest_since(tracker, "s1") == ""


def test_outputs_written_with_the_run_origin_are_not_undone() -> None:
    room, tracker = setup()
    claude = Agent(room, tracker, CLAUDE)
    claude.call()
    claude.type(0, 0, "#")
    with room.agent_write(CLAUDE.running()):
        room.nb.ycells[0]["execution_count"] = 7
    claude.call()
    claude.undo.undo()
    assert str(room.nb.ycells[0]["source"]) == "a = 1" and room.nb.ycells[0]["execution_count"] == 7


def test_one_history_per_session_per_notebook_dropped_with_the_notebook() -> None:
    room, tracker = setup()
    history = session_undo(room.nb, CLAUDE, tracker)
    assert session_undo(room.nb, CLAUDE, tracker) is history
    assert existing_undo(room.nb, "s1") is history and existing_undo(room.nb, "s2") is None
    ref: weakref.ref[SessionUndo] = weakref.ref(history)
    room.close()
    del history, room, tracker
    gc.collect()
    assert ref() is None
