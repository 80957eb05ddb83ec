"""JupyterHub with real system users: LocalProcessSpawner runs each user's server (and jmcp) as that user.

Two throwaway system users are created with useradd and removed afterwards. Through MCP with each
user's hub token, the agent's notebook lands in the user's home owned by the user, and its code runs
with the user's uid; one user's token does not reach the other's server.

The single-user servers need a Python the users can run: this environment's interpreter when they can
reach it, else the system's Python of the same version with this environment's packages on PYTHONPATH
(a venv over a Python under /root, as here, cannot be run by other users).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.support import (
    INIT,
    JSON_HEADERS,
    REPO_ROOT,
    call,
    free_port,
    isolated_env,
    mcp_client,
    npm_tool,
    wait_until,
)

from .processes import background, wait_responding
from .test_jupyterhub import Hub

pytestmark = [pytest.mark.slow, pytest.mark.hub]

HUB_CONFIG = """
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{base}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{base}/cookie_secret"
c.ConfigurableHTTPProxy.command = ["{chp}"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = "{base}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
# Each server runs as the system user of the same name (setuid before exec), in that user's home.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--YDocExtension.document_save_delay=0.5"]
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{"name": "test-admin", "api_token": "{admin_token}"}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["test-admin"]}}]
"""


def _require_root_and_useradd() -> None:
    if platform.system() != "Linux":
        pytest.skip("system users are created with Linux's useradd")
    if os.geteuid() != 0:
        pytest.skip("creating system users and switching to them needs root")
    for tool in ("useradd", "userdel"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            pytest.skip(f"{tool} is not installed")


@contextlib.contextmanager
def system_users(count: int) -> Iterator[list[pwd.struct_passwd]]:
    """Throwaway system users with homes; their processes and homes are removed afterwards."""
    names = [f"jmcp{secrets.token_hex(3)}" for _ in range(count)]
    created: list[str] = []
    try:
        for name in names:
            subprocess.run(
                ["useradd", "--create-home", "--shell", "/bin/sh", "--user-group", name],
                check=True,
                capture_output=True,
                timeout=60,
            )
            created.append(name)
        yield [pwd.getpwnam(name) for name in names]
    finally:
        for name in created:
            _end_processes_of(pwd.getpwnam(name).pw_uid)
            subprocess.run(["userdel", "--remove", name], capture_output=True, timeout=60)


def _end_processes_of(uid: int) -> None:
    """Stop what still runs as a test user (kernels the hub left), by pid: userdel refuses otherwise."""
    for _ in range(50):
        pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == uid]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def _owner(proc: Path) -> int | None:
    try:
        return proc.stat().st_uid
    except OSError:
        return None


def interpreter_for(user: pwd.struct_passwd) -> tuple[str, dict[str, str]]:
    """A Python ``user`` can run that imports this environment's packages, and the environment it needs."""
    purelib, platlib = sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    foreign = {
        "PYTHONPATH": os.pathsep.join(dict.fromkeys([purelib, platlib, str(REPO_ROOT)])),
        # The extensions are enabled by JSON files under this environment's etc/jupyter.
        "JUPYTER_CONFIG_PATH": str(Path(sys.prefix) / "etc" / "jupyter"),
        "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
    }
    candidates = [(sys.executable, {"PYTHONPATH": str(REPO_ROOT)})]
    for name in (f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"):
        if Path(name).exists():
            candidates.append((name, foreign))
    tried = []
    for python, env in candidates:
        try:
            probe = subprocess.run(
                [python, "-c", "import jupyterhub.singleuser, jmcp_ext, ipykernel"],
                env={"PATH": "/usr/bin:/bin", "HOME": user.pw_dir, **env},
                cwd=user.pw_dir,
                user=user.pw_uid,
                group=user.pw_gid,
                extra_groups=[],
                capture_output=True,
                text=True,
                timeout=120,
            )
        except PermissionError as exc:  # the interpreter (or a folder above it) is closed to the user
            tried.append(f"{python}: {exc.strerror}")
            continue
        if probe.returncode == 0:
            return python, env
        tried.append(f"{python}: {probe.stderr.strip().splitlines()[-1:] or probe.returncode}")
    pytest.skip(f"no Python {version} that user {user.pw_name} can run with this environment's packages: {tried}")


@pytest.fixture(scope="module")
def users() -> Iterator[list[pwd.struct_passwd]]:
    _require_root_and_useradd()
    with system_users(2) as created:
        yield created


@pytest.fixture(scope="module")
def hub(users: list[pwd.struct_passwd], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A real hub spawning servers as system users; both users' servers are running."""
    chp = npm_tool("configurable-http-proxy", "configurable-http-proxy")
    python, environment = interpreter_for(users[0])
    base = tmp_path_factory.mktemp("hub-system-users")
    port, admin_token = free_port(), secrets.token_hex(32)
    config = base / "jupyterhub_config.py"
    config.write_text(
        HUB_CONFIG.format(
            port=port,
            hub_port=free_port(),
            proxy_api_port=free_port(),
            base=base,
            chp=chp,
            admin_token=admin_token,
            python=python,
            environment={**environment, "JUPYTER_PLATFORM_DIRS": "1"},
        )
    )
    argv = [sys.executable, "-m", "jupyterhub", "-f", str(config)]
    log = base / "hub.log"
    with background(argv, isolated_env(base / "hub-home"), log, base) as proc:
        url = f"http://127.0.0.1:{port}/"
        wait_responding(f"{url}hub/api", proc, log, lambda r: r.status_code == 200)
        hub = Hub(url, admin_token, Path("/home"))
        names = [user.pw_name for user in users]
        assert hub.api("POST", "users", json={"usernames": names}).status_code == 201
        started = []
        try:
            for name in names:
                hub.start_server(name)
                started.append(name)
            yield hub
        finally:
            for name in started:
                hub.stop_server(name)


def token(hub: Hub, user: pwd.struct_passwd) -> str:
    return hub.token_for(user.pw_name, [f"access:servers!user={user.pw_name}"])


async def test_the_agents_notebook_belongs_to_the_user_and_its_code_runs_as_them(
    hub: Hub, users: list[pwd.struct_passwd]
) -> None:
    for user in users:
        async with mcp_client(hub.mcp_url(user.pw_name), token(hub, user)) as client:
            await call(client, "create_notebook", path="agent.ipynb")
            await call(client, "insert_cell", source="import os, getpass\nprint(os.getuid(), getpass.getuser())")
            text = await call(client, "execute_cell", cell=0, timeout=120)
        assert f"{user.pw_uid} {user.pw_name}" in text, text
        notebook = Path(user.pw_dir) / "agent.ipynb"
        await wait_until(lambda n=notebook: n.exists() and "getpass.getuser()" in n.read_text(), timeout=30)
        assert (notebook.stat().st_uid, notebook.stat().st_gid) == (user.pw_uid, user.pw_gid)
        cells = json.loads(notebook.read_text())["cells"]
        assert "getpass.getuser()" in "".join(cells[0]["source"])


@pytest.mark.parametrize("direction", ["first to second", "second to first"])
def test_one_users_token_does_not_reach_another_users_server(
    hub: Hub, users: list[pwd.struct_passwd], direction: str
) -> None:
    owner, other = users if direction == "first to second" else users[::-1]
    headers = {**JSON_HEADERS, "Authorization": f"Bearer {token(hub, owner)}"}
    own = httpx2.post(hub.mcp_url(owner.pw_name), json=INIT, headers=headers, timeout=60)
    assert own.status_code == 200, own.text[:500]
    foreign = httpx2.post(hub.mcp_url(other.pw_name), json=INIT, headers=headers, timeout=60)
    assert foreign.status_code in (401, 403), (foreign.status_code, foreign.text[:500])
    assert "jsonrpc" not in foreign.text
