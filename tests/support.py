"""Test support: a real Jupyter server in a subprocess, and MCP clients for it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from tests.polling import WaitTimeout, poll, poll_async

STARTUP_TIMEOUT = 60.0
#: A raw 2025-11-25 initialize request and the headers Streamable HTTP wants, for tests below the SDK.
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
REPO_ROOT = Path(__file__).resolve().parents[1]


NPM_NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "network")


def npm_tool(package: str, binary: str, prefix_name: str | None = None) -> Path:
    """An npm package's executable, installed once into a cache prefix (``JMCP_TEST_CACHE``).

    Skips the test when npm is missing or the registry cannot be reached; fails on any other error.
    """
    import pytest

    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed: cannot install {package}")
    prefix = registry_cache() / (prefix_name or package.replace("/", "_").lstrip("@"))
    path = prefix / "node_modules" / ".bin" / binary
    if not path.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        install([npm, "install", "--no-fund", "--no-audit", "--prefix", str(prefix), package], NPM_NETWORK_ERRORS)
    return path


def registry_cache() -> Path:
    """Where tests keep what they install from a registry between runs (``JMCP_TEST_CACHE``)."""
    return Path(os.environ.get("JMCP_TEST_CACHE", Path(tempfile.gettempdir()) / "jmcp-test-cache"))


def install(argv: list[str], network_errors: tuple[str, ...]) -> None:
    """Run an installer; skip the test if its output names a network error, fail it on any other error."""
    import pytest

    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        if any(err in proc.stderr for err in network_errors):
            pytest.skip(f"registry unreachable ({' '.join(argv[:2])}): {proc.stderr.strip().splitlines()[-1]}")
        raise AssertionError(f"{' '.join(argv)} failed:\n{proc.stderr}")


#: What pip prints when the package index cannot be reached.
PIP_NETWORK_ERRORS = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable")


def pip_target(package: str) -> Path:
    """A directory holding ``package`` from the package index (its newest release when first installed, without its
    dependencies, which jmcp's environment already has), installed once into the test cache (``JMCP_TEST_CACHE``;
    delete its ``pip-PACKAGE`` directory for a newer one) and never into the test environment: a server sees it
    only when it is put on that server's ``PYTHONPATH``.

    Skips the test when the index cannot be reached; fails on any other error.
    """
    target = registry_cache() / f"pip-{package}"
    if not (target / ".installed").exists():
        shutil.rmtree(target, ignore_errors=True)
        argv = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), package]
        install(argv, PIP_NETWORK_ERRORS)
        (target / ".installed").touch()
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolated_env(home: Path, code: Path = REPO_ROOT) -> dict[str, str]:
    """Environment for a child Jupyter that reads and writes nothing outside ``home`` and runs ``code``'s jmcp."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_TOKEN", None)
    # Child servers import jmcp_ext from this checkout (or ``code``), whatever the editable install points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    return env


class PortTaken(RuntimeError):
    """The chosen port was taken by someone else between choosing and binding it."""


class ServerExited(RuntimeError):
    """The server process ended while a test waited for it."""


@dataclass
class JupyterServer:
    """A ``jupyter server`` process with the extension, on a free loopback port."""

    root: Path
    home: Path
    args: list[str] = field(default_factory=list)
    base_url: str = "/"
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = field(default_factory=free_port)
    app: str = "server"
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    code: Path = REPO_ROOT  # the checkout whose jmcp_ext the server runs (bench/ab.py runs another one beside)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_url}"

    @property
    def mcp_url(self) -> str:
        return f"{self.url}mcp"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def start(self) -> JupyterServer:
        # A free port can be taken by another process before the server binds it: try another one.
        for attempt in range(3):
            try:
                return self._start()
            except PortTaken:
                if attempt == 2:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _start(self) -> JupyterServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path = self.home / "server.log"
        argv = [
            sys.executable, "-m", f"jupyter{'lab' if self.app == 'lab' else '_server'}",
            "--no-browser", "--allow-root",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            *([] if any(a.startswith("--ServerApp.ip=") for a in self.args) else ["--ServerApp.ip=127.0.0.1"]),
            f"--ServerApp.root_dir={self.root}", f"--ServerApp.base_url={self.base_url}",
            "--YDocExtension.document_save_delay=0.5",
            *self.args,
        ]  # fmt: skip
        env = isolated_env(self.home, self.code)
        env["JUPYTER_TOKEN"] = self.token
        with open(self.log_path, "wb") as log:
            # No terminal: a server never reads stdin, and with one Jupyter would ask before stopping on SIGINT.
            self.proc = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.root
            )
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> dict[str, Any]:
        """Wait until ``/mcp/healthz`` says ``"status": "ok"``; fail at once if the process exits."""

        def health() -> dict[str, Any]:
            assert self.proc is not None
            if self.proc.poll() is not None:
                log = self.log()
                if f"port {self.port} is not available" in log:
                    raise PortTaken(self.port)
                raise ServerExited(f"jupyter exited with {self.proc.returncode}:\n{log}")
            response = httpx2.get(f"{self.mcp_url}/healthz", timeout=2)
            return {"http": response.status_code, "body": response.json()}

        try:
            state = poll(
                health,
                lambda seen: seen["http"] == 200 and seen["body"]["status"] == "ok",
                timeout=timeout,
                what=f"{self.mcp_url}/healthz to say status ok",
                interval=0.1,
                fatal=(PortTaken, ServerExited),
            )
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}\nserver log:\n{self.log()}") from exc.__cause__
        return dict(state["body"])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def notebook_on_disk(self, path: str) -> dict[str, Any]:
        return dict(json.loads((self.root / path).read_text()))

    def wait_for_disk(
        self, path: str, predicate: Callable[[dict[str, Any]], object], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Poll the file until ``predicate(notebook)`` holds (autosave is asynchronous); return it.

        A missing or half-written file, or a predicate that raises on a notebook not yet complete
        (``nb["cells"][0]`` before the first cell is saved), counts as "not yet".
        """
        return poll(
            lambda: self.notebook_on_disk(path),
            predicate,
            timeout=timeout,
            what=f"{path} on disk to match",
            interval=0.05,
        )


@contextlib.contextmanager
def running_server(root: Path, home: Path, *args: str, **kwargs: Any) -> Iterator[JupyterServer]:
    server = JupyterServer(root=root, home=home, args=list(args), **kwargs)
    try:
        yield server.start()
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def mcp_client(
    url: str, token: str | None, *, mode: str = "legacy", timeout: float = 60.0, **kwargs: Any
) -> AsyncIterator[Any]:
    """The MCP SDK's own client over Streamable HTTP with a Bearer header."""
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, **kwargs) as client,
    ):
        yield client


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def call(client: Any, tool: str, **arguments: Any) -> str:
    """Call a tool that must succeed; return its text."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool} failed: {text_of(result)}"
    return text_of(result)


async def call_error(client: Any, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail with a tool error; return the message."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} unexpectedly succeeded: {text_of(result)}"
    return text_of(result)


class TornadoChannel:
    """A pycrdt ``Channel`` over a tornado websocket client connection."""

    def __init__(self, connection: Any, path: str) -> None:
        self._connection = connection
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> TornadoChannel:
        return self

    async def __anext__(self) -> bytes:
        message = await self._connection.read_message()
        if message is None:
            raise StopAsyncIteration
        return bytes(message) if not isinstance(message, str) else message.encode()

    async def send(self, message: bytes) -> None:
        await self._connection.write_message(message, binary=True)

    async def recv(self) -> bytes:
        return await self.__anext__()


async def room_websocket(server: JupyterServer, room: str, query: str = "") -> Any:
    """A websocket to a collaboration room (``query`` starts with ``?`` when given)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{server.port}{server.base_url}api/collaboration/room/{room}{query}"
    return await websocket_connect(HTTPRequest(url, headers=server.headers))


async def notebook_room(server: JupyterServer, path: str) -> tuple[str, Any]:
    """Open a notebook's collaboration session the way JupyterLab does: its room name and a websocket to it."""
    async with httpx2.AsyncClient(headers=server.headers, timeout=30) as http:
        response = await http.put(
            f"{server.url}api/collaboration/session/{path}", json={"format": "json", "type": "notebook"}
        )
        response.raise_for_status()
        session = response.json()
    room = f"{session['format']}:{session['type']}:{session['fileId']}"
    return room, await room_websocket(server, room, f"?sessionId={session['sessionId']}")


@contextlib.asynccontextmanager
async def collaboration_client(server: JupyterServer, path: str) -> AsyncIterator[Any]:
    """A second collaboration peer on a notebook's room, connected the way JupyterLab connects."""
    from jupyter_ydoc import YNotebook
    from pycrdt import Provider

    room, connection = await notebook_room(server, path)
    notebook = YNotebook()
    try:
        async with Provider(notebook.ydoc, TornadoChannel(connection, room)):
            yield notebook
    finally:
        connection.close()


async def wait_until(
    predicate: Callable[[], object],
    timeout: float = 10.0,
    interval: float = 0.01,
    *,
    what: str = "the condition",
    show: Callable[[], object] | None = None,
) -> float:
    """Wait (bounded) until ``predicate()`` is true; return the seconds it took.

    A predicate that raises counts as false; on timeout ``show()`` describes the state waited on.
    """
    started = time.monotonic()
    await poll_async(predicate, timeout=timeout, what=what, interval=interval, show=show)
    return time.monotonic() - started


async def wait_for_cells(
    peer: Any, accept: Callable[[list[dict[str, Any]]], object], timeout: float = 10.0, what: str = "the cells"
) -> list[dict[str, Any]]:
    """Wait (bounded) until a collaboration peer's cells, as plain dicts, satisfy ``accept``; return them."""
    return await poll_async(
        lambda: list(peer.ycells.to_py()), accept, timeout=timeout, what=f"{what} in the peer's document", interval=0.01
    )
