"""An agent's awareness entries, decoded by pycrdt's own Awareness as a room and a browser decode them."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from pycrdt import Assoc, Awareness, Doc, StickyIndex, Text

from jmcp_ext.collab.identity import make_collaborator
from jmcp_ext.collab.presence import NUDGE_FIELD, Presence, encode_update, new_client_id

from .harness import Room, code, notebook

WHO = make_collaborator("Claude Code", "claude-code", "session-1")


def decoded(update: bytes) -> Awareness:
    fresh = Awareness(Doc())
    fresh.apply_awareness_update(update, "test")
    return fresh


def events_of(awareness: Awareness) -> list[tuple[str, dict[str, Any], Any]]:
    seen: list[tuple[str, dict[str, Any], Any]] = []
    awareness.observe(lambda topic, changes: seen.append((topic, changes[0], changes[1])))
    return seen


def test_a_hand_encoded_update_decodes_to_the_states_and_clocks() -> None:
    state = {"user": WHO.user_state(), "current": "notebook:a.ipynb", "documents": ["a.ipynb"]}
    other = new_client_id()
    awareness = decoded(encode_update([(12345678901, 3, state), (other, 1, {"user": {"name": "x"}})]))
    assert awareness.states[12345678901] == state
    assert awareness.meta[12345678901]["clock"] == 3
    assert awareness.states[other] == {"user": {"name": "x"}}


def test_clock_zero_is_ignored_which_is_why_clocks_start_at_one() -> None:
    assert 77 not in decoded(encode_update([(77, 0, {"user": {"name": "x"}})])).states
    room = Awareness(Doc())
    presence = Presence(room, WHO)
    presence.show_global("a.ipynb")
    assert presence.clock == 1 and room.states[presence.client_id]["user"]["display_name"] == "Claude Code"


def test_invented_ids_are_outside_the_range_browsers_use() -> None:
    for _ in range(100):
        client = new_client_id()
        assert 2**32 <= client < 2**53


def test_the_global_state_has_the_shape_the_collaboration_panel_reads() -> None:
    room = Awareness(Doc())
    presence = Presence(room, WHO)
    presence.show_global("work/a.ipynb", ["b.ipynb"])
    state = room.states[presence.client_id]
    assert state["current"] == "notebook:work/a.ipynb"
    assert state["documents"] == ["work/a.ipynb", "b.ipynb"]
    assert set(state["user"]) == {"username", "name", "display_name", "initials", "color", "avatar_url"}


def test_every_send_moves_the_clock_forward_and_is_broadcast_as_local() -> None:
    room = Awareness(Doc())
    seen = events_of(room)
    presence = Presence(room, WHO)
    presence.show_global("a.ipynb")
    presence.refresh()
    presence.refresh(nudge=False)
    assert presence.clock == 3 and room.meta[presence.client_id]["clock"] == 3
    assert {origin for _, _, origin in seen} == {"local"}  # what makes a YRoom broadcast it


def test_the_clock_follows_the_room_when_the_room_is_ahead() -> None:
    room = Awareness(Doc())
    presence = Presence(room, WHO)
    presence.show_global("a.ipynb")
    room.apply_awareness_update(encode_update([(presence.client_id, 9, presence.state)]), "browser echo")
    presence.refresh()
    assert presence.clock == 10 and room.meta[presence.client_id]["clock"] == 10


def test_a_nudged_refresh_is_a_change_and_a_plain_one_only_an_update() -> None:
    room = Awareness(Doc())
    presence = Presence(room, WHO)
    presence.show_global("a.ipynb")
    seen = events_of(room)
    presence.refresh(nudge=False)
    assert [topic for topic, _, _ in seen] == ["update"]
    seen.clear()
    presence.refresh()  # the name label next to the cursor shows again only on a change
    assert [topic for topic, _, _ in seen] == ["change", "update"]
    assert room.states[presence.client_id][NUDGE_FIELD] >= 1


def test_leave_removes_the_entry_at_once() -> None:
    room = Awareness(Doc())
    presence = Presence(room, WHO)
    presence.show_global("a.ipynb")
    seen = events_of(room)
    presence.leave()
    assert presence.client_id not in room.states
    assert ("change", {"added": [], "updated": [], "removed": [presence.client_id]}, "local") in seen
    seen.clear()
    presence.leave()  # already gone: nothing more is sent
    assert seen == []
    presence.show_global("a.ipynb")  # and it can come back
    assert room.states[presence.client_id]["current"] == "notebook:a.ipynb"


def test_the_cursor_has_all_four_keys_and_points_where_the_browser_sees_it() -> None:
    room = Room(notebook(code("x = 1\ny = 2", "c1"), code("é😀z", "c2")))
    browser = room.browser("Ana")
    presence = Presence(room.awareness, WHO)
    presence.show(room.nb.ycells[1]["source"], 2)  # before "z": code point 2, UTF-16 unit 3
    [entry] = room.awareness.states[presence.client_id]["cursors"]
    assert entry["primary"] is True and entry["empty"] is True
    for key in ("anchor", "head"):
        assert set(entry[key]) == {"type", "tname", "item", "assoc"}
        assert entry[key]["tname"] is None and entry[key]["assoc"] == 0
    browser_text = browser.source(1)
    assert entry["head"]["type"] == StickyIndex.new(browser_text, 0, Assoc.BEFORE).to_json()["type"]
    assert StickyIndex.from_json(entry["head"], browser_text).get_index() == 3


def test_the_cursor_at_the_end_of_a_cell_has_no_item() -> None:
    room = Room(notebook(code("abc", "c1"), code("", "c2")))
    presence = Presence(room.awareness, WHO)
    presence.show(room.nb.ycells[0]["source"], 3)
    assert room.awareness.states[presence.client_id]["cursors"][0]["head"]["item"] is None
    presence.show(room.nb.ycells[1]["source"], 0)  # an empty cell: the end is the start
    assert room.awareness.states[presence.client_id]["cursors"][0]["head"]["item"] is None


def test_a_selection_is_not_empty() -> None:
    room = Room(notebook(code("hello world", "c1")))
    presence = Presence(room.awareness, WHO)
    presence.show(room.nb.ycells[0]["source"], 11, anchor=6)
    [entry] = room.awareness.states[presence.client_id]["cursors"]
    assert entry["empty"] is False and entry["anchor"] != entry["head"]


def test_a_root_text_cannot_hold_a_cursor() -> None:
    doc: Doc = Doc()
    text = doc.get("t", type=Text)
    text += "abc"
    presence = Presence(Awareness(doc), WHO)
    with pytest.raises(ValueError, match="nested text"):
        presence.show(text, 1)


def test_a_presence_goes_quiet_when_its_room_is_gone() -> None:
    room = Awareness(Doc())
    presence = Presence(room, WHO)
    presence.show_global("a.ipynb")
    del room
    gc.collect()
    assert presence.awareness is None
    presence.refresh()
    presence.leave()


def test_in_a_notebook_room_the_agent_follows_the_peoples_autosave() -> None:
    room = Room(notebook(code("x", "c1")))
    presence = Presence(room.awareness, WHO)
    presence.show(room.nb.ycells[0]["source"], 0)
    assert "autosave" not in room.awareness.states[presence.client_id]  # nobody said: the room's default (on)
    ana = room.browser("Ana")
    ana.awareness.set_local_state_field("autosave", False)  # she switched autosave off
    ana.announce()
    presence.refresh()
    assert room.awareness.states[presence.client_id]["autosave"] is False
    global_presence = Presence(Awareness(Doc()), WHO)
    global_presence.show_global("a.ipynb")
    assert global_presence.state is not None and "autosave" not in global_presence.state
