"""The kernels of notebooks: finding the one JupyterLab uses (or starting one), cached clients, liveness."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass
from logging import Logger
from typing import Any

from jupyter_core.utils import ensure_async
from tornado import web

from ..access import authorize_kernel_start
from ..errors import JmcpError
from ..gateway import client_for, connection_lost
from ..outputs import OutputList
from .displays import Displays
from .execution import Execution, KernelDied, OnEvent
from .execution import execute as run_code

#: How long a call waits for Jupyter's restarter to revive a dead kernel before restarting it itself.
REVIVE_WAIT_SECONDS = 10.0


def with_own_session(client: Any) -> Any:
    """``client``, given a session id of its own before it connects.

    ``kernel.client()`` copies the kernel manager's session, id included, so every client another extension of
    the same server makes that way (jupyter-server-nbmodel's, for one) would share the id with ours. The id is
    the shell socket's identity and the prefix of every msg_id: the kernel hands a shared identity's shell
    connection to whichever client connected last (the other's requests never arrive), and two clients
    numbering their requests alike take each other's outputs for their own. The signing key stays the same.
    """
    client.session.session = str(uuid.uuid4())
    return client


class Kernels:
    """Finds or starts the kernel of a notebook and executes code on it."""

    def __init__(self, serverapp: Any, log: Logger) -> None:
        self._serverapp = serverapp
        self._log = log
        self._clients: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._displays: dict[str, Displays] = {}
        #: Kernels restarted since their client connected: the next call connects afresh (see ``restart``).
        self._reconnect: set[str] = set()
        #: Per kernel, the widget states last read from it (model id -> state), for reading outputs later.
        self.widget_states: dict[str, dict[str, dict[str, Any]]] = {}

    @property
    def kernel_manager(self) -> Any:
        return self._serverapp.kernel_manager

    @property
    def session_manager(self) -> Any:
        return self._serverapp.session_manager

    async def session_for(self, path: str) -> dict[str, Any] | None:
        """The Jupyter session (as JupyterLab created it) for a notebook path, if any (one indexed query, not a walk
        over every session)."""
        try:
            session = await self.session_manager.get_session(path=path)
        except (web.HTTPError, KeyError):  # none for the path; KeyError: its kernel is gone (Jupyter drops it)
            return None
        return dict(session) if session and session.get("kernel") else None

    async def kernel_for(self, path: str, *, kernel_name: str | None = None, start: bool = True) -> str:
        """The id of the notebook's kernel: JupyterLab's own if it runs one, else a new session's."""
        session = await self.session_for(path)
        if session is not None:
            kernel_id = str(session["kernel"]["id"])
            if kernel_id in self.kernel_manager:
                return kernel_id
        if not start:
            raise JmcpError(f"No kernel is running for {path!r}; call use_notebook or execute a cell first.")
        name = kernel_name or self.kernel_manager.default_kernel_name
        if name not in await self.kernel_specs():
            name = self.kernel_manager.default_kernel_name
        await authorize_kernel_start()  # what POST /api/sessions would need; a tool error if refused
        try:
            model = await self.session_manager.create_session(
                path=path, name=path.rsplit("/", 1)[-1], type="notebook", kernel_name=name
            )
        except Exception as exc:
            raise JmcpError(f"Could not start a {name!r} kernel for {path!r}: {exc}") from None
        return str(model["kernel"]["id"])

    def _require(self, kernel_id: str) -> Any:
        if kernel_id not in self.kernel_manager:
            raise JmcpError(f"Kernel {kernel_id!r} is not running; list_kernels shows the running ones.")
        return self.kernel_manager.get_kernel(kernel_id)

    def lock(self, kernel_id: str) -> asyncio.Lock:
        return self._locks.setdefault(kernel_id, asyncio.Lock())

    def displays(self, kernel_id: str) -> Displays:
        """The displays jmcp's runs showed on this kernel (see ``displays.py``)."""
        return self._displays.setdefault(kernel_id, Displays())

    def _forget_state(self, kernel_id: str) -> None:
        """What a restart ends: the kernel's displays and widgets."""
        self._displays.pop(kernel_id, None)
        self.widget_states.pop(kernel_id, None)

    async def language(self, kernel_id: str) -> str:
        """The language of a running kernel, from its kernel spec ("" when unknown)."""
        kernel = self._require(kernel_id)
        name = getattr(kernel, "kernel_name", "") or ""
        with contextlib.suppress(Exception):
            specs = await ensure_async(self._serverapp.kernel_spec_manager.get_all_specs())
            return str(((specs.get(name) or {}).get("spec") or {}).get("language") or "")
        return ""

    async def idle(self, kernel_id: str, wait: float = 1.0) -> bool:
        """Whether the kernel is free: jmcp runs nothing on it and its last status, within ``wait`` s, is not busy.

        The status comes from the server's own watcher of the kernel, which may see the idle status of a run
        that just ended a moment after jmcp did: hence the short wait.
        """
        deadline = time.monotonic() + wait
        while True:
            if self.lock(kernel_id).locked():
                return False
            kernel = self.kernel_manager.get_kernel(kernel_id) if kernel_id in self.kernel_manager else None
            if getattr(kernel, "execution_state", None) != "busy":
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)

    async def _client(self, kernel_id: str) -> Any:
        """The cached client of a kernel, connected (and ready) the first time. Call with the kernel's lock held."""
        client = self._clients.get(kernel_id)
        if client is not None and (connection_lost(client) or kernel_id in self._reconnect):
            self._drop_client(kernel_id)  # the gateway closed the websocket, or the kernel restarted
            client = None
        self._reconnect.discard(kernel_id)
        if client is None:
            kernel = self._require(kernel_id)
            client = with_own_session(client_for(kernel))
            await ensure_async(client.start_channels())
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ensure_async(client.wait_for_ready(timeout=60)), timeout=61)
            self._clients[kernel_id] = client
        return client

    def forget(self, kernel_id: str) -> None:
        """Drop the cached client, lock and remembered state of a kernel that was shut down."""
        self._drop_client(kernel_id)
        self._reconnect.discard(kernel_id)
        self._locks.pop(kernel_id, None)
        self._forget_state(kernel_id)

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
        deadline = time.monotonic() + REVIVE_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if await self.is_alive(kernel_id):
                return
        self._log.info("jmcp restarting dead kernel %s", kernel_id)
        await self.restart(kernel_id)

    def process_id(self, kernel_id: str) -> int | None:
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
        self._forget_state(kernel_id)
        await ensure_async(self.kernel_manager.restart_kernel(kernel_id))
        # The old client's sockets reconnect by themselves, but its iopub subscription may come back after
        # the new kernel has published a request's messages (ZeroMQ drops them until then): a request sent
        # right after the restart then waited out its whole timeout for an idle status it never saw. A new
        # client's wait_for_ready checks that iopub delivers before anything is sent. (A call running now
        # keeps its client; the next one, which waits for the kernel's lock, connects afresh.)
        self._reconnect.add(kernel_id)

    async def execute(
        self,
        kernel_id: str,
        code: str,
        *,
        timeout: float,
        on_event: OnEvent | None = None,
        store_history: bool = True,
        silent: bool = False,
        model: OutputList | None = None,
    ) -> Execution:
        """Run ``code`` on the kernel, one request at a time per kernel; see :func:`.execution.execute`."""
        async with self.lock(kernel_id):
            await self._ensure_alive(kernel_id)
            client = await self._client(kernel_id)
            control = _Control(self, kernel_id, self.process_id(kernel_id))
            try:
                execution = await run_code(
                    client,
                    control,
                    code,
                    timeout=timeout,
                    on_event=on_event,
                    store_history=store_history,
                    silent=silent,
                    model=model,
                )
            except KernelDied:
                # The restarted kernel may listen on new ports: connect afresh next time.
                self._drop_client(kernel_id)
                self._forget_state(kernel_id)
                raise
            execution.kernel_id = kernel_id
            return execution

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
            raise JmcpError(
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


@dataclass
class _Control:
    """Interrupting one kernel, and telling whether it died (or was replaced) since a run started."""

    kernels: Kernels
    kernel_id: str
    process: int | None

    async def interrupt(self) -> None:
        await self.kernels.interrupt(self.kernel_id)

    async def died(self) -> bool:
        # Dead, or already restarted by Jupyter's restarter (a new process) between two polls.
        alive = await self.kernels.is_alive(self.kernel_id)
        return not alive or self.kernels.process_id(self.kernel_id) != self.process
