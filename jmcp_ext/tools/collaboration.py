"""Agents as collaborators in JupyterLab: who is calling, where it is shown, kept visible, and gone when done.

The pure parts are in ``jmcp_ext.collab``; this is where they meet the server: the calling MCP session, the
collaboration rooms, the contents manager's checkpoints, and a task that keeps every agent's awareness entry alive
(receivers drop an entry ~30 s after its last update) and takes it away after ``presence_idle`` without calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_core.utils import ensure_async

from ..collab.agents import agents_in, all_rooms, leave_everywhere, refresh_everywhere
from ..collab.focus import current_documents, describe_focus, people_focus
from ..collab.identity import is_agent_state
from ..collab.sessions import AgentSession, AgentSessions, sessionless_key
from ..notebooks import LiveNotebook, NotebookStore
from ..sessions import Sessions

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from pycrdt import Text

log = logging.getLogger(__name__)

#: Seconds without a tool call after which an agent leaves JupyterLab's collaborators (it comes back on its next
#: call). Much shorter than the SDK's session timeout: a person should not see an agent that stopped working.
PRESENCE_IDLE_SECONDS = 90.0
#: How often entries are re-sent; receivers drop one ~30 s after its last update.
REFRESH_SECONDS = 12.0


def client_names(ctx: Context[Any, Any] | None) -> tuple[str | None, str | None]:
    """The calling client's ``clientInfo`` title and name (from ``initialize``, or the request's envelope)."""
    try:
        info = ctx.session.client_params.client_info  # type: ignore[union-attr]
    except Exception:  # no request context, or a client that did not say who it is
        return None, None
    title, name = getattr(info, "title", None), getattr(info, "name", None)
    return (title if isinstance(title, str) else None), (name if isinstance(name, str) else None)


class Collaboration:
    """Each agent session's collaborator state, its presence in the rooms, checkpoints, and what people focus on."""

    def __init__(
        self,
        notebooks: NotebookStore,
        sessions: Sessions,
        *,
        presence_idle: float = PRESENCE_IDLE_SECONDS,
        forget_sessionless: float = 1800.0,
    ) -> None:
        self._notebooks = notebooks
        self.agents = AgentSessions()
        self.presence_idle = presence_idle
        self.forget_sessionless = forget_sessionless
        self.refresh_seconds = max(0.5, min(REFRESH_SECONDS, presence_idle / 4))
        self._task: asyncio.Task[None] | None = None
        sessions.on_end(self.session_ended)

    # --- who is calling ----------------------------------------------------------------------------

    def agent(self, ctx: Context[Any, Any] | None, session_key: str | None) -> AgentSession:
        """The calling session as a collaborator, marked as active now."""
        title, name = client_names(ctx)
        key = session_key if session_key is not None else sessionless_key(title, name)
        return self.agents.touch(key, title, name)

    def session_ended(self, key: str) -> None:
        """Leave every room at once and forget the session (a ``Sessions.on_end`` callback: never raises)."""
        try:
            leave_everywhere(key)
            self.agents.end(key)
        except Exception:
            log.exception("jmcp could not release the collaborator state of an ended session")

    # --- presence ----------------------------------------------------------------------------------

    def show(self, agent: AgentSession, path: str, cursor: tuple[Text, int] | None = None) -> None:
        """Show the agent working on ``path``: in the collaborators list, and in the notebook (at ``cursor``)."""
        if not self._notebooks.rtc_available:
            return
        previous = agent.current
        agent.working_on(path)
        try:
            if previous is not None and previous != path:
                self._leave_notebook(agent, previous)
            self._show_global(agent)
            room = self._notebooks.rooms.live_room(path)
            if room is not None:
                presence = agents_in(room).presence(agent.key, agent.who)
                if cursor is not None:
                    presence.show(*cursor)
                elif presence.state is None:
                    presence.show_without_cursor()
        except Exception:  # presence is cosmetic: never fail a tool for it
            log.exception("jmcp could not show an agent in JupyterLab")
        agent.present = True
        self._keep_alive()

    def hide_cursor(self, agent: AgentSession, path: str) -> None:
        """Stay in the notebook's room without a cursor (the cell it was on is gone)."""
        room = self._notebooks.rooms.live_room(path) if self._notebooks.rtc_available else None
        found = agents_in(room).get(agent.key) if room is not None else None
        if found is not None:
            found.show_without_cursor()

    def _show_global(self, agent: AgentSession) -> None:
        room = self._notebooks.rooms.global_awareness_room()
        if room is None:
            return  # no browser has connected yet; the next refresh shows the agent once one has
        presence = agents_in(room).presence(agent.key, agent.who)
        state = presence.state or {}
        if state.get("current") != f"notebook:{agent.current}" or state.get("documents") != agent.documents:
            presence.show_global(agent.current, agent.documents)

    def _leave_notebook(self, agent: AgentSession, path: str) -> None:
        room = self._notebooks.rooms.live_room(path)
        if room is not None:
            agents_in(room).leave(agent.key)

    def leave(self, agent: AgentSession) -> None:
        """Take the agent out of JupyterLab now (it comes back on its next call)."""
        leave_everywhere(agent.key)
        agent.present = False
        agent.current = None

    def tick(self, now: float | None = None) -> None:
        """Retire idle agents, forget idle sessionless identities, and re-send everyone else's entries."""
        now = time.monotonic() if now is None else now
        for agent in self.agents.idle(self.presence_idle, now):
            self.leave(agent)
        for key in self.agents.stale_sessionless(self.forget_sessionless, now):
            self.session_ended(key)
        for agent in self.agents:
            if agent.present and agent.current is not None:
                self._show_global(agent)  # a browser may have connected since
        refresh_everywhere(nudge=True)

    def _keep_alive(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                self.tick()
            except Exception:
                log.exception("jmcp could not refresh the agents' presence")

    async def close(self) -> None:
        """Stop refreshing and take every agent out of every room (the server stops)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for room in all_rooms():
            room.close()

    # --- checkpoints -------------------------------------------------------------------------------

    async def checkpoint_before_first_change(self, agent: AgentSession, path: str) -> bool:
        """Make a Jupyter checkpoint before the session's first change to ``path``; True if one was made now."""
        if path in agent.changed:
            return False
        agent.changed.add(path)
        try:
            if self._notebooks.rtc_available:
                await self._notebooks.rooms.flush(path)  # a checkpoint copies the file, not the room
            await ensure_async(self._notebooks.contents_manager.create_checkpoint(path))
        except Exception:
            log.warning("jmcp could not make a checkpoint of %s before changing it", path, exc_info=True)
            return False
        return True

    # --- the people ----------------------------------------------------------------------------------

    def people_in_open(self, path: str) -> str:
        """``people`` for a notebook whose room is open (none is opened for this)."""
        if not self._notebooks.rtc_available:
            return ""
        room = self._notebooks.rooms.live_room(path)
        document = getattr(room, "_document", None)
        return self.people(LiveNotebook(path, document)) if document is not None else ""

    def people(self, notebook: LiveNotebook) -> str:
        """Who is in the notebook and which cell each person has selected or is editing; empty if nobody."""
        room = self._notebooks.rooms.live_room(notebook.path)
        if room is None:
            return ""
        states: Mapping[int, Any] = room.awareness.states
        global_room = self._notebooks.rooms.global_awareness_room()
        current = current_documents(global_room.awareness.states) if global_room is not None else None
        focus = people_focus(notebook.ynotebook.ycells, states, path=notebook.path, current=current, ids=notebook.ids())
        parts = [describe_focus(focus)] if focus else []
        placed = {f.client_id for f in focus}
        elsewhere = sorted(
            {_name(s) for c, s in states.items() if c not in placed and _is_person(s)} - {f.display_name for f in focus}
        )
        if elsewhere:
            parts.append(
                f"{', '.join(elsewhere)} {'has' if len(elsewhere) == 1 else 'have'} it open (no cell selected)"
            )
        return "; ".join(parts)


def _is_person(state: Any) -> bool:
    return isinstance(state, dict) and isinstance(state.get("user"), dict) and not is_agent_state(state)


def _name(state: dict[str, Any]) -> str:
    user = state["user"]
    return str(user.get("display_name") or user.get("name") or user.get("username") or "someone")
