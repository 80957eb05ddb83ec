"""What jmcp remembers of each agent as a collaborator: who it is, what it read, where it is, when it last called.

One ``AgentSession`` per MCP session; a request without a session (2026-07-28 era) belongs to one shared session
per client name (``sessionless:<name>``), since nothing else tells such callers apart or says when they are done.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import changes, undo
from .guard import ReadMarks
from .identity import AgentOrigin, Collaborator, IdentityPool, base_name

#: Key prefix of the shared identity of sessionless callers with one client name.
SESSIONLESS_PREFIX = "sessionless:"

#: Notebooks listed in an agent's ``documents`` (the Collaboration panel's expandable list).
MAX_DOCUMENTS = 5


def sessionless_key(client_title: str | None, client_name: str | None) -> str:
    """The key shared by every sessionless request of one client (by its name)."""
    slug = re.sub(r"[^a-z0-9]+", "-", base_name(client_title, client_name).lower()).strip("-") or "client"
    return SESSIONLESS_PREFIX + slug


@dataclass
class AgentSession:
    """One agent session as a collaborator."""

    key: str
    who: Collaborator
    origin: AgentOrigin
    last_call: float = field(default_factory=time.monotonic)
    calls: int = 0
    #: Tool calls under way (a long run is not idleness).
    busy: int = 0
    #: The notebook it works on now, and the ones it worked on (latest first).
    current: str | None = None
    documents: list[str] = field(default_factory=list)
    #: Whether it is shown in JupyterLab (false after ``presence_idle`` without calls, until the next one).
    present: bool = False
    marks: dict[str, ReadMarks] = field(default_factory=dict)
    #: Notebooks it has changed (a checkpoint was made before the first change to each).
    changed: set[str] = field(default_factory=set)

    @property
    def sessionless(self) -> bool:
        return self.key.startswith(SESSIONLESS_PREFIX)

    def read_marks(self, path: str) -> ReadMarks:
        """What this session has read of a notebook."""
        found = self.marks.get(path)
        if found is None:
            found = self.marks[path] = ReadMarks()
        return found

    def working_on(self, path: str) -> None:
        """Note that the session now works on ``path``."""
        self.current = path
        if path in self.documents:
            self.documents.remove(path)
        self.documents.insert(0, path)
        del self.documents[MAX_DOCUMENTS:]


class AgentSessions:
    """The agent sessions of this server, created on their first tool call on a notebook."""

    def __init__(self) -> None:
        self._pool = IdentityPool()
        self._sessions: dict[str, AgentSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[AgentSession]:
        return iter(list(self._sessions.values()))

    def touch(self, key: str, client_title: str | None, client_name: str | None) -> AgentSession:
        """The session with ``key`` (created on first use), marked as calling now."""
        found = self._sessions.get(key)
        if found is None:
            who = self._pool.identity(key, client_title, client_name)
            found = self._sessions[key] = AgentSession(key, who, AgentOrigin(key, who.display_name))
        found.last_call = time.monotonic()
        found.calls += 1
        return found

    def get(self, key: str) -> AgentSession | None:
        return self._sessions.get(key)

    @contextlib.contextmanager
    def calling(self, agent: AgentSession) -> Iterator[None]:
        """Count a tool call as under way; its end counts as the session's latest activity."""
        agent.busy += 1
        try:
            yield
        finally:
            agent.busy -= 1
            agent.last_call = time.monotonic()

    def idle(self, seconds: float, now: float | None = None) -> list[AgentSession]:
        """Present sessions without a call for ``seconds``."""
        now = time.monotonic() if now is None else now
        return [s for s in self._sessions.values() if s.present and not s.busy and now - s.last_call > seconds]

    def stale_sessionless(self, seconds: float, now: float | None = None) -> list[str]:
        """Keys of sessionless identities without a call for ``seconds`` (they never end otherwise)."""
        now = time.monotonic() if now is None else now
        return [s.key for s in self._sessions.values() if s.sessionless and now - s.last_call > seconds]

    def end(self, key: str) -> AgentSession | None:
        """Forget a session: its digest marks, undo histories and identity go with it."""
        found = self._sessions.pop(key, None)
        changes.forget_session(key)
        undo.drop_session(key)
        self._pool.release(key)
        return found
