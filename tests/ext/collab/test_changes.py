"""Who changed which cell, and the digest of others' changes a session gets at its next call."""

from __future__ import annotations

import gc
import time
import weakref

from pycrdt import Map

from jmcp_ext.collab.changes import (
    RELOAD_AUTHOR,
    SERVER_AUTHOR,
    UNKNOWN_PERSON,
    ChangeTracker,
    first_client,
    tracker_for,
)
from jmcp_ext.collab.digest import digest_since
from jmcp_ext.collab.identity import AgentOrigin

from .harness import Room, code, notebook

CLAUDE = AgentOrigin("s1", "Claude Code")
CURSOR = AgentOrigin("s2", "Cursor")


def setup() -> tuple[Room, ChangeTracker]:
    room = Room(notebook(code("a = 1", "c0"), code("b = 2", "c1"), code("c = 3", "c2")))
    return room, ChangeTracker(room.nb, reload_lock=room.update_lock)


def kinds(tracker: ChangeTracker, since: int = 0) -> list[tuple[str, str, str]]:
    return [(c.cell_id, c.kind, c.author) for c in tracker.changes_since(since)]


def test_a_persons_typing_is_attributed_to_them_by_the_updates_client_id() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    room.browser("Bob")
    ana.type(1, 5, "00")
    assert kinds(tracker)[-1] == ("c1", "edited", "Ana")
    assert tracker.changes_since(0)[-1].session_id is None


def test_an_agents_write_is_attributed_to_its_session() -> None:
    room, tracker = setup()
    with room.agent_write(CLAUDE):
        room.nb.ycells[0]["source"].insert(0, "# hi\n")
    [change] = tracker.changes_since(0)
    assert (change.cell_id, change.kind, change.author, change.session_id) == ("c0", "edited", "Claude Code", "s1")


def test_adding_deleting_moving_and_running_cells() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    ana.insert_cell(1, code("new", "n1"))
    ana.run(2, "2\n")  # cell c1 is now at index 2
    with ana.doc.transaction():  # JupyterLab moves a cell by deleting it and inserting a copy
        moved = ana.nb.ycells[3].to_py()
        del ana.nb.ycells[3]
        ana.nb.ycells.insert(0, ana.nb.create_ycell(moved))
    del ana.nb.ycells[1]  # c0, now at index 1: a deletion-only update carries no client id
    assert kinds(tracker) == [
        ("n1", "added", "Ana"),
        ("c1", "ran", "Ana"),
        ("c2", "moved", "Ana"),
        ("c0", "removed", "Ana"),  # the only person in the room
    ]
    assert [tracker.index_of(i) for i in ("c2", "n1", "c1", "c0")] == [0, 1, 2, None]


def test_a_deletion_with_several_people_in_the_room_is_by_someone() -> None:
    room, tracker = setup()
    ana, _bob = room.browser("Ana"), room.browser("Bob")
    del ana.nb.ycells[0]
    assert kinds(tracker) == [("c0", "removed", UNKNOWN_PERSON)]


def test_a_reload_from_disk_is_not_a_persons_edit() -> None:
    room, tracker = setup()
    room.browser("Ana")
    room.reload(notebook(code("a = 1", "c0"), code("b = 'from disk'", "c1"), code("c = 3", "c2")))
    assert kinds(tracker) == [("c1", "edited", RELOAD_AUTHOR)]


def test_a_server_side_write_without_origin_is_the_server() -> None:
    room, tracker = setup()
    room.browser("Ana")
    room.nb.ycells[2]["execution_state"] = "running"
    assert kinds(tracker) == [("c2", "ran", SERVER_AUTHOR)]


def test_an_undo_managers_origin_can_be_attributed_to_a_session() -> None:
    room, tracker = setup()
    tracker.alias(424242, CLAUDE)
    with room.doc.transaction(origin=424242):
        room.nb.ycells[0]["metadata"]["tags"] = ["x"]
    assert [(c.kind, c.session_id) for c in tracker.changes_since(0)] == [("metadata", "s1")]


def test_observers_never_raise_even_on_odd_documents_and_states() -> None:
    room, tracker = setup()
    room.awareness._states[999] = ["not", "a", "dict"]  # type: ignore[assignment]
    ana = room.browser("Ana")
    room.awareness._states[ana.client_id] = {"user": None}  # a tab whose state lost its user
    ana.nb.ycells.append(Map({"cell_type": "raw"}))  # a cell without id or source
    ana.type(0, 0, "x")
    room.nb.ycells[0]["source"].insert(0, "y")  # the next transaction anywhere would re-raise an observer's error
    assert [c.kind for c in tracker.changes_since(0)] == ["added", "edited", "edited"]
    assert tracker.changes_since(0)[1].author == UNKNOWN_PERSON


def test_first_client_reads_the_header_of_an_update() -> None:
    room, _ = setup()
    ana = room.browser("Ana")
    updates: list[bytes] = []
    ana.doc.observe(lambda event: updates.append(event.update))
    ana.type(0, 0, "x")
    del ana.nb.ycells[2]
    assert first_client(updates[0]) == ana.client_id
    assert first_client(updates[1]) is None


def test_the_digest_lists_what_others_changed_since_the_sessions_last_call() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    assert digest_since(tracker, "s1") == ""  # the first call has nothing to compare with
    ana.type(1, 0, "# mine\n")
    ana.run(0, "1\n")
    with room.agent_write(CLAUDE):
        room.nb.ycells[2]["source"].insert(0, "#")  # the session's own write is not news to it
    with room.agent_write(CURSOR):
        room.nb.ycells.append(room.nb.create_ycell(code("z = 9", "n9")))
    text = digest_since(tracker, "s1")
    assert text == (
        "Changed by others since your last call: Ana edited cell c1 (index 1); Ana ran cell c0 (index 0); "
        "Cursor added cell n9 (index 3)."
    )
    assert digest_since(tracker, "s1") == ""  # said once


def test_each_session_hears_about_the_others() -> None:
    room, tracker = setup()
    digest_since(tracker, "s1"), digest_since(tracker, "s2")
    with room.agent_write(CLAUDE):
        room.nb.ycells[2]["source"].insert(0, "#")
    assert (
        digest_since(tracker, "s2") == "Changed by others since your last call: Claude Code edited cell c2 (index 2)."
    )
    assert digest_since(tracker, "s1") == ""


def test_the_digest_keeps_only_what_still_matters() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    digest_since(tracker, "s1")
    ana.insert_cell(0, code("", "tmp"))
    ana.type(0, 0, "typed into a new cell")
    del ana.nb.ycells[0]  # came and went
    ana.type(2, 0, "x")
    del ana.nb.ycells[2]  # edited, then deleted: only the deletion matters
    ana.insert_cell(0, code("", "new"))
    ana.type(0, 0, "fresh")  # typing into a cell she added is part of "added"
    assert digest_since(tracker, "s1") == (
        "Changed by others since your last call: Ana deleted cell c2; Ana added cell new (index 0)."
    )


def test_long_lists_are_cut() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    digest_since(tracker, "s1")
    for i in range(12):
        ana.insert_cell(0, code("", f"n{i:02d}"))
    assert digest_since(tracker, "s1").endswith("and 4 more.")


def test_tracking_is_cheap_and_checks_are_cheaper() -> None:
    room, tracker = setup()
    ana = room.browser("Ana")
    started = time.perf_counter()
    for i in range(300):
        ana.type(1, i, "x")
    per_keystroke = (time.perf_counter() - started) / 300  # includes syncing two documents
    started = time.perf_counter()
    for _ in range(1000):
        tracker.changed_by_others("c1", "s1", 10**9)
    per_check = (time.perf_counter() - started) / 1000
    assert per_keystroke < 0.01 and per_check < 0.001, (per_keystroke, per_check)


def test_one_tracker_per_notebook_dropped_with_it() -> None:
    room, _ = setup()
    tracker = tracker_for(room.nb, reload_lock=room.update_lock)
    assert tracker_for(room.nb) is tracker
    ref = weakref.ref(tracker)
    room.close()
    del tracker, room, _
    gc.collect()
    assert ref() is None
