"""``python -m bench``: measure jmcp against its baselines, side by side in one run, and print a table.

PYTHONPATH=$PWD python -m bench            # full run (about 6 minutes on 2 cores)
PYTHONPATH=$PWD python -m bench --quick    # smoke run: every row, few samples
python -m bench --setup-baseline           # create the separate venv with jupyter-mcp-server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from tests.support import running_server

from . import floor_handlers, other_server
from .figures import Bench, Settings, compare_transport, help_time, start_time, write_notebook
from .harness import Row, table

#: Every row of the table, in order (the smoke test checks they are all printed).
ROWS = {
    "help": "`jmcp --help` wall time",
    "start": "`jmcp start` until /mcp/healthz answers",
    "start-own": "`jmcp start` vs its launch of JupyterLab without jmcp_ext",
    "start-ext": "`jupyter lab` with jmcp_ext vs without",
    "exec-raw": "`execute_code` 1+1 via MCP vs raw AsyncKernelClient",
    "exec-other": "jupyter-mcp-server `execute_code` 1+1 vs jmcp",
    "exec-transport": "`execute_code` 1+1 through the SDK's transport vs direct calls",
    "cells-read_cell": "`read_cell` on 10,000 cells vs 10 cells",
    "cells-insert_cell": "`insert_cell` on 10,000 cells vs 10 cells",
    "cells-edit_cell_source": "`edit_cell_source` on 10,000 cells vs 10 cells",
    "page": "`read_notebook` 50 cells (brief) of 10,000 vs of 50",
    "collab": "MCP edit seen by a 2nd collaboration client, p50",
    "concurrent": "16 concurrent MCP sessions, mixed, calls/s",
    "memory": "server RSS after 10,000 tool calls",
    "big-output": "`read_cell` of a cell that printed 10 MB",
    "model-chars": "characters the model receives, 7 data-work cells, vs jupyter-mcp-server",
    "shrink-png": "shrink a 2 MB PNG (3000x3000) to fit a result",
    "render-cr": "render a 10 MB output of `\\r` progress frames",
}
GROUPS = {
    "help": ["help"],
    "start": ["start", "start-own", "start-ext"],
    "exec": ["exec-raw"],
    "other": ["exec-other"],
    "transport": ["exec-transport"],
    "cells": ["cells-read_cell", "cells-insert_cell", "cells-edit_cell_source"],
    "page": ["page"],
    "collab": ["collab"],
    "concurrent": ["concurrent"],
    "memory": ["memory"],
    "big-output": ["big-output"],
    "model": ["model-chars"],
    "shaping": ["shrink-png", "render-cr"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: every row with a handful of samples")
    parser.add_argument("--skip", default="", help=f"comma-separated groups to skip: {', '.join(GROUPS)}")
    parser.add_argument("--only", default="", help="comma-separated groups to run (default: all)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    parser.add_argument("--setup-baseline", action="store_true", help="create the jupyter-mcp-server venv and exit")
    args = parser.parse_args(argv)
    if args.setup_baseline:
        other_server.setup()
        return 0
    chosen = set(args.only.split(",")) - {""} if args.only else set(GROUPS)
    chosen -= set(args.skip.split(","))
    unknown = chosen - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {', '.join(sorted(unknown))}")

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jmcp-bench-") as tmp:
        settings = Settings(quick=args.quick, work=Path(tmp))
        rows = {key: Row(key, label) for key, label in ROWS.items()}
        for group, keys in GROUPS.items():
            if group not in chosen:
                for key in keys:
                    rows[key].skip("not selected")
        run(settings, chosen, rows)
    elapsed = time.monotonic() - started

    print()
    print(f"jmcp benchmarks ({'quick' if args.quick else 'full'} run, {elapsed:.0f} s) on {machine()}")
    print()
    print(table(list(rows.values())))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows.values()], indent=1, default=str))
    return 1 if any(r.met == "error" for r in rows.values()) else 0


def machine() -> str:
    import os

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"
    )


def guarded(rows: dict[str, Row], keys: list[str], fn: Callable[[], list[Row] | Row]) -> None:
    progress(keys)
    try:
        result = fn()
        for row in result if isinstance(result, list) else [result]:
            rows[row.key] = row
    except Exception as exc:
        traceback.print_exc()
        for key in keys:
            rows[key].fail(f"{type(exc).__name__}: {exc}"[:300])


async def aguarded(rows: dict[str, Row], keys: list[str], fn: Callable[[], Awaitable[list[Row] | Row]]) -> None:
    progress(keys)
    try:
        result = await fn()
        for row in result if isinstance(result, list) else [result]:
            rows[row.key] = row
    except Exception as exc:
        traceback.print_exc()
        for key in keys:
            rows[key].fail(f"{type(exc).__name__}: {exc}"[:300])


def progress(keys: list[str]) -> None:
    print(f"[bench] {', '.join(keys)} ...", file=sys.stderr, flush=True)


def run(s: Settings, chosen: set[str], rows: dict[str, Row]) -> None:
    # Process-level figures first, while no server of ours competes for the CPU.
    if "help" in chosen:
        guarded(rows, GROUPS["help"], lambda: help_time(s))
    if "start" in chosen:
        guarded(rows, GROUPS["start"], lambda: start_time(s))
    if "shaping" in chosen:
        guarded(rows, GROUPS["shaping"], lambda: shaping(s))
    server_groups = [
        g for g in ("exec", "transport", "cells", "page", "collab", "concurrent", "memory", "big-output") if g in chosen
    ]
    if "other" in chosen:
        row = rows["exec-other"]
        row.target = ">= 25x faster"
        if not other_server.available():
            row.skip(
                f"no jupyter-mcp-server venv at {other_server.VENV}: create it with `python -m bench "
                "--setup-baseline` (or point JMCP_BENCH_BASELINE_VENV at one)"
            )
        else:
            server_groups.insert(1, "other")
    if "model" in chosen:
        if not other_server.available():
            rows["model-chars"].skip(
                f"no jupyter-mcp-server venv at {other_server.VENV} (python -m bench --setup-baseline)"
            )
        else:
            server_groups.append("model")
    if server_groups:
        asyncio.run(with_server(s, server_groups, rows))


async def with_server(s: Settings, groups: list[str], rows: dict[str, Row]) -> None:
    # jupyter lab with collaboration, as a person would run it (and as the comparison server runs).
    # Plus bench/floor_handlers.py (plain handlers beside jmcp, for the exec rows' notes; it touches nothing of jmcp's).
    floor = f"--ServerApp.jpserver_extensions={{'jmcp_ext': True, {floor_handlers.EXTENSION}}}"
    with running_server(s.work / "root", s.work / "home", floor, app="lab") as server:
        bench = Bench(s, server)
        steps = {
            "exec": bench.execute,
            "other": lambda: compare_other(s, bench),
            "transport": lambda: compare_transport(s, bench),
            "cells": bench.cells,
            "page": bench.page,
            "collab": bench.collaboration,
            "concurrent": bench.concurrency,
            "big-output": bench.big_output,
            "model": lambda: compare_model_view(s, bench),
            "memory": bench.memory,  # last: it leaves many edits behind
        }
        for group, step in steps.items():
            if group in groups:
                await aguarded(rows, GROUPS[group], step)


@contextlib.asynccontextmanager
async def other_server_beside(
    s: Settings, bench: Bench, name: str, notebook: str, cells: int, kernel_python: str | None = None
) -> AsyncIterator[other_server.OtherServer]:
    """jupyter-mcp-server running on its own root (``{name}-root``), with the same ``notebook`` in its root and
    in jmcp's; stopped on the way out."""
    root = s.work / f"{name}-root"
    root.mkdir(parents=True, exist_ok=True)
    write_notebook(root / notebook, cells)
    write_notebook(bench.server.root / notebook, cells)
    server = other_server.OtherServer(root, s.work / f"{name}-home", notebook, kernel_python=kernel_python)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def compare_other(s: Settings, bench: Bench) -> Row:
    """execute_code 1+1 on jupyter-mcp-server and on jmcp: both servers up, the same lean client, calls interleaved."""
    import httpx2

    from .figures import kernel_id_of, plain_floor
    from .harness import Stopwatch, median_ms
    from .rpc import RpcClient

    row = Row("exec-other", ROWS["exec-other"], target=">= 25x faster")
    n = s.n(50, 5)
    beside = other_server_beside(s, bench, "other", "exec-other.ipynb", 1)
    async with beside as server, httpx2.AsyncClient(timeout=120) as http:
        theirs = RpcClient(http, f"{server.url}mcp", server.headers)
        ours = RpcClient(http, bench.server.mcp_url, bench.server.headers)
        await theirs.initialize()
        await ours.initialize()
        tools = [t["name"] for t in (await theirs.rpc("tools/list"))["tools"]]
        await theirs.call("use_notebook", notebook_name="bench", notebook_path="exec-other.ipynb", mode="connect")
        await ours.call("use_notebook", path="exec-other.ipynb")
        await ours.call("execute_code", code="1+1")  # the notebook's kernel, for the floor below
        kernel_id = await kernel_id_of(bench.server, "exec-other.ipynb")
        their_times, our_times, floor_times = [], [], []
        async with plain_floor(http, bench.server, kernel_id) as run_floor:
            # Each of ours follows one of theirs, as does each call of the platform's floor (the raw call run from
            # inside jmcp's server behind Jupyter's auth, no MCP): both after the same idleness of jmcp's server.
            for i in range(n + 3):
                with Stopwatch() as a:
                    text = await theirs.call("execute_code", code="1+1")
                with Stopwatch() as b:
                    mine = await ours.call("execute_code", code="1+1")
                await theirs.call("execute_code", code="1+1")
                with Stopwatch() as c:
                    floor = await run_floor()
                if i >= 3:
                    their_times.append(a.seconds)
                    our_times.append(b.seconds)
                    floor_times.append(c.seconds)
        if "2" not in text or "2" not in mine or floor != "2":
            raise RuntimeError(f"unexpected answers: {text[:300]!r} / {mine[:300]!r} / {floor[:300]!r}")
    t, o, f = median_ms(their_times), median_ms(our_times), median_ms(floor_times)
    return row.set(
        t,
        o,
        met=t / o >= 25,
        note=(
            f"jupyter-mcp-server {other_server.version()} in extension mode (jupyter lab, its own venv) vs jmcp, both "
            f"through the same lean JSON-RPC client (bench/rpc.py), interleaved, median of {n}; value = theirs, "
            f"baseline = jmcp; the platform's floor after the same idleness (the raw call run from inside jmcp's "
            f"server behind Jupyter's auth, a plain handler, no MCP) takes {f:.2f} ms, {t / f:.1f}x faster than "
            f"theirs; its tools: {', '.join(tools)}"
        ),
    )


def shaping(s: Settings) -> list[Row]:
    """Output shaping costs, in this process (no server): see bench/output_shaping.py."""
    from .output_shaping import measure

    figures = measure(quick=s.quick)
    png = Row("shrink-png", ROWS["shrink-png"], target="< 1,000 ms")
    png.set(
        figures["png_shrink_ms"],
        float("nan"),
        met=figures["png_shrink_ms"] < 1000,
        note=f"{figures['png_bytes']:,}-byte matplotlib PNG sent as {figures['png_sent_bytes']:,} bytes "
        "(render_outputs, median); runs in a worker thread, off the event loop",
    )
    cr = Row("render-cr", ROWS["render-cr"], target="< 500 ms")
    cr.set(
        figures["stream_10mb_render_ms"],
        figures["stream_100k_messages_ms"],
        met=figures["stream_10mb_render_ms"] < 500,
        note="value = render_outputs of the stored 10 MB text; baseline = applying 100,000 one-frame stream "
        "messages live (OutputList.apply)",
    )
    return [png, cr]


async def compare_model_view(s: Settings, bench: Bench) -> Row:
    """The same data-work cells on jupyter-mcp-server and on jmcp: characters received and facts readable."""
    import httpx2

    from tests.support import call

    from .model_view import SCENARIOS, SETUP, blocks, judge, summary, total_facts
    from .rpc import RpcClient

    row = Row("model-chars", ROWS["model-chars"], target="fewer chars, more facts")
    ours, theirs = {}, {}
    beside = other_server_beside(s, bench, "model", "model.ipynb", 0, kernel_python=sys.executable)
    async with beside as server, httpx2.AsyncClient(timeout=300) as http, bench.client() as client:
        other = RpcClient(http, f"{server.url}mcp", server.headers)
        await other.initialize("2024-11-05")
        await other.call("use_notebook", notebook_name="model", notebook_path="model.ipynb", mode="connect")
        await other.call("insert_execute_code_cell", cell_index=-1, cell_source=SETUP, timeout=120)
        await call(client, "use_notebook", path="model.ipynb")
        await call(client, "insert_execute_code_cell", source=SETUP, timeout=120)
        for scenario in SCENARIOS:
            answer = await other.rpc(
                "tools/call",
                {"name": "insert_execute_code_cell", "arguments": {"cell_index": -1, "cell_source": scenario.code}},
            )
            theirs[scenario.name] = judge(scenario, *blocks(answer.get("content", [])))
            result = await client.call_tool("insert_execute_code_cell", {"source": scenario.code})
            ours[scenario.name] = judge(scenario, *blocks(result.content))
    a = sum(seen.chars for seen in ours.values())
    b = sum(seen.chars for seen in theirs.values())
    facts_a = sum(len(seen.facts) for seen in ours.values())
    facts_b = sum(len(seen.facts) for seen in theirs.values())
    row.set(a, b, unit="chars", met=a < b and facts_a > facts_b)
    row.note = (
        f"facts readable: jmcp {facts_a}/{total_facts()}, jupyter-mcp-server {other_server.version()} "
        f"{facts_b}/{total_facts()}; value = jmcp, baseline = theirs (text blocks only). {summary(ours, theirs)}"
    )
    row.data.update(ours={k: v.__dict__ for k, v in ours.items()}, theirs={k: v.__dict__ for k, v in theirs.items()})
    return row


if __name__ == "__main__":
    sys.exit(main())
