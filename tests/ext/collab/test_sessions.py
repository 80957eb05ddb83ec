"""Agent sessions as collaborators: one identity per session, shared by sessionless callers of one client, idle and
ended sessions, and the notebooks each works on."""

from __future__ import annotations

from jmcp_ext.collab import changes, undo
from jmcp_ext.collab.sessions import MAX_DOCUMENTS, AgentSessions, sessionless_key
from tests.ext.collab.harness import Room, code, notebook


def test_a_session_keeps_its_identity_and_origin_across_calls() -> None:
    agents = AgentSessions()
    first = agents.touch("s1", "Claude Code", "claude-code")
    again = agents.touch("s1", "ignored", "ignored")
    assert again is first and first.calls == 2
    assert first.who.display_name == "Claude Code"
    assert first.origin.session_id == "s1" and first.origin.display_name == "Claude Code"
    assert agents.touch("s2", "Claude Code", None).who.display_name == "Claude Code (2)"


def test_an_ended_session_frees_its_name_and_forgets_its_state() -> None:
    agents = AgentSessions()
    agents.touch("s1", "Cursor", None)
    second = agents.touch("s2", "Cursor", None)
    assert second.who.display_name == "Cursor (2)"
    room = Room(notebook(code("x = 1")))
    tracker = changes.tracker_for(room.nb)
    tracker.mark("s2")
    history = undo.session_undo(room.nb, second.origin, tracker)
    history.next_step()
    with room.agent_write(second.origin):
        room.nb.ycells[0]["source"] += "0"
    assert history.can_undo()

    assert agents.end("s2") is second
    assert agents.get("s2") is None and len(agents) == 1
    assert undo.existing_undo(room.nb, "s2") is None
    assert tracker.mark("s2") is None  # its digest mark is gone: its next call starts afresh
    assert agents.touch("s3", "Cursor", None).who.display_name == "Cursor (2)"
    room.close()


def test_sessionless_callers_of_one_client_share_a_key() -> None:
    assert sessionless_key("Batch Bot", "batch") == sessionless_key("Batch Bot", "other") == "sessionless:batch-bot"
    assert sessionless_key(None, "codex-cli") == "sessionless:codex-cli"
    assert sessionless_key(None, None) == "sessionless:mcp-client"
    agents = AgentSessions()
    bot = agents.touch(sessionless_key("Batch Bot", None), "Batch Bot", None)
    person_session = agents.touch("s1", "Batch Bot", None)
    assert bot.sessionless and not person_session.sessionless


def test_idle_sessions_are_those_shown_without_a_recent_call() -> None:
    agents = AgentSessions()
    quiet = agents.touch("quiet", "A", None)
    busy = agents.touch("busy", "B", None)
    hidden = agents.touch("hidden", "C", None)
    quiet.present = busy.present = True
    now = quiet.last_call + 100
    busy.last_call = now - 1
    assert agents.idle(60, now) == [quiet]
    assert hidden not in agents.idle(60, now)  # not shown: nothing to retire


def test_a_session_in_a_long_call_is_not_idle() -> None:
    agents = AgentSessions()
    running = agents.touch("s1", "A", None)
    running.present = True
    with agents.calling(running):
        assert agents.idle(60, running.last_call + 600) == []  # e.g. a cell that runs for ten minutes
        started = running.last_call
    assert running.busy == 0 and running.last_call > started  # the end of the call counts as activity
    assert agents.idle(60, running.last_call + 61) == [running]


def test_sessionless_identities_are_forgotten_after_a_long_silence() -> None:
    agents = AgentSessions()
    bot = agents.touch(sessionless_key("Bot", None), "Bot", None)
    agents.touch("s1", "Agent", None)
    assert agents.stale_sessionless(1800, bot.last_call + 10) == []
    assert agents.stale_sessionless(1800, bot.last_call + 1801) == [bot.key]  # sessions end by themselves


def test_the_notebooks_a_session_works_on_latest_first() -> None:
    agent = AgentSessions().touch("s1", "A", None)
    for name in ("a", "b", "a", *[f"n{i}" for i in range(MAX_DOCUMENTS)]):
        agent.working_on(f"{name}.ipynb")
    assert agent.current == f"n{MAX_DOCUMENTS - 1}.ipynb"
    assert len(agent.documents) == MAX_DOCUMENTS and agent.documents[0] == agent.current
    assert agent.read_marks("x.ipynb") is agent.read_marks("x.ipynb")
    assert agent.read_marks("x.ipynb") is not agent.read_marks("y.ipynb")
