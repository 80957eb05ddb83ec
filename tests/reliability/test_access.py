"""Who gets in: every route under /mcp, rebinding with a wildcard bind, the token in logs and compares,
and sessions bound to the identity that made them."""

from __future__ import annotations

import ast
import inspect
import json
import socket
from pathlib import Path

import httpx2
import pytest

from tests.reliability.identity import TOKENS
from tests.support import INIT, JSON_HEADERS, JupyterServer, call, mcp_client, running_server

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
SUBPATHS = ["mcp", "mcp/", "mcp/anything", "mcp/healthz/x", "mcp/sse", "mcp/messages/", "mcp/a/b/c", "mcp/healthz"]


def _is_liveness(method: str, subpath: str) -> bool:
    return subpath == "mcp/healthz" and method in ("GET", "OPTIONS")


@pytest.mark.parametrize("subpath", SUBPATHS)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("auth", [None, "Bearer nope", "bearer", "Token x"])
def test_every_route_under_mcp_refuses_without_a_token_except_liveness(
    server: JupyterServer, method: str, subpath: str, auth: str | None
) -> None:
    headers = dict(JSON_HEADERS) | ({"Authorization": auth} if auth is not None else {})
    response = httpx2.request(method, server.url + subpath, headers=headers, content=json.dumps(INIT), timeout=10)
    if _is_liveness(method, subpath):
        assert response.status_code in (200, 204)
        assert str(server.root) not in response.text and "tools" not in response.text
        return
    if subpath == "mcp/healthz":
        assert response.status_code == 405  # healthz only answers GET; nothing is served
        return
    assert response.status_code == 401, (method, subpath, response.status_code, response.text[:200])
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="jupyter"'
    assert "mcp-session-id" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_unknown_path_under_mcp_is_404_with_a_token(server: JupyterServer, method: str) -> None:
    response = httpx2.request(method, f"{server.mcp_url}/anything", headers=server.headers, timeout=10)
    assert response.status_code == 404


def test_same_length_wrong_tokens_are_refused_whichever_byte_differs(server: JupyterServer) -> None:
    token = server.token
    for position in (0, len(token) // 2, len(token) - 1):
        wrong = token[:position] + ("0" if token[position] != "0" else "1") + token[position + 1 :]
        headers = {**JSON_HEADERS, "Authorization": f"Bearer {wrong}"}
        assert httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT)).status_code == 401
    for variant in (token.upper() if token.upper() != token else token + "x", token[:-1], token * 2, token + "\u00e9"):
        headers = {**JSON_HEADERS, "Authorization": f"Bearer {variant}".encode()}  # type: ignore[dict-item]
        status = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(INIT)).status_code
        assert status == 401, variant


def test_the_handler_compares_tokens_only_with_compare_digest() -> None:
    # jupyter_server 2.21's IdentityProvider.get_user_token compares with `==`; our /mcp handler refuses a
    # wrong header token first with hmac.compare_digest, and never compares a token with == itself.
    from jmcp_ext import auth, handlers

    for module in (auth, handlers):
        _assert_no_token_equality(inspect.getsource(module))
    assert "hmac.compare_digest" in inspect.getsource(auth.header_token_matches)
    assert "header_token_matches(" in inspect.getsource(handlers.MCPHandler.prepare)


def _assert_no_token_equality(source: str) -> None:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            names = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "") for n in ast.walk(node)}
            assert not names & {"token", "expected", "group"}, ast.unparse(node)


async def test_the_token_never_reaches_the_debug_log(tmp_path: Path) -> None:
    with running_server(tmp_path / "root", tmp_path / "home", "--debug") as srv:
        async with mcp_client(srv.mcp_url, srv.token) as client:
            await call(client, "create_notebook", path="log.ipynb")
            await call(client, "insert_cell", source="print(1)")
            await call(client, "execute_cell", cell=0)
            await call(client, "read_notebook")
            await call(client, "list_files")
        # Refused shapes too: query string, wrong scheme, a token that is almost right.
        for url, headers in [
            (f"{srv.mcp_url}?token={srv.token}", JSON_HEADERS),
            (srv.mcp_url, {**JSON_HEADERS, "Authorization": f"Basic {srv.token}"}),
            (srv.mcp_url, {**JSON_HEADERS, "Authorization": f"Bearer {srv.token}x"}),
            (f"{srv.mcp_url}/nowhere", {**JSON_HEADERS, "Authorization": f"Bearer {srv.token}"}),
        ]:
            httpx2.post(url, headers=headers, content=json.dumps(INIT), timeout=10)
        srv.stop()
        log = srv.log()
    assert "Accepting token-authenticated request" in log or "DEBUG" in log or "[D " in log  # debug was on
    assert srv.token not in log
    assert srv.token[:12] not in log


def _lan_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            address = str(sock.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_wildcard_bind_with_remote_access_still_needs_the_token(tmp_path: Path) -> None:
    args = ["--ServerApp.ip=0.0.0.0", "--ServerApp.allow_remote_access=True"]
    with running_server(tmp_path / "root", tmp_path / "home", *args) as srv:
        hosts = [f"127.0.0.1:{srv.port}", f"attacker.example:{srv.port}", "rebind.example"]
        address = _lan_address()
        targets = [f"http://127.0.0.1:{srv.port}"] + ([f"http://{address}:{srv.port}"] if address else [])
        for target in targets:
            for host in hosts:
                # A rebound page (any Host, allowed by allow_remote_access) without the token gets nothing.
                for method in ("POST", "GET", "DELETE"):
                    response = httpx2.request(
                        method, f"{target}/mcp", headers={**JSON_HEADERS, "Host": host}, content=json.dumps(INIT)
                    )
                    assert response.status_code == 401, (target, host, method)
                # A browser page from another origin is refused even with the token.
                response = httpx2.post(
                    f"{target}/mcp",
                    headers={**JSON_HEADERS, **srv.headers, "Host": host, "Origin": "http://attacker.example"},
                    content=json.dumps(INIT),
                )
                assert response.status_code == 403
        # A cookie-only browser context (logged in once) on a rebound host: no XSRF, no entry.
        with httpx2.Client(timeout=10) as browser:
            browser.get(f"{srv.url}?token={srv.token}")
            assert browser.cookies
            response = browser.post(
                srv.mcp_url,
                headers={**JSON_HEADERS, "Host": f"attacker.example:{srv.port}", "Origin": "http://attacker.example"},
                content=json.dumps(INIT),
            )
            assert response.status_code == 403
            response = browser.post(srv.mcp_url, headers=JSON_HEADERS, content=json.dumps(INIT))
            assert response.status_code == 403
        # And the token still works from the wildcard bind.
        ok = httpx2.post(srv.mcp_url, headers={**JSON_HEADERS, **srv.headers}, content=json.dumps(INIT))
        assert ok.status_code == 200


def test_default_provider_session_is_refused_for_a_wrong_token(server: JupyterServer) -> None:
    init = httpx2.post(server.mcp_url, headers={**JSON_HEADERS, **server.headers}, content=json.dumps(INIT))
    session = init.headers["mcp-session-id"]
    for auth in ("Bearer " + "f" * len(server.token), None):
        headers = {**JSON_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
        if auth:
            headers["Authorization"] = auth
        body = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        response = httpx2.post(server.mcp_url, headers=headers, content=json.dumps(body))
        assert response.status_code == 401
        assert "list_files" not in response.text


@pytest.mark.slow
async def test_a_session_id_is_useless_to_another_user(tmp_path: Path) -> None:
    alice, bob = (f"Bearer {t}" for t in TOKENS)
    args = ["--ServerApp.identity_provider_class=tests.reliability.identity.TwoUsers"]
    with running_server(tmp_path / "root", tmp_path / "home", *args) as srv:
        async with mcp_client(srv.mcp_url, next(iter(TOKENS))) as client:
            await call(client, "create_notebook", path="alice.ipynb")
            await call(client, "insert_cell", source="secret = 'alice-only'")
        init = httpx2.post(srv.mcp_url, headers={**JSON_HEADERS, "Authorization": alice}, content=json.dumps(INIT))
        assert init.status_code == 200
        session = init.headers["mcp-session-id"]
        common = {**JSON_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        httpx2.post(srv.mcp_url, headers={**common, "Authorization": alice}, content=json.dumps(initialized))
        read = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "read_notebook", "arguments": {"path": "alice.ipynb"}},
        }
        stolen = httpx2.post(srv.mcp_url, headers={**common, "Authorization": bob}, content=json.dumps(read))
        assert stolen.status_code in (403, 404), stolen.text
        assert "alice-only" not in stolen.text
        listen = httpx2.get(srv.mcp_url, headers={**common, "Authorization": bob}, timeout=10)
        assert listen.status_code in (403, 404)
        ended = httpx2.delete(srv.mcp_url, headers={**common, "Authorization": bob})
        assert ended.status_code in (403, 404)
        # The owner's session is untouched by all that.
        own = httpx2.post(srv.mcp_url, headers={**common, "Authorization": alice}, content=json.dumps(read))
        assert own.status_code == 200 and "alice-only" in own.text
