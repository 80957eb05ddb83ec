"""Shared test helpers: run the CLI in-process, or as a subprocess with the test's environment."""

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from jmcp_cli.main import app

JMCP = [sys.executable, "-m", "jmcp_cli"]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def run_subprocess(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*JMCP, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777
