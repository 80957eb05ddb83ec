"""A lean MCP client for the bench: JSON-RPC over one HTTP POST per request, nothing else.

It costs far less than the SDK's client (no task groups, no model validation), so it shows what a server
itself adds, and it is the one client used against both servers when they are compared. It speaks the
2025 era's handshake: it keeps the ``mcp-session-id`` a server hands out and sends the protocol version.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

ACCEPT = "application/json, text/event-stream"


class RpcClient:
    """One MCP session over ``http``: ``await initialize()``, then ``rpc`` / ``call``."""

    def __init__(self, http: httpx2.AsyncClient, url: str, headers: dict[str, str]) -> None:
        self._http = http
        self._url = url
        self._headers = {**headers, "Content-Type": "application/json", "Accept": ACCEPT}
        self._next = 0

    async def initialize(self, protocol_version: str = "2025-11-25") -> dict[str, Any]:
        client = {"name": "bench", "version": "1"}
        params = {"protocolVersion": protocol_version, "capabilities": {}, "clientInfo": client}
        response = await self._post({"jsonrpc": "2.0", "id": self._id(), "method": "initialize", "params": params})
        result = self._result("initialize", response)
        if "mcp-session-id" in response.headers:
            self._headers["mcp-session-id"] = response.headers["mcp-session-id"]
        self._headers["mcp-protocol-version"] = result.get("protocolVersion", protocol_version)
        await self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    async def rpc(self, method: str, params: dict[str, Any] | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": self._id(), "method": method, "params": params or {}}
        return self._result(method, await self._post(body))

    async def call(self, tool: str, **arguments: Any) -> str:
        """Call a tool that must succeed; its text."""
        result = await self.rpc("tools/call", {"name": tool, "arguments": arguments})
        text = "\n".join(block.get("text", "") for block in result.get("content", []))
        if result.get("isError"):
            raise RuntimeError(f"{tool} failed: {text[:500]}")
        return text

    def _id(self) -> int:
        self._next += 1
        return self._next

    async def _post(self, body: dict[str, Any]) -> httpx2.Response:
        response = await self._http.post(self._url, content=json.dumps(body), headers=self._headers)
        response.raise_for_status()
        return response

    @staticmethod
    def _result(method: str, response: httpx2.Response) -> Any:
        text = response.text
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            # The last data line of the stream is the response (earlier ones are notifications).
            text = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")][-1]
        answer = json.loads(text)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]
