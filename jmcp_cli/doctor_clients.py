"""``jmcp doctor`` checks of client configs: each entry named ``name`` points at this server with its token."""

import shutil
from pathlib import Path

from . import configured_clients, tokens
from .doctor_check import Check, failed, passed, skipped
from .servers import Server, normalize_base_url


def check_client_configs(server: Server, name: str, home: Path, cwd: Path) -> list[Check]:
    found = configured_clients.find_configured(name, home, cwd)
    if not found:
        return [skipped("client configs", f"no client has a {name!r} entry yet (jmcp config claude)")]
    checks = []
    for c in found:
        label = f"{c.client.name} ({c.scope})"
        refresh = f"jmcp config {c.client.name} --scope {c.scope}"
        if c.error is not None:
            checks.append(failed(label, c.error, f"fix {c.target.path} by hand, then {refresh}"))
            continue
        endpoint = configured_clients.endpoint_of(c.entry)
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
    needs_npx = [c for c in found if c.entry is not None and configured_clients.endpoint_of(c.entry).command == "npx"]
    if needs_npx:
        npx = shutil.which("npx")
        users = ", ".join(c.client.name for c in needs_npx)
        checks.append(
            passed("npx", f"{npx} (needed by {users})")
            if npx
            else failed("npx", f"not found; {users} run `npx mcp-remote`", "install Node.js (it provides npx)")
        )
    return checks
