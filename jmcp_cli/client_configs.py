"""One renderer per MCP client (data in, dict out) and where each client keeps its config.

Each client's documented format is cited next to its renderer; field names differ between clients
and a wrong one fails silently, so tests compare every field with these sources.
"""

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from .config_file import Format, Target, get_entry, load_document
from .errors import ConfigFileError, JmcpError

ClientName = Literal[
    "claude", "claude-desktop", "cursor", "vscode", "windsurf", "gemini", "codex", "opencode", "mcp-remote"
]
DEFAULT_NAME = "jupyter"
CODEX_TOKEN_ENV = "JMCP_TOKEN"
MCP_REMOTE_AUTH_ENV = "AUTH_HEADER"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mcp_remote_needs_allow_http(url: str) -> bool:
    """mcp-remote refuses plain http unless the host is exactly localhost or 127.0.0.1."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1")


# --- renderers -------------------------------------------------------------------------------


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


# --- where each client keeps its config -------------------------------------------------------


def _xdg_config(home: Path) -> Path:
    value = os.environ.get("XDG_CONFIG_HOME")
    return Path(value) if value else home / ".config"


def _app_support(home: Path) -> Path:
    """The per-user application data dir (macOS, Windows, else XDG)."""
    if sys.platform == "darwin":
        return home / "Library" / "Application Support"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
    return _xdg_config(home)


def claude_json(home: Path) -> Path:
    """Claude Code's own state file (user and local scopes); CLAUDE_CONFIG_DIR moves it."""
    override = os.environ.get("CLAUDE_CONFIG_DIR")
    return (Path(override) if override else home) / ".claude.json"


def _target_claude(scope: str, home: Path, cwd: Path) -> Target:
    if scope == "project":
        return Target(cwd / ".mcp.json", "json", ("mcpServers",))
    if scope == "user":
        return Target(claude_json(home), "json", ("mcpServers",))
    return Target(claude_json(home), "json", ("projects", str(cwd.resolve()), "mcpServers"))


def _target_claude_desktop(scope: str, home: Path, cwd: Path) -> Target:
    return Target(_app_support(home) / "Claude" / "claude_desktop_config.json", "json", ("mcpServers",))


def _target_cursor(scope: str, home: Path, cwd: Path) -> Target:
    base = cwd if scope == "project" else home
    return Target(base / ".cursor" / "mcp.json", "json", ("mcpServers",))


def _target_vscode(scope: str, home: Path, cwd: Path) -> Target:
    if scope == "workspace":
        return Target(cwd / ".vscode" / "mcp.json", "json", ("servers",))
    return Target(_app_support(home) / "Code" / "User" / "mcp.json", "json", ("servers",))


def _target_windsurf(scope: str, home: Path, cwd: Path) -> Target:
    return Target(home / ".codeium" / "windsurf" / "mcp_config.json", "json", ("mcpServers",))


def _target_gemini(scope: str, home: Path, cwd: Path) -> Target:
    base = cwd if scope == "project" else home
    return Target(base / ".gemini" / "settings.json", "json", ("mcpServers",))


def _target_codex(scope: str, home: Path, cwd: Path) -> Target:
    if scope == "project":
        return Target(cwd / ".codex" / "config.toml", "toml", ("mcp_servers",))
    codex_home = os.environ.get("CODEX_HOME")
    return Target((Path(codex_home) if codex_home else home / ".codex") / "config.toml", "toml", ("mcp_servers",))


def _target_opencode(scope: str, home: Path, cwd: Path) -> Target:
    if scope == "project":
        return Target(cwd / "opencode.json", "json", ("mcp",))
    return Target(_xdg_config(home) / "opencode" / "opencode.json", "json", ("mcp",))


def _target_none(scope: str, home: Path, cwd: Path) -> Target:
    raise JmcpError("mcp-remote has no config file of its own: use --print, or --file PATH to merge it into one")


@dataclass(frozen=True)
class Client:
    name: str
    title: str
    scopes: tuple[str, ...]  # the first one is the default
    render: Callable[[str, str], dict[str, Any]]
    target: Callable[[str, Path, Path], Target]
    servers_key: tuple[str, ...] = ("mcpServers",)
    fmt: Format = "json"
    token_in_file: bool = True

    @property
    def default_scope(self) -> str:
        return self.scopes[0]


CLIENTS: dict[str, Client] = {
    c.name: c
    for c in [
        Client("claude", "Claude Code", ("local", "project", "user"), render_claude, _target_claude),
        Client("claude-desktop", "Claude Desktop", ("user",), render_mcp_remote, _target_claude_desktop),
        Client("cursor", "Cursor", ("user", "project"), render_cursor, _target_cursor),
        Client("vscode", "VS Code", ("user", "workspace"), render_vscode, _target_vscode, ("servers",)),
        Client("windsurf", "Windsurf", ("user",), render_windsurf, _target_windsurf),
        Client("gemini", "Gemini CLI", ("user", "project"), render_gemini, _target_gemini),
        Client(
            "codex",
            "Codex",
            ("user", "project"),
            render_codex,
            _target_codex,
            ("mcp_servers",),
            "toml",
            False,
        ),
        Client("opencode", "OpenCode", ("user", "project"), render_opencode, _target_opencode, ("mcp",)),
        Client("mcp-remote", "any stdio-only client (mcp-remote)", ("user",), render_mcp_remote, _target_none),
    ]
}


def get_client(name: str) -> Client:
    try:
        return CLIENTS[name]
    except KeyError:
        raise JmcpError(f"unknown client {name!r}; choose one of: {', '.join(CLIENTS)}") from None


def resolve_target(client: Client, scope: str | None, home: Path, cwd: Path, file: Path | None = None) -> Target:
    scope = scope or client.default_scope
    if scope not in client.scopes:
        raise JmcpError(f"{client.name} has no scope {scope!r}; choose one of: {', '.join(client.scopes)}")
    if file is not None:
        return Target(file, client.fmt, client.servers_key)
    return client.target(scope, home, cwd)


def wrap(client: Client, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The entry inside the client's servers table, for ``--print``."""
    doc: dict[str, Any] = {name: entry}
    for key in reversed(client.servers_key):
        doc = {key: doc}
    return doc


# --- reading entries back (doctor, token rotation) ----------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """What an existing entry points at."""

    url: str | None
    token: str | None
    token_env: str | None = None
    command: str | None = None


def endpoint_of(entry: Any) -> Endpoint:
    if not isinstance(entry, dict):
        return Endpoint(None, None)
    if "command" in entry:
        args = [a for a in entry.get("args") or [] if isinstance(a, str)]
        url = next((a for a in args if a.startswith(("http://", "https://"))), None)
        header = (entry.get("env") or {}).get(MCP_REMOTE_AUTH_ENV)
        if header is None:
            header = next((a.split(":", 1)[1] for a in args if a.lower().startswith("authorization:")), None)
        token = header.strip().removeprefix("Bearer ").strip() if isinstance(header, str) else None
        return Endpoint(url, token, command=str(entry.get("command")))
    url = entry.get("url") or entry.get("serverUrl") or entry.get("httpUrl")
    headers = entry.get("headers") or {}
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    token = auth.strip().removeprefix("Bearer ").strip() if isinstance(auth, str) else None
    env_var = entry.get("bearer_token_env_var")
    if env_var:
        return Endpoint(url, os.environ.get(env_var), token_env=env_var)
    return Endpoint(url, token)


@dataclass(frozen=True)
class Configured:
    client: Client
    scope: str
    target: Target
    entry: Any | None  # None when the file is unreadable (see error)
    error: str | None = None


def find_configured(name: str, home: Path, cwd: Path) -> list[Configured]:
    """Every client config (all clients, all scopes, the local scope for ``cwd``) holding ``name``."""
    found: list[Configured] = []
    seen: set[tuple[Path, tuple[str, ...]]] = set()
    for client in CLIENTS.values():
        if client.target is _target_none:
            continue
        for scope in client.scopes:
            target = client.target(scope, home, cwd)
            key = (target.path, target.keys)
            if key in seen or not target.path.exists():
                continue
            seen.add(key)
            try:
                doc = load_document(target.path, target.fmt)
            except ConfigFileError as e:
                found.append(Configured(client, scope, target, None, str(e)))
                continue
            entry = get_entry(doc, target.keys, name)
            if entry is not None:
                found.append(Configured(client, scope, target, entry))
    return found
