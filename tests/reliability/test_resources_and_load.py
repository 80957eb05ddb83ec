"""Resource release after many tool calls over many notebooks, and a bounded load test of 16 sessions.
Figures are printed (run with -s); nothing here asserts on wall-clock speed."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.polling import poll_async
from tests.support import JupyterServer, call, mcp_client, running_server
from tests.trust.event_watch import event_store, watching


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def many_calls(srv: JupyterServer, total: int, notebooks: int, sessions: int = 4) -> None:
    """``total`` read/edit calls spread over ``notebooks`` notebooks by ``sessions`` concurrent clients."""

    async def worker(w: int) -> None:
        async with mcp_client(srv.mcp_url, srv.token) as client:
            for i in range(total // sessions):
                path = f"res/nb{(w * 7 + i) % notebooks}.ipynb"
                if i % 4 == 0:
                    await call(client, "insert_cell", path=path, source=f"w{w} i{i}")
                elif i % 4 == 1:
                    await call(client, "read_notebook", path=path, limit=5)
                elif i % 4 == 2:
                    await call(client, "read_cell", path=path, cell=-1)
                else:
                    await call(client, "list_files", path="res")

    await asyncio.gather(*(worker(w) for w in range(sessions)))


async def _release_after(tmp_path: Path, total: int) -> None:
    with running_server(tmp_path / "root", tmp_path / "home", "--JMCPExtension.room_idle_seconds=1") as srv:
        assert srv.proc is not None
        pid = srv.proc.pid
        notebooks = 40
        (srv.root / "res").mkdir()
        async with mcp_client(srv.mcp_url, srv.token) as client:
            for n in range(notebooks):
                await call(client, "create_notebook", path=f"res/nb{n}.ipynb")
                await call(client, "insert_cell", source="first = 1")  # read_cell(-1) needs a cell

        def rooms() -> int:
            return int(httpx2.get(f"{srv.mcp_url}/healthz", headers=srv.headers).json()["open_rooms"])

        await many_calls(srv, 400, notebooks)  # warm-up: imports, caches, first rooms
        await poll_async(rooms, lambda n: n == 0, timeout=60, interval=0.5, what="idle rooms to be released")
        base_rss, base_fds = rss_kib(pid), open_fds(pid)
        started = time.monotonic()
        await many_calls(srv, total, notebooks)
        elapsed = time.monotonic() - started
        peak_rss, peak_fds = rss_kib(pid), open_fds(pid)
        await poll_async(rooms, lambda n: n == 0, timeout=60, interval=0.5, what="idle rooms to be released")
        await poll_async(
            lambda: open_fds(pid), lambda n: n <= base_fds + 5, timeout=30, interval=0.5, what=f"fds back to {base_fds}"
        )
        end_rss, end_fds = rss_kib(pid), open_fds(pid)
        print(
            f"\nresources: {total} calls over {notebooks} notebooks in {elapsed:.1f} s; "
            f"RSS {base_rss // 1024} -> {peak_rss // 1024} -> {end_rss // 1024} MiB; "
            f"fds {base_fds} -> {peak_fds} -> {end_fds}"
        )
        assert end_fds <= base_fds + 5
        # Python rarely returns freed memory to the OS; the margin bounds growth, not a leak-free heap.
        assert end_rss <= base_rss * 1.25 + 30 * 1024, (base_rss, end_rss)
        assert srv.proc.poll() is None


@pytest.mark.slow
@pytest.mark.soak
async def test_rooms_memory_and_fds_return_to_the_warm_level_after_2000_calls(tmp_path: Path) -> None:
    await _release_after(tmp_path, 2000)


@pytest.mark.slow
@pytest.mark.soak
@pytest.mark.skipif(not os.environ.get("JMCP_LONG"), reason="set JMCP_LONG=1 (about 3 minutes)")
async def test_rooms_memory_and_fds_return_to_the_warm_level_after_10000_calls(tmp_path: Path) -> None:
    await _release_after(tmp_path, 10_000)


def cells_equal(count: int) -> Any:
    return lambda nb: len(nb["cells"]) == count


LOAD_SECONDS = float(os.environ.get("JMCP_LOAD_SECONDS", "60"))
SESSIONS = 16
#: A small event-store budget, so that the load reaches it and shows that it holds.
EVENT_STORE_BYTES = 2 * 2**20


@pytest.mark.slow
@pytest.mark.soak
async def test_sixteen_sessions_of_mixed_calls_without_an_error_or_a_lost_edit(tmp_path: Path) -> None:
    budget = f"--JMCPExtension.event_store_max_bytes={EVENT_STORE_BYTES}"
    with running_server(tmp_path / "root", tmp_path / "home", budget) as srv:
        (srv.root / "load").mkdir()
        async with mcp_client(srv.mcp_url, srv.token) as client:
            for s in range(SESSIONS // 4):
                await call(client, "create_notebook", path=f"load/shared{s}.ipynb")
        latencies: list[float] = []
        errors: list[str] = []
        produced: dict[str, list[str]] = {f"load/shared{s}.ipynb": [] for s in range(SESSIONS // 4)}
        deadline = time.monotonic() + LOAD_SECONDS

        async def session(n: int) -> None:
            path = f"load/shared{n % (SESSIONS // 4)}.ipynb"  # four sessions per notebook
            async with mcp_client(srv.mcp_url, srv.token) as client:
                await call(client, "use_notebook", path=path)
                i = 0
                while time.monotonic() < deadline:
                    kind = i % 10
                    started = time.monotonic()
                    try:
                        if kind < 4:
                            await call(client, "read_notebook", path=path, limit=10, outputs="none")
                        elif kind < 7:
                            source = f"s{n}-{i}"
                            await call(client, "insert_cell", path=path, source=source)
                            produced[path].append(source)
                        elif kind < 9:
                            await call(client, "read_cell", path=path, cell=0)
                        else:
                            await call(client, "execute_code", path=path, code=f"{n} * {i}", timeout=60)
                    except Exception as e:  # counted, not raised: the test reports every error
                        errors.append(f"{kind}: {e!r}"[:300])
                    latencies.append(time.monotonic() - started)
                    i += 1

        started = time.monotonic()
        async with watching(srv, interval=0.2) as peak:
            await asyncio.gather(*(session(n) for n in range(SESSIONS)))
        elapsed = time.monotonic() - started
        # The clients have closed their sessions (DELETE): their events go with them.
        ended = await poll_async(
            lambda: event_store(srv), lambda e: e["sessions"] == 0, timeout=30, what="sessions to end"
        )
        ordered = sorted(latencies)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"\nload: {SESSIONS} sessions, {len(latencies)} calls in {elapsed:.1f} s = {len(latencies) / elapsed:.1f} "
            f"calls/s; p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; errors {len(errors)}"
        )
        print(
            f"load: event store peak {peak.bytes / 2**20:.2f} MiB ({peak.events} events, {peak.sessions} sessions) of "
            f"a {EVENT_STORE_BYTES / 2**20:.0f} MiB budget; {ended['bytes']} bytes after the sessions ended"
        )
        assert errors == []
        assert peak.bytes <= EVENT_STORE_BYTES + 64 * 1024  # at most one event over the budget
        assert ended["bytes"] == 0 and ended["events"] == 0
        lost: dict[str, Any] = {}
        for path, sources in produced.items():
            on_disk = srv.wait_for_disk(path, cells_equal(len(sources)), timeout=60)
            disk_sources = ["".join(c["source"]) for c in on_disk["cells"]]
            if sorted(disk_sources) != sorted(sources):
                lost[path] = set(sources) ^ set(disk_sources)
            # Each session's own cells stay in the order it inserted them (appends).
            for n in range(SESSIONS):
                mine = [s for s in disk_sources if s.startswith(f"s{n}-")]
                assert mine == [s for s in sources if s.startswith(f"s{n}-")]
        print(f"load: {sum(len(s) for s in produced.values())} cells inserted, lost: {lost or 'none'}")
        assert lost == {}
