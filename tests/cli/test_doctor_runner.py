"""The doctor runner: each check names its prerequisite, and a failed prerequisite skips what needs it."""

from pathlib import Path

import pytest

from jmcp_cli import doctor
from jmcp_cli.doctor import Facts, Step, run_steps
from jmcp_cli.doctor_check import Check, failed, passed
from jmcp_cli.servers import Server

SERVER = Server("http://127.0.0.1:1/", "a-long-test-token-1234", "test", running=False)


def facts() -> Facts:
    return Facts(SERVER, "jupyter", Path("/nonexistent-home"), Path("/nonexistent-work"))


def ok(name: str) -> Step:
    return Step(name, lambda f: passed(name, "fine"))


def bad(name: str, means: str = "") -> Step:
    return Step(name, lambda f: failed(name, "broken", "fix it"), failure_means=means)


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_a_failed_prerequisite_skips_what_needs_it_saying_which() -> None:
    steps = [
        bad("server", "server not reachable"),
        Step("port", lambda f: passed("port", "x"), needs="server"),
        ok("unrelated"),
    ]
    checks = by_name(run_steps(steps, facts()))
    assert checks["server"].status == "fail"
    assert (checks["port"].status, checks["port"].detail) == ("skip", "server not reachable")
    assert checks["unrelated"].status == "pass"


def test_skips_carry_the_first_failure_down_the_chain() -> None:
    steps = [
        ok("server"),
        bad("healthz", "/mcp/healthz failed"),
        Step("token", lambda f: passed("token", "x"), needs="healthz", failure_means="token refused"),
        Step("handshake", lambda f: passed("handshake", "x"), needs="token"),
    ]
    checks = by_name(run_steps(steps, facts()))
    assert checks["token"].detail == "/mcp/healthz failed"
    assert checks["handshake"].detail == "/mcp/healthz failed"


def test_a_failure_without_a_stated_meaning_names_the_check() -> None:
    checks = by_name(run_steps([bad("a"), Step("b", lambda f: passed("b", "x"), needs="a")], facts()))
    assert checks["b"].detail == "a failed"


def test_a_crashing_check_fails_with_its_name_and_blocks_its_dependants() -> None:
    def crash(f: Facts) -> Check:
        raise RuntimeError("boom")

    steps = [Step("x", crash, failure_means="x is broken"), Step("y", lambda f: passed("y", "v"), needs="x")]
    checks = by_name(run_steps(steps, facts()))
    assert checks["x"].status == "fail" and "RuntimeError: boom" in checks["x"].detail
    assert checks["y"].detail == "x is broken"


def test_a_step_may_return_several_checks_and_any_failure_blocks() -> None:
    steps = [
        Step("group", lambda f: [passed("a", "x"), failed("b", "y", "z")], failure_means="group broken"),
        Step("after", lambda f: passed("after", "x"), needs="group"),
    ]
    checks = run_steps(steps, facts())
    assert [c.name for c in checks] == ["a", "b", "after"]
    assert checks[2].detail == "group broken"


def test_a_prerequisite_that_does_not_run_first_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs 'later'"):
        run_steps([Step("early", lambda f: passed("early", "x"), needs="later"), ok("later")], facts())


def test_the_real_steps_are_well_formed() -> None:
    names = [s.name for s in doctor.STEPS]
    assert len(names) == len(set(names))
    for i, step in enumerate(doctor.STEPS):
        assert step.needs is None or step.needs in names[:i], step.name


def test_a_down_server_skips_every_server_check_with_the_reason(home: Path) -> None:
    checks = by_name(doctor.run_checks(SERVER, "jupyter", home, Path.cwd()))
    assert checks["server"].status == "fail"
    for name in ("port", "healthz", "token", "no-token refused", "mcp handshake", "live editing"):
        assert (checks[name].status, checks[name].detail) == ("skip", "server not reachable"), name
    assert checks["client configs"].status == "skip"
