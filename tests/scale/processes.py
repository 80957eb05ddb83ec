"""Background services for the scale-out tests: a process on a loopback port, waited for and stopped."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2

STARTUP_TIMEOUT = 90.0


def wait_responding(
    url: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    ok: Callable[[httpx2.Response], bool],
    headers: dict[str, str] | None = None,
) -> None:
    """Poll ``url`` until ``ok(response)``; fail with the process log if it exits or never answers."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(httpx2.HTTPError):
            if ok(httpx2.get(url, headers=headers, timeout=2)):
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {STARTUP_TIMEOUT} s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def background(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` with output to ``log``; SIGTERM it (then SIGKILL) when done."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
