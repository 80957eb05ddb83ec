"""Who an agent session is to the people in JupyterLab: its collaborator identity and its transaction origins."""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

#: Every agent's username starts with this, so an agent's awareness entry can be told from a person's.
AGENT_USERNAME_PREFIX = "jmcp-agent-"

# Colours that read well on JupyterLab's light and dark themes. Hex rather than
# var(--jp-collaborator-colorN): cursor code appends an alpha suffix to make selection backgrounds.
_PALETTE = ("#d9480f", "#0b7285", "#5f3dc4", "#2b8a3e", "#c2255c", "#1864ab", "#e67700", "#087f5b")

_NAME_LIMIT = 40


@dataclass(frozen=True)
class Collaborator:
    """How one agent session appears in JupyterLab's collaborators list and next to its cursor."""

    display_name: str
    name: str
    username: str
    initials: str
    color: str

    def user_state(self) -> dict[str, Any]:
        """The ``user`` field of an awareness state (``name`` is required by jupyter_server_ydoc)."""
        return {
            "username": self.username,
            "name": self.name,
            "display_name": self.display_name,
            "initials": self.initials,
            "color": self.color,
            "avatar_url": None,
        }


@dataclass(frozen=True)
class AgentOrigin:
    """The transaction origin of one session's writes: hashable, compared by value, and self-describing.

    ``role="edit"`` is for content changes (what undo reverts); ``role="run"`` is for outputs written while
    executing, which undo leaves alone (reverting outputs would not revert the kernel).
    """

    session_id: str
    display_name: str
    role: Literal["edit", "run"] = "edit"

    def running(self) -> AgentOrigin:
        """The origin for this session's execution writes (outputs, counts, running state)."""
        return AgentOrigin(self.session_id, self.display_name, "run")


def clean_name(text: str | None) -> str:
    """A client-supplied name made safe to show: no control characters, single spaces, bounded length."""
    if not text:
        return ""
    kept = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in text)
    kept = " ".join(kept.split())
    return kept[:_NAME_LIMIT].strip()


def base_name(client_title: str | None, client_name: str | None) -> str:
    """The name an MCP client goes by: its ``clientInfo`` title, else its name, else a generic one."""
    return clean_name(client_title) or clean_name(client_name) or "MCP client"


def initials_of(name: str) -> str:
    """Two letters for the collaborator badge: first letters of the first two words, else of one word."""
    words = [w for w in re.split(r"[\s\-_.:/]+", name) if w and w[0].isalnum()]
    if not words:
        return "AI"
    if len(words) == 1:
        word = words[0]
        return (word[0].upper() + word[1:2].lower()) if len(word) > 1 else word.upper()
    return (words[0][0] + words[1][0]).upper()


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:24] or "client"


def make_collaborator(
    client_title: str | None, client_name: str | None, session_id: str, ordinal: int = 1
) -> Collaborator:
    """The identity of one session; ``ordinal`` > 1 tells apart concurrent sessions of the same client."""
    base = base_name(client_title, client_name)
    display = base if ordinal <= 1 else f"{base} ({ordinal})"
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    initials = initials_of(base) + (str(ordinal) if 1 < ordinal < 10 else "")
    return Collaborator(
        display_name=display,
        name=display,
        username=f"{AGENT_USERNAME_PREFIX}{_slug(base)}-{digest[:8]}",
        initials=initials,
        color=_PALETTE[int(digest[8:16], 16) % len(_PALETTE)],
    )


def is_agent_state(state: Any) -> bool:
    """Whether an awareness state belongs to a jmcp agent (any session, any process)."""
    if not isinstance(state, dict):
        return False
    user = state.get("user")
    return isinstance(user, dict) and str(user.get("username", "")).startswith(AGENT_USERNAME_PREFIX)


class IdentityPool:
    """Hands out identities so two live sessions of the same client get distinct names ("X", "X (2)")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_session: dict[str, Collaborator] = {}
        self._ordinals: dict[str, dict[str, int]] = {}

    def identity(self, session_id: str, client_title: str | None, client_name: str | None) -> Collaborator:
        """The session's identity, the same on every call until ``release``."""
        with self._lock:
            known = self._by_session.get(session_id)
            if known is not None:
                return known
            base = base_name(client_title, client_name)
            taken = self._ordinals.setdefault(base, {})
            ordinal = next(n for n in range(1, len(taken) + 2) if n not in taken.values())
            taken[session_id] = ordinal
            identity = self._by_session[session_id] = make_collaborator(client_title, client_name, session_id, ordinal)
            return identity

    def origin(self, session_id: str) -> AgentOrigin | None:
        """The edit origin of a session that has an identity."""
        with self._lock:
            known = self._by_session.get(session_id)
        return None if known is None else AgentOrigin(session_id, known.display_name)

    def release(self, session_id: str) -> None:
        """Forget a finished session; its ordinal becomes free for the next session of that client."""
        with self._lock:
            self._by_session.pop(session_id, None)
            for taken in self._ordinals.values():
                taken.pop(session_id, None)
