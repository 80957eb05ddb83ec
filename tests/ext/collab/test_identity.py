"""An agent's collaborator identity from its MCP clientInfo."""

from __future__ import annotations

import re

from jmcp_ext.collab.identity import AgentOrigin, IdentityPool, is_agent_state, make_collaborator


def test_the_title_names_the_agent_else_the_client_name() -> None:
    assert make_collaborator("Claude Code", "claude-code", "s1").display_name == "Claude Code"
    assert make_collaborator(None, "cursor-vscode", "s1").display_name == "cursor-vscode"
    assert make_collaborator("  ", "", "s1").display_name == "MCP client"


def test_initials_come_from_the_first_two_words() -> None:
    assert make_collaborator("Claude Code", None, "s").initials == "CC"
    assert make_collaborator(None, "cursor-vscode", "s").initials == "CV"
    assert make_collaborator(None, "codex", "s").initials == "Co"


def test_colour_is_a_hex_colour_stable_per_session() -> None:
    first = make_collaborator("Claude Code", None, "session-a")
    assert re.fullmatch(r"#[0-9a-f]{6}", first.color)
    assert make_collaborator("Claude Code", None, "session-a").color == first.color
    colours = {make_collaborator("Claude Code", None, f"session-{i}").color for i in range(40)}
    assert len(colours) > 3


def test_two_sessions_of_one_client_are_two_collaborators() -> None:
    pool = IdentityPool()
    one = pool.identity("s1", "Claude Code", "claude-code")
    two = pool.identity("s2", "Claude Code", "claude-code")
    assert one.username != two.username
    assert (one.display_name, two.display_name) == ("Claude Code", "Claude Code (2)")
    assert two.initials == "CC2"
    assert pool.identity("s1", "Claude Code", None) is one  # stable for the session


def test_a_released_ordinal_goes_to_the_next_session() -> None:
    pool = IdentityPool()
    pool.identity("s1", "Cursor", None)
    pool.identity("s2", "Cursor", None)
    pool.release("s1")
    assert pool.identity("s3", "Cursor", None).display_name == "Cursor"
    assert pool.identity("s4", "Cursor", None).display_name == "Cursor (3)"


def test_client_names_are_cleaned_before_they_are_shown() -> None:
    who = make_collaborator("Evil\x1b[31m\nName" + "x" * 100, None, "s")
    assert "\x1b" not in who.display_name and "\n" not in who.display_name
    assert len(who.display_name) <= 40


def test_agent_states_are_told_from_people() -> None:
    who = make_collaborator("Claude Code", None, "s")
    assert is_agent_state({"user": who.user_state()})
    assert not is_agent_state({"user": {"username": "alice", "name": "Alice"}})
    assert not is_agent_state(None)
    assert who.user_state()["name"]  # jupyter_server_ydoc reads user.name of every global state


def test_origins_compare_by_value_and_the_run_origin_differs() -> None:
    origin = AgentOrigin("s1", "Claude Code")
    assert origin == AgentOrigin("s1", "Claude Code") and hash(origin) == hash(AgentOrigin("s1", "Claude Code"))
    assert origin.running() != origin and origin.running().session_id == "s1"
    pool = IdentityPool()
    pool.identity("s1", "Claude Code", None)
    assert pool.origin("s1") == origin
    assert pool.origin("unknown") is None
