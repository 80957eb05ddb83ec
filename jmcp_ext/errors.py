"""The one error type tools raise: its message is written for the model and says what to do next."""

from mcp.server.mcpserver.exceptions import ToolError


class JmcpError(ToolError):
    """A failure the caller can act on; reaches the client as a tool error, never as an HTTP error."""
