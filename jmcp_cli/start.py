"""``jmcp start``: build JupyterLab's command line, launch it, wait for /mcp, shut it down cleanly."""

import ast
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from . import fetch, paths, ports, servers
from .errors import PortInUseError, ServerStartError

STARTUP_TIMEOUT = 90.0
SHUTDOWN_TIMEOUT = 20.0
POLL_INTERVAL = 0.05


@dataclass(frozen=True)
class StartOptions:
    port: int
    ip: str
    notebook_dir: Path | None = None
    open_browser: bool = True
    extra_args: list[str] = field(default_factory=list)


EXTENSIONS_TRAIT = "--ServerApp.jpserver_extensions"


def _parse_extensions_value(value: str) -> dict[str, bool]:
    """``{"a": True}`` (a Python/JSON literal) or ``a=True``, as traitlets accepts them."""
    value = value.strip()
    if value.startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = ast.literal_eval(value)
        if not isinstance(parsed, dict):
            raise ValueError(value)
        return {str(k): bool(v) for k, v in parsed.items()}
    key, _, flag = value.partition("=")
    return {key.strip(): flag.strip().lower() in ("true", "1", "yes")}


def split_extension_args(extra: list[str]) -> tuple[dict[str, bool], list[str]]:
    """Pull ``--ServerApp.jpserver_extensions`` out of pass-through args so they merge with ours.

    Given twice on the command line, traitlets sees a list and JupyterLab refuses to start.
    """
    extensions: dict[str, bool] = {}
    rest: list[str] = []
    args = iter(extra)
    for arg in args:
        if arg.startswith(EXTENSIONS_TRAIT + "="):
            extensions.update(_parse_extensions_value(arg.split("=", 1)[1]))
        elif arg == EXTENSIONS_TRAIT:
            extensions.update(_parse_extensions_value(next(args, "")))
        else:
            rest.append(arg)
    return extensions, rest


def build_argv(opts: StartOptions, python: str = sys.executable) -> list[str]:
    """JupyterLab's argv. The token is deliberately absent: it travels in the environment."""
    extensions, extra = split_extension_args(opts.extra_args)
    # Enabled even when a user's config disabled it; the other extensions keep their settings
    # because the server merges in the config.d entries it does not find here.
    extensions["jmcp_ext"] = True
    argv = [
        python,
        "-m",
        # JupyterLab, minus an upstream import that costs over a second and serves no Jupyter schema
        # (see jmcp_ext/launch.py).
        "jmcp_ext.launch",
        f"--ServerApp.ip={opts.ip}",
        f"--ServerApp.port={opts.port}",
        "--ServerApp.port_retries=0",
        f"{EXTENSIONS_TRAIT}={extensions!r}",
        f"--ServerApp.open_browser={opts.open_browser}",
        # jmcp start waits for /mcp anyway: the endpoint is built as the extension starts, not on the first
        # request, and the launcher imports the SDK while JupyterLab waits on node.
        "--JMCPExtension.build_at_start=True",
    ]
    if opts.notebook_dir is not None:
        argv.append(f"--ServerApp.root_dir={opts.notebook_dir}")
    argv.extend(extra)
    return argv


def build_env(base: Mapping[str, str], token: str) -> dict[str, str]:
    """The child's environment: JUPYTER_TOKEN carries the token (IdentityProvider reads it)."""
    env = dict(base)
    env["JUPYTER_TOKEN"] = token
    return env


def check_port(ip: str, port: int) -> None:
    """Raise PortInUseError naming the owner (when known) and a free port to use instead."""
    if ports.is_free(ip, port):
        return
    owner = ports.port_owner(port)
    who = f" by pid {owner} ({ports.process_name(owner)})" if owner else ""
    free = ports.suggest_free(ip, port)
    raise PortInUseError(f"port {port} is already in use{who}; try --port {free} (or --port 0 to pick one)")


def resolve_port(ip: str, port: int) -> int:
    if port == 0:
        return ports.os_assigned_port(ip)
    check_port(ip, port)
    return port


def _tail(path: Path, lines: int = 15) -> str:
    """The log lines worth showing: errors and anything about jmcp, else the last lines."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    all_lines = [line for line in text.splitlines() if "GET /mcp/healthz" not in line]
    relevant = [line for line in all_lines if "jmcp" in line or line.startswith(("[E ", "[C ", "Traceback"))]
    return "\n".join((relevant or all_lines)[-lines:])


def wait_until_ready(proc: "subprocess.Popen[bytes]", base_url: str, log: Path, timeout: float) -> dict[str, Any]:
    """Poll ``{base_url}mcp/healthz`` until it answers as jmcp; fail early if JupyterLab dies."""
    deadline = time.monotonic() + timeout
    api_seen_at: float | None = None
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            tail = _tail(log)
            if "Running as root is not recommended" in tail:
                raise ServerStartError(
                    "JupyterLab refuses to run as root; if you mean it, run `jmcp start -- --allow-root`"
                )
            raise ServerStartError(
                f"JupyterLab exited with code {code} before it was ready. Last lines of {log}:\n{tail}"
            )
        try:
            resp = fetch.request(base_url + "mcp/healthz", timeout=2.0)
        except fetch.UnreachableError:
            resp = None
        if resp is not None and resp.status == 200:
            try:
                data = resp.json()
            except ValueError:
                data = {}
            if isinstance(data, dict) and data.get("service") == "jmcp":
                if data.get("status") == "ok":
                    return data
                time.sleep(POLL_INTERVAL)  # "starting": the MCP server is still being built
                continue
            raise ServerStartError(
                f"{base_url}mcp/healthz is answered by something other than jmcp ({resp.body[:100]!r}); "
                "another package (e.g. jupyter-mcp-server) claims /mcp. Run `jmcp doctor`."
            )
        if resp is not None:
            # JupyterLab answers but /mcp does not exist: give the extension a moment, then give up.
            api_seen_at = api_seen_at or time.monotonic()
            if time.monotonic() - api_seen_at > 5.0:
                raise ServerStartError(
                    f"JupyterLab is up at {base_url} but {base_url}mcp/healthz answers {resp.status}: "
                    f"the jmcp_ext extension did not load. Last lines of {log}:\n{_tail(log)}"
                )
        time.sleep(POLL_INTERVAL)
    raise ServerStartError(f"JupyterLab did not answer within {timeout:.0f} s. Last lines of {log}:\n{_tail(log)}")


#: The signals that stop jmcp start gracefully (Ctrl-C's SIGINT is Python's KeyboardInterrupt).
TERMINATIONS = (signal.SIGTERM, signal.SIGHUP)


def _already_stopping(signum: int, frame: FrameType | None) -> None:
    """The handler while jmcp stops: a further SIGTERM or SIGHUP changes nothing."""


@contextmanager
def _terminations_handled_by(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """``handler`` takes SIGTERM and SIGHUP until the block ends; then their previous handlers are back."""
    previous = {sig: signal.signal(sig, handler) for sig in TERMINATIONS}
    try:
        yield
    finally:
        for sig, prev in previous.items():
            signal.signal(sig, prev)


def stop(proc: "subprocess.Popen[bytes]", timeout: float = SHUTDOWN_TIMEOUT) -> None:
    """SIGTERM lets JupyterLab shut its kernels down; SIGKILL its process group if it hangs.

    Another SIGTERM or SIGHUP meanwhile changes nothing (``timeout``, for one, sends jmcp a second one through
    its process group): JupyterLab is stopping already. Another Ctrl-C means "now", as in a terminal.
    """
    with _terminations_handled_by(_already_stopping):
        if proc.poll() is not None:
            return
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


class _Terminated(Exception):
    """SIGTERM/SIGHUP received by jmcp itself."""


def _terminate_raises() -> AbstractContextManager[None]:
    """SIGTERM and SIGHUP raise ``_Terminated`` (once: later ones do nothing) until the block ends."""

    def handler(signum: int, frame: FrameType | None) -> None:
        for sig in TERMINATIONS:  # from here on jmcp is stopping: once is enough
            signal.signal(sig, _already_stopping)
        raise _Terminated(signum)

    return _terminations_handled_by(handler)


def open_log(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb")


@dataclass(frozen=True)
class Started:
    """What the caller shows once the server is ready."""

    base_url: str
    token: str
    health: dict[str, Any]
    log: Path
    proc: "subprocess.Popen[bytes]"


def run(opts: StartOptions, token: str, on_waiting: Any, on_ready: Any) -> int:
    """Launch JupyterLab, call ``on_ready(Started)``, block until it exits or jmcp is told to stop.

    ``on_waiting`` is a context manager factory shown while waiting (a spinner). Returns the exit code.
    """
    log_path = paths.server_log_file()
    argv = build_argv(opts)
    env = build_env(os.environ, token)
    base_url = servers.base_url_for(opts.ip, opts.port)
    with open_log(log_path) as log, _terminate_raises():
        proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own session: the terminal's Ctrl-C reaches jmcp only, which then stops JupyterLab
            # with SIGTERM (no "Shutdown this Jupyter server (y/[n])?" prompt, kernels shut down).
            start_new_session=True,
        )
        try:
            with on_waiting():
                health = wait_until_ready(proc, base_url, log_path, STARTUP_TIMEOUT)
            servers.write_record(
                servers.Record(
                    base_url=base_url,
                    port=opts.port,
                    ip=opts.ip,
                    pid=proc.pid,
                    jmcp_pid=os.getpid(),
                    root_dir=str(opts.notebook_dir or Path.cwd()),
                    started_at=time.time(),
                )
            )
            on_ready(Started(base_url, token, health, log_path, proc))
            code = proc.wait()
            if code != 0:
                raise ServerStartError(
                    f"JupyterLab exited with code {code}. Last lines of {log_path}:\n{_tail(log_path)}"
                )
            return 0
        except (KeyboardInterrupt, _Terminated):
            return 0
        finally:
            stop(proc)
