"""Watch a live server's event store (``/mcp/healthz`` with the token) while a test loads it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2

from tests.support import JupyterServer


def event_store(server: JupyterServer) -> dict[str, Any]:
    """The event store's figures: bytes, events and sessions held, and the configured max_bytes."""
    body = httpx2.get(f"{server.mcp_url}/healthz", headers=server.headers, timeout=10).json()
    return dict(body["event_store"])


@dataclass
class Peak:
    """The largest figures seen while watching."""

    bytes: int = 0
    events: int = 0
    sessions: int = 0
    samples: int = 0
    max_bytes: int = 0


@contextlib.asynccontextmanager
async def watching(server: JupyterServer, interval: float = 0.05) -> AsyncIterator[Peak]:
    """Sample the event store every ``interval`` seconds until the block ends."""
    peak = Peak()

    async def sample() -> None:
        async with httpx2.AsyncClient(headers=server.headers, timeout=10) as http:
            while True:
                figures = (await http.get(f"{server.mcp_url}/healthz")).json()["event_store"]
                peak.bytes = max(peak.bytes, figures["bytes"])
                peak.events = max(peak.events, figures["events"])
                peak.sessions = max(peak.sessions, figures["sessions"])
                peak.max_bytes = figures["max_bytes"]
                peak.samples += 1
                await anyio.sleep(interval)

    async with anyio.create_task_group() as tg:
        tg.start_soon(sample)
        yield peak
        tg.cancel_scope.cancel()
