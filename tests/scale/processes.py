"""Background services for the scale-out tests: a process on a loopback port, waited for and stopped."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

STARTUP_TIMEOUT = 90.0
NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "network")


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


def npm_tool(package: str, binary: str) -> Path:
    """An npm package's executable, installed once into the test cache (JMCP_TEST_CACHE)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed: cannot install {package}")
    cache = Path(os.environ.get("JMCP_TEST_CACHE", Path(tempfile.gettempdir()) / "jmcp-test-cache"))
    prefix = cache / package.replace("/", "_").lstrip("@")
    path = prefix / "node_modules" / ".bin" / binary
    if not path.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [npm, "install", "--no-fund", "--no-audit", "--prefix", str(prefix), package],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            if any(err in proc.stderr for err in NETWORK_ERRORS):
                pytest.skip(f"npm registry unreachable: {proc.stderr.strip().splitlines()[-1]}")
            raise AssertionError(f"npm install {package} failed:\n{proc.stderr}")
    return path
