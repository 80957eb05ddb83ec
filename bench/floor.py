"""``python -m bench.floor``: the exec row's overhead taken apart, layer by layer, each measured end to end.

One JupyterLab with jmcp, bench/floor_tools.py (two stripped-down tools) and bench/floor_handlers.py (three plain
handlers), both bench only. Five requests, each strictly alternating with a raw ``AsyncKernelClient`` call ``1+1``
on the same notebook's kernel, as the exec row pairs them (``figures.alternate`` flips the order every pair):

- ``GET /api/status``: Jupyter's cheapest authenticated request, on the MCP client's HTTP connection;
- an MCP ``ping``: the same plus jmcp's endpoint and the SDK's dispatch, no tool;
- ``floor_noop``: a ``tools/call`` of a tool that does nothing (the SDK's argument and result handling,
  Jupyter's authorizer, jmcp's tool wrapper);
- ``floor_exec``: a tool that only runs the code through jmcp's kernel client;
- ``execute_code``: the real tool (the collaboration room, presence, change digest, output shaping).

Each step's figure minus the one before is what that layer costs, so the layers add up to ``execute_code``'s
overhead over the raw call.

Beside them, the platform's floor, with no MCP and no jmcp code (bench/floor_handlers.py's plain handlers): a
request that answers ``2`` (tornado's round trip into Jupyter's server), and the raw call itself, the bench's own
``raw_execute``, run from inside the server behind a constant-time token comparison and then behind Jupyter's
authentication and authorizer. The last is the least any authenticated extension of Jupyter pays to run the
code for an HTTP client, so it is the floor under the exec goal (1.3x or +3 ms over the raw call).

``--client sdk`` calls through the MCP SDK's client instead of bench/rpc.py; ``--gap`` idles before every timed
request (the jupyter-mcp-server row's jmcp calls follow 230 ms of it).

PYTHONPATH=$PWD python -m bench.floor [--calls 200] [--rounds 3] [--client lean|sdk] [--gap SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2

from tests.support import JupyterServer, mcp_client, text_of

from .figures import alternate, kernel_client, kernel_id_of, plain_call, raw_execute, write_notebook
from .floor_handlers import BARE, EXTENSION, HELLO, JUPYTER
from .harness import median_ms
from .rpc import RpcClient

NOTEBOOK = "floor.ipynb"
WITH_FLOOR_TOOLS = f"--ServerApp.jpserver_extensions={{'jmcp_ext': True, 'bench.floor_tools': True, {EXTENSION}}}"
WARMUP = 10

#: The requests, in order: (key, what it adds to the one before).
KINDS = [
    ("status", "Jupyter's cheapest authenticated request (GET /api/status)"),
    ("ping", "jmcp's endpoint and the SDK's dispatch (an MCP ping, over that)"),
    ("noop", "a tool call (a tool that does nothing, over a ping)"),
    ("kernel", "running the code from the server (a tool that only runs it, over the no-op tool and raw)"),
    ("execute_code", "execute_code's own work (room, presence, digest, shaping; over the kernel-only tool)"),
]

#: The platform's floor: plain handlers in the same server, no MCP and no jmcp code (bench/floor_handlers.py).
PLATFORM = [
    ("hello", "tornado's round trip into Jupyter's server (a handler answering 2, token compared)"),
    ("bare", "the raw call run from inside the server, behind the token comparison alone"),
    ("jupyter", "the raw call run from inside the server, behind Jupyter's authentication and authorizer"),
]
#: The exec goal: execute_code within this ratio of the raw call, or within this many ms of it.
GOAL_RATIO, GOAL_MS = 1.3, 3.0

Call = Callable[[], Awaitable[Any]]


@contextlib.asynccontextmanager
async def requests(server: JupyterServer, client: str) -> AsyncIterator[dict[str, Call]]:
    """Each kind's request on ``server``, through the chosen MCP client (its answers checked once)."""
    async with httpx2.AsyncClient(timeout=60) as http, contextlib.AsyncExitStack() as stack:

        async def status() -> None:
            (await http.get(f"{server.url}api/status", headers=server.headers)).raise_for_status()

        if client == "sdk":
            sdk = await stack.enter_async_context(mcp_client(server.mcp_url, server.token))

            def tool(name: str) -> Call:
                async def run() -> str:
                    return text_of(await sdk.call_tool(name, {"source": "1+1"}))

                return run

            async def ping() -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the SDK's client deprecates ping for the 2026 protocol era
                    await sdk.send_ping()

            await sdk.call_tool("use_notebook", {"path": NOTEBOOK})
        else:
            lean = RpcClient(http, server.mcp_url, server.headers)
            await lean.initialize()

            def tool(name: str) -> Call:
                return lambda: lean.call(name, source="1+1")

            async def ping() -> None:
                await lean.rpc("ping")

            await lean.call("use_notebook", path=NOTEBOOK)
        kernel_id = await kernel_id_of(server, NOTEBOOK)
        plain = {"hello": HELLO, "bare": BARE, "jupyter": JUPYTER}
        calls: dict[str, Call] = {kind: plain_call(http, server, path, kernel_id) for kind, path in plain.items()}
        calls |= {"status": status, "ping": ping}
        calls |= {"noop": tool("floor_noop"), "kernel": tool("floor_exec"), "execute_code": tool("execute_code")}
        for kind in ("hello", "bare", "jupyter", "noop", "kernel", "execute_code"):
            answer = await calls[kind]()
            if not str(answer).rstrip().endswith("2"):
                raise RuntimeError(f"{kind} answered {answer!r}, not 1+1's 2 (are the floor tools loaded?)")
        yield calls


async def paired(call: Call, kc: Any, calls: int, gap: float) -> tuple[float, float]:
    """Medians (ms) of ``call`` and of a raw kernel call, alternating; ``gap`` seconds idle before each, untimed."""
    times, raw_times, _ = await alternate(call, lambda: raw_execute(kc, "1+1"), calls, warmup=WARMUP, pause=gap)
    return median_ms(times), median_ms(raw_times)


def layers(figures: dict[str, tuple[float, float]]) -> list[tuple[str, float]]:
    """Each layer's cost from the kinds' (request, raw) medians; they add up to execute_code's overhead."""
    status, ping, noop = figures["status"][0], figures["ping"][0], figures["noop"][0]
    kernel = figures["kernel"][0] - figures["kernel"][1]
    execute = figures["execute_code"][0] - figures["execute_code"][1]
    costs = [status, ping - status, noop - ping, kernel - noop, execute - kernel]
    return [(what, cost) for (_, what), cost in zip(KINDS, costs, strict=True)]


def floor_lines(figures: dict[str, tuple[float, float]]) -> list[str]:
    """The plain handlers' figures over the raw call beside them, and what the exec goal allows over it."""
    lines = [f"{figures['hello'][0]:6.2f} ms  {PLATFORM[0][1]}"]
    for kind, what in PLATFORM[1:]:
        took, raw = figures[kind]
        lines.append(f"{took - raw:+6.2f} ms  {took / raw:.2f}x  {what}")
    raw = figures["execute_code"][1]
    allowed = max(GOAL_MS, (GOAL_RATIO - 1) * raw)
    lines.append(f"{allowed:+6.2f} ms  the goal allows over this raw call ({GOAL_RATIO}x or +{GOAL_MS:.0f} ms)")
    return lines


async def main_async(calls: int, rounds: int, client: str, gap: float) -> int:
    with tempfile.TemporaryDirectory(prefix="jmcp-floor-") as tmp:
        root, home = Path(tmp) / "root", Path(tmp) / "home"
        root.mkdir()
        write_notebook(root / NOTEBOOK, 1)
        server = JupyterServer(root=root, home=home, args=[WITH_FLOOR_TOOLS], app="lab")
        await asyncio.to_thread(server.start)
        per_round: list[dict[str, tuple[float, float]]] = []
        try:
            async with requests(server, client) as kinds:
                kc = await kernel_client(server, NOTEBOOK)
                try:
                    await kc.wait_for_ready(timeout=60)
                    for round_ in range(rounds):
                        figures = {kind: await paired(kinds[kind], kc, calls, gap) for kind, _ in PLATFORM + KINDS}
                        per_round.append(figures)
                        line = ", ".join(f"{kind} {m:.2f} (raw {r:.2f})" for kind, (m, r) in figures.items())
                        print(f"round {round_ + 1}: {line}", flush=True)
                finally:
                    kc.stop_channels()
        finally:
            await asyncio.to_thread(server.stop)
    overall = {
        kind: (statistics.median(f[kind][0] for f in per_round), statistics.median(f[kind][1] for f in per_round))
        for kind, _ in PLATFORM + KINDS
    }
    print(f"median of {rounds} rounds of {calls}, {client} client, {gap * 1000:.0f} ms idle before each request:")
    for kind, (m, r) in overall.items():
        print(f"  {kind:<13} {m:7.2f} ms   raw call beside it {r:6.2f} ms   over raw {m - r:+6.2f} ms")
    print("execute_code's overhead over a raw call, by layer:")
    parts = layers(overall)
    for what, cost in parts:
        print(f"  {cost:+6.2f} ms  {what}")
    print(f"  {sum(cost for _, cost in parts):+6.2f} ms  in all")
    print("the platform's floor (no MCP, no jmcp code), against the goal:")
    for line in floor_lines(overall):
        print(f"  {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="timed pairs per request kind and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each reported on its own line")
    parser.add_argument("--client", choices=("lean", "sdk"), default="lean", help="the MCP client (default lean)")
    parser.add_argument("--gap", type=float, default=0.0, help="seconds idle before each timed request")
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args.calls, args.rounds, args.client, args.gap))


if __name__ == "__main__":
    sys.exit(main())
