"""The MCP server's life inside Jupyter: built on first use (in a thread), served, kept tidy, stopped.

Handlers reach one :class:`McpRuntime` through the tornado settings and see only :meth:`McpRuntime.mcp_app`
and :meth:`McpRuntime.health`. Importing the MCP SDK takes a good share of Jupyter's own start-up time, so
nothing heavy is imported until the first ``/mcp`` or ``/mcp/healthz`` request asks for the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from logging import Logger
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .options import Options
from .sessions import ASGIApp, Sessions

if TYPE_CHECKING:
    from .event_store import EventBuffers
    from .tools import Services


class McpRuntime:
    """Builds the MCP server on demand, runs its session manager for the server's life, and reports health."""

    def __init__(self, serverapp: Any, log: Logger, options: Options) -> None:
        self._serverapp = serverapp
        self._log = log
        self.options = options
        self.sessions = Sessions(options.session_idle_timeout)
        self.services: Services | None = None
        self.events: EventBuffers | None = None  # recent stream events, for resumption (built with the server)
        self._server: Any = None
        self._app: ASGIApp | None = None
        self._build_requested = asyncio.Event()
        self._build_on_loop = False
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []

    # --- what handlers see -----------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._app is not None

    def request_build(self, *, on_loop: bool = False) -> None:
        """Build the MCP server now: a plain `jupyter lab` that no MCP client talks to never pays for it.

        The build runs in a thread, so the server keeps answering meanwhile. ``on_loop`` builds on the event
        loop's thread instead, holding the server for the build: that is for ``build_at_start`` (`jmcp start`,
        which shows nobody the server before the endpoint is ready). There, a thread would compete for the GIL
        with JupyterLab's own start-up work, which measured 0.1 s slower until the endpoint answered.
        """
        self._build_on_loop = self._build_on_loop or on_loop
        self._build_requested.set()

    async def mcp_app(self, timeout: float) -> ASGIApp | None:
        """The ASGI app serving MCP, building it first if needed; None if it is not ready within ``timeout``."""
        if self._app is None:
            self.request_build()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout=timeout)
        return self._app

    async def health(self, *, detailed: bool) -> dict[str, Any]:
        """What ``/mcp/healthz`` says; ``detailed`` (for an authenticated caller) adds where and what it serves."""
        self.request_build()
        notebooks = self.services.notebooks if self.services is not None else None
        body: dict[str, Any] = {
            "status": "ok" if self.ready else "starting",
            "service": "jmcp",
            "version": __version__,
            "rtc": notebooks.rtc_available if notebooks is not None else None,
            "sessions": len(self.sessions),
        }
        if detailed:
            body.update(
                root_dir=self._serverapp.root_dir, read_only=self.options.read_only, tools=await self.tool_names()
            )
            if notebooks is not None:
                body.update(rtc_detail=notebooks.rtc_detail(), open_rooms=len(notebooks.open_rooms()))
            if self.events is not None:
                events = self.events
                body["event_store"] = {
                    "bytes": events.total_bytes,
                    "events": events.event_count,
                    "sessions": events.session_count,
                    "max_bytes": events.limits.max_total_bytes,
                }
        return body

    async def tool_names(self) -> list[str]:
        if self._server is None:
            return []
        return sorted(tool.name for tool in await self._server.list_tools())

    # --- lifetime --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start waiting for the first request, and the housekeeping (called once the event loop runs)."""
        self._tasks.append(asyncio.create_task(self._serve()))
        self._tasks.append(asyncio.create_task(self._housekeeping()))

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)
        if self.services is not None:
            await self.services.collab.close()
            await self.services.kernels.close()

    async def _serve(self) -> None:
        requested = asyncio.ensure_future(self._build_requested.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait([requested, stopping], return_when=asyncio.FIRST_COMPLETED)
        requested.cancel()
        stopping.cancel()
        if self._stopping.is_set():
            return
        started = time.monotonic()
        try:
            # In a thread (unless asked otherwise), so the server keeps answering while the SDK's modules load.
            session_manager = self._build() if self._build_on_loop else await asyncio.to_thread(self._build)
        except Exception:
            self._log.exception("jmcp could not build its MCP server; /mcp stays unavailable")
            return
        # The manager's run() must be entered once and stay open for the server's whole life.
        async with session_manager.run():
            self._app = self.sessions.tracking(session_manager.handle_request)
            self._ready.set()
            where = "on the server's thread" if self._build_on_loop else "in a thread"
            self._log.info("jmcp: MCP endpoint ready (built in %.2f s, %s)", time.monotonic() - started, where)
            await self._stopping.wait()
        self._app = None

    def _build(self) -> Any:
        """Build the services and the MCP server; returns its session manager (in a thread, see request_build)."""
        from mcp.server.transport_security import TransportSecuritySettings

        from .access import authorize_requests
        from .event_store import EventBuffers
        from .kernels import Kernels
        from .notebooks import NotebookStore
        from .session_manager import SessionManager
        from .tools import Services, build_server

        options = self.options
        notebooks = NotebookStore(self._serverapp, self._log, room_idle_seconds=options.room_idle_seconds)
        kernels = Kernels(self._serverapp, self._log)
        services = Services(
            notebooks,
            kernels,
            self._serverapp.root_dir,
            options.limits,
            self.sessions,
            presence_idle_seconds=options.presence_idle_seconds,
        )
        _release_worker_threads_at_exit()
        server = build_server(services, read_only=options.read_only, disabled=options.disabled_tools)
        # --- issue 13: Jupyter's authorizer, resumable streams, unique request ids -------------------------
        # tools/list and resources ask Jupyter's authorizer (tool calls ask it in tools/registry.py: per_call).
        server.middleware.append(authorize_requests)
        # jmcp's SessionManager instead of server.streamable_http_app(): each session gets its own view of a
        # bounded event store (SSE events carry ids; Last-Event-ID resumes), reused in-flight request ids are
        # refused, and every way a session ends releases its events and ids and ends jmcp's session state.
        # The SDK offers no public accessor for the low-level server the manager needs.
        self.events = EventBuffers(options.events)
        manager = SessionManager(
            server._lowlevel_server,
            events=self.events,
            on_session_end=[self.sessions.end],
            session_idle_timeout=options.session_idle_timeout,
            max_sessions=options.max_sessions,
            direct_calls=options.direct_calls,
            # Jupyter checks Host and Origin at the edge; the SDK's own DNS-rebinding check would second-guess
            # it with a loopback-only allowlist (and break --ip 0.0.0.0 and proxies), so it is switched off.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        # --- end issue 13 ---------------------------------------------------------------------------------
        self.services, self._server = services, server
        return manager

    async def _housekeeping(self) -> None:
        interval = max(1.0, min(30.0, self.options.room_idle_seconds / 2))
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=interval)
            services = self.services
            if services is None:
                continue  # not built yet
            try:
                await services.notebooks.release_idle_rooms()
                services.kernels.prune()
                self.sessions.expire()
            except Exception:
                self._log.exception("jmcp housekeeping failed")


_release_registered = False


def _release_worker_threads_at_exit() -> None:
    """Let the interpreter exit when the server stops without stopping its extensions.

    The MCP SDK runs some work on AnyIO worker threads, which are not daemons and end only when their
    root task (our session manager's) ends. A server stopped by SIGINT without a terminal (JupyterHub
    stops single-user servers that way) leaves its loop without running stop_extension, and the
    process then waits for those threads forever. Tell them to finish just before Python joins them.
    """
    global _release_registered
    register = getattr(threading, "_register_atexit", None)
    if _release_registered or register is None:
        return
    _release_registered = True

    def release() -> None:
        for thread in threading.enumerate():
            if type(thread).__name__ == "WorkerThread" and type(thread).__module__.startswith("anyio."):
                with contextlib.suppress(Exception):
                    thread.queue.put_nowait(None)  # type: ignore[attr-defined]  # the worker's stop command

    register(release)
