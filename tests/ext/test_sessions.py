"""Session tracking from the HTTP exchanges (an ASGI middleware), without a server."""

from __future__ import annotations

from typing import Any

from jmcp_ext.sessions import Sessions


def scope(method: str = "POST", session: str | None = None) -> dict[str, Any]:
    headers = [(b"content-type", b"application/json")]
    if session is not None:
        headers.append((b"mcp-session-id", session.encode()))
    return {"type": "http", "method": method, "headers": headers}


def answering(status: int, session: str | None = None) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"mcp-session-id", session.encode())] if session else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    pass


async def test_a_session_begins_with_the_answer_that_names_it_and_ends_on_delete() -> None:
    sessions = Sessions()
    ended: list[str] = []
    sessions.on_end(ended.append)
    await sessions.tracking(answering(200, "s1"))(scope(), receive, send)
    assert "s1" in sessions
    sessions.get("s1").active_notebook = "a.ipynb"
    await sessions.tracking(answering(200))(scope(session="s1"), receive, send)
    assert sessions.get("s1").active_notebook == "a.ipynb"
    await sessions.tracking(answering(204))(scope("DELETE", "s1"), receive, send)
    assert "s1" not in sessions and ended == ["s1"]


async def test_a_refused_initialize_opens_no_session() -> None:
    sessions = Sessions()
    await sessions.tracking(answering(400, "s2"))(scope(), receive, send)
    assert len(sessions) == 0


async def test_a_404_for_a_session_means_the_sdk_dropped_it() -> None:
    sessions = Sessions()
    sessions.get("gone")
    await sessions.tracking(answering(404))(scope(session="gone"), receive, send)
    assert "gone" not in sessions


async def test_idle_sessions_expire_but_not_while_a_request_or_stream_is_open() -> None:
    sessions = Sessions(idle_timeout=10)
    sessions.get("busy")
    sessions.get("idle")
    sessions.begin_request("busy")  # e.g. an open GET stream
    now = sessions.get("idle").last_active + 11
    assert sessions.expire(now) == ["idle"]
    assert "busy" in sessions
    sessions.end_request("busy")
    assert sessions.expire(sessions.get("busy").last_active + 11) == ["busy"]
