"""Kernel messages as notebook data: the nbformat output an iopub message stands for, and its kind."""

from __future__ import annotations

from typing import Any

Output = dict[str, Any]


def output_from_message(msg_type: str, content: dict[str, Any]) -> Output | None:
    """The nbformat output for an iopub message, or None for messages that are not outputs."""
    if msg_type == "stream":
        return {"output_type": "stream", "name": content.get("name", "stdout"), "text": content.get("text", "")}
    if msg_type == "execute_result":
        return {
            "output_type": "execute_result",
            "execution_count": content.get("execution_count"),
            "data": content.get("data", {}),
            "metadata": content.get("metadata", {}),
        }
    if msg_type == "display_data":
        return {"output_type": "display_data", "data": content.get("data", {}), "metadata": content.get("metadata", {})}
    if msg_type == "error":
        return {
            "output_type": "error",
            "ename": content.get("ename", ""),
            "evalue": content.get("evalue", ""),
            "traceback": content.get("traceback", []),
        }
    return None


def merge_stream(outputs: list[Output], name: str, text: str) -> None:
    """Append stream text, joining it to the last output when that is the same stream (as JupyterLab does)."""
    if outputs and outputs[-1].get("output_type") == "stream" and outputs[-1].get("name") == name:
        outputs[-1]["text"] += text
    else:
        outputs.append({"output_type": "stream", "name": name, "text": text})


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
