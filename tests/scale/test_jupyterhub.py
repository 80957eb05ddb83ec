"""JupyterHub: jmcp inside a single-user server, reached through the hub's proxy with a hub API token."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from tests.polling import poll, poll_async
from tests.support import REPO_ROOT, call, free_port, isolated_env, mcp_client, npm_tool, text_of

from .processes import background, wait_responding

pytestmark = [pytest.mark.slow, pytest.mark.hub]

HUB_CONFIG = """
import sys
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
# Servers run as the hub's own user (root in CI): the simple spawner does not switch users.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{base}/homes/{{username}}"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root", "--YDocExtension.document_save_delay=0.5"]
c.Spawner.environment = {{"JUPYTER_PLATFORM_DIRS": "1"}}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# A service that stands in for the hub admin: it creates users, starts servers and mints tokens.
c.JupyterHub.services = [{{"name": "test-admin", "api_token": "{admin_token}"}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["test-admin"]}}]
"""


@dataclass
class Hub:
    url: str
    admin_token: str
    homes: Path

    def api(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        headers = {"Authorization": f"token {self.admin_token}"}
        return httpx2.request(method, f"{self.url}hub/api/{path}", headers=headers, timeout=30, **kwargs)

    def token_for(self, user: str, scopes: list[str] | None = None) -> str:
        body: dict[str, Any] = {"note": "jmcp test"}
        if scopes is not None:
            body["scopes"] = scopes
        response = self.api("POST", f"users/{user}/tokens", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def start_server(self, user: str) -> None:
        response = self.api("POST", f"users/{user}/server")
        assert response.status_code in (201, 202), response.text
        poll(
            lambda: self.api("GET", f"users/{user}").json()["servers"][""],
            lambda server: server["ready"],
            timeout=120,
            interval=0.5,
            what=f"{user}'s server to be ready",
        )

    def stop_server(self, user: str) -> None:
        """Stop a user's server and wait (bounded) until the hub says it is gone."""
        response = self.api("DELETE", f"users/{user}/server")
        assert response.status_code in (202, 204), response.text
        poll(
            lambda: self.api("GET", f"users/{user}").json()["servers"],
            lambda servers: not servers,
            timeout=90,
            interval=0.5,
            what=f"the hub to report {user}'s server gone",
        )

    def mcp_url(self, user: str) -> str:
        return f"{self.url}user/{user}/mcp"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A real JupyterHub with its proxy on loopback; alice's server is running, bob exists."""
    chp = npm_tool("configurable-http-proxy", "configurable-http-proxy")
    base = tmp_path_factory.mktemp("hub")
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
        )
    )
    (base / "homes").mkdir()
    argv = [sys.executable, "-m", "jupyterhub", "-f", str(config)]
    log = base / "hub.log"
    with background(argv, isolated_env(base / "hub-home"), log, base) as proc:
        url = f"http://127.0.0.1:{port}/"
        wait_responding(f"{url}hub/api", proc, log, lambda r: r.status_code == 200)
        hub = Hub(url, admin_token, base / "homes")
        assert hub.api("POST", "users", json={"usernames": ["alice", "bob"]}).status_code == 201
        hub.start_server("alice")
        try:
            yield hub
        finally:
            hub.stop_server("alice")


async def test_a_users_token_edits_and_runs_through_the_proxy(hub: Hub) -> None:
    token = hub.token_for("alice", ["access:servers!user=alice"])
    async with mcp_client(hub.mcp_url("alice"), token) as client:
        await call(client, "create_notebook", path="hub.ipynb")
        await call(client, "insert_cell", source="import getpass\nprint('on the hub')\n6 * 7")
        text = await call(client, "execute_cell", cell=0, timeout=60)
        assert "on the hub" in text and "Out[1]: 42" in text
        await call(client, "edit_cell_source", cell=0, old="6 * 7", new="6 * 8")
        assert "Out[2]: 48" in await call(client, "execute_cell", cell=0, timeout=60)
    notebook = hub.homes / "alice" / "hub.ipynb"
    await poll_async(
        notebook.read_text, lambda text: "6 * 8" in text, timeout=30, interval=0.1, what="the edit in alice's home"
    )
    # The extension sees the hub's user, not an anonymous token holder.
    health = httpx2.get(f"{hub.mcp_url('alice')}/healthz", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert health.json()["user"] == "alice"


@pytest.mark.parametrize("who", ["bob", "alice without access:servers", "nobody"])
def test_other_tokens_are_refused(hub: Hub, who: str) -> None:
    # The hub's identity provider answers "no user" for a token without access to this server, so
    # every refusal is a 401 (no separate 403 for a valid token of another user).
    if who == "bob":
        headers = {"Authorization": f"Bearer {hub.token_for('bob')}"}
    elif who == "nobody":
        headers = {}
    else:
        headers = {"Authorization": f"Bearer {hub.token_for('alice', ['read:users:name!user=alice'])}"}
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    response = httpx2.post(
        hub.mcp_url("alice"),
        json=initialize,
        headers={**headers, "Accept": "application/json, text/event-stream"},
        timeout=30,
    )
    assert response.status_code == 401, (response.status_code, response.text[:500])
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="jupyter"'
    assert "jsonrpc" not in response.text


async def test_jmcp_config_writes_an_entry_that_reaches_the_hub(hub: Hub, tmp_path: Path) -> None:
    token = hub.token_for("alice", ["access:servers!user=alice"])
    target = tmp_path / "cursor.json"
    env = {**isolated_env(tmp_path / "home"), "JMCP_HOME": str(tmp_path / "jmcp-home")}
    argv = [sys.executable, "-m", "jmcp_cli", "config", "cursor", "--file", str(target)]
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [*argv, "--url", hub.mcp_url("alice"), "--token", token], env=env, cwd=REPO_ROOT, check=False
        )
    output = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, output
    assert token not in output
    entry = json.loads(target.read_text())["mcpServers"]["jupyter"]
    assert entry["url"] == hub.mcp_url("alice")
    bearer = entry["headers"]["Authorization"].removeprefix("Bearer ")
    async with mcp_client(entry["url"], bearer) as client:
        tools = await client.list_tools()
        assert "execute_cell" in {tool.name for tool in tools.tools}
        result = await client.call_tool("list_files", {})
        assert not result.is_error, text_of(result)


def test_a_session_belongs_to_the_hub_user_not_to_one_token(hub: Hub) -> None:
    # jmcp binds MCP sessions to the identity provider's user name; under the hub that is the user,
    # the same for each of the user's tokens and on every request.
    first, second = (hub.token_for("alice", ["access:servers!user=alice"]) for _ in range(2))
    accept = {"Accept": "application/json, text/event-stream"}
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    opened = httpx2.post(
        hub.mcp_url("alice"), json=initialize, headers={**accept, "Authorization": f"Bearer {first}"}, timeout=30
    )
    assert opened.status_code == 200, opened.text[:500]
    session = opened.headers["mcp-session-id"]
    headers = {**accept, "Authorization": f"Bearer {second}", "mcp-session-id": session}
    headers["mcp-protocol-version"] = "2025-11-25"
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    notified = httpx2.post(hub.mcp_url("alice"), json=initialized, headers=headers, timeout=30)
    assert notified.status_code == 202, notified.text[:500]
    listed = httpx2.post(
        hub.mcp_url("alice"), json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=headers, timeout=30
    )
    assert listed.status_code == 200 and "execute_cell" in listed.text, listed.text[:500]
