"""``jmcp doctor`` checks: small functions, each returning a :class:`Check` (name, status, detail, fix).

The command only renders them and sets the exit code. Heavy imports (Jupyter, MCP) stay inside
the checks that need them.
"""

import importlib.metadata as md
import importlib.util
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from . import client_configs, fetch, ports, tokens
from .servers import Server, normalize_base_url

Status = Literal["pass", "fail", "skip"]
REQUIRED_TOOLS = ("create_notebook", "insert_cell", "read_cell")
PACKAGES = ("jmcp", "jupyterlab", "jupyter_server", "jupyter-collaboration", "jupyter-server-ydoc", "pycrdt", "mcp")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def passed(name: str, detail: str) -> Check:
    return Check(name, "pass", detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, "fail", detail, fix)


def skipped(name: str, detail: str) -> Check:
    return Check(name, "skip", detail)


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


# --- the environment -------------------------------------------------------------------------


def check_packages() -> Check:
    versions = {name: _version(name) for name in PACKAGES}
    missing = [name for name, v in versions.items() if v is None]
    detail = ", ".join(f"{name} {v}" for name, v in versions.items() if v)
    if missing:
        return failed("packages", f"missing: {', '.join(missing)}; found {detail}", f"pip install {' '.join(missing)}")
    return passed("packages", detail)


def check_kernel() -> Check:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if not specs:
        return failed("kernel", "no Jupyter kernel installed", "pip install ipykernel")
    ipykernel = _version("ipykernel")
    extra = f" (ipykernel {ipykernel})" if ipykernel else ""
    return passed("kernel", ", ".join(sorted(specs)) + extra)


def check_extension_enabled() -> Check:
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    if importlib.util.find_spec("jmcp_ext") is None:
        return failed("extension", "jmcp_ext is not importable", "pip install --force-reinstall jmcp")
    enabled = ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions()
    if not enabled.get("jmcp_ext"):
        state = "disabled" if "jmcp_ext" in enabled else "not enabled"
        return failed(
            "extension",
            f"jmcp_ext is {state} in Jupyter's config: `jupyter lab` will not serve /mcp (`jmcp start` still does)",
            "jupyter server extension enable jmcp_ext",
        )
    return passed("extension", "jmcp_ext enabled for every Jupyter server")


def check_crdt() -> Check:
    fork = _version("datalayer_pycrdt") or _version("datalayer-pycrdt")
    if fork:
        return failed(
            "crdt stack",
            f"datalayer_pycrdt {fork} is installed beside pycrdt; both provide the `pycrdt` module",
            "pip uninstall -y datalayer_pycrdt && pip install --force-reinstall pycrdt",
        )
    try:
        import pycrdt
        from jupyter_ydoc import YNotebook

        notebook = YNotebook(pycrdt.Doc())
        notebook.set({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    except Exception as e:
        return failed(
            "crdt stack", f"pycrdt/jupyter_ydoc do not work together: {e}", "pip install --force-reinstall jmcp"
        )
    return passed("crdt stack", f"pycrdt {_version('pycrdt')}, jupyter_ydoc {_version('jupyter-ydoc')}")


def check_mcp_conflict() -> Check:
    other = _version("jupyter-mcp-server")
    if other:
        return failed(
            "/mcp owner",
            f"jupyter-mcp-server {other} is installed and also registers /mcp (the first extension loaded wins)",
            "pip uninstall -y jupyter-mcp-server",
        )
    return passed("/mcp owner", "no other package claims /mcp")


# --- the running server ------------------------------------------------------------------------


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


def check_healthz(server: Server) -> tuple[Check, dict[str, Any]]:
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
        ), body
    if resp.status != 200 or body.get("service") != "jmcp":
        return failed(
            "healthz",
            f"{server.healthz_url} answered {resp.status} {resp.body[:80]!r}: /mcp is not jmcp's",
            "pip uninstall -y jupyter-mcp-server, then restart JupyterLab",
        ), body
    return passed("healthz", f"jmcp {body.get('version')} answers, {body.get('sessions', 0)} MCP session(s)"), body


def check_token_accepted(server: Server) -> tuple[Check, dict[str, Any]]:
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


# --- client configs ----------------------------------------------------------------------------


def check_client_configs(server: Server, name: str, home: Path, cwd: Path) -> list[Check]:
    found = client_configs.find_configured(name, home, cwd)
    if not found:
        return [skipped("client configs", f"no client has a {name!r} entry yet (jmcp config claude)")]
    checks = []
    for c in found:
        label = f"{c.client.name} ({c.scope})"
        refresh = f"jmcp config {c.client.name} --scope {c.scope}"
        if c.error is not None:
            checks.append(failed(label, c.error, f"fix {c.target.path} by hand, then {refresh}"))
            continue
        endpoint = client_configs.endpoint_of(c.entry)
        try:
            url_ok = endpoint.url is not None and normalize_base_url(endpoint.url) == server.base_url
        except Exception:
            url_ok = False
        if not url_ok:
            checks.append(failed(label, f"points at {endpoint.url}, not {server.mcp_url}", refresh))
        elif endpoint.token_env and endpoint.token is None:
            checks.append(
                failed(
                    label,
                    f"${endpoint.token_env} is not set in this shell",
                    f'export {endpoint.token_env}="$(jmcp token --show)"',
                )
            )
        elif endpoint.token != server.token:
            checks.append(failed(label, f"holds a different token ({tokens.mask(endpoint.token or '')})", refresh))
        else:
            checks.append(passed(label, f"{c.target.path} → {server.mcp_url}"))
    needs_npx = [c for c in found if c.entry is not None and client_configs.endpoint_of(c.entry).command == "npx"]
    if needs_npx:
        npx = shutil.which("npx")
        users = ", ".join(c.client.name for c in needs_npx)
        checks.append(
            passed("npx", f"{npx} (needed by {users})")
            if npx
            else failed("npx", f"not found; {users} run `npx mcp-remote`", "install Node.js (it provides npx)")
        )
    return checks


# --- running them ------------------------------------------------------------------------------


def _guard(name: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as e:  # a broken check must not hide the others
        return failed(name, f"check crashed: {type(e).__name__}: {e}", "report this at the jmcp issue tracker")


def _guard_pair(name: str, fn: Callable[[], tuple[Check, dict[str, Any]]]) -> tuple[Check, dict[str, Any]]:
    try:
        return fn()
    except Exception as e:
        return failed(name, f"check crashed: {type(e).__name__}: {e}", "report this at the jmcp issue tracker"), {}


def run_checks(server: Server, name: str, home: Path, cwd: Path) -> list[Check]:
    checks = [
        _guard("packages", check_packages),
        _guard("kernel", check_kernel),
        _guard("extension", check_extension_enabled),
        _guard("crdt stack", check_crdt),
        _guard("/mcp owner", check_mcp_conflict),
    ]
    reach = _guard("server", lambda: check_reachable(server))
    checks.append(reach)
    server_checks = ["port", "healthz", "token", "no-token refused", "mcp handshake", "live editing"]
    if not reach.ok:
        checks += [skipped(n, "server not reachable") for n in server_checks]
    else:
        checks.append(_guard("port", lambda: check_port_owner(server)))
        health_check, _ = _guard_pair("healthz", lambda: check_healthz(server))
        checks.append(health_check)
        if not health_check.ok:
            checks += [skipped(n, "/mcp/healthz failed") for n in server_checks[2:]]
        else:
            token_check, health = _guard_pair("token", lambda: check_token_accepted(server))
            checks.append(token_check)
            checks.append(_guard("no-token refused", lambda: check_unauthenticated_refused(server)))
            if token_check.ok:
                checks.append(_guard("mcp handshake", lambda: check_mcp_handshake(server)))
                checks.append(_guard("live editing", lambda: check_rtc(server, health)))
            else:
                checks += [skipped(n, "token refused") for n in server_checks[4:]]
    try:
        checks += check_client_configs(server, name, home, cwd)
    except Exception as e:
        checks.append(failed("client configs", f"check crashed: {e}", "report this at the jmcp issue tracker"))
    return [_scrub(c, server.token) for c in checks]


def _scrub(check: Check, token: str | None) -> Check:
    """Never print a full token, whatever a message quoted."""
    if not token:
        return check
    return replace(check, detail=check.detail.replace(token, tokens.mask(token)), fix=check.fix.replace(token, "…"))
