"""Kernel messages: which request a message answers, and whether it says the kernel died.

Turning iopub messages into outputs is ``outputs.display``'s job (``OutputList.apply``).
"""

from __future__ import annotations

from typing import Any


def parent_id(msg: dict[str, Any]) -> str | None:
    """The id of the request a message answers (None for messages nobody asked for)."""
    value = (msg.get("parent_header") or {}).get("msg_id")
    return str(value) if value else None


def is_restart_notice(msg: dict[str, Any]) -> bool:
    """A websocket client's notice (no parent) that the kernel died and is restarting or dead.

    A gateway kernel's process is out of reach, so its client learns of a death from this status
    message, which Jupyter's websocket sends; a local zmq client never receives it.
    """
    return (
        msg.get("msg_type") == "status"
        and (msg.get("content") or {}).get("execution_state") in ("restarting", "dead")
        and parent_id(msg) is None
    )
