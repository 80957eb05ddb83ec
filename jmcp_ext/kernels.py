"""Run code on a notebook's own kernel: the one JupyterLab uses, through a cached client per kernel."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from logging import Logger
from typing import Any

import anyio
from jupyter_core.utils import ensure_async

from .errors import JMCPError
from .gateway import GatewayConnectionLost, client_for, connection_lost

Output = dict[str, Any]
OutputEvent = tuple[str, Any]  # ("output", output dict) | ("stream", (name, text)) | ("clear", None)
OnEvent = Callable[[OutputEvent], Awaitable[None] | None]

#: How often a waiting execution checks that the kernel process is still alive.
_LIVENESS_POLL_SECONDS = 1.0
#: What a call that lost its kernel says.
_KERNEL_DIED = (
    "The kernel died while running this code (it may have run out of memory or crashed). Jupyter restarts "
    "it automatically; its variables are gone, so re-run the cells this code depends on."
)
#: How long a call waits for Jupyter's restarter to revive a dead kernel before restarting it itself.
_REVIVE_WAIT_SECONDS = 10.0


@dataclass
class Execution:
    """What one execute request produced."""

    outputs: list[Output] = field(default_factory=list)
    execution_count: int | None = None
    status: str = "ok"  # ok | error | timeout | aborted
    elapsed: float = 0.0


class KernelDied(JMCPError):
    """The kernel process went away while code was running."""


class Kernels:
    """Finds or starts the kernel of a notebook and executes code on it."""

    def __init__(self, serverapp: Any, log: Logger) -> None:
        self._serverapp = serverapp
        self._log = log
        self._clients: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def kernel_manager(self) -> Any:
        return self._serverapp.kernel_manager

    @property
    def session_manager(self) -> Any:
        return self._serverapp.session_manager

    async def session_for(self, path: str) -> dict[str, Any] | None:
        """The Jupyter session (as JupyterLab created it) for a notebook path, if any."""
        for session in await self.session_manager.list_sessions():
            if session.get("path") == path and session.get("kernel"):
                return dict(session)
        return None

    async def kernel_for(self, path: str, *, kernel_name: str | None = None, start: bool = True) -> str:
        """The id of the notebook's kernel: JupyterLab's own if it runs one, else a new session's."""
        session = await self.session_for(path)
        if session is not None:
            kernel_id = str(session["kernel"]["id"])
            if kernel_id in self.kernel_manager:
                return kernel_id
        if not start:
            raise JMCPError(f"No kernel is running for {path!r}; call use_notebook or execute a cell first.")
        name = kernel_name or self.kernel_manager.default_kernel_name
        if name not in await self.kernel_specs():
            name = self.kernel_manager.default_kernel_name
        try:
            model = await self.session_manager.create_session(
                path=path, name=path.rsplit("/", 1)[-1], type="notebook", kernel_name=name
            )
        except Exception as exc:
            raise JMCPError(f"Could not start a {name!r} kernel for {path!r}: {exc}") from None
        return str(model["kernel"]["id"])

    def _require(self, kernel_id: str) -> Any:
        if kernel_id not in self.kernel_manager:
            raise JMCPError(f"Kernel {kernel_id!r} is not running; list_kernels shows the running ones.")
        return self.kernel_manager.get_kernel(kernel_id)

    def lock(self, kernel_id: str) -> asyncio.Lock:
        return self._locks.setdefault(kernel_id, asyncio.Lock())

    async def _client(self, kernel_id: str) -> Any:
        client = self._clients.get(kernel_id)
        if client is not None and connection_lost(client):
            self._drop_client(kernel_id)  # the gateway closed the websocket: connect afresh
            client = None
        if client is None:
            kernel = self._require(kernel_id)
            client = client_for(kernel)
            await ensure_async(client.start_channels())
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ensure_async(client.wait_for_ready(timeout=60)), timeout=61)
            self._clients[kernel_id] = client
        return client

    def forget(self, kernel_id: str) -> None:
        """Drop the cached client and lock of a kernel that was shut down."""
        self._drop_client(kernel_id)
        self._locks.pop(kernel_id, None)

    def _drop_client(self, kernel_id: str) -> None:
        client = self._clients.pop(kernel_id, None)
        if client is not None:
            with contextlib.suppress(Exception):
                client.stop_channels()

    def prune(self) -> None:
        """Release clients of kernels that no longer exist."""
        for kernel_id in list(self._clients):
            if kernel_id not in self.kernel_manager:
                self.forget(kernel_id)

    async def is_alive(self, kernel_id: str) -> bool:
        if kernel_id not in self.kernel_manager:
            return False
        return bool(await ensure_async(self.kernel_manager.get_kernel(kernel_id).is_alive()))

    async def _ensure_alive(self, kernel_id: str) -> None:
        """Wait for Jupyter's restarter to bring a dead kernel back, or restart it ourselves."""
        if await self.is_alive(kernel_id):
            return
        self._drop_client(kernel_id)
        deadline = time.monotonic() + _REVIVE_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if await self.is_alive(kernel_id):
                return
        self._log.info("jmcp restarting dead kernel %s", kernel_id)
        await self.restart(kernel_id)

    def _process_id(self, kernel_id: str) -> int | None:
        """The pid of a local kernel's process (None for kernels elsewhere, e.g. on a gateway)."""
        if kernel_id not in self.kernel_manager:
            return None
        provisioner = getattr(self.kernel_manager.get_kernel(kernel_id), "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        return pid if isinstance(pid, int) else None

    async def interrupt(self, kernel_id: str) -> None:
        self._require(kernel_id)
        await ensure_async(self.kernel_manager.interrupt_kernel(kernel_id))

    async def restart(self, kernel_id: str) -> None:
        self._require(kernel_id)
        await ensure_async(self.kernel_manager.restart_kernel(kernel_id))

    async def execute(
        self,
        kernel_id: str,
        code: str,
        *,
        timeout: float,
        on_event: OnEvent | None = None,
        store_history: bool = True,
    ) -> Execution:
        """Run ``code``; outputs go to ``on_event`` as they arrive and are returned at the end.

        On timeout the kernel is interrupted and what arrived so far is returned (status "timeout").
        If the caller is cancelled the kernel is interrupted too, so it does not keep running.
        """
        async with self.lock(kernel_id):
            await self._ensure_alive(kernel_id)
            client = await self._client(kernel_id)
            started = time.monotonic()
            result = Execution()
            process = self._process_id(kernel_id)
            msg_id = client.execute(code, store_history=store_history, allow_stdin=False, stop_on_error=True)
            try:
                await self._collect(kernel_id, client, msg_id, result, started + timeout, on_event, process)
            except asyncio.CancelledError:
                # The client gave up: stop the code, and wait (briefly, shielded from the cancellation)
                # for the kernel to settle, so the next request is not aborted by this one's interrupt.
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    await self.interrupt(kernel_id)
                    await self._drain_after_interrupt(client, msg_id, result, _emitter(on_event))
                raise
            except KernelDied:
                # The restarted kernel may listen on new ports: connect afresh next time.
                self._drop_client(kernel_id)
                raise
            result.elapsed = time.monotonic() - started
            return result

    async def _collect(
        self,
        kernel_id: str,
        client: Any,
        msg_id: str,
        result: Execution,
        deadline: float,
        on_event: OnEvent | None,
        process: int | None = None,
    ) -> None:
        emit = _emitter(on_event)
        clear_pending = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                result.status = "timeout"
                await self.interrupt(kernel_id)
                await self._drain_after_interrupt(client, msg_id, result, emit)
                return
            try:
                msg = await client.get_iopub_msg(timeout=min(remaining, _LIVENESS_POLL_SECONDS))
            except GatewayConnectionLost:
                raise KernelDied(
                    "The connection to the kernel gateway closed while running this code; the kernel may "
                    "still be running it. Check with list_kernels, then retry."
                ) from None
            except Exception:  # queue.Empty from the client: nothing arrived in that interval
                # Dead, or already restarted by Jupyter's restarter (a new process) between two polls.
                if not await self.is_alive(kernel_id) or self._process_id(kernel_id) != process:
                    raise KernelDied(_KERNEL_DIED) from None
                continue
            if _restart_notice(msg):
                raise KernelDied(_KERNEL_DIED)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue  # traffic of other clients (the browser) on the same kernel
            msg_type = msg["msg_type"]
            content = msg["content"]
            if msg_type == "status":
                if content.get("execution_state") == "idle":
                    break
                continue
            if msg_type == "execute_input":
                result.execution_count = content.get("execution_count")
                continue
            if msg_type == "clear_output":
                if content.get("wait"):
                    clear_pending = True
                else:
                    result.outputs.clear()
                    await emit(("clear", None))
                continue
            output = _output_from_message(msg_type, content)
            if output is None:
                continue
            if clear_pending:
                clear_pending = False
                result.outputs.clear()
                await emit(("clear", None))
            if output["output_type"] == "error":
                result.status = "error"
            if output["output_type"] == "stream":
                _merge_stream(result.outputs, output["name"], output["text"])
                await emit(("stream", (output["name"], output["text"])))
            else:
                result.outputs.append(output)
                await emit(("output", output))
        await self._read_reply(client, msg_id, result)

    async def _read_reply(self, client: Any, msg_id: str, result: Execution) -> None:
        # The reply normally arrives together with the idle status; don't wait long for it.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                reply = await client.get_shell_msg(timeout=max(0.05, deadline - time.monotonic()))
            except Exception:
                return
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = reply.get("content", {})
            if content.get("execution_count") is not None:
                result.execution_count = content["execution_count"]
            if content.get("status") == "aborted":
                result.status = "aborted"
            return

    async def _drain_after_interrupt(
        self, client: Any, msg_id: str, result: Execution, emit: Callable[[OutputEvent], Awaitable[None]]
    ) -> None:
        """Collect the KeyboardInterrupt traceback and the idle status that follow an interrupt."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                msg = await client.get_iopub_msg(timeout=max(0.05, deadline - time.monotonic()))
            except Exception:
                return
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                await self._read_reply(client, msg_id, result)
                result.status = "timeout"
                return
            output = _output_from_message(msg["msg_type"], msg["content"])
            if output is not None:
                result.outputs.append(output)
                await emit(("output", output))

    async def list_running(self) -> list[dict[str, Any]]:
        kernels = []
        sessions = await self.session_manager.list_sessions()
        paths: dict[str, list[str]] = {}
        for session in sessions:
            kernel = session.get("kernel") or {}
            paths.setdefault(kernel.get("id", ""), []).append(session.get("path", ""))
        try:
            models = await ensure_async(self.kernel_manager.list_kernels())
        except Exception as exc:
            # A kernel gateway may refuse to list kernels (Kernel Gateway does unless started with
            # --JupyterWebsocketPersonality.list_kernels=True); say so instead of failing blankly.
            raise JMCPError(
                f"Could not list kernels: {exc}. With a kernel gateway, allow kernel listing there "
                "(Kernel Gateway: --JupyterWebsocketPersonality.list_kernels=True); list_notebooks still "
                "shows each notebook's kernel."
            ) from None
        for model in models:
            kernels.append(
                {
                    "id": model["id"],
                    "name": model.get("name"),
                    "execution_state": model.get("execution_state"),
                    "last_activity": str(model.get("last_activity", "")),
                    "connections": model.get("connections", 0),
                    "notebooks": paths.get(model["id"], []),
                }
            )
        return kernels

    async def kernel_specs(self) -> dict[str, str]:
        # A gateway's spec manager answers asynchronously (over HTTP); the local one synchronously.
        specs = await ensure_async(self._serverapp.kernel_spec_manager.get_all_specs())
        return {name: spec.get("spec", {}).get("display_name", name) for name, spec in specs.items()}

    async def close(self) -> None:
        for kernel_id in list(self._clients):
            self.forget(kernel_id)


def _emitter(on_event: OnEvent | None) -> Callable[[OutputEvent], Awaitable[None]]:
    async def emit(event: OutputEvent) -> None:
        if on_event is not None:
            outcome = on_event(event)
            if outcome is not None:
                await outcome

    return emit


def _restart_notice(msg: dict[str, Any]) -> bool:
    """A websocket client's notice (no parent) that the kernel died and is restarting or dead.

    A gateway kernel's process is out of reach, so its client learns of a death from this status
    message, which Jupyter's websocket sends; a local zmq client never receives it.
    """
    return (
        msg.get("msg_type") == "status"
        and msg.get("content", {}).get("execution_state") in ("restarting", "dead")
        and not msg.get("parent_header", {}).get("msg_id")
    )


def _merge_stream(outputs: list[Output], name: str, text: str) -> None:
    if outputs and outputs[-1].get("output_type") == "stream" and outputs[-1].get("name") == name:
        outputs[-1]["text"] += text
    else:
        outputs.append({"output_type": "stream", "name": name, "text": text})


def _output_from_message(msg_type: str, content: dict[str, Any]) -> Output | None:
    """The nbformat output for an iopub message, or None for messages that are not outputs."""
    if msg_type == "stream":
        return {
            "output_type": "stream",
            "name": content.get("name", "stdout"),
            "text": content.get("text", ""),
        }
    if msg_type == "execute_result":
        return {
            "output_type": "execute_result",
            "execution_count": content.get("execution_count"),
            "data": content.get("data", {}),
            "metadata": content.get("metadata", {}),
        }
    if msg_type == "display_data":
        return {
            "output_type": "display_data",
            "data": content.get("data", {}),
            "metadata": content.get("metadata", {}),
        }
    if msg_type == "error":
        return {
            "output_type": "error",
            "ename": content.get("ename", ""),
            "evalue": content.get("evalue", ""),
            "traceback": content.get("traceback", []),
        }
    return None
