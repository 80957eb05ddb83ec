"""Take a kernel client's next message, cheaply when it is already waiting on a local zmq socket.

jupyter_client's ``get_iopub_msg`` / ``get_shell_msg`` poll the socket with a fresh asyncio poller before every
receive, about 50 microseconds a message even when the message is already there, and decode every message
(JSON, signature, and the dates of its headers) before the caller can tell whose it is. During a run the
kernel's messages arrive in bursts (busy, input, outputs, idle and the reply within a millisecond), and the
iopub socket also carries every other client's traffic on the same kernel (the browser's runs). Here a
waiting message is taken without polling, and an iopub message answering someone else's request is dropped
before it is decoded (its parent header, a few bytes of JSON, is enough to tell). Messages are decoded by
the channel's own ``Session``, so signatures are checked as jupyter_client checks them.

Clients without a local zmq socket (a kernel gateway's websocket client, the tests' scripted clients) are
read through their ``get_*_msg`` methods as before.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any, Literal

import zmq
import zmq.asyncio

Channel = Literal["iopub", "shell"]
_NO_PARENT = (b"{}", b"")


async def next_message(client: Any, channel: Channel, timeout: float, *, request: str | None = None) -> dict[str, Any]:
    """The channel's next message within ``timeout`` seconds (``queue.Empty`` if none came).

    With ``request`` (a msg_id), iopub messages answering another request may be skipped undecoded; messages
    with no parent are always returned (a kernel's restart notice has none), so the caller still checks
    the parent of what it gets.
    """
    zmq_channel = getattr(client, f"{channel}_channel", None)
    socket = getattr(zmq_channel, "socket", None)
    if not isinstance(socket, zmq.asyncio.Socket):
        getter = client.get_iopub_msg if channel == "iopub" else client.get_shell_msg
        return dict(await getter(timeout=timeout))
    session = zmq_channel.session  # type: ignore[union-attr]  # a zmq channel has one
    wanted = request.encode() if request is not None and channel == "iopub" else None
    deadline = time.monotonic() + timeout
    while True:
        try:
            parts = await socket.recv_multipart(flags=zmq.NOBLOCK)
        except zmq.Again:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await socket.poll(max(1, int(remaining * 1000))):
                raise Empty from None
            continue
        _, message = session.feed_identities(parts)
        if wanted is not None and len(message) > 2 and _answers_another(message[2], wanted):
            continue
        return dict(session.deserialize(message))


def _answers_another(parent: bytes, wanted: bytes) -> bool:
    """The packed parent header names a request, and it is not ``wanted`` (a cheap test, erring toward decoding)."""
    return wanted not in parent and parent.strip() not in _NO_PARENT
