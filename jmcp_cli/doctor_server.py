"""``jmcp doctor`` checks of the running server: reachable, port, healthz, token, MCP, live editing."""

import time
from typing import Any

from . import fetch, ports, tokens
from .doctor_check import Check, failed, passed, skipped
from .servers import Server

REQUIRED_TOOLS = ("create_notebook", "insert_cell", "read_cell")


def check_reachable(server: Server) -> Check:
    try:
        resp = fetch.request(server.base_url + "api", timeout=5)
    except fetch.UnreachableError as e:
        return failed("server", f"{e} ({server.source})", "start it with `jmcp start` (or pass --url)")
    if resp.status != 200:
        return failed("server", f"{server.base_url}api answered {resp.status}: not a Jupyter server", "check --url")
    version = resp.json().get("version", "?")
    return passed("server", f"Jupyter Server {version} at {server.base_url} ({server.source})")


def check_port_owner(server: Server) -> Check:
    port = server.port
    if port is None or not ports.is_loopback(server.host):
        return skipped("port", "not a local server")
    owner = ports.port_owner(port)
    if owner is None:
        return skipped("port", f"cannot tell which process listens on {port}")
    if server.pid and owner != server.pid:
        return failed(
            "port",
            f"port {port} is held by pid {owner} ({ports.process_name(owner)}), not by the expected server "
            f"(pid {server.pid})",
            f"stop pid {owner}, or use another port: jmcp start --port {ports.suggest_free('127.0.0.1', port)}",
        )
    return passed("port", f"{port} served by pid {owner} ({ports.process_name(owner)})")


#: How long doctor waits for a server that is still building its MCP endpoint ("starting").
STARTING_WAIT_SECONDS = 30.0


def check_healthz(server: Server) -> Check:
    deadline = time.monotonic() + STARTING_WAIT_SECONDS
    while True:
        resp = fetch.request(server.healthz_url)
        body: dict[str, Any] = {}
        try:
            parsed = resp.json()
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            pass
        if body.get("status") != "starting" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if resp.status == 404:
        return failed(
            "healthz",
            f"{server.healthz_url} not found: the jmcp extension is not loaded in this server",
            "restart with `jmcp start`, or `jupyter server extension enable jmcp_ext` and restart JupyterLab",
        )
    if resp.status != 200 or body.get("service") != "jmcp":
        return failed(
            "healthz",
            f"{server.healthz_url} answered {resp.status} {resp.body[:80]!r}: /mcp is not jmcp's",
            "pip uninstall -y jupyter-mcp-server, then restart JupyterLab",
        )
    return passed("healthz", f"jmcp {body.get('version')} answers, {body.get('sessions', 0)} MCP session(s)")


def check_token_accepted(server: Server) -> tuple[Check, dict[str, Any]]:
    """The token check, and the authenticated health body (``rtc``, ``read_only``) later checks read."""
    if not server.token:
        return failed("token", "no token known for this server", "pass --token, or start with `jmcp start`"), {}
    resp = fetch.request(server.healthz_url, token=server.token)
    body = resp.json() if resp.status == 200 else {}
    if not body.get("authenticated"):
        return failed(
            "token",
            f"the token {tokens.mask(server.token)} is not accepted by {server.base_url}",
            "use that server's token (`jmcp doctor --token ...`), or restart it with `jmcp start` "
            "so it uses jmcp's stored token",
        ), body
    return passed("token", f"token {tokens.mask(server.token)} accepted"), body


#: The first sentence of what jmcp's /mcp answers (403) on a server without a token (jmcp_ext/auth.py: NO_TOKEN).
NO_TOKEN_SENTENCE = "This Jupyter server has no token"
NO_TOKEN_FIX = (
    "restart it with `jmcp start` (which gives it jmcp's token), or with --IdentityProvider.token=<a long random "
    "string> and pass that token to `jmcp config`; behind a proxy that authenticates every request, "
    "--JMCPExtension.serve_without_token=True serves MCP without one"
)


def check_server_token(server: Server) -> tuple[Check, bool]:
    """Whether the server has a token at all, and whether MCP is served without one (by choice)."""
    resp = fetch.request(server.mcp_url, method="POST", json_body={})
    try:
        parsed = resp.json()
    except ValueError:
        parsed = None
    body: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    if resp.status == 403 and str(body.get("message", "")).startswith(NO_TOKEN_SENTENCE):
        return failed(
            "server token",
            f"{server.base_url} has no token (started with --IdentityProvider.token='', or a password and no "
            "token), so jmcp refuses every MCP request",
            NO_TOKEN_FIX,
        ), False
    if resp.status not in (401, 403) and "jsonrpc" in body:  # the MCP SDK itself answered: no token was needed
        return passed(
            "server token",
            "none: MCP is served without a token (JMCPExtension.serve_without_token); only safe behind a proxy "
            "that authenticates every request",
        ), True
    return passed("server token", "MCP needs the server's token"), False


def check_unauthenticated_refused(server: Server) -> Check:
    resp = fetch.request(server.mcp_url, method="POST", json_body={})
    challenge = resp.headers.get("www-authenticate", "")
    if resp.status == 401 and challenge.lower().startswith("bearer"):
        return passed("no-token refused", f"POST /mcp without a token → 401 ({challenge})")
    return failed(
        "no-token refused",
        f"POST /mcp without a token answered {resp.status} (expected 401 with WWW-Authenticate: Bearer)",
        "do not run Jupyter with an empty token or with authentication disabled",
    )


def check_mcp_handshake(server: Server) -> Check:
    from .mcp_probe import describe, tool_names

    try:
        names = tool_names(server)
    except Exception as e:
        return failed("mcp handshake", describe(e), "see the server log; run `jmcp doctor` again after a restart")
    missing = [t for t in REQUIRED_TOOLS if t not in names]
    if missing:
        return failed("mcp handshake", f"tools missing: {', '.join(missing)}", "pip install --upgrade jmcp")
    return passed("mcp handshake", f"{len(names)} tools")


def check_rtc(server: Server, health: dict[str, Any]) -> Check:
    """Real time collaboration, for real: a live edit must reach the file through autosave."""
    fix = (
        "pip install jupyter-collaboration, make sure `jupyter server extension list` shows "
        "jupyter_server_ydoc enabled (jupyter server extension enable jupyter_server_ydoc), restart"
    )
    if health.get("rtc") is False:
        detail = health.get("rtc_detail") or "collaboration is not enabled in this server"
        return failed("live editing", f"off: {detail}", fix)
    if health.get("read_only"):
        return skipped("live editing", "server is read-only; scratch notebook not created")
    from .mcp_probe import describe, rtc_roundtrip

    try:
        result = rtc_roundtrip(server)
    except Exception as e:
        return failed("live editing", f"scratch notebook edit failed: {describe(e)}", fix)
    if not result.saved:
        return failed(
            "live editing",
            f"a live edit to {result.path} was not autosaved within {result.seconds:.0f} s",
            "check the server log for collaboration errors; " + fix,
        )
    return passed("live editing", f"live edit autosaved to disk in {result.seconds:.1f} s (scratch file removed)")
