"""``python -m jmcp_ext.preload ARGS``: ``jupyter lab ARGS``, with the MCP SDK imported in a thread meanwhile.

``jmcp start`` launches JupyterLab this way because it waits for the MCP endpoint anyway. JupyterLab's own
start-up spends a good while waiting on a ``node`` subprocess (its yarn configuration) with Python idle; the
SDK's import (about a second of CPU) fills that wait instead of following the server's start. A plain
``jupyter lab`` never runs this and keeps its lazy build. If the import fails here, the runtime's own
build (which imports the same modules) reports it.
"""

from __future__ import annotations

import contextlib
import importlib
import runpy
import threading

#: What the runtime's build imports, the SDK's heavy part first.
MODULES = (
    "mcp.server.mcpserver",
    "mcp.server.streamable_http_manager",
    "mcp.server.transport_security",
    "mcp.server.auth.middleware.bearer_auth",
)


def _import_all() -> None:
    for name in MODULES:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def main() -> None:
    """Start the imports, then run JupyterLab in this thread as ``python -m jupyterlab`` would."""
    threading.Thread(target=_import_all, name="jmcp-preload", daemon=True).start()
    runpy.run_module("jupyterlab", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
