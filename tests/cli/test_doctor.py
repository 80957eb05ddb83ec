"""`jmcp doctor` against real servers: all green, and naming the failing check with a fix."""

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from jmcp_cli import doctor, doctor_check, doctor_clients, doctor_env, tokens
from jmcp_cli.servers import Server

from .helpers import Running, run, run_subprocess, start_jmcp


def doctor_json(*args: str) -> tuple[int, dict[str, Any]]:
    proc = run_subprocess("doctor", "--json", *args, timeout=120)
    return proc.returncode, json.loads(proc.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


@pytest.fixture
def server() -> Any:
    running = start_jmcp()
    yield running
    running.stop()


@pytest.mark.slow
def test_doctor_all_green_against_a_running_server(server: Running, home: Path) -> None:
    assert run("config", "claude").exit_code == 0
    assert run("config", "claude-desktop").exit_code == 0
    code, report = doctor_json()
    checks = by_name(report)
    assert code == 0, json.dumps(report, indent=2)
    assert report["ok"] is True
    for name in (
        "packages",
        "kernel",
        "extension",
        "crdt stack",
        "/mcp owner",
        "server",
        "port",
        "healthz",
        "token",
        "no-token refused",
        "mcp handshake",
        "live editing",
        "claude (local)",
        "claude-desktop (user)",
        "npx",
    ):
        assert checks[name]["status"] == "pass", checks[name]
    assert "autosaved" in checks["live editing"]["detail"]
    assert "jmcp 0.1.0" in checks["packages"]["detail"]
    # the scratch notebook is gone
    root = Path(server.record["root_dir"])
    assert not list(root.glob("jmcp-doctor-*.ipynb"))
    # the token never appears in full
    token = tokens.load()
    assert token and token not in json.dumps(report)


@pytest.mark.slow
def test_doctor_table_output_and_wrong_token(server: Running) -> None:
    proc = run_subprocess("doctor", "--token", "not-the-token")
    assert proc.returncode == 1
    assert "token" in proc.stdout and "fail" in proc.stdout and "fix:" in proc.stdout
    code, report = doctor_json("--token", "not-the-token")
    checks = by_name(report)
    assert code == 1
    assert checks["token"]["status"] == "fail"
    assert checks["token"]["fix"]
    assert checks["healthz"]["status"] == "pass"
    assert checks["mcp handshake"]["status"] == "skip"


@pytest.mark.slow
def test_doctor_names_a_client_config_with_a_stale_token(server: Running) -> None:
    assert run("config", "cursor", "--token", "old-token").exit_code == 0
    code, report = doctor_json()
    cursor = by_name(report)["cursor (user)"]
    assert code == 1
    assert cursor["status"] == "fail"
    assert cursor["fix"] == "jmcp config cursor --scope user"


def test_doctor_when_the_server_is_down() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, report = doctor_json("--url", f"http://127.0.0.1:{port}/")
    checks = by_name(report)
    assert code == 1
    assert checks["server"]["status"] == "fail"
    assert "jmcp start" in checks["server"]["fix"]
    assert checks["healthz"]["status"] == "skip"


@pytest.mark.slow
def test_doctor_when_collaboration_is_disabled() -> None:
    running = start_jmcp('--ServerApp.jpserver_extensions={"jupyter_server_ydoc": false}')
    try:
        code, report = doctor_json()
    finally:
        running.stop()
    live = by_name(report)["live editing"]
    assert code == 1
    assert live["status"] == "fail"
    assert "jupyter_server_ydoc" in live["fix"]


def test_forked_crdt_package_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    real = doctor_env._version
    monkeypatch.setattr(doctor_env, "_version", lambda d: "0.12.17" if d == "datalayer_pycrdt" else real(d))
    check = doctor_env.check_crdt()
    assert check.status == "fail"
    assert "pip uninstall -y datalayer_pycrdt" in check.fix


def test_jupyter_mcp_server_claiming_mcp_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    real = doctor_env._version
    monkeypatch.setattr(doctor_env, "_version", lambda d: "0.15.0" if d == "jupyter-mcp-server" else real(d))
    check = doctor_env.check_mcp_conflict()
    assert check.status == "fail"
    assert "jupyter-mcp-server" in check.fix


def write_extension_setting(config_dir: Path, enabled: bool, drop_in: bool = False) -> Path:
    """Enable or disable jmcp_ext in one Jupyter config dir, as a user or a wheel would."""
    data = json.dumps({"ServerApp": {"jpserver_extensions": {"jmcp_ext": enabled}}})
    path = (
        config_dir / "jupyter_server_config.d" / "jmcp_ext.json"
        if drop_in
        else config_dir / "jupyter_server_config.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data)
    return path


def test_disabled_extension_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # JUPYTER_CONFIG_PATH outranks both the user's and the environment's config whatever the
    # interpreter (a virtualenv puts its own etc/jupyter, where the wheel enables jmcp_ext, first).
    config = tmp_path / "highest"
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(config))
    path = write_extension_setting(config, enabled=False)
    check = doctor_env.check_extension_enabled()
    assert check.status == "fail"
    assert f"{path} disables it" in check.detail
    assert check.fix.startswith("jupyter server extension enable jmcp_ext")
    assert str(path) in check.fix
    path.unlink()
    assert doctor_env.check_extension_enabled().status == "pass"


@pytest.fixture
def env_and_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A wheel-like environment config enabling jmcp_ext and a user config disabling it."""
    import jupyter_core.paths

    env, system = tmp_path / "venv" / "etc" / "jupyter", tmp_path / "system"
    monkeypatch.setattr(jupyter_core.paths, "ENV_CONFIG_PATH", [str(env)])
    monkeypatch.setattr(jupyter_core.paths, "SYSTEM_CONFIG_PATH", [str(system)])
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    env_file = write_extension_setting(env, enabled=True, drop_in=True)
    user_file = write_extension_setting(Path(os.environ["JUPYTER_CONFIG_DIR"]), enabled=False)
    return env_file, user_file


def test_in_a_virtualenv_the_environment_config_wins_and_doctor_says_so(
    env_and_user_config: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file, user_file = env_and_user_config
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")  # what jupyter_core assumes in a virtualenv
    check = doctor_env.check_extension_enabled()
    assert check.status == "pass"
    assert f"{env_file} enables it and takes precedence over {user_file} (disables)" in check.detail
    assert "JUPYTER_PREFER_ENV_PATH=0" in check.detail


def test_outside_a_virtualenv_the_user_config_wins_and_doctor_names_it(
    env_and_user_config: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file, user_file = env_and_user_config
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")
    check = doctor_env.check_extension_enabled()
    assert check.status == "fail"
    assert f"{user_file} disables it and takes precedence over {env_file} (enables)" in check.detail
    assert check.fix == f"jupyter server extension enable jmcp_ext, and remove the jmcp_ext entry from {user_file}"


def test_within_one_dir_the_json_file_beats_drop_ins_and_later_drop_ins_beat_earlier(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_extension_setting(second, enabled=True)
    drop_ins = first / "jupyter_server_config.d"
    drop_ins.mkdir(parents=True)
    (drop_ins / "a.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"jmcp_ext": True}}}))
    (drop_ins / "b.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"jmcp_ext": False}}}))
    (drop_ins / "c.json").write_text("{not json")
    settings = doctor_env.extension_settings("jmcp_ext", [str(first), str(second)])
    assert [(s.path.name, s.enabled) for s in settings] == [
        ("b.json", False),
        ("a.json", True),
        ("jupyter_server_config.json", True),
    ]
    root = write_extension_setting(first, enabled=True)
    assert doctor_env.extension_settings("jmcp_ext", [str(first)])[0].path == root


def test_tokens_are_scrubbed_from_details() -> None:
    server = Server("http://127.0.0.1:1/", "supersecrettoken123", "test", running=False)
    scrubbed = doctor._scrub(
        doctor_check.failed("x", "saw supersecrettoken123 here", "use supersecrettoken123"), server.token
    )
    assert "supersecrettoken123" not in scrubbed.detail + scrubbed.fix


def test_unparseable_client_config_is_reported(home: Path) -> None:
    (home / ".cursor").mkdir()
    (home / ".cursor" / "mcp.json").write_text("{broken")
    server = Server("http://127.0.0.1:1/", "t", "test", running=False)
    checks = doctor_clients.check_client_configs(server, "jupyter", home, Path.cwd())
    assert [c.status for c in checks] == ["fail"]
    assert "not valid JSON" in checks[0].detail
