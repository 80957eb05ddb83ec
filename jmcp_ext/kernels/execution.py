"""Run one piece of code on a kernel client and collect what it produces, until the kernel is idle again.

The outputs are kept as JupyterLab's output area keeps them (``outputs.OutputList``: streams merged with ``\\r``
and ``\\b`` applied, ``clear_output(wait=True)``, display updates in place), and each iopub message's changes
go to ``on_event`` so a live cell can mirror them. Works on anything shaped like jupyter_client's
``AsyncKernelClient`` and on a small ``KernelControl`` for interrupting and noticing a death, so the message
loop is tested with a scripted fake client.
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
from ..outputs import Change, OutputList
from ..outputs.display import display_id_of, output_from_message
from .messages import is_restart_notice, parent_id
from .receiving import next_message

Output = dict[str, Any]
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


@dataclass
class Execution:
    """What one execute request produced."""

    outputs: list[Output] = field(default_factory=list)
    execution_count: int | None = None
    status: Status = "ok"
    elapsed: float = 0.0
    kernel_id: str = ""  # set by ``Kernels.execute``


class KernelDied(JmcpError):
    """The kernel process went away while code was running; ``partial`` holds what it printed before."""

    def __init__(self, message: str, partial: Execution | None = None) -> None:
        super().__init__(message)
        self.partial = partial if partial is not None else Execution()


@dataclass(frozen=True, slots=True)
class DisplayUpdate:
    """Every output showing ``display_id`` now shows ``output``, in whichever cell it is.

    JupyterLab's kernel connection routes such a message (an ``update_display_data``, or a ``display_data``
    with an id already shown) to every earlier request that showed the id, so displays made by earlier cells
    change too; this run's own outputs are updated by its ``OutputList`` (see the ``Change`` events).
    """

    display_id: str
    output: Output


OutputEvent = Change | DisplayUpdate
#: Receives the events of one iopub message at a time (display updates first, as JupyterLab routes them).
OnEvent = Callable[[list[OutputEvent]], Awaitable[None] | None]


class KernelClient(Protocol):
    """The part of jupyter_client's ``AsyncKernelClient`` an execution uses."""

    def execute(
        self, code: str, *, silent: bool, store_history: bool, allow_stdin: bool, stop_on_error: bool
    ) -> str: ...
    async def get_iopub_msg(self, timeout: float | None = None) -> dict[str, Any]: ...
    async def get_shell_msg(self, timeout: float | None = None) -> dict[str, Any]: ...


class KernelControl(Protocol):
    """What an execution needs from the kernel's manager: stopping the code and noticing a death."""

    async def interrupt(self) -> None: ...
    async def died(self) -> bool: ...


class _Collector:
    """Turns the iopub messages of one request into an :class:`Execution` and output events."""

    def __init__(self, msg_id: str, on_event: OnEvent | None, model: OutputList | None) -> None:
        self.msg_id = msg_id
        self.result = Execution()
        self.model = model if model is not None else OutputList()
        self.started = False  # the kernel took up this request (it said busy for it)
        self.replied_at: float | None = None  # when the shell reply arrived, if it came before the idle status
        self._on_event = on_event

    async def emit(self, events: list[OutputEvent]) -> None:
        if self._on_event is not None and events:
            outcome = self._on_event(events)
            if outcome is not None:
                await outcome

    async def take(self, msg: dict[str, Any]) -> bool:
        """Record one message of this request; True once the kernel is idle (the request is done)."""
        msg_type = msg["msg_type"]
        content = msg.get("content") or {}
        if msg_type == "status":
            state = content.get("execution_state")
            self.started = self.started or state == "busy"
            return state == "idle"
        if msg_type == "execute_input":
            self.result.execution_count = content.get("execution_count")
            return False
        if msg_type == "error":
            self.result.status = "error"
        events: list[OutputEvent] = []
        display_id = display_id_of(content)
        if display_id and msg_type in ("display_data", "update_display_data"):
            output = output_from_message("update_display_data", content)
            assert output is not None
            events.append(DisplayUpdate(display_id, output))
        events.extend(self.model.apply(msg_type, content))
        await self.emit(events)
        return False

    def finish(self) -> Execution:
        """The result, with the outputs as they stand now."""
        self.result.outputs = [dict(output) for output in self.model.outputs]
        return self.result

    def take_reply(self, reply: dict[str, Any]) -> None:
        content = reply.get("content") or {}
        self.replied_at = time.monotonic()
        if content.get("execution_count") is not None:
            self.result.execution_count = content["execution_count"]
        if content.get("status") == "aborted":
            self.result.status = "aborted"

    async def settle_without_idle(self, reply: dict[str, Any]) -> None:
        """The request is done (its reply came) but its idle status never did: iopub missed its messages.

        This happens when the iopub socket reconnects late (after a kernel restart the kernel may publish
        before the subscription is back): the reply still says how it went, so an error is not reported
        as a success.
        """
        content = reply.get("content") or {}
        if content.get("status") == "error" and self.result.status != "error":
            self.result.status = "error"
            error = {key: content.get(key, "") for key in ("ename", "evalue")}
            await self.emit(list(self.model.apply("error", {**error, "traceback": content.get("traceback", [])})))


async def execute(
    client: KernelClient,
    control: KernelControl,
    code: str,
    *,
    timeout: float,
    on_event: OnEvent | None = None,
    store_history: bool = True,
    silent: bool = False,
    model: OutputList | None = None,
) -> Execution:
    """Run ``code``; output changes go to ``on_event`` as they arrive, the outputs are returned at the end.

    ``model`` (a fresh ``OutputList`` by default) holds the outputs while the code runs, for callers that
    report progress. On timeout the kernel is interrupted and what arrived so far is returned (status
    "timeout"); a ``silent`` request that the kernel has not taken up yet (it is busy with someone else's
    code) is left queued instead, so a person's running cell is never interrupted for it. If the caller is
    cancelled the kernel is interrupted too, so it does not keep running. A death of the kernel raises
    :class:`KernelDied` carrying the outputs that arrived before it.
    """
    started = time.monotonic()
    msg_id = client.execute(
        code, silent=silent, store_history=store_history and not silent, allow_stdin=False, stop_on_error=True
    )
    collector = _Collector(msg_id, on_event, model)
    try:
        if await _read_until_idle(client, control, collector, started + timeout):
            if collector.replied_at is None:
                await _read_reply(client, collector)
        elif silent and not collector.started:
            collector.result.status = "timeout"
        else:
            await control.interrupt()
            await _drain_after_interrupt(client, collector)
            collector.result.status = "timeout"
    except KernelDied as exc:
        exc.partial = collector.finish()
        exc.partial.elapsed = time.monotonic() - started
        raise
    except asyncio.CancelledError:
        # The client gave up: stop the code, and wait (briefly, shielded from the cancellation) for the
        # kernel to settle, so the next request is not aborted by this one's interrupt.
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await control.interrupt()
            await _drain_after_interrupt(client, collector)
        raise
    result = collector.finish()
    result.elapsed = time.monotonic() - started
    return result


async def _read_until_idle(
    client: KernelClient, control: KernelControl, collector: _Collector, deadline: float
) -> bool:
    """Read iopub until this request's idle status (True) or the deadline (False).

    While iopub is quiet the shell channel is checked for the request's reply: a reply followed by no idle
    status within ``SETTLE_SECONDS`` means iopub lost the request's messages, and the request is done
    (as nbclient does with its ``iopub_timeout``) instead of waiting out the whole timeout.
    """
    reply: dict[str, Any] | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            msg = await next_message(client, "iopub", min(remaining, LIVENESS_POLL_SECONDS), request=collector.msg_id)
        except GatewayConnectionLost:
            raise KernelDied(GATEWAY_LOST) from None
        except Empty:
            if await control.died():
                raise KernelDied(KERNEL_DIED) from None
            if reply is None:
                reply = await _poll_reply(client, collector)
            elif collector.replied_at is not None and time.monotonic() - collector.replied_at >= SETTLE_SECONDS:
                await collector.settle_without_idle(reply)
                return True
            continue
        if is_restart_notice(msg):
            raise KernelDied(KERNEL_DIED)
        if parent_id(msg) != collector.msg_id:
            continue  # traffic of other clients (the browser) on the same kernel
        if await collector.take(msg):
            return True


async def _poll_reply(client: KernelClient, collector: _Collector) -> dict[str, Any] | None:
    """This request's reply if it is waiting on the shell channel (without waiting for it)."""
    while True:
        try:
            reply = await next_message(client, "shell", 0)
        except (Empty, GatewayConnectionLost):
            return None
        if parent_id(reply) == collector.msg_id:
            collector.take_reply(reply)
            return reply


async def _read_reply(client: KernelClient, collector: _Collector) -> None:
    # The reply normally arrives together with the idle status; don't wait long for it.
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        try:
            reply = await next_message(client, "shell", max(0.05, deadline - time.monotonic()))
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
            msg = await next_message(client, "iopub", max(0.05, deadline - time.monotonic()), request=collector.msg_id)
        except (Empty, GatewayConnectionLost):
            return
        if parent_id(msg) != collector.msg_id:
            continue
        if await collector.take(msg):
            if collector.replied_at is None:
                await _read_reply(client, collector)
            return
