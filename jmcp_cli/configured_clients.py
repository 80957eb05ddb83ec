"""Reading our entries back from client configs (for ``jmcp doctor`` and token rotation)."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .client_configs import CLIENTS, Client, resolve_target
from .client_renderers import MCP_REMOTE_AUTH_ENV
from .config_file import Target, get_entry, load_document
from .errors import ConfigFileError, JmcpError


@dataclass(frozen=True)
class Endpoint:
    """What an existing entry points at."""

    url: str | None
    token: str | None
    token_env: str | None = None
    command: str | None = None


def _bearer_value(header: object) -> str | None:
    return header.strip().removeprefix("Bearer ").strip() if isinstance(header, str) else None


def endpoint_of(entry: Any) -> Endpoint:
    """The URL and token of an entry written by any of the renderers (or by hand in their shape)."""
    if not isinstance(entry, dict):
        return Endpoint(None, None)
    if "command" in entry:
        args = [a for a in entry.get("args") or [] if isinstance(a, str)]
        url = next((a for a in args if a.startswith(("http://", "https://"))), None)
        header = (entry.get("env") or {}).get(MCP_REMOTE_AUTH_ENV)
        if header is None:
            header = next((a.split(":", 1)[1] for a in args if a.lower().startswith("authorization:")), None)
        return Endpoint(url, _bearer_value(header), command=str(entry.get("command")))
    url = entry.get("url") or entry.get("serverUrl") or entry.get("httpUrl") or entry.get("uri")
    headers = entry.get("headers") or (entry.get("requestOptions") or {}).get("headers") or {}
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    env_var = entry.get("bearer_token_env_var")
    if env_var:
        return Endpoint(url, os.environ.get(env_var), token_env=env_var)
    return Endpoint(url, _bearer_value(auth))


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
        for scope in client.scopes:
            if scope.path is None:
                continue
            try:
                target = resolve_target(client, scope.name, home, cwd, name=name)
            except JmcpError:
                continue  # no entry of this name can exist there (Continue names its files after entries)
            key = (target.path, target.keys)
            if key in seen or not target.path.exists():
                continue
            seen.add(key)
            try:
                doc = load_document(target.path, target.fmt)
            except ConfigFileError as e:
                found.append(Configured(client, scope.name, target, None, str(e)))
                continue
            entry = get_entry(doc, target.keys, client.entry_key(name), target.list_key)
            if entry is not None:
                found.append(Configured(client, scope.name, target, entry))
    return found
