"""jmcp_ext: a Jupyter server extension that serves MCP at ``{base_url}mcp``."""

from typing import Any

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Imported lazily so that `import jmcp_ext` (used by the CLI for its version) stays cheap.
    from .app import JMCPExtension

    return [{"module": "jmcp_ext", "app": JMCPExtension}]
