"""The MCP clients jmcp can configure: one row per client holds everything about it.

A row says where the client keeps its servers for each scope (file, format, key path), which
renderer writes our entry, and what the client needs beyond the file (a token read from an env
var, a program the entry runs, a note after writing). Commands read these facts from the row and
never test a client's name. To add a client: write a renderer in ``client_renderers`` and a row here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import client_renderers as r
from .client_paths import (
    PathFn,
    app_support,
    claude_config_dir,
    codex_home,
    continue_dir,
    goose_config_dir,
    in_home,
    in_project,
    under,
    xdg_config,
    zed_config_dir,
)
from .config_file import Target
from .config_formats import Format
from .errors import JmcpError

DEFAULT_NAME = "jupyter"
#: Stands for the project directory (resolved) inside a scope's key path.
PROJECT_DIR = "{project_dir}"
#: Stands for the entry's name inside a file name (clients that keep one server per file).
ENTRY_NAME = "{name}"
FILE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")

Render = Callable[[str, str], dict[str, Any]]


# --- the rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One place a client reads servers from."""

    name: str
    path: PathFn | None  # (home, cwd) -> the file; None: the client has no file of its own
    keys: tuple[str, ...] | None = None  # the servers table's key path, when not the client's usual one
    shared: bool = False  # the file sits in the project and may be committed: warn when it holds a token
    note: str = ""  # said after writing to this scope

    @property
    def per_project(self) -> bool:
        """The entry is keyed by the project directory inside a per-user file."""
        return PROJECT_DIR in (self.keys or ())

    def key_path(self, default: tuple[str, ...], cwd: Path) -> tuple[str, ...]:
        return tuple(str(cwd.resolve()) if k == PROJECT_DIR else k for k in self.keys or default)


@dataclass(frozen=True)
class Needs:
    """A program the written entry runs, and what to say when it is missing."""

    program: str
    hint: str


@dataclass(frozen=True)
class Client:
    name: str
    title: str
    scopes: tuple[Scope, ...]  # the first one is the default
    render: Render
    fmt: Format = "json"
    servers_key: tuple[str, ...] = ("mcpServers",)
    token_env: str | None = None  # the client reads the token from this env var, not from the file
    needs: Needs | None = None
    name_field: str | None = None  # the entry also holds its own name under this key
    list_key: str | None = None  # the servers table is a list of objects named by this key
    new_file: tuple[tuple[str, Any], ...] = ()  # top-level keys a file we create starts with
    key_of: Callable[[str], str] | None = None  # the client's own key for an entry named so (default: the name)

    @property
    def default_scope(self) -> str:
        return self.scopes[0].name

    @property
    def scope_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.scopes)

    @property
    def token_in_file(self) -> bool:
        return self.token_env is None

    @property
    def has_own_file(self) -> bool:
        return any(s.path is not None for s in self.scopes)

    def entry_key(self, name: str) -> str:
        """The key our entry goes under in the servers table: the name, unless the client derives its keys."""
        return self.key_of(name) if self.key_of else name

    def entry(self, url: str, token: str, name: str) -> dict[str, Any]:
        """Our entry for this client: the renderer's, plus its own name where the client wants it."""
        named = {self.name_field: name} if self.name_field else {}
        return {**named, **self.render(url, token)}

    def scope(self, name: str | None) -> Scope:
        wanted = name or self.default_scope
        for scope in self.scopes:
            if scope.name == wanted:
                return scope
        raise JmcpError(f"{self.name} has no scope {wanted!r}; choose one of: {', '.join(self.scope_names)}")


def goose_key(name: str) -> str:
    """Goose's ``name_to_key`` (crates/goose/src/config/extensions.rs): whitespace dropped, lowercased.

    Goose finds, toggles and removes an extension under this key, so an entry named "My Lab" must sit under
    ``mylab`` for Goose to manage it.
    """
    return "".join(name.split()).lower()


NPX = Needs("npx", "This entry runs `npx mcp-remote`: install Node.js (which provides npx) first.")

CLIENTS: dict[str, Client] = {
    c.name: c
    for c in [
        Client(
            "claude",
            "Claude Code",
            (
                Scope("local", under(claude_config_dir, ".claude.json"), keys=("projects", PROJECT_DIR, "mcpServers")),
                Scope(
                    "project",
                    in_project(".mcp.json"),
                    shared=True,
                    note="Claude Code asks you to approve project servers the first time you run `claude` here.",
                ),
                Scope("user", under(claude_config_dir, ".claude.json")),
            ),
            r.render_claude,
        ),
        Client(
            "claude-desktop",
            "Claude Desktop",
            (Scope("user", under(app_support, "Claude", "claude_desktop_config.json")),),
            r.render_mcp_remote,
            needs=NPX,
        ),
        Client(
            "cursor",
            "Cursor",
            (
                Scope("user", in_home(".cursor", "mcp.json")),
                Scope("project", in_project(".cursor", "mcp.json"), shared=True),
            ),
            r.render_cursor,
        ),
        Client(
            "vscode",
            "VS Code",
            (
                Scope("user", under(app_support, "Code", "User", "mcp.json")),
                Scope("workspace", in_project(".vscode", "mcp.json"), shared=True),
            ),
            r.render_vscode,
            fmt="jsonc",  # VS Code reads mcp.json as JSON with comments, as it does its settings
            servers_key=("servers",),
        ),
        Client(
            "windsurf",
            "Windsurf",
            (Scope("user", in_home(".codeium", "windsurf", "mcp_config.json")),),
            r.render_windsurf,
        ),
        Client(
            "gemini",
            "Gemini CLI",
            (
                Scope("user", in_home(".gemini", "settings.json")),
                Scope("project", in_project(".gemini", "settings.json"), shared=True),
            ),
            r.render_gemini,
        ),
        Client(
            "codex",
            "Codex",
            (
                Scope("user", under(codex_home, "config.toml")),
                Scope("project", in_project(".codex", "config.toml"), shared=True),
            ),
            r.render_codex,
            fmt="toml",
            servers_key=("mcp_servers",),
            token_env=r.CODEX_TOKEN_ENV,
        ),
        Client(
            "opencode",
            "OpenCode",
            (
                Scope("user", under(xdg_config, "opencode", "opencode.json")),
                Scope("project", in_project("opencode.json"), shared=True),
            ),
            r.render_opencode,
            servers_key=("mcp",),
        ),
        Client(
            "zed",
            "Zed",
            (
                Scope("user", under(zed_config_dir, "settings.json")),
                Scope(
                    "project",
                    in_project(".zed", "settings.json"),
                    shared=True,
                    note="Zed starts a project's MCP servers once you trust the project (it asks when you open it).",
                ),
            ),
            r.render_zed,
            fmt="jsonc",
            servers_key=("context_servers",),
        ),
        Client(
            "goose",
            "Goose",
            (Scope("user", under(goose_config_dir, "config.yaml")),),
            r.render_goose,
            fmt="yaml",
            servers_key=("extensions",),
            name_field="name",
            key_of=goose_key,
        ),
        Client(
            "continue",
            "Continue",
            # One block file per server: Continue loads every .continue/mcpServers/*.yaml (global and
            # workspace), and a block holds exactly one server.
            (
                Scope("user", under(continue_dir, "mcpServers", f"{ENTRY_NAME}.yaml")),
                Scope("workspace", in_project(".continue", "mcpServers", f"{ENTRY_NAME}.yaml"), shared=True),
            ),
            r.render_continue,
            fmt="yaml",
            name_field="name",
            list_key="name",
            new_file=(("name", "Jupyter (jmcp)"), ("version", "0.0.1"), ("schema", "v1")),
        ),
        Client(
            "mcp-remote",
            "any stdio-only client (mcp-remote)",
            (Scope("user", None),),  # no file of its own: --print, or --file into any client's
            r.render_mcp_remote,
            needs=NPX,
        ),
    ]
}


# The CLI's choices come from the rows (typer turns a Literal into a choice list); mypy sees a str.
if TYPE_CHECKING:
    ClientName = str
else:
    ClientName = Literal[tuple(CLIENTS)]


def get_client(name: str) -> Client:
    try:
        return CLIENTS[name]
    except KeyError:
        raise JmcpError(f"unknown client {name!r}; choose one of: {', '.join(CLIENTS)}") from None


def resolve_target(
    client: Client, scope: str | None, home: Path, cwd: Path, file: Path | None = None, name: str = DEFAULT_NAME
) -> Target:
    """The file and key path our entry goes to (``file`` replaces the client's usual file)."""
    row = client.scope(scope)
    if file is not None:
        path = file
    elif row.path is None:
        raise JmcpError(
            f"{client.name} has no config file of its own: use --print, or --file PATH to merge it into one"
        )
    else:
        path = row.path(home, cwd)
        if ENTRY_NAME in path.name:
            if not name or not set(name) <= FILE_NAME_CHARS or name.startswith("."):
                raise JmcpError(
                    f"{client.title} keeps each server in a file named after it: use a --name of letters, "
                    "digits, '.', '_' or '-'"
                )
            path = path.with_name(path.name.replace(ENTRY_NAME, name))
    keys = client.servers_key if file is not None else row.key_path(client.servers_key, cwd)
    return Target(path, client.fmt, keys, client.list_key, client.new_file)


def wrap(client: Client, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The entry inside the client's servers table (in a new file's frame), for ``--print``."""
    doc: Any = [entry] if client.list_key else {client.entry_key(name): entry}
    for key in reversed(client.servers_key):
        doc = {key: doc}
    return {**dict(client.new_file), **doc}


def scope_help() -> str:
    """The ``--scope`` help: clients with a choice, grouped by the scopes they offer."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for client in CLIENTS.values():
        if len(client.scopes) > 1:
            groups.setdefault(client.scope_names, []).append(client.name)
    parts = [f"{', '.join(names)} {'|'.join(scopes)}" for scopes, names in groups.items()]
    return f"Where to write: {'; '.join(parts)}."
