"""Finding the server: `--url`, jmcp's record, Jupyter's runtime files (a plain `jupyter lab`)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jmcp_cli import fetch, ports, servers, tokens
from tests.polling import poll

from .helpers import root_args, run, run_subprocess, wait_for


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("http://127.0.0.1:4040", "http://127.0.0.1:4040/"),
        ("http://127.0.0.1:4040/mcp", "http://127.0.0.1:4040/"),
        ("http://127.0.0.1:4040/mcp/", "http://127.0.0.1:4040/"),
        ("http://h:1/jupyter/mcp/healthz", "http://h:1/jupyter/"),
        ("http://h:1/jupyter/?token=x", "http://h:1/jupyter/"),
    ],
)
def test_normalize_base_url(given: str, base: str) -> None:
    assert servers.normalize_base_url(given) == base


def test_bad_url_is_an_error() -> None:
    result = run("config", "cursor", "--url", "localhost:4040")
    assert result.exit_code == 1
    assert result.output.startswith("Error: not an http(s) URL")


def test_default_without_any_server_is_port_4040_with_the_stored_token() -> None:
    server = servers.find_server()
    assert server.base_url == "http://127.0.0.1:4040/"
    assert not server.running
    assert server.token == tokens.load()


def write_runtime_file(pid: int, port: int, token: str) -> Path:
    runtime = Path(os.environ["JUPYTER_RUNTIME_DIR"])
    runtime.mkdir(parents=True, exist_ok=True)
    path = runtime / f"jpserver-{pid}.json"
    path.write_text(
        json.dumps({"url": f"http://localhost:{port}/", "token": token, "pid": pid, "root_dir": "/r", "port": port})
    )
    return path


def test_runtime_file_of_a_live_process_is_found_with_its_token() -> None:
    write_runtime_file(os.getpid(), 8899, "runtime-token")
    server = servers.find_server()
    assert server.base_url == "http://localhost:8899/"
    assert server.token == "runtime-token"
    assert server.running and server.pid == os.getpid()


def test_runtime_file_of_a_dead_process_is_ignored() -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    write_runtime_file(int(proc.stdout), 8899, "runtime-token")
    assert servers.find_server().base_url == "http://127.0.0.1:4040/"


def test_live_jmcp_record_wins_over_runtime_files() -> None:
    write_runtime_file(os.getpid(), 8899, "runtime-token")
    servers.write_record(servers.Record("http://127.0.0.1:5050/", 5050, "127.0.0.1", os.getpid(), 1, "/x", 0.0))
    server = servers.find_server()
    assert server.base_url == "http://127.0.0.1:5050/"
    assert server.token == tokens.load()
    assert server.source == "started by jmcp start"


@pytest.mark.slow
def test_plain_jupyter_lab_is_found_and_configured_with_its_own_token(home: Path) -> None:
    """The wheel enables the extension for every server: a plain `jupyter lab` serves /mcp too."""
    port = ports.os_assigned_port("127.0.0.1")
    env = dict(os.environ, JUPYTER_TOKEN="plain-lab-token-0123456789")
    cmd = [sys.executable, "-m", "jupyterlab", f"--port={port}", "--no-browser", *root_args()]
    lab = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:

        def health_status() -> int:
            if lab.poll() is not None:
                raise ChildProcessError(f"jupyter lab exited with {lab.returncode}")
            return fetch.request(f"http://127.0.0.1:{port}/mcp/healthz", timeout=1).status

        poll(
            health_status,
            lambda status: status == 200,
            timeout=90,
            interval=0.1,
            what="a plain jupyter lab to serve /mcp/healthz",
            fatal=(ChildProcessError,),
        )
        wait_for(lambda: servers.running_jupyter_servers(), 30, "Jupyter's runtime file")
        assert run("config", "cursor").exit_code == 0
        entry = json.loads((home / ".cursor" / "mcp.json").read_text())["mcpServers"]["jupyter"]
        assert entry["url"] == f"http://localhost:{port}/mcp" or entry["url"] == f"http://127.0.0.1:{port}/mcp"
        assert entry["headers"]["Authorization"] == "Bearer plain-lab-token-0123456789"
        proc = run_subprocess("doctor", "--json", timeout=120)
        report = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
        assert report["server"]["status"] == "pass"
        assert "runtime file" in report["server"]["detail"]
        assert report["token"]["status"] == "pass"
        assert report["cursor (user)"]["status"] == "pass"
    finally:
        lab.send_signal(signal.SIGTERM)
        lab.wait(timeout=30)
