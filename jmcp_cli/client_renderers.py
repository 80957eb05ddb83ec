"""One renderer per MCP client format: the server's URL and token in, the client's entry (a dict) out.

Each client's documented format is cited next to its renderer; field names differ between clients
and a wrong one fails silently, so tests compare every field with these sources.
"""

from typing import Any
from urllib.parse import urlsplit

CODEX_TOKEN_ENV = "JMCP_TOKEN"
MCP_REMOTE_AUTH_ENV = "AUTH_HEADER"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mcp_remote_needs_allow_http(url: str) -> bool:
    """mcp-remote refuses plain http unless the host is exactly localhost or 127.0.0.1."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1")


def render_claude(url: str, token: str) -> dict[str, Any]:
    """Claude Code, HTTP transport. Source: https://code.claude.com/docs/en/mcp
    (`claude mcp add --transport http NAME URL --header "Authorization: Bearer ..."` stores this)."""
    return {"type": "http", "url": url, "headers": bearer(token)}


def render_mcp_remote(url: str, token: str) -> dict[str, Any]:
    """A stdio entry running mcp-remote. Source: https://github.com/geelen/mcp-remote README.

    The header value goes through an env var: several clients (Cursor, Claude Desktop on Windows)
    do not escape spaces inside args, so ``Authorization: Bearer X`` would break there.
    """
    args = ["mcp-remote", url, "--header", f"Authorization:${{{MCP_REMOTE_AUTH_ENV}}}"]
    if mcp_remote_needs_allow_http(url):
        args.append("--allow-http")
    return {"command": "npx", "args": args, "env": {MCP_REMOTE_AUTH_ENV: f"Bearer {token}"}}


def render_cursor(url: str, token: str) -> dict[str, Any]:
    """Cursor, remote server. Source: https://cursor.com/docs/mcp (``url`` + ``headers``)."""
    return {"url": url, "headers": bearer(token)}


def render_vscode(url: str, token: str) -> dict[str, Any]:
    """VS Code, under ``servers`` (not ``mcpServers``).
    Source: https://code.visualstudio.com/docs/copilot/reference/mcp-configuration (``type: http``)."""
    return {"type": "http", "url": url, "headers": bearer(token)}


def render_windsurf(url: str, token: str) -> dict[str, Any]:
    """Windsurf. Source: https://docs.windsurf.com/windsurf/cascade/mcp (``serverUrl``, not ``url``)."""
    return {"serverUrl": url, "headers": bearer(token)}


def render_gemini(url: str, token: str) -> dict[str, Any]:
    """Gemini CLI. Source: https://geminicli.com/docs/tools/mcp-server/ ; current releases'
    `gemini mcp add --transport http` write ``url`` with ``"type": "http"`` (older ones: ``httpUrl``)."""
    return {"url": url, "type": "http", "headers": bearer(token)}


def render_codex(url: str, token: str) -> dict[str, Any]:
    """Codex, ``[mcp_servers.NAME]`` in config.toml. Source: https://developers.openai.com/codex/mcp
    Codex takes no inline token: it reads it from the env var named by ``bearer_token_env_var``."""
    return {"url": url, "bearer_token_env_var": CODEX_TOKEN_ENV}


def render_opencode(url: str, token: str) -> dict[str, Any]:
    """OpenCode, under ``mcp``. Source: https://opencode.ai/docs/mcp-servers/ (``type: remote``)."""
    return {"type": "remote", "url": url, "headers": bearer(token), "enabled": True}


def render_zed(url: str, token: str) -> dict[str, Any]:
    """Zed, under ``context_servers`` in settings.json (JSON with comments).

    Source: https://zed.dev/docs/ai/mcp ("remote-mcp-server": ``url`` + ``headers``), and Zed's
    ``ContextServerSettingsContent::Http`` (crates/settings_content/src/project.rs: an untagged enum,
    so ``url`` alone selects HTTP; ``headers`` is a string map; ``enabled`` defaults to true).
    """
    return {"url": url, "headers": bearer(token)}


GOOSE_TIMEOUT_SECONDS = 300  # goose's DEFAULT_EXTENSION_TIMEOUT; its docs ask new entries to set one


def render_goose(url: str, token: str) -> dict[str, Any]:
    """Goose, under ``extensions`` in config.yaml; the row adds ``name`` (Goose requires it).

    Source: https://block.github.io/goose/docs/guides/config-files and block/goose
    crates/goose/src/agents/extension.rs (``ExtensionConfig::StreamableHttp``: ``type:
    streamable_http``, ``uri`` not ``url``, ``headers``, a required ``description``, ``timeout``) and
    crates/goose/src/config/extensions.rs (``ExtensionEntry``: ``enabled`` beside the flattened config).
    Goose expands ``${VAR}`` in headers only from the entry's own ``envs``, so the token is inline.
    """
    return {
        "enabled": True,
        "type": "streamable_http",
        "description": "Read, edit and run Jupyter notebooks live (jmcp)",
        "uri": url,
        "headers": bearer(token),
        "timeout": GOOSE_TIMEOUT_SECONDS,
    }


def render_continue(url: str, token: str) -> dict[str, Any]:
    """Continue, one item of the ``mcpServers`` list (a list of objects with ``name``; the row adds it).

    Source: https://docs.continue.dev/customize/deep-dives/mcp (``type: streamable-http``, ``url``)
    and continuedev/continue packages/config-yaml/src/schemas/mcp/index.ts (``requestOptions.headers``,
    a string map that core/context/mcp/MCPConnection.ts sends on every request).
    """
    return {"type": "streamable-http", "url": url, "requestOptions": {"headers": bearer(token)}}
