"""The benchmark harness runs end to end in quick mode and prints every row (it must not rot)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from bench.__main__ import ROWS
from bench.ab import WITHOUT_WATCHER
from bench.figures import alternate
from tests.polling import poll_async
from tests.support import REPO_ROOT, call, mcp_client, running_server


@pytest.mark.slow
@pytest.mark.soak
def test_quick_bench_prints_every_row_and_no_errors() -> None:
    # The server-start figure starts JupyterLab three times; the other figures cover the harness.
    table = "\n".join(run_bench("bench", "--quick", "--skip", "start,other"))
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    for label in ROWS.values():
        matching = [row for row in rows if row.startswith(f"| {label} ")]
        assert len(matching) == 1, f"row {label!r} missing:\n{table}"
        met = matching[0].rstrip(" |").rsplit("|", 1)[1].strip()
        assert met in ("yes", "NO", "n/a", "skipped"), matching[0]
    for label in ("`jmcp start` until /mcp/healthz answers", "jupyter-mcp-server `execute_code` 1+1 vs jmcp"):
        assert next(row for row in rows if row.startswith(f"| {label} ")).rstrip(" |").endswith("skipped")
    # The exec row's note times Jupyter's cheapest authenticated request against a lean ping, in pairs.
    note = next(line for line in table.splitlines() if line.startswith(f"- {ROWS['exec-raw']}: "))
    floor = re.search(r"GET /api/status.* takes (\d+\.\d+) ms against a lean ping's (\d+\.\d+) ms", note)
    assert floor is not None and float(floor[1]) > 0 and float(floor[2]) > 0, note
    # ... and the platform's floor: the raw call run from inside the server by a plain Jupyter handler, against
    # the raw call beside it.
    platform = re.search(r"no MCP\), takes (\d+\.\d+) ms vs (\d+\.\d+) ms \((\d+\.\d+)x, ([+-]\d+\.\d+) ms\)", note)
    assert platform is not None, note
    took, raw, ratio, over = (float(x) for x in platform.groups())
    assert took > 0 and raw > 0 and ratio == pytest.approx(took / raw, abs=0.01), note
    assert over == pytest.approx(took - raw, abs=0.011), note


def run_bench(module: str, *args: str) -> list[str]:
    """``python -m MODULE ARGS``'s output lines, from this checkout (it must succeed)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-5000:]}"
    return result.stdout.splitlines()


def run_ab(*args: str) -> list[str]:
    """``python -m bench.ab HEAD ARGS --calls 5 --rounds 2``'s output lines (it must succeed)."""
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("bench.ab unpacks a commit with git; this checkout has no repository")
    return run_bench("bench.ab", "HEAD", *args, "--calls", "5", "--rounds", "2")


@pytest.mark.slow
@pytest.mark.soak
def test_ab_compares_this_tree_with_a_commit_on_two_servers() -> None:
    lines = run_ab()
    rounds = [line for line in lines if line.startswith("round ")]
    assert [line.split(":")[0] for line in rounds] == ["round 1", "round 2"], rounds
    for line in rounds:
        assert "this tree " in line and "HEAD (" in line and "server CPU" in line and "difference" in line, line
        assert "raw" not in line, line
    assert lines[-1].startswith("median of 2 rounds of 5: this tree ") and " against HEAD (" in lines[-1]


@pytest.mark.slow
@pytest.mark.soak
def test_ab_with_raw_reports_each_servers_overhead_over_a_raw_call() -> None:
    """``--with-raw`` pairs each MCP call with a raw kernel call on the same server, as the exec row does: each
    server's raw call is reported, and it is faster than the MCP call (which runs the same code on the same
    kernel, plus HTTP and the tool), so the overheads compared are positive."""
    lines = run_ab("--with-raw")
    rounds = [line for line in lines if line.startswith("round ")]
    assert len(rounds) == 2, lines
    for line in rounds:
        sides = re.findall(r"(\d+\.\d+) ms \(raw (\d+\.\d+) ms, over ([+-]\d+\.\d+) ms, server CPU", line)
        assert len(sides) == 2, line
        for mcp, raw, over in sides:
            assert 0 < float(raw) < float(mcp), line
            assert float(over) == pytest.approx(float(mcp) - float(raw), abs=0.011), line
        assert "in overhead over raw" in line, line
    overall = re.fullmatch(
        r"overhead over a raw call on the same kernel: this tree \+(\d+\.\d+) ms against HEAD \(\w+\) "
        r"\+(\d+\.\d+) ms \([+-]\d+\.\d+ ms\)",
        lines[-1],
    )
    assert overall is not None, lines[-1]


@pytest.mark.slow
@pytest.mark.soak
async def test_the_ab_option_without_the_activity_watcher_leaves_kernels_unwatched(tmp_path: Path) -> None:
    """What ``bench.ab --without-activity-watcher`` compares: a kernel the server does not watch never leaves
    the "starting" state in Jupyter's REST API (the watcher records it), while it still runs code; a server
    without the option does record it, so the test tells the two apart."""

    async def state_after_a_run(*args: str, watched: bool) -> str:
        base = tmp_path / ("watched" if watched else "unwatched")
        with running_server(base / "root", base / "home", *args) as server:
            async with mcp_client(server.mcp_url, server.token) as client:
                await call(client, "create_notebook", path="w.ipynb")
                assert (await call(client, "execute_code", source="6 * 7")).rstrip().endswith("42")
            async with httpx2.AsyncClient(headers=server.headers, timeout=30) as http:

                async def kernels() -> list[dict[str, str]]:
                    return list((await http.get(f"{server.url}api/kernels")).json())

                # A watched kernel turns idle once the run's last status reaches the watcher: wait for that.
                def settled(found: list[dict[str, str]]) -> bool:
                    return bool(found) and (not watched or found[0]["execution_state"] == "idle")

                found = await poll_async(kernels, settled, timeout=10, what="the kernel in /api/kernels")
                return found[0]["execution_state"]

    assert await state_after_a_run(watched=True) == "idle"
    assert await state_after_a_run(WITHOUT_WATCHER, watched=False) == "starting"


async def test_alternate_flips_which_call_goes_first_every_pair() -> None:
    calls: list[str] = []

    async def first() -> str:
        calls.append("a")
        return "first's answer"

    async def second() -> str:
        calls.append("b")
        return "second's answer"

    a_times, b_times, answer = await alternate(first, second, 3, warmup=1)
    assert "".join(calls) == "ab" + "ba" + "ab" + "ba"  # one untimed pair, then three timed ones
    assert len(a_times) == len(b_times) == 3
    assert answer == "first's answer"


def test_floor_layers_add_up_to_execute_codes_overhead_over_raw() -> None:
    """Each layer is one request's figure minus the one before, so together they are execute_code's overhead."""
    from bench.floor import KINDS, layers

    figures = {"status": (2.0, 6.0), "ping": (2.5, 6.1), "noop": (2.75, 5.9), "kernel": (9.5, 6.25)}
    figures["execute_code"] = (10.5, 6.5)
    parts = layers(figures)
    assert [what for what, _ in parts] == [what for _, what in KINDS]
    assert [cost for _, cost in parts] == pytest.approx([2.0, 0.5, 0.25, 0.5, 0.75])
    assert sum(cost for _, cost in parts) == pytest.approx(10.5 - 6.5)


def test_floor_lines_set_the_plain_handlers_against_the_goals_allowance() -> None:
    """The platform's floor is each plain handler's time over the raw call beside it (and as a ratio), and the goal
    allows the larger of +3 ms and 30% of execute_code's raw call."""
    from bench.floor import PLATFORM, floor_lines

    figures = {"hello": (1.5, 6.0), "bare": (8.0, 6.4), "jupyter": (9.0, 6.0), "execute_code": (9.5, 12.0)}
    lines = floor_lines(figures)
    assert lines[0] == f"  1.50 ms  {PLATFORM[0][1]}"
    assert lines[1] == f" +1.60 ms  1.25x  {PLATFORM[1][1]}"
    assert lines[2] == f" +3.00 ms  1.50x  {PLATFORM[2][1]}"
    assert lines[3].startswith(" +3.60 ms  the goal allows")  # 30% of 12 ms is more than 3 ms
    figures["execute_code"] = (9.5, 6.0)
    assert floor_lines(figures)[3].startswith(" +3.00 ms  the goal allows")


@pytest.mark.slow
@pytest.mark.soak
def test_floor_measures_every_layer_on_a_server_with_the_floor_tools() -> None:
    """``python -m bench.floor`` runs end to end: the floor tools answer 1+1 (the bench checks), each request kind
    is timed beside a raw call, and the printed layers add up to the printed execute_code overhead."""
    lines = run_bench("bench.floor", "--calls", "5", "--rounds", "1")
    kinds = {}
    for line in lines:
        found = re.fullmatch(
            r"  (\w+) +(\d+\.\d+) ms   raw call beside it +(\d+\.\d+) ms   over raw +([+-]\d+\.\d+) ms", line
        )
        if found:
            kinds[found[1]] = (float(found[2]), float(found[3]), float(found[4]))
    assert list(kinds) == ["hello", "bare", "jupyter", "status", "ping", "noop", "kernel", "execute_code"], lines
    for request, raw, over in kinds.values():
        assert request > 0 and raw > 0 and over == pytest.approx(request - raw, abs=0.011)
    assert kinds["kernel"][0] > kinds["noop"][0]  # running 1+1 on a kernel takes longer than answering nothing
    assert kinds["bare"][0] > kinds["hello"][0]  # so do the plain handlers that run it
    start = lines.index("execute_code's overhead over a raw call, by layer:") + 1
    costs = [float(line.split(" ms")[0]) for line in lines[start : start + 6]]
    assert sum(costs[:5]) == pytest.approx(costs[5], abs=0.03)
    assert lines[start + 6] == "the platform's floor (no MCP, no jmcp code), against the goal:"
    floor = [float(line.split(" ms")[0]) for line in lines[start + 7 :]]
    assert len(floor) == 4, lines
    assert floor[0] == kinds["hello"][0]
    assert floor[1:3] == [pytest.approx(kinds[kind][2], abs=0.011) for kind in ("bare", "jupyter")]
    assert floor[3] >= 3.0
    assert costs[5] == pytest.approx(kinds["execute_code"][2], abs=0.011)


async def test_alternate_pauses_before_each_call_without_timing_the_pause() -> None:
    async def instant() -> None:
        return None

    started = asyncio.get_running_loop().time()
    a_times, b_times, _ = await alternate(instant, instant, 2, warmup=1, pause=0.05)
    assert asyncio.get_running_loop().time() - started >= 6 * 0.05  # three pairs, a pause before each call
    assert max(a_times + b_times) < 0.05  # the calls' times leave the pauses out
