"""Start-up: a plain server builds the MCP endpoint only when asked; ``jmcp start``'s way builds it at once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx2

from tests.support import STARTUP_TIMEOUT, JupyterServer

READY_LINE = "jmcp: MCP endpoint ready"


class LabOnly(JupyterServer):
    """A server considered started once Jupyter answers: /mcp/healthz would itself ask for the build."""

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log()
            try:
                if httpx2.get(f"{self.url}api/status", headers=self.headers, timeout=2).status_code == 200:
                    return {}
            except httpx2.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"Jupyter did not answer within {timeout} s:\n{self.log()}")


def wait_for_log(server: JupyterServer, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.log():
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{server.log()}"
        time.sleep(0.05)


#: What a plain Jupyter server runs of jmcp at start: the extension point and the extension app's module.
LOAD_EXTENSION = """
import sys
import jmcp_ext
app = jmcp_ext._jupyter_server_extension_points()[0]["app"]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("mcp", "mcp_types", "sse_starlette", "pycrdt"))
print(",".join(heavy))
"""


def test_loading_the_extension_imports_none_of_the_mcp_sdk() -> None:
    # The SDK's import costs about half a second of CPU: a plain `jupyter lab` pays it only once /mcp is used.
    done = subprocess.run([sys.executable, "-c", LOAD_EXTENSION], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported at extension load: {done.stdout.strip()}"


def test_a_plain_server_builds_the_endpoint_only_when_asked(tmp_path: Path) -> None:
    server = LabOnly(root=tmp_path / "root", home=tmp_path / "home").start()
    try:
        assert READY_LINE not in server.log()
        # The first health check is what asks for the build, so it cannot have finished yet.
        assert httpx2.get(f"{server.mcp_url}/healthz", timeout=10).json()["status"] == "starting"
        wait_for_log(server, READY_LINE)
        assert "s, in a thread)" in server.log()  # the server kept answering meanwhile
    finally:
        server.stop()


def test_build_at_start_builds_without_any_mcp_request(tmp_path: Path) -> None:
    server = LabOnly(
        root=tmp_path / "root", home=tmp_path / "home", args=["--JMCPExtension.build_at_start=True"]
    ).start()
    try:
        wait_for_log(server, READY_LINE)  # this test sends no /mcp request before
        # On the server's own thread: in a thread, the build competes for the GIL with JupyterLab's start-up.
        assert f"{READY_LINE} (built in " in server.log() and "s, on the server's thread)" in server.log()
        assert httpx2.get(f"{server.mcp_url}/healthz", timeout=10).json()["status"] == "ok"
    finally:
        server.stop()
