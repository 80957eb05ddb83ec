"""``python -m bench.ab [REF]``: this checkout's ``execute_code`` against another commit's, in the same run.

A change meant to make calls faster is measured here before it is kept. Two JupyterLab servers run side by
side: one imports jmcp_ext from this working tree, the other from ``REF`` (default ``HEAD``, so uncommitted
changes are what is compared), unpacked with ``git archive`` into a temporary directory. The same lean
client (bench/rpc.py) calls ``execute_code`` ``1+1`` on each in turn (``figures.alternate``, which flips
which server goes first every pair). Reported per round and overall: the median of each, the difference,
and each server's CPU time per call (from /proc), which moves less with the machine's noise than the wall
time does.

``--without-activity-watcher`` runs this tree's server without jupyter_server's kernel activity watcher
(bench/no_activity_watcher.py): against ``HEAD`` with no local changes, the difference is the watcher's share
of a call.

``--with-raw`` follows each MCP call with a raw ``AsyncKernelClient`` call on the same server's kernel, as the
exec row of ``python -m bench`` pairs them, and reports each server's overhead over its raw call: a change's
effect on that row rather than on the MCP call alone. The two differ when a change also moves work that the
raw call shares (the server's work on the kernel's messages competes with the raw client and the kernel for
the CPU). The server CPU it reports is then per pair of calls.

PYTHONPATH=$PWD python -m bench.ab [REF] [--calls 200] [--rounds 4] [--without-activity-watcher] [--with-raw]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import httpx2

from tests.support import REPO_ROOT, JupyterServer, isolated_env

from .figures import alternate, kernel_client, raw_execute, write_notebook
from .harness import Stopwatch, cpu_seconds, median_ms
from .rpc import RpcClient

NOTEBOOK = "ab.ipynb"
WARMUP = 10
WITHOUT_WATCHER = "--ServerApp.jpserver_extensions={'jmcp_ext': True, 'bench.no_activity_watcher': True}"


def unpack(ref: str, into: Path) -> str:
    """``REF``'s tree under ``into``; its short commit id."""
    commit = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", ref], capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = into / "ref.tar"
    subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--output", str(archive), commit], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "code", filter="data")
    return commit


def imported_from(code: Path, home: Path, root: Path) -> str:
    """Where a server started with ``code`` finds jmcp_ext (checks that the comparison compares what it says)."""
    env = isolated_env(home, code)
    probe = [sys.executable, "-c", "import jmcp_ext; print(jmcp_ext.__file__)"]
    # In the server's working directory, as JupyterServer starts it (Python looks there first).
    return subprocess.run(probe, env=env, cwd=root, capture_output=True, text=True, check=True).stdout.strip()


class _Turn:
    """One server's turn in a pair: ``execute_code`` through MCP and, given a kernel client (``--with-raw``),
    a raw call on the same kernel right after it; each is timed."""

    def __init__(self, client: RpcClient, kc: Any = None) -> None:
        self.client, self.kc = client, kc
        self.mcp: list[float] = []
        self.raw: list[float] = []

    async def __call__(self) -> None:
        with Stopwatch() as sw:
            await self.client.call("execute_code", code="1+1")
        self.mcp.append(sw.seconds)
        if self.kc is not None:
            with Stopwatch() as sw:
                await raw_execute(self.kc, "1+1")
            self.raw.append(sw.seconds)

    def take(self, name: str, into: dict[str, float]) -> None:
        """Put this round's medians (without the warm-up pairs) into ``into`` and start afresh."""
        into[name] = median_ms(self.mcp[WARMUP:])
        if self.kc is not None:
            into[f"{name} raw"] = median_ms(self.raw[WARMUP:])
        self.mcp.clear()
        self.raw.clear()


async def compare(
    servers: dict[str, JupyterServer], calls: int, rounds: int, *, with_raw: bool = False
) -> list[dict[str, float]]:
    results = []
    turns: dict[str, _Turn] = {}
    async with httpx2.AsyncClient(timeout=60) as http:
        try:
            for name, server in servers.items():
                client = RpcClient(http, server.mcp_url, server.headers)
                await client.initialize()
                await client.call("use_notebook", path=NOTEBOOK)
                turns[name] = _Turn(client)
                if with_raw:
                    turns[name].kc = await kernel_client(server, NOTEBOOK)
                    await turns[name].kc.wait_for_ready(timeout=60)
            here, there = names = list(turns)
            for round_ in range(rounds):
                before = {name: cpu_seconds(server.proc.pid) for name, server in servers.items()}  # type: ignore[union-attr]
                await alternate(turns[here], turns[there], calls, warmup=WARMUP)  # who goes first flips every pair
                result: dict[str, float] = {}
                for name, server in servers.items():
                    turns[name].take(name, result)
                    used = cpu_seconds(server.proc.pid) - before[name]  # type: ignore[union-attr]
                    result[f"{name} cpu"] = used / (calls + WARMUP) * 1000  # the untimed pairs ran too
                results.append(result)
                print(f"round {round_ + 1}: {_round_line(result, names, with_raw)}", flush=True)
        finally:
            for turn in turns.values():
                if turn.kc is not None:
                    turn.kc.stop_channels()
    return results


def _round_line(result: dict[str, float], names: list[str], with_raw: bool) -> str:
    def side(name: str) -> str:
        parts = [f"server CPU {result[name + ' cpu']:.2f} ms"]
        if with_raw:
            parts[:0] = [f"raw {result[name + ' raw']:.2f} ms", f"over {_over(result, name):+.2f} ms"]
        return f"{name} {result[name]:.2f} ms ({', '.join(parts)})"

    here, there = names
    line = "  ".join(side(name) for name in names) + f"  difference {result[here] - result[there]:+.2f} ms"
    if with_raw:
        line += f", in overhead over raw {_over(result, here) - _over(result, there):+.2f} ms"
    return line


def _over(result: dict[str, float], name: str) -> float:
    return result[name] - result[f"{name} raw"]


async def main_async(
    ref: str, calls: int, rounds: int, *, without_watcher: bool = False, with_raw: bool = False
) -> int:
    with tempfile.TemporaryDirectory(prefix="jmcp-ab-") as tmp:
        work = Path(tmp)
        commit = unpack(ref, work)
        here = "this tree without the activity watcher" if without_watcher else "this tree"
        there = f"{ref} ({commit})"
        codes = {here: REPO_ROOT, there: work / "code"}
        quiet = [WITHOUT_WATCHER] if without_watcher else []
        servers: dict[str, JupyterServer] = {}
        try:
            for index, (name, code) in enumerate(codes.items()):
                root, home = work / f"root{index}", work / f"home{index}"
                root.mkdir()
                write_notebook(root / NOTEBOOK, 1)
                found = Path(imported_from(code, home, root))
                if not found.is_relative_to(code):
                    print(f"{name}: jmcp_ext would come from {found}, not {code}", file=sys.stderr)
                    return 1
                args = quiet if name == here else []
                servers[name] = JupyterServer(root=root, home=home, args=args, app="lab", code=code)
                await asyncio.to_thread(servers[name].start)
            results = await compare(servers, calls, rounds, with_raw=with_raw)
        finally:
            for server in servers.values():
                await asyncio.to_thread(server.stop)
    overall = {name: statistics.median(r[name] for r in results) for name in codes}
    cpu = {name: statistics.median(r[f"{name} cpu"] for r in results) for name in codes}
    print(
        f"median of {rounds} rounds of {calls}: {here} {overall[here]:.2f} ms against {there} {overall[there]:.2f} ms "
        f"({overall[here] - overall[there]:+.2f} ms, {overall[here] / overall[there]:.3f}x); server CPU per call "
        f"{cpu[here]:.2f} against {cpu[there]:.2f} ms ({cpu[here] - cpu[there]:+.2f} ms)"
    )
    if with_raw:
        over = {name: statistics.median(_over(r, name) for r in results) for name in codes}
        print(
            f"overhead over a raw call on the same kernel: {here} {over[here]:+.2f} ms against {there} "
            f"{over[there]:+.2f} ms ({over[here] - over[there]:+.2f} ms)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.splitlines()[0])
    parser.add_argument("ref", nargs="?", default="HEAD", help="the commit to compare against (default HEAD)")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per server and round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, each reported on its own line")
    parser.add_argument(
        "--without-activity-watcher",
        action="store_true",
        help="run this tree's server without jupyter_server's kernel activity watcher (its share of a call)",
    )
    parser.add_argument(
        "--with-raw",
        action="store_true",
        help="follow each MCP call with a raw kernel client's call and compare the overheads (the exec row's view)",
    )
    args = parser.parse_args(argv)
    return asyncio.run(
        main_async(
            args.ref, args.calls, args.rounds, without_watcher=args.without_activity_watcher, with_raw=args.with_raw
        )
    )


if __name__ == "__main__":
    sys.exit(main())
