"""Another Jupyter MCP server for comparison: ``jupyter-mcp-server`` in extension mode, in its own venv.

It is never installed in the main environment (it registers ``/mcp`` too). ``python -m bench
--setup-baseline`` creates the venv; the bench skips the comparison when the venv is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from tests.support import free_port

VENV = Path(os.environ.get("JMCP_BENCH_BASELINE_VENV", Path.home() / ".cache" / "jmcp-bench" / "jms-venv"))
#: What its README installs next to it for extension mode.
PACKAGES = ["jupyter-mcp-server", "jupyterlab", "jupyter-collaboration", "ipykernel"]


def python() -> Path:
    return VENV / "bin" / "python"


def available() -> bool:
    if not python().exists():
        return False
    probe = subprocess.run(
        [str(python()), "-c", "import jupyter_mcp_server, jupyterlab"], capture_output=True, timeout=120
    )
    return probe.returncode == 0


def setup() -> None:
    """Create the separate venv with jupyter-mcp-server and what its docs ask for."""
    VENV.parent.mkdir(parents=True, exist_ok=True)
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python()), "-m", "pip", "install", "--quiet", *PACKAGES], check=True)
    print(f"baseline venv ready: {VENV}")


def version() -> str:
    out = subprocess.run(
        [str(python()), "-c", "import importlib.metadata as m; print(m.version('jupyter-mcp-server'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout.strip()


@dataclass
class OtherServer:
    """``jupyter lab`` from the venv with jupyter-mcp-server's extension, working on local documents."""

    root: Path
    home: Path
    notebook: str
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    #: Run its kernels on this Python instead of its own (the same libraries as jmcp's kernels).
    kernel_python: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 120) -> OtherServer:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.kernel_python:
            # A user-level "python3" spec wins over the venv's own (Jupyter searches the data dir first).
            spec_dir = self.home / "jupyter-data" / "kernels" / "python3"
            spec_dir.mkdir(parents=True, exist_ok=True)
            argv = [self.kernel_python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            spec = {"argv": argv, "display_name": "Python 3 (ipykernel)", "language": "python"}
            (spec_dir / "kernel.json").write_text(json.dumps(spec))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_TOKEN", "VIRTUAL_ENV")}
        env.update(
            HOME=str(self.home),
            JUPYTER_CONFIG_DIR=str(self.home / "jupyter-config"),
            JUPYTER_DATA_DIR=str(self.home / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(self.home / "jupyter-runtime"),
            IPYTHONDIR=str(self.home / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PATH=f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        )
        if self.kernel_python:
            env["JUPYTER_PREFER_ENV_PATH"] = "0"  # in a venv Jupyter would prefer the venv's own spec
        argv = [
            str(python()), "-m", "jupyterlab", "--no-browser", "--allow-root",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={self.root}", f"--IdentityProvider.token={self.token}",
            "--ServerApp.jpserver_extensions={'jupyter_mcp_server': True}",
            "--JupyterMCPServerExtensionApp.document_url=local",
            "--JupyterMCPServerExtensionApp.runtime_url=local",
            f"--JupyterMCPServerExtensionApp.document_id={self.notebook}",
        ]  # fmt: skip
        with open(self.home / "server.log", "wb") as log:
            self.proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter-mcp-server's lab exited: {self.log()[-3000:]}")
            try:
                if httpx2.get(f"{self.url}api/status", headers=self.headers, timeout=2).status_code == 200:
                    return self
            except httpx2.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"jupyter-mcp-server's lab did not start: {self.log()[-3000:]}")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
