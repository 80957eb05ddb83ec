"""Background services for the scale-out tests: a process on a loopback port, waited for and stopped."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2

from tests.polling import WaitTimeout, poll

STARTUP_TIMEOUT = 90.0


class ProcessExited(RuntimeError):
    """A background service ended while a test waited for it."""


def wait_responding(
    url: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    ok: Callable[[httpx2.Response], bool],
    headers: dict[str, str] | None = None,
) -> None:
    """Poll ``url`` until ``ok(response)``; fail with the process log if it exits or never answers."""

    def answer() -> httpx2.Response:
        if proc.poll() is not None:
            raise ProcessExited(f"{proc.args!r} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        return httpx2.get(url, headers=headers, timeout=2)

    try:
        poll(answer, ok, timeout=STARTUP_TIMEOUT, what=f"{url} to answer", interval=0.2, fatal=(ProcessExited,))
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}\n{log.read_text(errors='replace')}") from exc.__cause__


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
