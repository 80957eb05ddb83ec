"""A Jupyter server without a token (``--IdentityProvider.token=''``): MCP refuses and says why (and so does
``jmcp doctor``), unless ``serve_without_token`` lets a deployment behind an authenticating proxy serve it,
with the Origin and Host checks kept and a warning in the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from jmcp_cli import doctor, doctor_server
from jmcp_cli.doctor_check import Check
from jmcp_cli.servers import Server
from jmcp_ext.auth import NO_TOKEN
from tests.support import INIT, JSON_HEADERS, JupyterServer, call, mcp_client, running_server

pytestmark = pytest.mark.slow

NO_TOKEN_ARG = "--IdentityProvider.token="
#: The doctor's steps that look at a running server (the rest look at this machine and its client configs).
SERVER_STEPS = ("server", "healthz", "server token", "token", "no-token refused", "mcp handshake")


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base = tmp_path_factory.mktemp("tokenless")
    with running_server(base / "root", base / "home", NO_TOKEN_ARG) as server:
        yield server


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base = tmp_path_factory.mktemp("tokenless-open")
    with running_server(
        base / "root", base / "home", NO_TOKEN_ARG, "--JMCPExtension.serve_without_token=True"
    ) as server:
        yield server


def doctor_checks(server: JupyterServer, tmp_path: Path) -> dict[str, Check]:
    facts = doctor.Facts(Server(server.url, None, "test", running=True), "jupyter", tmp_path, tmp_path)
    steps = [step for step in doctor.STEPS if step.name in SERVER_STEPS]
    return {check.name: check for check in doctor.run_steps(steps, facts)}


def test_doctor_recognises_the_servers_refusal() -> None:
    assert NO_TOKEN.startswith(doctor_server.NO_TOKEN_SENTENCE)


@pytest.mark.parametrize("authorization", [None, "Bearer anything", "token x"])
@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
def test_mcp_on_a_server_without_a_token_is_refused_saying_how_to_give_it_one(
    refusing: JupyterServer, method: str, authorization: str | None
) -> None:
    headers = {**JSON_HEADERS, **({"Authorization": authorization} if authorization else {})}
    response = httpx2.request(method, refusing.mcp_url, headers=headers, json=INIT, timeout=30)
    assert response.status_code == 403
    message = response.json()["message"]
    assert message == NO_TOKEN
    assert "jmcp start" in message and "--IdentityProvider.token=" in message and "serve_without_token" in message
    assert "_xsrf" not in response.text


def test_a_server_without_a_token_says_so_at_start_and_stays_alive(refusing: JupyterServer) -> None:
    assert "jmcp refuses MCP on this server: This Jupyter server has no token" in refusing.log()
    assert httpx2.get(f"{refusing.mcp_url}/healthz", timeout=30).json()["status"] == "ok"


def test_doctor_says_the_server_has_no_token_and_how_to_give_it_one(refusing: JupyterServer, tmp_path: Path) -> None:
    checks = doctor_checks(refusing, tmp_path)
    token = checks["server token"]
    assert token.status == "fail"
    assert "has no token" in token.detail and "refuses every MCP request" in token.detail
    assert "jmcp start" in token.fix and "--IdentityProvider.token=" in token.fix
    for name in ("token", "no-token refused", "mcp handshake"):
        assert (checks[name].status, checks[name].detail) == ("skip", "the server has no token"), name


async def test_serve_without_token_serves_mcp_and_warns_at_start(open_server: JupyterServer) -> None:
    (open_server.root / "here.txt").write_text("hi")
    async with mcp_client(open_server.mcp_url, None) as client:
        listing = await call(client, "list_files")
    assert "here.txt" in listing
    assert "jmcp serves MCP WITHOUT A TOKEN" in open_server.log()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),  # a page of another site
        ({"Origin": "null"}, 403),  # a sandboxed or file:// page
        ({"Host": "evil.example"}, 403),  # DNS rebinding: a foreign name resolving to this server
    ],
)
def test_serve_without_token_keeps_the_origin_and_host_checks(
    open_server: JupyterServer, headers: dict[str, str], status: int
) -> None:
    response = httpx2.post(open_server.mcp_url, headers={**JSON_HEADERS, **headers}, json=INIT, timeout=30)
    assert response.status_code == status
    assert "mcp-session-id" not in response.headers


def test_serve_without_token_accepts_the_servers_own_origin(open_server: JupyterServer) -> None:
    own = f"http://127.0.0.1:{open_server.port}"
    response = httpx2.post(open_server.mcp_url, headers={**JSON_HEADERS, "Origin": own}, json=INIT, timeout=30)
    assert response.status_code == 200 and response.headers["mcp-session-id"]


def test_doctor_says_mcp_is_served_without_a_token_by_choice(open_server: JupyterServer, tmp_path: Path) -> None:
    checks = doctor_checks(open_server, tmp_path)
    assert checks["server token"].status == "pass"
    assert "served without a token" in checks["server token"].detail
    assert "authenticates every request" in checks["server token"].detail
    assert checks["token"].status == "skip" and checks["no-token refused"].status == "skip"
    assert checks["mcp handshake"].status == "pass", checks["mcp handshake"]


def test_doctor_on_a_server_with_a_token_sees_it_needs_one(server: JupyterServer, tmp_path: Path) -> None:
    checks = doctor_checks(server, tmp_path)
    assert (checks["server token"].status, checks["server token"].detail) == ("pass", "MCP needs the server's token")
    assert checks["no-token refused"].status == "pass"
