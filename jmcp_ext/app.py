"""The Jupyter server extension: options as traitlets, the handlers, and the runtime they share."""

from __future__ import annotations

import signal
import threading
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, List, Unicode

from .auth import NO_TOKEN, has_no_token
from .checkpoints import install_live_revert
from .handlers import RUNTIME_SETTING, HealthHandler, MCPHandler, UnknownPathHandler
from .options import EventLimits, Limits, Options
from .runtime import McpRuntime


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
    event_store_max_bytes = Int(
        64 * 2**20,
        config=True,
        help="Bytes of recent MCP stream events kept for all sessions together, so a client whose connection "
        "dropped can resume with Last-Event-ID and still get a long call's result; the oldest go first.",
    )
    event_store_max_session_bytes = Int(
        16 * 2**20, config=True, help="Bytes of recent MCP stream events kept for one session."
    )
    event_store_max_age = Float(
        1800.0, config=True, help="Seconds an MCP stream event is kept for resumption (Last-Event-ID)."
    )
    serve_without_token = Bool(
        False,
        config=True,
        help="Serve MCP on a Jupyter server that has no token (--IdentityProvider.token=''). Only for a "
        "deployment behind a proxy that authenticates every request: anyone who reaches the server can then "
        "run code. Origin and Host checks still apply. Without it, such a server refuses MCP and says why.",
    )
    presence_idle_seconds = Float(
        90.0,
        config=True,
        help="Seconds without a tool call after which an agent leaves JupyterLab's collaborators (it returns on "
        "its next call).",
    )
    live_checkpoint_revert = Bool(
        True,
        config=True,
        help="Make File > Revert Notebook to Checkpoint update a notebook that is open with collaboration on "
        "(without it the tab keeps the old content and autosave writes it back).",
    )
    direct_calls = Bool(
        True,
        config=True,
        help="Serve tool calls and other common requests of an open session through the SDK's request pipeline "
        "without its per-request streams (about 1 ms less per call; see jmcp_ext/direct_calls.py). Off: every "
        "request takes the SDK's own transport.",
    )
    build_at_start = Bool(
        False,
        config=True,
        help=(
            "Build the MCP server as soon as the extension starts instead of on the first /mcp request, on the "
            "server's own thread: Jupyter answers nothing for the half second or so this takes (`jmcp start` "
            "sets it: it waits for /mcp/healthz before it shows the server to anyone)."
        ),
    )

    def options(self) -> Options:
        limits = Limits(
            execution_timeout=self.execution_timeout,
            max_execution_timeout=self.max_execution_timeout,
            max_output_chars=self.max_output_chars,
            max_image_bytes=self.max_image_bytes,
            progress_interval=self.progress_interval,
        )
        return Options(
            limits=limits,
            read_only=self.read_only,
            disabled_tools=frozenset(self.disabled_tools),
            room_idle_seconds=self.room_idle_seconds,
            session_idle_timeout=self.session_idle_timeout,
            max_sessions=self.max_sessions,
            events=EventLimits(
                max_session_bytes=self.event_store_max_session_bytes,
                max_total_bytes=self.event_store_max_bytes,
                max_age_seconds=self.event_store_max_age,
            ),
            serve_without_token=self.serve_without_token,
            presence_idle_seconds=self.presence_idle_seconds,
            live_checkpoint_revert=self.live_checkpoint_revert,
            direct_calls=self.direct_calls,
        )

    def initialize_settings(self) -> None:
        self.runtime = McpRuntime(self.serverapp, self.log, self.options())
        self.settings[RUNTIME_SETTING] = self.runtime
        if has_no_token(getattr(self.serverapp, "identity_provider", None)):
            if self.serve_without_token:
                self.log.warning(
                    "jmcp serves MCP WITHOUT A TOKEN (JMCPExtension.serve_without_token): anyone who reaches this "
                    "server can run code through /mcp. Keep it behind a proxy that authenticates every request."
                )
            else:
                self.log.warning("jmcp refuses MCP on this server: %s", NO_TOKEN)

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            [(r"/mcp/healthz/?", HealthHandler), (r"/mcp/?", MCPHandler), (r"/mcp/.+", UnknownPathHandler)]
        )

    async def _start_jupyter_server_extension(self, serverapp: object) -> None:
        _stop_cleanly_on_sigint(self.serverapp)
        if self.live_checkpoint_revert:
            install_live_revert(self.serverapp, self.log)
        self.runtime.start()
        if self.build_at_start:
            self.runtime.request_build(on_loop=True)

    async def stop_extension(self) -> None:
        await self.runtime.stop()


def _stop_cleanly_on_sigint(serverapp: Any) -> None:
    """Make SIGINT stop a server that has no terminal the way SIGTERM does.

    With a terminal Jupyter asks for confirmation; without one it leaves Python's default handler, which
    raises KeyboardInterrupt in whatever the main thread runs at that moment. With jmcp's tasks and the
    MCP SDK's task groups running, that can land in code that takes it for a cancellation: the server then
    keeps running, silently (seen twice in about ten full test runs on a loaded machine). JupyterHub
    replaces the handler the same way for its single-user servers.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # Jupyter (a terminal) or someone else handles it

    def stop(signum: int, frame: Any) -> None:
        serverapp.log.critical("received SIGINT without a terminal, stopping")
        serverapp.stop(from_signal=True)

    signal.signal(signal.SIGINT, stop)
