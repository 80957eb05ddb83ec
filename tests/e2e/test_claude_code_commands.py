"""Claude Code's own CLI turns jmcp's prompts into slash commands and offers its resource tools.

Claude Code has no command that prints a server's prompts or resources, but its stream-json mode (the one the
Agent SDK drives) answers control requests without a model: ``mcp_status`` says when the server is connected,
``initialize`` lists the slash commands, MCP prompts among them, and the first user message's ``init`` record
lists the tools, with the MCP resource tools when a server offers resources. No account is used: the run has
a fresh home and no credentials, so the user message ends at "Not logged in" without reaching a model.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from jmcp_ext.prompts import PROMPTS
from tests.support import npm_tool, running_server


@pytest.fixture(scope="module")
def claude_cli() -> Path:
    return npm_tool("@anthropic-ai/claude-code", "claude", prefix_name="claude-code")


class StreamJson:
    """A ``claude -p --input-format stream-json`` process: send records, read records (bounded waits)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen: list[dict[str, Any]] = []

    async def send(self, record: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(record) + "\n").encode())
        await self.process.stdin.drain()

    async def next_where(self, match: Any, timeout: float = 60) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = await self.process.stdout.readline()
                if not line:
                    raise AssertionError(f"claude exited; it said: {self.seen[-3:]}")
                record = json.loads(line)
                self.seen.append(record)
                if match(record):
                    return record

    async def control(self, request_id: str, subtype: str) -> dict[str, Any]:
        await self.send({"type": "control_request", "request_id": request_id, "request": {"subtype": subtype}})
        record = await self.next_where(
            lambda r: r.get("type") == "control_response" and r["response"].get("request_id") == request_id
        )
        return dict(record["response"]["response"])


@pytest.mark.slow
@pytest.mark.e2e
async def test_claude_code_lists_the_prompts_as_commands_and_offers_resource_tools(
    claude_cli: Path, tmp_path: Path
) -> None:
    with running_server(tmp_path / "root", tmp_path / "home") as server:
        config = {"mcpServers": {"jupyter": {"type": "http", "url": server.mcp_url, "headers": server.headers}}}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "CLAUDE"))}
        env["HOME"] = str(tmp_path / "claude-home")
        (tmp_path / "claude-home").mkdir()
        process = await asyncio.create_subprocess_exec(
            str(claude_cli), "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose",
            "--strict-mcp-config", "--mcp-config", json.dumps(config),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env=env, cwd=server.root,
        )  # fmt: skip
        claude = StreamJson(process)
        try:
            for attempt in range(120):  # it connects to MCP servers in the background
                status = await claude.control(f"status-{attempt}", "mcp_status")
                (jupyter,) = status["mcpServers"]
                if jupyter["status"] != "pending":
                    break
                await asyncio.sleep(0.5)
            assert jupyter["status"] == "connected", jupyter
            commands = {c["name"]: c for c in (await claude.control("init", "initialize"))["commands"]}
            for spec in PROMPTS:
                command = commands.get(f"jupyter:{spec.name} (MCP)")
                assert command is not None, f"{spec.name} is no slash command: {sorted(commands)}"
                assert command["description"] == (spec.fn.__doc__ or "").strip()
            await claude.send(
                {"type": "user", "message": {"role": "user", "content": "hi"}, "parent_tool_use_id": None}
            )
            init = await claude.next_where(lambda r: r.get("type") == "system" and r.get("subtype") == "init")
            assert {"ListMcpResourcesTool", "ReadMcpResourceTool"} <= set(init["tools"])
        finally:
            process.kill()
            await process.wait()
