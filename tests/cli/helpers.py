"""Shared test helpers: run the CLI in-process, or as a subprocess with the test's environment."""

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from jmcp_cli.main import app
from tests.polling import poll

JMCP = [sys.executable, "-m", "jmcp_cli"]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def run_subprocess(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*JMCP, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def wait_for(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    interval: float = 0.1,
    show: Callable[[], object] | None = None,
) -> None:
    """Poll ``predicate`` until truthy (an exception means not yet); fail after ``timeout`` seconds.

    The failure shows the predicate's last value and exception, and ``show()`` if given."""
    poll(predicate, timeout=timeout, what=what, interval=interval, show=show)


def process_gone(pid: int) -> bool:
    """Gone or a zombie (exited, not yet reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status


def root_args() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


@dataclass
class Running:
    """A ``jmcp start`` subprocess and what it printed."""

    proc: "subprocess.Popen[str]"
    lines: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def base_url(self) -> str:
        return str(self.record["base_url"])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


def start_jmcp(*extra: str, timeout: float = 120, options: tuple[str, ...] = ()) -> Running:
    """Run ``jmcp start --port 0 [options]`` as a subprocess and wait until its panel is printed.

    ``extra`` goes to ``jupyter lab`` (after ``--``)."""
    cmd = [*JMCP, "start", "--port", "0", "--no-browser", *options, "--", *root_args(), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ))
    running = Running(proc)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            running.lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    record_path = Path(os.environ["JMCP_HOME"]) / "server.json"
    try:
        wait_for(
            lambda: "jmcp is running" in running.output or proc.poll() is not None,
            timeout,
            "the jmcp start panel",
            show=lambda: running.output,
        )
    except AssertionError:
        running.stop(signal.SIGKILL)
        raise
    if proc.poll() is not None:
        raise AssertionError(f"jmcp start exited with {proc.returncode}:\n{running.output}")
    running.record = json.loads(record_path.read_text())
    return running


def kernel_pid(kernel_id: str, timeout: float = 30) -> int:
    found: list[int] = []

    def look() -> bool:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if f"kernel-{kernel_id}".encode() in (entry / "cmdline").read_bytes():
                        found.append(int(entry.name))
                        return True
                except OSError:
                    continue
        return False

    wait_for(look, timeout, f"the process of kernel {kernel_id}")
    return found[0]
