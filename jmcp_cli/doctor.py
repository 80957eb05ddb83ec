"""``jmcp doctor``: which checks run, in which order, and which earlier check each one needs.

A check whose prerequisite failed is skipped with the reason that prerequisite gives
("server not reachable"), and so are the checks that need it in turn. The checks themselves live
in ``doctor_env``, ``doctor_server`` and ``doctor_clients``; to add one, add a ``Step`` below.
The command (``cmd_doctor``) only renders the results and sets the exit code.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import doctor_clients, doctor_env, doctor_server, tokens
from .doctor_check import Check, failed, skipped
from .servers import Server


@dataclass
class Facts:
    """What the checks look at, and what earlier checks learned for later ones."""

    server: Server
    name: str
    home: Path
    cwd: Path
    health: dict[str, Any] = field(default_factory=dict)  # the authenticated /mcp/healthz body
    tokenless: bool = False  # MCP is served without a token (JMCPExtension.serve_without_token)


@dataclass(frozen=True)
class Step:
    """One check (or group of checks) in the run."""

    name: str
    run: Callable[[Facts], Check | list[Check]]
    needs: str | None = None  # an earlier step that must not have failed
    failure_means: str = ""  # why the steps needing this one are skipped when it fails


def _server_token(facts: Facts) -> Check:
    check, facts.tokenless = doctor_server.check_server_token(facts.server)
    return check


def _token(facts: Facts) -> Check:
    if facts.tokenless:
        return skipped("token", "the server takes no token")
    check, facts.health = doctor_server.check_token_accepted(facts.server)
    return check


def _unauthenticated_refused(facts: Facts) -> Check:
    if facts.tokenless:
        return skipped("no-token refused", "MCP is served without a token by choice (serve_without_token)")
    return doctor_server.check_unauthenticated_refused(facts.server)


STEPS: tuple[Step, ...] = (
    Step("packages", lambda f: doctor_env.check_packages()),
    Step("kernel", lambda f: doctor_env.check_kernel()),
    Step("extension", lambda f: doctor_env.check_extension_enabled()),
    Step("crdt stack", lambda f: doctor_env.check_crdt()),
    Step("/mcp owner", lambda f: doctor_env.check_mcp_conflict()),
    Step("server", lambda f: doctor_server.check_reachable(f.server), failure_means="server not reachable"),
    Step("port", lambda f: doctor_server.check_port_owner(f.server), needs="server"),
    Step(
        "healthz", lambda f: doctor_server.check_healthz(f.server), needs="server", failure_means="/mcp/healthz failed"
    ),
    Step("server token", _server_token, needs="healthz", failure_means="the server has no token"),
    Step("token", _token, needs="server token", failure_means="token refused"),
    Step("no-token refused", _unauthenticated_refused, needs="server token"),
    Step("mcp handshake", lambda f: doctor_server.check_mcp_handshake(f.server), needs="token"),
    Step("live editing", lambda f: doctor_server.check_rtc(f.server, f.health), needs="token"),
    Step("client configs", lambda f: doctor_clients.check_client_configs(f.server, f.name, f.home, f.cwd)),
)


def _run_one(step: Step, facts: Facts) -> list[Check]:
    try:
        result = step.run(facts)
    except Exception as e:  # a broken check must not hide the others
        result = failed(step.name, f"check crashed: {type(e).__name__}: {e}", "report this at the jmcp issue tracker")
    return result if isinstance(result, list) else [result]


def run_steps(steps: Sequence[Step], facts: Facts) -> list[Check]:
    """Run ``steps`` in order, skipping each one whose prerequisite failed or was skipped for that."""
    blocked: dict[str, str] = {}  # step name -> why the steps needing it are skipped
    done: set[str] = set()
    results: list[Check] = []
    for step in steps:
        if step.needs is not None and step.needs not in done:
            raise ValueError(f"doctor step {step.name!r} needs {step.needs!r}, which does not run before it")
        done.add(step.name)
        reason = blocked.get(step.needs) if step.needs else None
        if reason is not None:
            results.append(skipped(step.name, reason))
            blocked[step.name] = reason
            continue
        checks = _run_one(step, facts)
        results += checks
        if not all(c.ok for c in checks):
            blocked[step.name] = step.failure_means or f"{step.name} failed"
    return results


def run_checks(server: Server, name: str, home: Path, cwd: Path) -> list[Check]:
    checks = run_steps(STEPS, Facts(server, name, home, cwd))
    return [_scrub(c, server.token) for c in checks]


def _scrub(check: Check, token: str | None) -> Check:
    """Never print a full token, whatever a message quoted."""
    if not token:
        return check
    return replace(check, detail=check.detail.replace(token, tokens.mask(token)), fix=check.fix.replace(token, "…"))
