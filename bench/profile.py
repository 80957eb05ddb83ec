"""``python -m bench.profile``: where the time of one warm ``execute_code`` call goes, step by step.

Starts JupyterLab with jmcp and a probe extension (bench/probes.py) that marks, on the wall clock, each step of a
``POST /mcp``; a second kernel client listens on iopub for the kernel's own busy/idle times. Calls ``execute_code``
with ``1+1`` (through the MCP SDK's client, or ``--lean`` for bench/rpc.py), alternating with a raw
``AsyncKernelClient`` for comparison, and prints the median of each step. With py-spy installed
(``pip install py-spy``) it also samples the server and splits its CPU time by layer.

PYTHONPATH=$PWD python -m bench.profile [--calls 300] [--lean] [--no-spy] [--sdk-transport] [--stacks FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

from tests.support import JupyterServer, call, mcp_client, running_server

from .figures import kernel_client, raw_execute, write_notebook
from .rpc import RpcClient

#: The steps of one call, in order: (mark, what happened by then).
STEPS = [
    ("request", "tornado has parsed the request"),
    ("handler", "jmcp's handler is created"),
    ("authenticated", "Jupyter auth, Origin and token checks done"),
    ("sdk", "the request enters the MCP SDK"),
    ("pipeline", "a direct call starts the SDK's request pipeline"),
    ("wrapper", "the SDK has validated the call: jmcp's tool wrapper"),
    ("tool", "the tool function runs"),
    ("sent", "execute_request is sent to the kernel"),
    ("busy", "the kernel starts (its own clock)"),
    ("idle", "the kernel is done (its own clock)"),
    ("executed", "jmcp has the reply"),
    ("answer", "the SDK starts the HTTP answer"),
    ("written", "the answer's last bytes go to tornado"),
    ("received", "the client has the result"),
]

#: Server CPU by layer: the first rule whose patterns all occur in a sample's stack names it.
LAYERS = [
    ("jupyter_server's kernel activity watcher (serves raw clients too)", ("record_activity",)),
    ("jmcp kernels/: kernel client I/O", ("jmcp_ext/kernels/&jupyter_client/", "jmcp_ext/kernels/&zmq/")),
    ("jmcp tools, notebooks, kernels (own code)", ("jmcp_ext/tools/", "jmcp_ext/notebooks", "jmcp_ext/kernels")),
    ("MCP SDK: tool call (argument validation, result)", ("call_tool", "FuncMetadata")),
    ("MCP SDK: dispatch (runner, JSON-RPC, pydantic)", ("jsonrpc_dispatcher", "mcp/server/runner", "mcp/shared/")),
    ("MCP SDK: HTTP transport (streamable_http, sse)", ("streamable_http", "sse_starlette", "starlette/")),
    ("jmcp handler, bridge, session tracking, JSON answers", ("jmcp_ext/",)),
    ("Jupyter auth (identity, cookies, Host check)", ("jupyter_server/base", "jupyter_server/auth")),
    ("tornado HTTP (parse, route, write)", ("tornado/http1connection", "tornado/iostream", "tornado/web")),
    ("zmq other", ("zmq/",)),
    ("anyio", ("anyio/",)),
]


def layer_of(stack: str) -> str:
    for name, patterns in LAYERS:
        if any(all(part in stack for part in pattern.split("&")) for pattern in patterns):
            return name
    return "event loop, other"


def layers(path: Path) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    if path.exists():
        for line in path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            if n.isdigit():
                counts[layer_of(stack)] += int(n)
    return counts


async def measure(server: JupyterServer, calls: int, lean: bool, spy_out: Path | None) -> dict[str, Any]:
    """Timelines of ``calls`` MCP calls and as many raw ones, alternating (server marks go to $JMCP_PROBES)."""
    path = "profile.ipynb"
    async with mcp_client(server.mcp_url, server.token) as sdk, httpx2.AsyncClient(timeout=60) as http:
        rpc = RpcClient(http, server.mcp_url, server.headers)
        await rpc.initialize()
        await rpc.call("use_notebook", path=path)
        await call(sdk, "use_notebook", path=path)

        async def via_mcp() -> None:
            await (rpc.call("execute_code", code="1+1") if lean else call(sdk, "execute_code", code="1+1"))

        raw = await kernel_client(server, path)
        await raw.wait_for_ready(timeout=60)
        listener = await kernel_client(server, path, shell=False, stdin=False, hb=False, control=False)
        kernel: dict[str, dict[str, float]] = {}

        async def listen() -> None:
            while True:
                msg = await listener.get_iopub_msg()
                if msg["msg_type"] == "status":
                    state = kernel.setdefault(msg["parent_header"].get("msg_id", ""), {})
                    state[msg["content"]["execution_state"]] = msg["header"]["date"].timestamp()

        listening = asyncio.create_task(listen())
        for _ in range(20):
            await via_mcp()
            await raw_execute(raw, "1+1")
        await asyncio.to_thread(forget_marks)
        spy = spy_on(server, spy_out, calls) if spy_out else None
        ours, theirs = [], []
        try:
            for _ in range(calls):
                for timeline, run in ((ours, via_mcp), (theirs, lambda: raw_execute(raw, "1+1"))):
                    known = set(kernel)
                    sent = time.time()
                    await run()
                    received = time.time()
                    await asyncio.sleep(0.002)  # the listener gets the idle status too
                    new = [k for k in set(kernel) - known if {"busy", "idle"} <= set(kernel[k])]
                    if len(new) == 1:
                        timeline.append({"client": sent, **kernel[new[0]], "received": received, "msg_id": new[0]})
        finally:
            listening.cancel()
            raw.stop_channels()
            listener.stop_channels()
            if spy is not None:
                spy.wait(timeout=calls)
    return {"ours": ours, "theirs": theirs}


def forget_marks() -> None:
    Path(os.environ["JMCP_PROBES"]).unlink(missing_ok=True)


def with_server_marks(timelines: list[dict[str, Any]]) -> None:
    """Add the probes' marks to the client's timelines, joined on the kernel message each call sent."""
    probes = Path(os.environ["JMCP_PROBES"])
    lines = probes.read_text().splitlines() if probes.exists() else []
    marks = {m.get("msg_id"): m for m in map(json.loads, lines)}
    for timeline in timelines:
        server = marks.get(timeline["msg_id"], {})
        timeline.update({k: v for k, v in server.items() if k not in timeline})


def spy_on(server: JupyterServer, out: Path, calls: int) -> subprocess.Popen[bytes] | None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("py-spy not found: no CPU split (pip install py-spy)", file=sys.stderr)
        return None
    seconds = max(2, int(calls * 0.02))  # about the calls' duration; the median per call is what is printed
    argv = [exe, "record", "--pid", str(server.proc.pid), "--rate", "1000", "--duration", str(seconds),  # type: ignore[union-attr]
            "--format", "raw", "--gil", "--nonblocking", "--output", str(out)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def median_step(timelines: list[dict[str, Any]], a: str, b: str) -> float | None:
    gaps = [t[b] - t[a] for t in timelines if a in t and b in t]
    return statistics.median(gaps) * 1000 if gaps else None


def report(result: dict[str, Any], spy_out: Path | None, lean: bool) -> str:
    ours, theirs = result["ours"], result["theirs"]
    lines = [f"one warm execute_code 1+1 through MCP ({'bench/rpc.py' if lean else 'the SDK client'}), median ms:"]
    previous = "client"
    for mark, what in STEPS:
        gap = median_step(ours, previous, mark)
        if gap is not None:
            lines.append(f"  {gap:7.2f}  -> {what}")
            previous = mark
    total = median_step(ours, "client", "received") or 0.0
    raw_total = median_step(theirs, "client", "received") or 0.0
    lines.append(f"  {total:7.2f}  in all (n={len(ours)})")
    turns = [t["turns"] for t in ours if "turns" in t]
    if turns:
        lines.append(f"  {statistics.median(turns):7.0f}  event-loop turns of the server from request to answer")
    lines.append("the raw AsyncKernelClient, alternating with it:")
    raw_steps = [
        ("client", "busy", "kernel starts"),
        ("busy", "idle", "kernel done"),
        ("idle", "received", "reply read"),
    ]
    for a, b, what in raw_steps:
        lines.append(f"  {median_step(theirs, a, b) or 0.0:7.2f}  -> {what}")
    lines.append(f"  {raw_total:7.2f}  in all: MCP adds {total - raw_total:.2f} ms ({total / raw_total:.2f}x)")
    counts = layers(spy_out) if spy_out else collections.Counter()
    if counts:
        samples = sum(counts.values())
        lines.append(f"server CPU holding the GIL, by layer ({samples} py-spy samples):")
        lines += [f"  {n / samples:6.1%}  {name}" for name, n in counts.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--lean", action="store_true", help="call through bench/rpc.py instead of the SDK client")
    parser.add_argument("--no-spy", action="store_true", help="skip py-spy's CPU split")
    parser.add_argument("--sdk-transport", action="store_true", help="no direct calls: the SDK transport for all")
    parser.add_argument("--stacks", type=Path, help="also keep py-spy's raw stacks here (for flame graphs)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jmcp-profile-") as tmp:
        work = Path(tmp)
        (work / "root").mkdir()
        write_notebook(work / "root" / "profile.ipynb", 1)
        os.environ["JMCP_PROBES"] = str(work / "probes.jsonl")
        extensions = ["--ServerApp.jpserver_extensions={'jmcp_ext': True, 'bench.probes': True}"]
        if args.sdk_transport:
            extensions.append("--JMCPExtension.direct_calls=False")
        spy_out = None if args.no_spy else work / "server-stacks.txt"
        with running_server(work / "root", work / "home", *extensions, app="lab") as server:
            result = asyncio.run(measure(server, args.calls, args.lean, spy_out))
        with_server_marks(result["ours"])
        print(report(result, spy_out, args.lean))
        if args.stacks is not None and spy_out is not None and spy_out.exists():
            shutil.copyfile(spy_out, args.stacks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
