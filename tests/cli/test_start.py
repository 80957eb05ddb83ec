"""`jmcp start`: argv/env builders, port handling, and a real JupyterLab started and stopped."""

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jmcp_cli import fetch, tokens
from jmcp_cli.start import StartOptions, build_argv, build_env, split_extension_args

from .helpers import kernel_pid, process_gone, root_args, run, start_jmcp, wait_for


def test_argv_enables_the_extension_and_never_carries_the_token() -> None:
    argv = build_argv(StartOptions(port=4040, ip="127.0.0.1", extra_args=["--allow-root"]))
    # JupyterLab through jmcp_ext.launch (which defers an import nobody needs), told to build the endpoint at
    # once rather than on the first request.
    assert argv[1:3] == ["-m", "jmcp_ext.launch"]
    assert "--JMCPExtension.build_at_start=True" in argv
    assert "--ServerApp.port=4040" in argv
    assert "--ServerApp.port_retries=0" in argv
    assert "--ServerApp.jpserver_extensions={'jmcp_ext': True}" in argv
    assert argv[-1] == "--allow-root"
    assert not any("token" in arg.lower() for arg in argv)


def test_env_carries_the_token() -> None:
    env = build_env({"PATH": "/bin"}, "secret")
    assert env == {"PATH": "/bin", "JUPYTER_TOKEN": "secret"}


def test_passthrough_extension_settings_merge_with_ours() -> None:
    found, rest = split_extension_args(["--x", '--ServerApp.jpserver_extensions={"jupyter_server_ydoc": false}', "--y"])
    assert found == {"jupyter_server_ydoc": False}
    assert rest == ["--x", "--y"]
    argv = build_argv(StartOptions(1, "127.0.0.1", extra_args=["--ServerApp.jpserver_extensions", "jmcp_ext=False"]))
    assert [a for a in argv if "jpserver_extensions" in a] == ["--ServerApp.jpserver_extensions={'jmcp_ext': True}"]


def test_no_browser_and_notebook_dir(tmp_path: Path) -> None:
    argv = build_argv(StartOptions(1, "127.0.0.1", notebook_dir=tmp_path, open_browser=False))
    assert "--ServerApp.open_browser=False" in argv
    assert f"--ServerApp.root_dir={tmp_path}" in argv


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_port_in_use_names_a_free_port(busy_port: int) -> None:
    result = run("start", "--port", str(busy_port), "--no-browser")
    assert result.exit_code == 1
    assert f"port {busy_port} is already in use" in result.output
    assert f"pid {os.getpid()}" in result.output  # we hold it
    suggested = int(result.output.split("try --port ")[1].split()[0])
    assert suggested != busy_port
    with socket.socket() as s:
        s.bind(("127.0.0.1", suggested))


def test_non_loopback_address_warns(busy_port: int) -> None:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        port = s.getsockname()[1]
        result = run("start", "--ip", "0.0.0.0", "--port", str(port), "--no-browser")
    assert "Warning:" in result.output
    assert "0.0.0.0" in result.output


def test_token_and_new_token_are_exclusive() -> None:
    result = run("start", "--token", "a", "--new-token")
    assert result.exit_code == 1
    assert "Error:" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_start_serves_mcp_and_stops_jupyterlab_and_its_kernels(sig: int, tmp_path: Path) -> None:
    server = start_jmcp()
    try:
        token = tokens.load()
        assert token
        record = server.record
        jupyter_pid = record["pid"]
        out = server.output
        assert f"{server.base_url}mcp" in out
        assert "jmcp config claude" in out
        assert "lab?token=" in out
        # healthz answers as jmcp; the token is accepted
        health = fetch.request(server.base_url + "mcp/healthz", token=token).json()
        assert health["service"] == "jmcp"
        assert health["authenticated"] is True
        # the token travels in the environment, never on JupyterLab's command line
        cmdline = Path(f"/proc/{jupyter_pid}/cmdline").read_bytes()
        assert token.encode() not in cmdline
        assert f"JUPYTER_TOKEN={token}".encode() in Path(f"/proc/{jupyter_pid}/environ").read_bytes().split(b"\0")
        # a kernel, to see it shut down with the server
        kernel = fetch.request(server.base_url + "api/kernels", method="POST", token=token, json_body={}).json()
        kpid = kernel_pid(kernel["id"])
    except BaseException:
        server.stop(signal.SIGKILL)
        raise
    assert server.stop(sig) == 0
    assert "JupyterLab stopped" in server.output
    wait_for(lambda: process_gone(jupyter_pid), 10, "JupyterLab to exit")
    wait_for(lambda: process_gone(kpid), 10, "the kernel to exit")
    assert json.loads((Path(os.environ["JMCP_HOME"]) / "server.json").read_text())["pid"] == jupyter_pid


@pytest.mark.slow
def test_a_second_sigterm_while_jupyterlab_stops_lets_it_finish() -> None:
    # `timeout` sends jmcp SIGTERM twice (itself, then its process group), as some supervisors do.
    server = start_jmcp()
    try:
        jupyter_pid = server.record["pid"]
        kernel = fetch.request(server.base_url + "api/kernels", method="POST", token=tokens.load(), json_body={})
        kpid = kernel_pid(kernel.json()["id"])
    except BaseException:
        server.stop(signal.SIGKILL)
        raise
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.05)  # jmcp is now waiting for JupyterLab, which takes longer to shut a kernel down
    assert server.proc.poll() is None, server.output
    assert server.stop(signal.SIGTERM) == 0
    assert "Traceback" not in server.output
    assert "JupyterLab stopped" in server.output
    wait_for(lambda: process_gone(jupyter_pid), 10, "JupyterLab to exit")
    wait_for(lambda: process_gone(kpid), 10, "the kernel to exit")


@pytest.mark.slow
def test_start_reuses_the_stored_token_across_restarts() -> None:
    tokens.store("stable-token-for-test-0123456789")
    server = start_jmcp()
    try:
        assert fetch.request(server.base_url + "mcp/healthz", token="stable-token-for-test-0123456789").json()[
            "authenticated"
        ]
    finally:
        assert server.stop() == 0
    assert tokens.load() == "stable-token-for-test-0123456789"


@pytest.mark.slow
def test_start_reports_why_jupyterlab_failed() -> None:
    result = run("start", "--port", "0", "--no-browser", "--", *root_args(), "--ServerApp.iopub_msg_rate_limit=x")
    assert result.exit_code == 1
    assert result.output.startswith("Error: JupyterLab exited with code 1")
    assert "Bad config" in result.output  # the reason, from JupyterLab's log
