"""The Jupyter server extension: options as traitlets, the handlers, and the runtime they share."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, List, Unicode

from .handlers import RUNTIME_SETTING, HealthHandler, MCPHandler, UnknownPathHandler
from .options import Limits, Options
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
    build_at_start = Bool(
        False,
        config=True,
        help=(
            "Build the MCP server as soon as the extension starts instead of on the first /mcp request "
            "(`jmcp start` sets it: it is about to wait for /mcp/healthz anyway)."
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
        )

    def initialize_settings(self) -> None:
        self.runtime = McpRuntime(self.serverapp, self.log, self.options())
        self.settings[RUNTIME_SETTING] = self.runtime

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            [(r"/mcp/healthz/?", HealthHandler), (r"/mcp/?", MCPHandler), (r"/mcp/.+", UnknownPathHandler)]
        )

    async def _start_jupyter_server_extension(self, serverapp: object) -> None:
        self.runtime.start()
        if self.build_at_start:
            self.runtime.request_build()

    async def stop_extension(self) -> None:
        await self.runtime.stop()
