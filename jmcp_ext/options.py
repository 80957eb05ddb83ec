"""jmcp's settings as plain data (the extension's traitlets fill them in); cheap to import."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Limits:
    """Bounds on what one tool call may take or return."""

    execution_timeout: float = 300.0
    max_execution_timeout: float = 3600.0
    max_output_chars: int = 20_000
    max_image_bytes: int = 1_000_000
    progress_interval: float = 5.0
    max_source_chars: int = 20_000


@dataclass(frozen=True)
class EventLimits:
    """How much of each MCP session's recent stream traffic is kept, so a dropped connection can resume."""

    max_session_bytes: int = 16 * 2**20
    max_session_events: int = 10_000
    max_total_bytes: int = 64 * 2**20
    max_age_seconds: float = 1800.0


@dataclass(frozen=True)
class Options:
    """Everything the MCP runtime is configured with."""

    limits: Limits = field(default_factory=Limits)
    read_only: bool = False
    disabled_tools: frozenset[str] = frozenset()
    room_idle_seconds: float = 60.0
    session_idle_timeout: float = 1800.0
    max_sessions: int = 1000
    events: EventLimits = field(default_factory=EventLimits)
    #: Serve MCP on a server without a token (behind a proxy that authenticates); see handlers.py.
    serve_without_token: bool = False
    presence_idle_seconds: float = 90.0
    live_checkpoint_revert: bool = True
    #: Serve the common requests of a session without the SDK's per-request streams (direct_calls.py).
    direct_calls: bool = True
