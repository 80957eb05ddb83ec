"""Prompts: listed and rendered through the SDK's client, naming only tools (and arguments) that exist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from mcp import Client

from jmcp_ext.prompts import PROMPTS, sample_text
from jmcp_ext.tools import Services, build_server
from tests.support import JupyterServer, mcp_client

PROMPT_NAMES = {"open_notebook", "fix_error", "tidy_notebook", "explore_dataframe"}
#: ``tool(arg=...)`` in a prompt's text.
CALL = re.compile(r"(?<![.\w])([a-z]+(?:_[a-z]+)+)\s?\(([^)]*)\)")


def in_process(**kwargs: Any) -> Client:
    return Client(build_server(Services(notebooks=None, kernels=None, root_dir="/"), **kwargs))  # type: ignore[arg-type]


async def test_prompts_name_only_tools_and_arguments_that_exist() -> None:
    async with in_process() as client:
        schemas = {tool.name: tool.input_schema["properties"] for tool in (await client.list_tools()).tools}
    for spec in PROMPTS:
        text = sample_text(spec)
        calls = CALL.findall(text)
        assert calls, f"{spec.name} names no tool call"
        for name, args in calls:
            assert name in schemas, f"{spec.name} names {name}(), which is no tool"
            for arg in re.findall(r"(\w+)=", args):
                assert arg in schemas[name], f"{spec.name} passes {arg}= to {name}, which takes no such argument"


async def test_prompts_are_listed_with_arguments_and_render_their_arguments() -> None:
    async with in_process() as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(prompts) == PROMPT_NAMES
        explore = prompts["explore_dataframe"]
        assert [(a.name, a.required) for a in explore.arguments or []] == [("variable", True), ("path", False)]
        assert all(p.title and p.description for p in prompts.values())
        rendered = await client.get_prompt("explore_dataframe", {"variable": "sales", "path": "q3/report.ipynb"})
        (message,) = rendered.messages
        assert message.role == "user"
        assert '`sales.describe(include="all")`' in message.content.text
        assert "use_notebook(path='q3/report.ipynb')" in message.content.text
        fix = (await client.get_prompt("fix_error", {})).messages[0].content.text
        assert "list_notebooks" in fix and "read_cell" in fix and "edit_cell_source" in fix


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"read_only": True}, set()),  # every prompt edits or runs something
        ({"disabled": frozenset({"execute_code"})}, {"fix_error", "tidy_notebook"}),
    ],
)
async def test_prompts_needing_tools_that_are_not_offered_are_left_out(
    kwargs: dict[str, Any], expected: set[str]
) -> None:
    async with in_process(**kwargs) as client:
        assert {p.name for p in (await client.list_prompts()).prompts} == expected


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_prompts_over_http_in_both_eras(server: JupyterServer, mode: str) -> None:
    async with mcp_client(server.mcp_url, server.token, mode=mode) as client:
        assert {p.name for p in (await client.list_prompts()).prompts} == PROMPT_NAMES
        text = (await client.get_prompt("open_notebook", {"task": "plot revenue by month"})).messages[0].content.text
        assert "Task: plot revenue by month" in text and "use_notebook" in text
