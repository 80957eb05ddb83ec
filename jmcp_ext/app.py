"""The Jupyter server extension: options, handlers, and the lifetime of the MCP session manager."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, List, Unicode

from .handlers import HealthHandler, MCPHandler, UnknownPathHandler

if TYPE_CHECKING:
    from .kernels import Kernels
    from .notebooks import NotebookStore
    from .tools.context import Services


class JMCPExtension(ExtensionApp):
    """Serves MCP (Streamable HTTP) at ``{base_url}mcp`` with tools that edit notebooks live."""

    name = "jmcp"
    load_other_extensions = True

    read_only = Bool(False, config=True, help="Only offer tools that read: no editing, no code execution.")
    disabled_tools = List(
        Unicode(), default_value=[], config=True, help="Names of tools to leave out, e.g. ['execute_code']."
    )
    execution_timeout = Float(
        300.0,
        config=True,
        help="Seconds a cell may run before the kernel is interrupted (tools may ask for less).",
    )
    max_execution_timeout = Float(3600.0, config=True, help="Upper bound for a timeout a tool call asks for.")
    max_output_chars = Int(
        20_000, config=True, help="Characters of output text returned per call; longer output is truncated."
    )
    max_image_bytes = Int(
        1_000_000,
        config=True,
        help="Images larger than this are replaced by a note saying how to fetch them.",
    )
    progress_interval = Float(
        5.0,
        config=True,
        help="Seconds between progress notifications while code runs (keeps clients waiting).",
    )
    room_idle_seconds = Float(
        60.0,
        config=True,
        help="Release collaboration rooms jmcp opened after this long without use or viewers.",
    )
    session_idle_timeout = Float(
        1800.0,
        config=True,
        help="Seconds after which an idle MCP session is closed (the client re-initialises).",
    )
    max_sessions = Int(1000, config=True, help="Maximum number of concurrent MCP sessions.")

    mcp_path = "/mcp"

    def initialize_settings(self) -> None:
        # The services and the MCP server are built on the first /mcp or /mcp/healthz request, in a
        # thread: importing the MCP SDK takes a good share of Jupyter's own start-up time. Meanwhile
        # /mcp/healthz says "starting" and /mcp requests wait for it.
        self.notebooks: NotebookStore | None = None
        self.kernels: Kernels | None = None
        self.services: Services | None = None
        self.mcp: Any = None
        self.session_manager: Any = None
        self.session_manager_running = False
        self._stopping = asyncio.Event()
        self._build_requested = asyncio.Event()
        self.ready = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            [(r"/mcp/healthz/?", HealthHandler), (r"/mcp/?", MCPHandler), (r"/mcp/.+", UnknownPathHandler)]
        )

    def _build_mcp(self) -> None:
        from mcp.server.transport_security import TransportSecuritySettings

        from .kernels import Kernels
        from .notebooks import NotebookStore
        from .tools import build_server
        from .tools.context import Limits, Services

        assert self.serverapp is not None
        notebooks = NotebookStore(self.serverapp, self.log, room_idle_seconds=self.room_idle_seconds)
        kernels = Kernels(self.serverapp, self.log)
        limits = Limits(
            execution_timeout=self.execution_timeout,
            max_execution_timeout=self.max_execution_timeout,
            max_output_chars=self.max_output_chars,
            max_image_bytes=self.max_image_bytes,
            progress_interval=self.progress_interval,
        )
        services = Services(notebooks, kernels, self.serverapp.root_dir, limits)
        _release_worker_threads_at_exit()
        mcp = build_server(services, read_only=self.read_only, disabled=frozenset(self.disabled_tools))
        # Jupyter checks Host and Origin at the edge; the SDK's own DNS-rebinding check would second-guess
        # it with a loopback-only allowlist (and break --ip 0.0.0.0 and proxies), so it is switched off.
        mcp.streamable_http_app(
            streamable_http_path=self.mcp_path,
            session_idle_timeout=self.session_idle_timeout,
            max_sessions=self.max_sessions,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.notebooks, self.kernels, self.services = notebooks, kernels, services
        self.mcp = mcp
        self.session_manager = mcp.session_manager

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        # The MCP server itself is built on first use (request_build), off Jupyter's start-up path.
        self._tasks.append(asyncio.create_task(self._run_session_manager()))
        self._tasks.append(asyncio.create_task(self._housekeeping()))

    def request_build(self) -> None:
        """Build the MCP server now (on the first /mcp or /mcp/healthz request): a plain `jupyter lab`
        that no MCP client talks to never pays for the SDK."""
        self._build_requested.set()

    async def _run_session_manager(self) -> None:
        requested = asyncio.ensure_future(self._build_requested.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait([requested, stopping], return_when=asyncio.FIRST_COMPLETED)
        requested.cancel()
        stopping.cancel()
        if self._stopping.is_set():
            return
        try:
            # In a thread, so the server keeps answering while the SDK's modules load.
            await asyncio.to_thread(self._build_mcp)
        except Exception:
            self.log.exception("jmcp could not build its MCP server; /mcp stays unavailable")
            return
        # The manager's run() must be entered once and stay open for the server's whole life.
        async with self.session_manager.run():
            self.session_manager_running = True
            self.ready.set()
            await self._stopping.wait()
        self.session_manager_running = False

    async def _housekeeping(self) -> None:
        interval = max(1.0, min(30.0, self.room_idle_seconds / 2))
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=interval)
            if self.notebooks is None or self.kernels is None or self.services is None:
                continue  # not built yet
            try:
                await self.notebooks.release_idle_rooms()
                self.kernels.prune()
                if self.session_manager is not None:
                    self.services.forget_sessions(set(self.session_manager._server_instances))
            except Exception:
                self.log.exception("jmcp housekeeping failed")

    def active_sessions(self) -> int:
        return len(self.session_manager._server_instances) if self.session_manager is not None else 0

    def tool_names(self) -> list[str]:
        return sorted(tool.name for tool in self.mcp._tool_manager.list_tools()) if self.mcp is not None else []

    async def stop_extension(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)
        if self.kernels is not None:
            await self.kernels.close()


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
