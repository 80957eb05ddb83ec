"""Finding the Jupyter server to talk to: jmcp's own record, else Jupyter's runtime files."""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import paths, tokens
from .errors import JmcpError
from .private_files import write_private

DEFAULT_PORT = 4040
DEFAULT_IP = "127.0.0.1"


@dataclass(frozen=True)
class Server:
    """A Jupyter server as seen by the CLI. ``base_url`` always ends with ``/``."""

    base_url: str
    token: str | None
    source: str
    running: bool
    pid: int | None = None
    root_dir: str | None = None

    @property
    def mcp_url(self) -> str:
        return self.base_url + "mcp"

    @property
    def healthz_url(self) -> str:
        return self.base_url + "mcp/healthz"

    @property
    def port(self) -> int | None:
        return urlsplit(self.base_url).port

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""


@dataclass(frozen=True)
class Record:
    """What ``jmcp start`` launched, written once the server answers."""

    base_url: str
    port: int
    ip: str
    pid: int
    jmcp_pid: int
    root_dir: str
    started_at: float


def normalize_base_url(url: str) -> str:
    """Accept a base URL or the MCP URL (``.../mcp``) and return the base URL ending with ``/``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise JmcpError(f"not an http(s) URL: {url!r} (expected e.g. http://127.0.0.1:{DEFAULT_PORT}/)")
    path = parts.path.rstrip("/")
    if path.endswith("/mcp/healthz"):
        path = path[: -len("/mcp/healthz")]
    elif path.endswith("/mcp") or path == "mcp":
        path = path[: -len("mcp")].rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))


def base_url_for(ip: str, port: int, base: str = "/") -> str:
    host = f"[{ip}]" if ":" in ip else ip
    if ip in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}{base if base.endswith('/') else base + '/'}"


def pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_record(record: Record) -> None:
    write_private(paths.server_record_file(), json.dumps(asdict(record), indent=2) + "\n")


def read_record() -> Record | None:
    path = paths.server_record_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Record(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        # A damaged record only loses the hint; the runtime files still find running servers.
        return None


def jupyter_runtime_files() -> list[Path]:
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = Path(jupyter_runtime_dir())
    files = sorted(runtime.glob("jpserver-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    return files


def running_jupyter_servers() -> list[Server]:
    """Servers announced by Jupyter's runtime files whose process is alive, newest first."""
    found: list[Server] = []
    for path in jupyter_runtime_files():
        try:
            info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        pid = info.get("pid")
        if not isinstance(pid, int) or not pid_alive(pid) or not info.get("url"):
            continue
        found.append(
            Server(
                base_url=normalize_base_url(str(info["url"])),
                token=info.get("token") or None,
                source=f"Jupyter runtime file {path.name}",
                running=True,
                pid=pid,
                root_dir=info.get("root_dir"),
            )
        )
    return found


def _same_server(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    loop = {"127.0.0.1", "localhost", "::1"}
    ha, hb = pa.hostname or "", pb.hostname or ""
    same_host = ha == hb or (ha in loop and hb in loop)
    return same_host and pa.port == pb.port and pa.path == pb.path


def find_server(url: str | None = None, token: str | None = None) -> Server:
    """The server the user most likely means.

    Order: ``--url``; the server ``jmcp start`` launched, if alive; any running Jupyter server from
    the runtime files; the last recorded ``jmcp start``; the default address. The token comes from
    ``--token``, the runtime file of that server, or jmcp's stored token.
    """
    running = running_jupyter_servers()
    record = read_record()

    def token_for(base: str) -> str | None:
        if token:
            return token
        if record and _same_server(record.base_url, base):
            return tokens.load() or next((s.token for s in running if _same_server(s.base_url, base)), None)
        match = next((s for s in running if _same_server(s.base_url, base)), None)
        if match and match.token:
            return match.token
        return tokens.load()

    if url:
        base = normalize_base_url(url)
        match = next((s for s in running if _same_server(s.base_url, base)), None)
        return Server(
            base,
            token_for(base),
            "--url",
            running=match is not None,
            pid=match.pid if match else None,
            root_dir=match.root_dir if match else None,
        )
    if record and pid_alive(record.pid):
        return Server(
            record.base_url,
            token_for(record.base_url),
            "started by jmcp start",
            running=True,
            pid=record.pid,
            root_dir=record.root_dir,
        )
    if running:
        s = running[0]
        return Server(s.base_url, token or s.token or tokens.load(), s.source, True, s.pid, s.root_dir)
    if record:
        return Server(record.base_url, token or tokens.load(), "last jmcp start (not running)", running=False)
    return Server(
        base_url_for(DEFAULT_IP, DEFAULT_PORT),
        token or tokens.load(),
        "default address (no server found)",
        False,
    )
