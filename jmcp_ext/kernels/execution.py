"""Run one piece of code on a kernel client and collect what it produces, until the kernel is idle again.

Works on anything shaped like jupyter_client's ``AsyncKernelClient`` and on a small ``KernelControl`` for
interrupting and noticing a death, so the message loop is tested with a scripted fake client.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from queue import Empty
from typing import Any, Literal, Protocol

import anyio

from ..errors import JmcpError
from ..gateway import GatewayConnectionLost
from .messages import Output, is_restart_notice, merge_stream, output_from_message, parent_id

OutputEvent = tuple[str, Any]  # ("output", output dict) | ("stream", (name, text)) | ("clear", None)
OnEvent = Callable[[OutputEvent], Awaitable[None] | None]
Status = Literal["ok", "error", "timeout", "aborted"]

#: How often a waiting execution checks that the kernel process is still alive.
LIVENESS_POLL_SECONDS = 1.0
#: How long to wait for the reply and the idle status that follow the outputs or an interrupt.
SETTLE_SECONDS = 5.0
#: What a call that lost its kernel says.
KERNEL_DIED = (
    "The kernel died while running this code (it may have run out of memory or crashed). Jupyter restarts "
    "it automatically; its variables are gone, so re-run the cells this code depends on."
)
GATEWAY_LOST = (
    "The connection to the kernel gateway closed while running this code; the kernel may still be running "
    "it. Check with list_kernels, then retry."
)


class KernelDied(JmcpError):
    """The kernel process went away while code was running."""


@dataclass
class Execution:
    """What one execute request produced."""

    outputs: list[Output] = field(default_factory=list)
    execution_count: int | None = None
    status: Status = "ok"
    elapsed: float = 0.0


class KernelClient(Protocol):
    """The part of jupyter_client's ``AsyncKernelClient`` an execution uses."""

    def execute(self, code: str, *, store_history: bool, allow_stdin: bool, stop_on_error: bool) -> str: ...
    async def get_iopub_msg(self, timeout: float | None = None) -> dict[str, Any]: ...
    async def get_shell_msg(self, timeout: float | None = None) -> dict[str, Any]: ...


class KernelControl(Protocol):
    """What an execution needs from the kernel's manager: stopping the code and noticing a death."""

    async def interrupt(self) -> None: ...
    async def died(self) -> bool: ...


class _Collector:
    """Turns the iopub messages of one request into an :class:`Execution` and output events."""

    def __init__(self, msg_id: str, on_event: OnEvent | None) -> None:
        self.msg_id = msg_id
        self.result = Execution()
        self._on_event = on_event
        self._clear_pending = False

    async def emit(self, event: OutputEvent) -> None:
        if self._on_event is not None:
            outcome = self._on_event(event)
            if outcome is not None:
                await outcome

    async def take(self, msg: dict[str, Any]) -> bool:
        """Record one message of this request; True once the kernel is idle (the request is done)."""
        msg_type = msg["msg_type"]
        content = msg.get("content") or {}
        if msg_type == "status":
            return content.get("execution_state") == "idle"
        if msg_type == "execute_input":
            self.result.execution_count = content.get("execution_count")
            return False
        if msg_type == "clear_output":
            if content.get("wait"):
                self._clear_pending = True  # cleared when the next output arrives, as JupyterLab does
            else:
                await self._clear()
            return False
        output = output_from_message(msg_type, content)
        if output is None:
            return False
        if self._clear_pending:
            self._clear_pending = False
            await self._clear()
        if output["output_type"] == "error":
            self.result.status = "error"
        if output["output_type"] == "stream":
            merge_stream(self.result.outputs, output["name"], output["text"])
            await self.emit(("stream", (output["name"], output["text"])))
        else:
            self.result.outputs.append(output)
            await self.emit(("output", output))
        return False

    async def _clear(self) -> None:
        self.result.outputs.clear()
        await self.emit(("clear", None))

    def take_reply(self, reply: dict[str, Any]) -> None:
        content = reply.get("content") or {}
        if content.get("execution_count") is not None:
            self.result.execution_count = content["execution_count"]
        if content.get("status") == "aborted":
            self.result.status = "aborted"


async def execute(
    client: KernelClient,
    control: KernelControl,
    code: str,
    *,
    timeout: float,
    on_event: OnEvent | None = None,
    store_history: bool = True,
) -> Execution:
    """Run ``code``; outputs go to ``on_event`` as they arrive and are returned at the end.

    On timeout the kernel is interrupted and what arrived so far is returned (status "timeout"). If the
    caller is cancelled the kernel is interrupted too, so it does not keep running. A death of the kernel
    raises :class:`KernelDied`.
    """
    started = time.monotonic()
    msg_id = client.execute(code, store_history=store_history, allow_stdin=False, stop_on_error=True)
    collector = _Collector(msg_id, on_event)
    try:
        if await _read_until_idle(client, control, collector, started + timeout):
            await _read_reply(client, collector)
        else:
            await control.interrupt()
            await _drain_after_interrupt(client, collector)
            collector.result.status = "timeout"
    except asyncio.CancelledError:
        # The client gave up: stop the code, and wait (briefly, shielded from the cancellation) for the
        # kernel to settle, so the next request is not aborted by this one's interrupt.
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await control.interrupt()
            await _drain_after_interrupt(client, collector)
        raise
    collector.result.elapsed = time.monotonic() - started
    return collector.result


async def _read_until_idle(
    client: KernelClient, control: KernelControl, collector: _Collector, deadline: float
) -> bool:
    """Read iopub until this request's idle status (True) or the deadline (False)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            msg = await client.get_iopub_msg(timeout=min(remaining, LIVENESS_POLL_SECONDS))
        except GatewayConnectionLost:
            raise KernelDied(GATEWAY_LOST) from None
        except Empty:
            if await control.died():
                raise KernelDied(KERNEL_DIED) from None
            continue
        if is_restart_notice(msg):
            raise KernelDied(KERNEL_DIED)
        if parent_id(msg) != collector.msg_id:
            continue  # traffic of other clients (the browser) on the same kernel
        if await collector.take(msg):
            return True


async def _read_reply(client: KernelClient, collector: _Collector) -> None:
    # The reply normally arrives together with the idle status; don't wait long for it.
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        try:
            reply = await client.get_shell_msg(timeout=max(0.05, deadline - time.monotonic()))
        except (Empty, GatewayConnectionLost):
            return
        if parent_id(reply) == collector.msg_id:
            collector.take_reply(reply)
            return


async def _drain_after_interrupt(client: KernelClient, collector: _Collector) -> None:
    """Collect the KeyboardInterrupt traceback and the idle status that follow an interrupt."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        try:
            msg = await client.get_iopub_msg(timeout=max(0.05, deadline - time.monotonic()))
        except (Empty, GatewayConnectionLost):
            return
        if parent_id(msg) != collector.msg_id:
            continue
        if msg["msg_type"] == "status" and (msg.get("content") or {}).get("execution_state") == "idle":
            await _read_reply(client, collector)
            return
        output = output_from_message(msg["msg_type"], msg.get("content") or {})
        if output is not None:
            collector.result.outputs.append(output)
            await collector.emit(("output", output))
